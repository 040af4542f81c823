"""Prober process: probes every inventory target and opens (or closes) incidents."""

from __future__ import annotations

from services.prober.handlers import Prober
from shared.events.incident import INCIDENTS_STREAM
from shared.events.silences import SILENCES_STREAM
from shared.log import get_logger
from shared.projections.incidents_view import IncidentsView
from shared.projections.inventory import live_inventory
from shared.projections.projector import Projector
from shared.service import ServiceContext, run, serve

log = get_logger("prober")


async def build(ctx: ServiceContext):
    """Follow the inventory and the incidents (to know which are open), then probe."""
    inventory, _ = await live_inventory(ctx.nc)
    if not ctx.settings.probes:
        log.info("probes disabled (probes = false)")
        return [], []
    view = IncidentsView()
    projector = Projector(ctx.nc, INCIDENTS_STREAM, "incidents.>", view.apply, "prober-incidents")
    await projector.start()
    await projector.catch_up(timeout=120)
    prober = Prober(ctx, inventory, view, projector)
    silences = Projector(ctx.nc, SILENCES_STREAM, "silences.>", prober.silences.apply, "prober-silences")
    await silences.start()
    await silences.catch_up()
    await ctx.nc.subscribe("samples.metrics.*", cb=prober.on_metrics)  # from each node's agent
    await ctx.nc.subscribe("samples.exits.*", cb=prober.on_exit)  # from the node agents (services/executor)
    return [], [prober.run]


if __name__ == "__main__":
    run(serve("prober", build))
