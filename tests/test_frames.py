"""The WebSocket frames the cockpit reads, as a pure projection of events; every one is in the registry."""

from __future__ import annotations

import msgspec

from services.gateway.frames import encode, frames_for
from services.gateway.registry import FRAMES
from shared.events import incident as ev
from shared.projections.incident import evolve
from tests.support.builders import DRAFT, Given, happy_path

REGISTERED = {kind for kind, *_ in FRAMES}
DATA_TYPES = {kind: data_type for kind, _, _, data_type, _ in FRAMES}


def typed_frames_of(*payloads):  # type: ignore[no-untyped-def]
    given, state, out = Given(), None, []
    for p in payloads:
        env = given.env(p)
        new = evolve(state, env, given.n)
        out += frames_for(state, new, env)
        state = new
    return out


def frames_of(*payloads) -> list[dict]:  # type: ignore[no-untyped-def]
    return [msgspec.json.decode(encode(f)) for f in typed_frames_of(*payloads)]  # as a client reads them


def test_every_frame_of_an_incident_with_notifications_is_registered():
    frames = frames_of(*happy_path(), DRAFT, ev.NotificationApproved(draft_id="recovery-email", by="al"),
                       ev.NotificationSending(draft_id="recovery-email"),
                       ev.NotificationSent(draft_id="recovery-email", channel="email"))
    assert {f["type"] for f in frames} <= REGISTERED
    notes = [f["data"] for f in frames if f["type"] == "notification.updated"]
    assert [n["status"] for n in notes] == ["drafted", "approved", "sending", "sent"]
    assert notes[0] == {"incident_id": "inc-1", "draft_id": "recovery-email", "channel": "email",
                        "status": "drafted", "subject": "s"}


def test_every_frame_sends_exactly_the_type_its_registry_schema_describes():
    frames = typed_frames_of(*happy_path(), DRAFT)
    assert frames
    for f in frames:
        assert type(f.data) is DATA_TYPES[f.type], f.type


def test_status_updates_carry_the_incidents_status_so_clients_do_not_fold_events():
    frames = [f for f in frames_of(*happy_path()) if f["type"] == "status.update"]
    lines = [(f["data"]["status"], f["data"]["incident_status"]) for f in frames]
    assert lines[0] == ("RECEIVED", "RECEIVED")
    # a moment of the timeline (retrieval, a restart) is not a status: the incident's own status is sent beside it
    assert ("RAG_RETRIEVAL", "ANALYSING") in lines and ("RESTARTED", "EXECUTING") in lines
    assert lines[-1] == ("RESOLVED", "RESOLVED")
