"""The WebSocket frames the cockpit reads, as a pure projection of events; every one is in the registry."""

from __future__ import annotations

from services.gateway.frames import frames_for
from services.gateway.registry import FRAMES
from shared.events import incident as ev
from shared.projections.incident import evolve
from tests.builders import DRAFT, Given, happy_path

REGISTERED = {kind for kind, *_ in FRAMES}


def frames_of(*payloads) -> list[dict]:  # type: ignore[no-untyped-def]
    given, state, out = Given(), None, []
    for p in payloads:
        env = given.env(p)
        new = evolve(state, env, given.n)
        out += frames_for(state, new, env)
        state = new
    return out


def test_every_frame_of_an_incident_with_notifications_is_registered():
    frames = frames_of(*happy_path(), DRAFT, ev.NotificationApproved(draft_id="recovery-email", by="al"),
                       ev.NotificationSending(draft_id="recovery-email"),
                       ev.NotificationSent(draft_id="recovery-email", channel="email"))
    assert {f["type"] for f in frames} <= REGISTERED
    notes = [f["data"] for f in frames if f["type"] == "notification.updated"]
    assert [n["status"] for n in notes] == ["drafted", "approved", "sending", "sent"]
    assert notes[0] == {"incident_id": "inc-1", "draft_id": "recovery-email", "channel": "email",
                        "status": "drafted", "subject": "s"}
