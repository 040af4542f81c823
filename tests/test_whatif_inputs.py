"""What-if re-decides from what the analyst saw: the incident before its analysis, plus the platform facts that
analysis recorded (the target's health at that moment cannot be looked at again later)."""

from __future__ import annotations

import msgspec

from aegis.whatif import inputs
from shared.eventstore import StoredEvent
from tests.support.builders import Given, analysis, received


def test_the_recorded_platform_facts_come_with_the_inputs_and_the_analysis_does_not():
    given = Given("inc-w")
    facts = {"known_target": True, "probe": "down", "probe_detail": "a health check now: ConnectError"}
    completed = msgspec.structs.replace(analysis(), platform=facts)
    stored = [StoredEvent(1, given.env(received())), StoredEvent(2, given.env(completed))]
    state = inputs(stored)
    assert state is not None and state.analysis is None and state.platform_facts == facts


def test_an_incident_never_analysed_has_no_platform_facts():
    state = inputs([StoredEvent(1, Given("inc-x").env(received()))])
    assert state is not None and state.platform_facts == {}
