"""Prober process. For now it follows the inventory; health probes arrive with the prober issue."""

from __future__ import annotations

from shared.log import get_logger
from shared.projections.inventory import live_inventory
from shared.service import ServiceContext, run, serve

log = get_logger("prober")


async def build(ctx: ServiceContext):
    """Follow the inventory so the probe set is known."""
    inventory, _ = await live_inventory(ctx.nc)
    log.info("prober following the inventory", extra={"targets": sorted(inventory.targets)})
    return [], []


if __name__ == "__main__":
    run(serve("prober", build))
