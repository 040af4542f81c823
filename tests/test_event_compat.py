"""Stored events stay readable: every event type, written in today's encoding, decodes again when a later
release has added fields (at any depth) and when configuration rules were tightened since it was stored. A read
model that still cannot use a record says so (health, metrics, `aegis status`) instead of dropping it silently."""

from __future__ import annotations

import json
import types
import typing
from datetime import datetime
from typing import Any

import msgspec
import pytest

from shared import config
from shared.errors import DomainError
from shared.events import ALL_EVENTS, Envelope, decode, encode, now
from shared.events.system import INVENTORY_STREAM, TargetRegistered, TargetRemoved, TargetSpec
from shared.projections.inventory import InventoryView
from shared.projections.projector import Projector


def _sample(tp: Any, name: str = "") -> Any:
    """A value of type `tp` with every field filled (so an added field can be planted at every depth)."""
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _sample(args[0], name)
    if origin is list or origin is tuple:
        return [_sample(typing.get_args(tp)[0], name)] if typing.get_args(tp) else []
    if origin is dict:
        return {"k": _sample(typing.get_args(tp)[1], name)}
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        hints = typing.get_type_hints(tp)
        return tp(**{f: _sample(hints[f], f) for f in tp.__struct_fields__})
    if tp is bool:
        return True
    if tp is int:
        return 8080 if "port" in name else 1
    if tp is float:
        return 1.5
    if tp is datetime:
        return now()
    if tp is str:
        return {"kind": "process", "name": "svc-1", "image": "img:1"}.get(name, f"{name or 'text'}-value")
    if tp is typing.Any or tp is object:
        return "any"
    raise AssertionError(f"no sample for {tp!r} ({name})")


def _plant(obj: Any, value: Any) -> Any:
    """The JSON `obj` of `value` with a field no release knows added to every struct in it (free-form dicts keep
    their keys: an added key there is data, not a new field)."""
    if isinstance(value, msgspec.Struct):
        fields = {k: _plant(v, getattr(value, k)) for k, v in obj.items() if k in value.__struct_fields__}
        return {**obj, **fields, "added_by_a_later_release": {"x": [1, "y"]}}
    if isinstance(value, dict):
        return {k: _plant(obj[k], v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plant(o, v) for o, v in zip(obj, value, strict=True)]
    return obj


def _envelope(cls: type) -> Envelope:
    return Envelope(event_id="e1", incident_id="inc-1", time=now(), actor="test@n1", payload=_sample(cls))


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda c: c.type_tag())
def test_every_event_type_decodes_with_fields_a_later_release_added(cls):
    env = _envelope(cls)
    stored = json.loads(encode(env))
    stored["payload"] = _plant(stored["payload"], env.payload)
    assert "added_by_a_later_release" in json.dumps(stored["payload"])
    assert decode(json.dumps(stored).encode()) == env


def test_the_sample_builder_covers_every_field_so_the_planting_is_not_vacuous():
    env = _envelope(TargetRegistered)
    payload = json.loads(encode(env))["payload"]
    assert payload["target"]["probe"]["kind"] and payload["target"]["command"]  # nested struct and list filled


def test_a_target_stored_before_rules_were_tightened_still_decodes_and_is_reported(monkeypatch):
    stored = encode(Envelope(event_id="e1", incident_id=None, time=now(), actor="a",
                             payload=TargetRegistered(target=TargetSpec.of(
                                 config.TargetConfig(name="web.v1", port=8080, command=["srv"])))))
    monkeypatch.setattr(config, "NAME_PATTERN", config.re.compile(r"^[a-z0-9-]+$"))  # a release forbids dots
    with pytest.raises(ValueError, match="must match"):  # a new configuration is refused at its boundary...
        config.TargetConfig(name="web.v1", port=8080, command=["srv"])
    env = decode(stored)  # ...but the stored record is still read
    assert env.payload.target.name == "web.v1"
    view = InventoryView()
    with pytest.raises(DomainError, match="not usable"):  # the projector counts and reports this
        view.apply(1, env)
    assert view.get("web.v1") is None  # nothing acts on a record today's rules refuse
    assert "must match" in view.unusable["web.v1"]
    view.apply(2, Envelope(event_id="e2", incident_id=None, time=now(), actor="a",
                           payload=TargetRemoved(target_name="web.v1")))
    assert view.unusable == {}


def test_a_target_of_a_kind_this_release_does_not_know_decodes_and_is_not_acted_on():
    env = _envelope(TargetRegistered)
    stored = json.loads(encode(env))
    stored["payload"]["target"]["kind"] = "firecracker-vm"
    env = decode(json.dumps(stored).encode())
    view = InventoryView()
    with pytest.raises(DomainError, match="firecracker-vm"):
        view.apply(1, env)
    assert view.targets == {} and "firecracker-vm" in view.unusable["svc-1"]


def test_configuration_still_refuses_unknown_fields_and_broken_rules():
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert({"name": "a", "port": 1, "command": ["x"], "prot": 2}, config.TargetConfig)
    with pytest.raises(msgspec.ValidationError, match="kind"):
        msgspec.convert({"name": "a", "port": 1, "command": ["x"], "kind": "vm"}, config.TargetConfig)
    with pytest.raises(ValueError, match="interval"):
        config.ProbeConfig(interval=0.01)


async def test_a_read_model_that_skips_a_stored_event_says_so_in_health_and_metrics(api, store, nc):
    await store.append_system(TargetRegistered(target=TargetSpec(name="vm-1", port=80, kind="firecracker-vm")))
    await store.append_system(TargetRegistered(target=TargetSpec(name="web", port=80, command=["srv"])))
    view = InventoryView()
    projector = Projector(nc, INVENTORY_STREAM, "inventory.>", view.apply, "inventory-under-test")
    await projector.start()
    await projector.catch_up()
    try:
        assert set(view.targets) == {"web"} and "firecracker-vm" in view.unusable["vm-1"]
        ready = (await api.get("/health/ready")).json()
        assert ready["status"] == "ready"  # everything else is served
        skipped = ready["skipped_events"]["inventory-under-test"]
        assert skipped["skipped"] == 1 and "firecracker-vm" in skipped["last_error"]
        metrics = (await api.get("/metrics/prometheus")).text
        assert 'aegis_projection_skipped_events_total{projection="inventory-under-test"} 1.0' in metrics
    finally:
        await projector.stop()
