"""Manual scaling (the Core API contract's POST /scale/{direction}): an operator's decision, run as an incident."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request

from services.gateway import operations
from services.gateway.auth.api import acting_as
from shared.errors import ActionError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from services.gateway.app import Gateway


def build_router(gw: Gateway) -> APIRouter:
    """The scale routes around a Gateway."""
    router = APIRouter(tags=["operations"])

    @router.post("/scale/{direction}", summary="Manual scale up or down (an operator decision; no council vote)")
    async def scale(direction: str, request: Request, count: int = Query(default=2),
                    target: str | None = None) -> dict[str, Any]:
        s = gw.settings
        if direction not in ("up", "down"):
            raise ValidationError(f"invalid scale direction {direction!r}: use 'up' or 'down'")
        if direction == "up" and not 1 <= count <= s.max_replicas:
            raise ValidationError(f"count must be between 1 and {s.max_replicas} (MAX_REPLICAS)")
        name = target or s.scale_default_target
        if gw.inventory.get(name) is None:
            raise NotFoundError(f"Target {name} not found in the inventory")
        iid = f"scale-{uuid.uuid4().hex[:16]}"
        events = operations.manual_scale(direction, count, name, acting_as(request, None))
        await gw.store.append(iid, events, expected_seq=0)
        state = await gw.wait_terminal(iid, timeout=120)
        if state.status == "FAILED" or state.scale is None:
            raise ActionError(state.error or "scale did not complete")
        if direction == "down":
            return {"removed": state.scale.removed}
        e = state.scale
        return {"container_base": e.container_base, "replica_count": e.replica_count, "replicas": e.replicas,
                "lb_configured": e.lb_configured, "timestamp": e.timestamp}

    return router
