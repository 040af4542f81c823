"""The executor's consumer: act on approved decisions exactly once per decision and per target at a time."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

import httpx

from services.executor import domain
from services.executor.actions import Actions
from shared.aggregate import decide_and_append, load_incident
from shared.budget import Budgets
from shared.config import TargetConfig
from shared.consumer import ConsumerSpec, Delivery
from shared.errors import ActionError, ConcurrencyError
from shared.events import Envelope
from shared.events.system import TargetRegistered, TargetSpec
from shared.give_up import fail_incident
from shared.health import check_now, check_once
from shared.inspection import target_pids
from shared.lease import Leases, keep_alive
from shared.log import get_logger
from shared.projections.inventory import InventoryView
from shared.service import ServiceContext

log = get_logger("executor")
PRECHECK_TIMEOUT = 0.5  # a hung target must not delay its own restart by more than this


class Executor:
    """Carries out one decision per incident and verifies the target afterwards."""

    def __init__(self, ctx: ServiceContext, inventory: InventoryView) -> None:
        self.ctx = ctx
        self.inventory = inventory
        self.node = ctx.settings.node_name
        self.actions = Actions(ctx.settings, inventory)
        self.leases = Leases(ctx.nc, ctx.settings.lease_ttl, replicas=ctx.settings.stream_replicas)
        self.budgets = Budgets(ctx.nc, replicas=ctx.settings.stream_replicas)

    @contextlib.asynccontextmanager
    async def lease(self, target: TargetConfig, delivery: Delivery):  # type: ignore[no-untyped-def]
        """Hold the target's lease while acting: actions on one target never overlap across executors."""
        s = self.ctx.settings
        lease = await self.leases.acquire(f"target.{target.name}", self.ctx.actor, wait=s.lease_ttl * 3)
        refresher = asyncio.create_task(keep_alive(lease, s.lease_ttl / 3))
        try:
            yield
        finally:
            refresher.cancel()
            await lease.release()

    async def on_decision(self, env: Envelope, delivery: Delivery) -> None:
        """Handle council_decided / approval_granted (and their redeliveries)."""
        iid = env.incident_id
        assert iid is not None
        store = self.ctx.store
        state, _ = await load_incident(store, iid)
        target = self.inventory.get(state.container_name) if state else None
        if target is not None and not domain.placed_here(target, self.node):
            return  # another node's target: that node's executors act on it (the council waits for them)
        step = domain.next_step(state, target)
        if step.kind == "nothing":
            return
        if step.kind == "resolve_noop":
            await self.close_benign(iid, target, env)
            return
        if step.kind == "fail":
            await decide_and_append(store, iid, domain.fail(step.reason), causation=env)
            return
        assert step.target is not None
        async with self.lease(step.target, delivery):
            for _ in range(8):  # under the lease, look again: another executor may have acted meanwhile
                state, seq = await load_incident(store, iid)
                step = domain.next_step(state, step.target)
                if step.kind == "resume":
                    await self.resume(iid, state, step.target, env)  # type: ignore[arg-type]
                    return
                if step.kind != "act":
                    return
                if state.analysis.precheck and await self.healthy_now(iid, step.target, env):  # type: ignore[union-attr]
                    return
                try:  # the claim: only the executor whose append lands acts
                    await store.append(iid, domain.claim(state, step.target, self.node, self.ctx.actor),  # type: ignore[arg-type]
                                       expected_seq=seq, causation=env)
                except ConcurrencyError:
                    continue
                await self.act(iid, state.analysis.action, state.analysis.replica_count,  # type: ignore[union-attr]
                               step.target, env)
                return

    async def healthy_now(self, iid: str, target: TargetConfig, cause: Envelope) -> bool:
        """The pre-action check: a target whose failing health check was the symptom, healthy again right before the
        action (another incident's fix, or it recovered), closes as recovered-before-action and nothing runs."""
        s = self.ctx.settings
        async with httpx.AsyncClient(timeout=min(s.health_check_timeout, PRECHECK_TIMEOUT)) as client:
            result = await check_now(client, target)
        if not result.healthy:
            return False
        log.info("target healthy before the action: nothing runs", extra={"incident_id": iid, "target": target.name})
        await decide_and_append(self.ctx.store, iid, domain.recovered_before_action(target.name, result.detail),
                                causation=cause)
        await self.budgets.release("RESTART", target.name, iid)  # nothing ran: the slot goes back
        return True

    async def close_benign(self, iid: str, target: TargetConfig | None, cause: Envelope) -> None:
        """A benign NOOP closes only after the target answers its health check now; unhealthy → a human."""
        healthy: bool | None = None
        detail = ""
        if target is not None:
            async with httpx.AsyncClient(timeout=self.ctx.settings.health_check_timeout) as client:
                result = await check_once(client, target, self.ctx.settings.health_check_wait)
            healthy, detail = result.healthy, result.detail
        await decide_and_append(self.ctx.store, iid, domain.resolve_noop(target.name if target else None, healthy,
                                                                         detail), causation=cause)

    async def resume(self, iid: str, state, target: TargetConfig, cause: Envelope) -> None:  # type: ignore[no-untyped-def]
        """Finish an action whose executor died. An action that had an effect is never repeated: a RESTART whose
        target has a live process is only verified; one whose target has none never started it, so it runs now.
        Scale and rollback are idempotent towards their end state and are completed."""
        action = state.action or "RESTART"
        if state.action_done:
            await decide_and_append(self.ctx.store, iid, domain.start_verification, causation=cause)
            await self.verify(iid, target, cause)
            return
        if action == "RESTART" and target.kind == "process" and await asyncio.to_thread(
                target_pids, target):
            log.warning("resuming an interrupted restart: verifying without acting again",
                        extra={"incident_id": iid, "claimed_by": state.action_node})
            await decide_and_append(self.ctx.store, iid, domain.start_verification, causation=cause)
            await self.verify(iid, target, cause, interrupted=True)
            return
        log.warning("interrupted action had not completed; carrying it out",
                    extra={"incident_id": iid, "claimed_by": state.action_node})
        await self.act(iid, action, state.analysis.replica_count, target, cause,
                       note="resumed after the executor was lost")

    async def act(self, iid: str, action: str, replicas: int, target: TargetConfig, cause: Envelope,
                  note: str = "") -> None:
        """Run the action in a thread, record what it did, then verify."""
        try:
            outcome = await asyncio.to_thread(self.actions.run, action, target, replicas)
        except ActionError as exc:
            await decide_and_append(self.ctx.store, iid, domain.action_failed(action, target.name, exc.message),
                                    causation=cause)
            return
        if outcome.registered is not None:
            await self.ctx.store.append_system(TargetRegistered(target=TargetSpec.of(outcome.registered)))
        detail = f"{outcome.detail}; {note}" if note else outcome.detail
        await decide_and_append(self.ctx.store, iid, domain.action_done(detail, outcome.scale), causation=cause)
        await self.verify(iid, outcome.registered or target, cause)

    async def verify(self, iid: str, target: TargetConfig, cause: Envelope, interrupted: bool = False) -> None:
        """Health-check up to `health_check_attempts` times; RESOLVED on the first healthy answer."""
        s = self.ctx.settings
        state, _ = await load_incident(self.ctx.store, iid)
        first = (state.health_checks if state else 0) + 1
        detail = "no attempt made"
        async with httpx.AsyncClient(timeout=s.health_check_timeout) as client:
            for attempt in range(first, s.health_check_attempts + 1):
                result = await check_once(client, target, s.health_check_wait)
                detail = result.detail
                await decide_and_append(self.ctx.store, iid, domain.health_checked(
                    attempt, result.healthy, result.detail, result.latency_ms), causation=cause)
                if result.healthy:
                    log.info("target healthy; incident resolved", extra={"incident_id": iid, "attempt": attempt})
                    return
                if result.reachable:
                    await asyncio.sleep(s.health_check_wait)
        why = " after an interrupted action" if interrupted else ""
        await decide_and_append(self.ctx.store, iid, domain.fail(
            f"{target.name} still unhealthy{why} after {s.health_check_attempts} health checks: {detail}"),
            causation=cause)


def consumers(ctx: ServiceContext, inventory: InventoryView) -> list[ConsumerSpec]:
    """The executor's durable consumer (shared by every executor process)."""
    executor = Executor(ctx, inventory)
    s = ctx.settings
    # a node's consumer, made by its first executor, starts where an action may still wait for the node (the council
    # fails it after executor_wait_seconds), not at the beginning of history
    start = datetime.now(UTC) - timedelta(seconds=s.executor_wait_seconds)
    return [ConsumerSpec.wired("executor", executor.on_decision, node=executor.node,
                               on_give_up=fail_incident(ctx, "executor"), ack_wait=s.executor_ack_wait,
                               max_deliver=s.max_deliver, start_time=start.isoformat().replace("+00:00", "Z"))]
