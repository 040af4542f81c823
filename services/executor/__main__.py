"""Executor process (run several: they share one durable consumer, leases keep one action per target at a time)."""

from __future__ import annotations

import asyncio
import json

from services.executor.handlers import consumers
from services.executor.sampler import Sampler
from shared.errors import AegisError
from shared.jetstream import js_call
from shared.lease import keep_alive
from shared.log import get_logger
from shared.projections.inventory import live_inventory
from shared.service import ServiceContext, run, serve

log = get_logger("executor")
SAMPLES_CONTAINERS = "samples.containers"
SAMPLES_METRICS = "samples.metrics"


async def build(ctx: ServiceContext):
    """Keep the inventory live; act on decisions; one executor (the lease holder) samples metrics."""
    inventory, _ = await live_inventory(ctx.nc)
    specs = consumers(ctx, inventory)
    executor = specs[0].handler.__self__  # type: ignore[attr-defined]
    sampler = Sampler(executor.actions.docker)
    js = ctx.nc.jetstream()
    interval = ctx.settings.metrics_interval_secs

    async def sample_forever() -> None:
        while not ctx.stopping.is_set():
            try:
                lease = await executor.leases.acquire("collector", ctx.actor, wait=0)
            except AegisError:
                await asyncio.sleep(interval)  # another executor samples
                continue
            refresher = asyncio.create_task(keep_alive(lease, ctx.settings.lease_ttl / 3))
            try:
                while not ctx.stopping.is_set():
                    sample = await asyncio.to_thread(sampler.sample, list(inventory.targets.values()))
                    await js_call(js.publish(SAMPLES_CONTAINERS, json.dumps(sample["containers"]).encode()))
                    await js_call(js.publish(SAMPLES_METRICS, json.dumps(sample["metrics"]).encode()))
                    try:
                        await asyncio.wait_for(ctx.stopping.wait(), interval)
                    except TimeoutError:
                        pass
            except Exception as exc:  # noqa: BLE001 - sampling is best effort; retry next round
                log.warning("metrics sampling failed", extra={"error": repr(exc)})
                await asyncio.sleep(interval)
            finally:
                refresher.cancel()
                await lease.release()

    return specs, [sample_forever]


if __name__ == "__main__":
    run(serve("executor", build))
