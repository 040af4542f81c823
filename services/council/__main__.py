"""Council process."""

from __future__ import annotations

from services.council.handlers import consumers
from shared.projections.inventory import live_inventory
from shared.service import ServiceContext, run, serve


async def build(ctx: ServiceContext):
    """Keep the inventory live; vote on every analysis."""
    inventory, _ = await live_inventory(ctx.nc)
    return consumers(ctx, inventory), []


if __name__ == "__main__":
    run(serve("council", build))
