"""Council process: policy, votes, and the approval deadline timer."""

from __future__ import annotations

from services.council.handlers import consumers
from services.council.policy import load_policy
from shared.events.incident import INCIDENTS_STREAM
from shared.projections.inventory import live_inventory
from shared.projections.projector import Projector
from shared.projections.target_history import TargetHistory
from shared.service import ServiceContext, run, serve


async def build(ctx: ServiceContext):
    """Load the policy (a bad file stops the service with the reason), follow inventory and action history."""
    policy = load_policy(ctx.settings.policy_file, ctx.settings.max_replicas)
    inventory, _ = await live_inventory(ctx.nc)
    history = TargetHistory()
    projector = Projector(ctx.nc, INCIDENTS_STREAM, "incidents.*.action_started", history.apply, "target-history")
    await projector.start()
    await projector.catch_up()
    return consumers(ctx, inventory, policy, history), []


if __name__ == "__main__":
    run(serve("council", build))
