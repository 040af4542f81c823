"""Registering targets in the INVENTORY stream (only what changed is appended)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from shared.config import TargetConfig
from shared.events.system import INVENTORY_STREAM, TargetRegistered, TargetSpec
from shared.eventstore import EventStore
from shared.projections.inventory import InventoryView


async def load_inventory(store: EventStore) -> InventoryView:
    """The inventory as stored right now."""
    view = InventoryView()
    for stored in await store.load_subject("inventory.>", INVENTORY_STREAM):
        view.apply(stored.seq, stored.envelope)
    return view


def placed(target: TargetConfig, node: str) -> TargetConfig:
    """The target with its node filled in: a target that names none lives on the node that registers it."""
    return target if target.node else msgspec.structs.replace(target, node=node)


async def register_targets(store: EventStore, targets: Iterable[TargetConfig], node: str) -> int:
    """Append TargetRegistered for every new or changed target (placed on `node` unless it names its own);
    returns how many were appended."""
    current = await load_inventory(store)
    appended = 0
    for target in (placed(t, node) for t in targets):
        known = current.targets.get(target.name)
        if known is not None and msgspec.to_builtins(known) == msgspec.to_builtins(target):
            continue
        await store.append_system(TargetRegistered(target=TargetSpec.of(target)))
        appended += 1
    return appended
