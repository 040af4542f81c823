"""Council process: policy, votes, and the approval deadline timer."""

from __future__ import annotations

from services.council.handlers import consumers
from shared.policy import load_policy
from shared.projections.inventory import live_inventory
from shared.projections.target_history import live_target_history
from shared.service import ServiceContext, run, serve


async def build(ctx: ServiceContext):
    """Load the policy (a bad file stops the service with the reason), follow inventory and action history."""
    policy = load_policy(ctx.settings.policy_file, ctx.settings.max_replicas)
    inventory, _ = await live_inventory(ctx.nc)
    history = await live_target_history(ctx.nc)
    return consumers(ctx, inventory, policy, history), []


if __name__ == "__main__":
    run(serve("council", build))
