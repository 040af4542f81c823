"""Executor process (run several: they share one durable consumer and never act twice)."""

from __future__ import annotations

from services.executor.handlers import consumers
from shared.projections.inventory import live_inventory
from shared.service import ServiceContext, run, serve


async def build(ctx: ServiceContext):
    """Keep the inventory live; act on decisions."""
    inventory, _ = await live_inventory(ctx.nc)
    return consumers(ctx, inventory), []


if __name__ == "__main__":
    run(serve("executor", build))
