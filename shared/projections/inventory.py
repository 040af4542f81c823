"""The target inventory read model: which targets exist and how to reach them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from nats.aio.client import Client as NATS

from shared.config import TargetConfig
from shared.errors import DomainError
from shared.events import Envelope
from shared.events.system import TargetRegistered, TargetRemoved

if TYPE_CHECKING:
    from shared.projections.projector import Projector


class InventoryView:
    """Targets by name, folded from the INVENTORY stream."""

    def __init__(self) -> None:
        self.targets: dict[str, TargetConfig] = {}
        self.history: dict[str, list[TargetConfig]] = {}
        self.changed_at: dict[str, datetime] = {}  # when a target last got a new version (image or command)
        self.unusable: dict[str, str] = {}  # a stored record today's rules refuse: never acted on, reported

    def apply(self, seq: int, env: Envelope) -> None:
        """Fold one inventory event. A record that breaks today's rules (a name a release made stricter, a kind
        this release does not know) is kept out of `targets` — nothing acts on it — and named in `unusable`;
        DomainError tells the projector to count and report it."""
        p = env.payload
        if isinstance(p, TargetRegistered):
            try:
                p.target.check()
            except ValueError as exc:
                self.targets.pop(p.target.name, None)
                self.unusable[p.target.name] = str(exc)
                raise DomainError(f"target {p.target.name!r} in the inventory is not usable: {exc}",
                                  target=p.target.name) from None
            self.unusable.pop(p.target.name, None)
            before = self.targets.get(p.target.name)
            if before is not None and (before.image, before.command) != (p.target.image, p.target.command):
                self.changed_at[p.target.name] = env.time
            self.targets[p.target.name] = p.target
            self.history.setdefault(p.target.name, []).append(p.target)
        elif isinstance(p, TargetRemoved):
            self.targets.pop(p.target_name, None)
            self.unusable.pop(p.target_name, None)

    def previous(self, name: str) -> TargetConfig | None:
        """The last registered version of a target that differs in image or command (what ROLLBACK returns to)."""
        current = self.targets.get(name)
        for older in reversed(self.history.get(name, [])[:-1]):
            if current is None or (older.image, older.command) != (current.image, current.command):
                return older
        return None

    def get(self, name: str | None) -> TargetConfig | None:
        """The target of that name, if registered."""
        return self.targets.get(name) if name else None


async def live_inventory(nc: NATS) -> tuple[InventoryView, Projector]:
    """An inventory kept live from the INVENTORY stream, caught up before it is returned."""
    from shared.events.system import INVENTORY_STREAM
    from shared.projections.projector import Projector

    view = InventoryView()
    projector = Projector(nc, INVENTORY_STREAM, "inventory.>", view.apply, "inventory")
    await projector.start()
    await projector.catch_up()
    return view, projector
