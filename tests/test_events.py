"""The event catalog: every type round-trips, tags are versioned and unique, junk is refused."""

from __future__ import annotations

import pytest

from shared.errors import DecodeError
from shared.events import ALL_EVENTS, Envelope, decode, encode, now
from shared.events import incident as ev


def test_tags_are_versioned_and_unique():
    tags = [cls.type_tag() for cls in ALL_EVENTS]
    assert len(tags) == len(set(tags))
    for tag in tags:
        domain, name, version = tag.split(".")
        assert version.startswith("v") and version[1:].isdigit() and name


def test_round_trip_keeps_every_field():
    env = Envelope(event_id="e1", incident_id="inc-1", time=now(), actor="analyst@n1",
                   payload=ev.IncidentReceived(alert_type="CPU Spike", logs="CPU at 99%", severity="CRITICAL"),
                   causation_id="c", correlation_id="r")
    assert decode(encode(env)) == env
    assert env.type == "incident.received.v1"
    assert env.payload.nats_subject("inc-1") == "incidents.inc-1.received"


def test_unknown_fields_are_tolerated_for_forward_compatibility():
    env = Envelope(event_id="e1", incident_id="i", time=now(), actor="a",
                   payload=ev.AnalysisStarted(analyzer="offline"))
    data = encode(env).replace(b'"analyzer":"offline"', b'"analyzer":"offline","added_later":1')
    assert decode(data).payload.analyzer == "offline"


@pytest.mark.parametrize("junk", [b"not json", b"{}", b'{"event_id":"x","incident_id":null,"time":"2026-01-01T00:00:00Z",'
                                  b'"actor":"a","payload":{"type":"incident.unknown.v9"}}'])
def test_undecodable_messages_raise_decode_error(junk):
    with pytest.raises(DecodeError):
        decode(junk)
