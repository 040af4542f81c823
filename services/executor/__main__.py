"""Executor process, the node agent (docs/fleet.md): it acts on its node's targets only (the node's executors share
one durable consumer, leases keep one action per target at a time), says it is alive (shared/nodes.py), watches its
node's process targets exit, and one of the node's executors samples the node's targets."""

from __future__ import annotations

import asyncio
import json
import time

from services.executor.domain import placed_here
from services.executor.handlers import consumers
from services.executor.sampler import Sampler
from shared.config import TargetConfig
from shared.errors import AegisError
from shared.jetstream import js_call
from shared.lease import keep_alive
from shared.log import get_logger
from shared.nodes import Beat, Nodes, samples_subject
from shared.process_watch import ProcessTable, wait_exit
from shared.projections.inventory import live_inventory
from shared.registration import register_targets
from shared.service import ServiceContext, run, serve
from shared.version import __version__

log = get_logger("executor")
EXITS_PREFIX = "samples.exits"  # samples.exits.<target>: {target, pid, node, time}; the prober opens the incident


async def build(ctx: ServiceContext):
    """Keep the inventory live; act on this node's decisions; beat; watch exits; sample (one executor per node)."""
    if ctx.settings.targets:  # a node agent's own targets, from its config: registered (or confirmed) on its node
        added = await register_targets(ctx.store, ctx.settings.targets, ctx.settings.node_name)
        log.info("node targets registered", extra={"node": ctx.settings.node_name, "changed": added,
                                                   "targets": len(ctx.settings.targets)})
    inventory, _ = await live_inventory(ctx.nc)
    specs = consumers(ctx, inventory)
    executor = specs[0].handler.__self__  # type: ignore[attr-defined]
    node = executor.node
    sampler = Sampler(executor.actions.docker)
    js = ctx.nc.jetstream()
    s = ctx.settings
    interval = s.metrics_interval_secs

    def mine() -> list[TargetConfig]:
        return [t for t in inventory.targets.values() if placed_here(t, node)]

    async def beat_forever() -> None:
        nodes = Nodes(ctx.nc, replicas=s.stream_replicas)
        started = time.time()
        try:
            while not ctx.stopping.is_set():
                try:
                    await nodes.beat(Beat(node=node, agent=ctx.actor, at=time.time(), started_at=started,
                                          interval=s.node_heartbeat_seconds,
                                          targets=tuple(sorted(t.name for t in mine())), version=__version__))
                except Exception as exc:  # noqa: BLE001 - the next beat retries; one failure must not end the agent
                    log.warning("node heartbeat failed", extra={"node": node, "error": str(exc)})
                try:
                    await asyncio.wait_for(ctx.stopping.wait(), s.node_heartbeat_seconds)
                except TimeoutError:
                    pass
        finally:
            await nodes.leave(node, ctx.actor)

    async def sample_forever() -> None:
        while not ctx.stopping.is_set():
            try:
                lease = await executor.leases.acquire(f"collector.{node}", ctx.actor, wait=0)
            except Exception:  # noqa: BLE001 - another executor of this node samples, or the store is away
                await asyncio.sleep(interval)
                continue
            refresher = asyncio.create_task(keep_alive(lease, s.lease_ttl / 3))
            try:
                while not ctx.stopping.is_set():
                    sample = await asyncio.to_thread(sampler.sample, mine())
                    for kind in ("containers", "metrics"):
                        await js_call(js.publish(samples_subject(kind, node), json.dumps(sample[kind]).encode()))
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

    table = ProcessTable()

    async def watch_exits(target: TargetConfig) -> None:
        """Report a process target's exit the moment it happens (every executor of the node watches; the prober
        opens one incident per target)."""
        while True:
            pids = await table.pids(target)
            if not pids:
                await asyncio.sleep(1.0)
                continue
            if not await wait_exit(pids[0]):
                await asyncio.sleep(table.max_age)  # a scan older than that exit: look again
                continue
            body = {"target": target.name, "pid": pids[0], "node": node, "time": time.time()}
            try:
                await js_call(js.publish(f"{EXITS_PREFIX}.{target.name}", json.dumps(body).encode()))
            except AegisError as exc:
                log.warning("exit report failed", extra={"target": target.name, "error": str(exc)})

    async def watch_forever() -> None:
        watches: dict[str, tuple[TargetConfig, asyncio.Task[None]]] = {}
        try:
            while not ctx.stopping.is_set():
                wanted = {t.name: t for t in mine() if t.kind == "process"}
                for name in [n for n, (t, _) in watches.items() if wanted.get(n) != t]:
                    watches.pop(name)[1].cancel()  # gone, or changed (a rollback's command): watch it anew
                for name, target in wanted.items():
                    if name not in watches:
                        watches[name] = (target, asyncio.create_task(watch_exits(target)))
                try:
                    await asyncio.wait_for(ctx.stopping.wait(), 1.0)
                except TimeoutError:
                    pass
        finally:
            for _, task in watches.values():
                task.cancel()

    return specs, [beat_forever, sample_forever, watch_forever]


if __name__ == "__main__":
    run(serve("executor", build))
