"""The council's consumers: vote on every analysis; expire (or escalate) approvals nobody decided."""

from __future__ import annotations

import time
from datetime import timedelta

from services.council.domain import Facts, approval_wait, deliberate, executor_wait, on_deadline
from shared.aggregate import decide_and_append, load_incident
from shared.budget import Budgets, Reservation
from shared.consumer import ConsumerSpec, Delivery
from shared.errors import RetryLater
from shared.events import Envelope, now
from shared.events.models import outcome_of
from shared.give_up import fail_incident
from shared.nodes import LIVE_AFTER_BEATS, Nodes
from shared.policy import Policy
from shared.projections.inventory import InventoryView
from shared.projections.target_history import TargetHistory
from shared.service import ServiceContext

APPROVAL_TIMER_DELIVERIES = 1000  # each re-check of a distant deadline is a delivery


def consumers(ctx: ServiceContext, inventory: InventoryView, policy: Policy, history: TargetHistory
              ) -> list[ConsumerSpec]:
    """The council's durable consumers."""

    budgets = Budgets(ctx.nc, replicas=ctx.settings.stream_replicas)

    def facts_for(state, reserved: Reservation | None = None) -> Facts:  # type: ignore[no-untyped-def]
        target = inventory.get(state.container_name) if state is not None else None
        at = now()
        restarts = 0
        if target is not None:
            budget = policy.effective(target, target.name).restart_budget
            restarts = history.count(target.name, "RESTART", at - timedelta(minutes=budget.window_minutes),
                                     exclude=state.incident_id)
            if reserved is not None:  # the atomic count wins over the projection, which may lag a storm
                restarts = max(restarts, reserved.used - 1) if reserved.granted else max(restarts, budget.max)
        return Facts(ctx.settings, target, policy, restarts, at)

    async def reserve(state) -> Reservation | None:  # type: ignore[no-untyped-def]
        """A slot of the target's restart budget, taken atomically before an automatic RESTART is approved."""
        if state is None or state.status != "COUNCIL_REVIEW" or state.analysis is None \
                or state.analysis.action != "RESTART" or outcome_of(state.analysis) != "act":
            return None
        target = inventory.get(state.container_name)
        if target is None:
            return None
        budget = policy.effective(target, target.name).restart_budget
        return await budgets.reserve("RESTART", target.name, state.incident_id, time.time(),
                                     budget.window_minutes * 60, budget.max)

    async def on_analysis(env: Envelope, delivery: Delivery) -> None:
        reserved = None
        analysis = env.payload.analysis  # only an automatic RESTART needs the incident read twice
        if analysis.action == "RESTART" and outcome_of(analysis) == "act":
            state, _ = await load_incident(ctx.store, env.incident_id)  # type: ignore[arg-type]
            reserved = await reserve(state)
        await decide_and_append(ctx.store, env.incident_id,  # type: ignore[arg-type]
                                lambda s: deliberate(s, facts_for(s, reserved)), causation=env)

    async def on_approval_requested(env: Envelope, delivery: Delivery) -> None:
        state, _ = await load_incident(ctx.store, env.incident_id)  # type: ignore[arg-type]
        wait = approval_wait(state, now())
        if wait is not None and wait > 0:
            raise RetryLater(wait, "approval deadline not reached")
        await decide_and_append(ctx.store, env.incident_id, lambda s: on_deadline(s, policy, now()),  # type: ignore[arg-type]
                                causation=env)

    nodes = Nodes(ctx.nc, replicas=ctx.settings.stream_replicas)

    async def on_approved(env: Envelope, delivery: Delivery) -> None:
        """Watch an approved action until an executor of its target's node takes it (or it fails for a human)."""
        state, _ = await load_incident(ctx.store, env.incident_id)  # type: ignore[arg-type]
        target = inventory.get(state.container_name) if state is not None else None
        if state is None or state.status != "APPROVED" or target is None or not target.node:
            return
        s = ctx.settings
        live = bool(await nodes.live_agents(target.node))
        deadline = env.time + timedelta(seconds=s.executor_wait_seconds)
        recheck = s.node_heartbeat_seconds * LIVE_AFTER_BEATS  # by then a dead agent is known as dead
        events, again = executor_wait(state, target.node, live, deadline, now(), recheck)
        if events:
            await decide_and_append(ctx.store, env.incident_id,  # type: ignore[arg-type]
                                    lambda fresh: executor_wait(fresh, target.node, live, deadline, now(), recheck)[0],
                                    causation=env)
        if again is not None:  # None once the action was taken, the incident ended, or it failed just now
            raise RetryLater(again, f"waiting for node {target.node}'s executor to take the action")

    s = ctx.settings
    return [
        ConsumerSpec.wired("council", on_analysis, on_give_up=fail_incident(ctx, "council"), ack_wait=s.ack_wait,
                           max_deliver=s.max_deliver),
        ConsumerSpec.wired("council-approval-timer", on_approval_requested, ack_wait=s.ack_wait,
                           max_deliver=APPROVAL_TIMER_DELIVERIES),
        ConsumerSpec.wired("council-executor-timer", on_approved, ack_wait=s.ack_wait,
                           max_deliver=APPROVAL_TIMER_DELIVERIES),
    ]
