"""The wire contracts are declared once (shared/wiring.py): services build their consumers from it, nothing else
spells a subject or a durable, and docs/architecture.md shows what it declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aegis import wiring_doc
from services.gateway.system_api import STAGES
from shared.consumer import ConsumerSpec
from shared.wiring import CONSUMERS, DURABLES, SUBJECTS, consumer, streams

ROOT = Path(__file__).resolve().parent.parent
LITERAL_SUBJECT = re.compile(r"""["'](incidents\.\*\.|rpc\.|live\.ai|intake\.alerts)""")


def test_the_architecture_doc_shows_what_the_registry_declares():
    text = wiring_doc.DOC.read_text()
    assert wiring_doc.current(text) == wiring_doc.section(), "stale: run `make docs`"


def test_no_shipped_module_spells_a_subject_or_filter_the_registry_owns():
    offenders = []
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py"), *ROOT.glob("aegis/**/*.py")]:
        if path.name == "wiring.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if LITERAL_SUBJECT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_consumers_are_built_from_the_registry_and_the_system_api_lists_them_all():
    assert STAGES == DURABLES == tuple(c.durable for c in CONSUMERS)
    spec = ConsumerSpec.wired("executor", handler=None, node="alpha", ack_wait=5.0)  # type: ignore[arg-type]
    assert (spec.durable, spec.stream, list(spec.filter_subjects)) == \
        ("executor-alpha", "INCIDENTS", ["incidents.*.council_decided", "incidents.*.approval_granted"])
    with pytest.raises(ValueError, match="is per node"):  # a node's executors never share another node's work
        ConsumerSpec.wired("executor", handler=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not per node"):
        ConsumerSpec.wired("council", handler=None, node="alpha")  # type: ignore[arg-type]
    assert consumer("notifier").filter_subjects[-1] == "incidents.*.notification_approved"


def test_every_event_type_is_in_a_stream_and_every_subject_names_who_answers():
    assert sum(len(tags) for tags in streams().values()) == len({t for tags in streams().values() for t in tags})
    assert "incident.received.v1" in streams()["INCIDENTS"]
    assert all(s.sender and s.receiver and s.kind in ("publish", "request/reply") for s in SUBJECTS)
