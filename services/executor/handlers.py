"""The executor's consumer: act on approved decisions exactly once, then verify."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from services.common import fail_incident
from services.executor import domain, process_backend
from services.executor.verify import check_once
from shared.aggregate import decide_and_append, load_incident
from shared.config import TargetConfig
from shared.consumer import ConsumerSpec, Delivery
from shared.errors import ActionError, ConcurrencyError
from shared.events import Envelope
from shared.events import incident as ev
from shared.events.incident import INCIDENTS_STREAM
from shared.log import get_logger
from shared.projections.inventory import InventoryView
from shared.service import ServiceContext

log = get_logger("executor")


class Executor:
    """Carries out one decision per incident and verifies the target afterwards."""

    def __init__(self, ctx: ServiceContext, inventory: InventoryView) -> None:
        self.ctx = ctx
        self.inventory = inventory
        self.log_dir = Path(ctx.settings.data_dir) / "logs" / "targets"

    async def on_decision(self, env: Envelope, delivery: Delivery) -> None:
        """Handle council_decided / approval_granted (and their redeliveries)."""
        iid = env.incident_id
        assert iid is not None
        store = self.ctx.store
        for _ in range(8):
            state, seq = await load_incident(store, iid)
            target = self.inventory.get(state.container_name) if state else None
            step = domain.next_step(state, target)
            if step.kind == "nothing":
                return
            if step.kind == "resolve_noop":
                await decide_and_append(store, iid, domain.resolve_noop, causation=env)
                return
            if step.kind == "fail":
                await decide_and_append(store, iid, domain.fail(step.reason), causation=env)
                return
            assert state is not None and step.target is not None
            if step.kind == "resume":
                await self.resume(iid, state.action_done, state.action_node, step.target, env)
                return
            try:  # the claim: only the executor whose append lands acts
                await store.append(iid, domain.claim(state, step.target, self.ctx.actor), expected_seq=seq,
                                   causation=env)
            except ConcurrencyError:
                continue  # someone appended first: look again
            await self.act(iid, step.target, env)
            return

    async def resume(self, iid: str, action_done: bool, claimed_by: str | None, target: TargetConfig,
                     cause: Envelope) -> None:
        """Finish an action whose executor died. The action is never repeated once it had an effect: if any
        process of the target exists (running or booting) we only verify; if none does, the interrupted
        action never started it, so starting it now is its first and only effect."""
        if not action_done and not await asyncio.to_thread(process_backend.target_pids, target):
            log.warning("interrupted action had no effect; carrying it out",
                        extra={"incident_id": iid, "claimed_by": claimed_by})
            await self.act(iid, target, cause, note="resumed after the executor was lost")
            return
        log.warning("resuming an interrupted action: verifying without acting again",
                    extra={"incident_id": iid, "claimed_by": claimed_by})
        await decide_and_append(self.ctx.store, iid, domain.start_verification, causation=cause)
        await self.verify(iid, target, cause, interrupted=not action_done)

    async def act(self, iid: str, target: TargetConfig, cause: Envelope, note: str = "") -> None:
        """Restart the target, then verify it."""
        s = self.ctx.settings
        try:
            detail = await asyncio.to_thread(process_backend.restart, target, s.stop_grace_seconds,
                                             s.restart_delay, self.log_dir)
        except ActionError as exc:
            await decide_and_append(self.ctx.store, iid, lambda st: [] if st is None or st.terminal else [
                ev.ActionFailed(action="RESTART", target=target.name, error=exc.message),
                ev.IncidentFailed(error=f"RESTART of {target.name} failed: {exc.message}", stage="executor")],
                causation=cause)
            return
        if note:
            detail = f"{detail}; {note}"
        await decide_and_append(self.ctx.store, iid, domain.action_done(detail), causation=cause)
        await self.verify(iid, target, cause)

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
    return [ConsumerSpec(durable="executor", stream=INCIDENTS_STREAM,
                         filter_subjects=["incidents.*.council_decided", "incidents.*.approval_granted"],
                         handler=executor.on_decision, on_give_up=fail_incident(ctx, "executor"),
                         ack_wait=ctx.settings.executor_ack_wait, max_deliver=ctx.settings.max_deliver)]
