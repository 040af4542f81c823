"""Common wiring for every service process: config, logging, NATS, streams, consumers, clean shutdown."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS

from shared.config import Settings, load_settings
from shared.consumer import ConsumerRunner, ConsumerSpec
from shared.errors import AegisError
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams
from shared.log import get_logger, setup_logging


@dataclass
class ServiceContext:
    """What a service's wiring gets to build its consumers and tasks from."""

    name: str
    settings: Settings
    nc: NATS
    store: EventStore
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def actor(self) -> str:
        """service@node, as written into event envelopes."""
        return self.store.actor


def run(main: Awaitable[None]) -> None:
    """Run a service's main coroutine on uvloop when installed (it halves asyncio overhead)."""
    try:
        import uvloop

        uvloop.run(main)  # type: ignore[arg-type]
    except ImportError:
        asyncio.run(main)  # type: ignore[arg-type]


def freeze_startup_heap() -> None:
    """Exempt everything built at start-up (modules, classes, FastAPI's and pydantic's schemas: ~90k objects
    in the gateway) from the cyclic collector. Each full collection walked them all — 50-60 ms of CPU that held
    up every request in flight (bench/intake.py's p99). Garbage created later is collected as usual."""
    gc.collect()
    gc.freeze()


Task = Callable[[], Coroutine[Any, Any, None]]  # a long-running task a service starts beside its consumers
Build = Callable[[ServiceContext], Awaitable[tuple[Sequence[ConsumerSpec], Sequence[Task]]]]


async def serve(name: str, build: Build, settings: Settings | None = None) -> None:
    """Run a service until SIGTERM/SIGINT: its durable consumers plus any extra long-running tasks."""
    settings = settings or load_settings()
    setup_logging(name, settings.log_level)
    log = get_logger(name)
    try:
        nc = await connect(settings.nats_servers, name=f"{name}@{settings.actor_name}",
                           credentials=settings.nats_credentials_for(name))
    except AegisError as exc:  # e.g. a nats-server older than the event store's floor: the reason, no traceback
        log.error("service cannot start", extra=exc.to_dict())
        raise SystemExit(1) from exc
    ctx = ServiceContext(name=name, settings=settings, nc=nc, store=EventStore(nc, f"{name}@{settings.actor_name}"))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, ctx.stopping.set)
    try:
        await ensure_streams(nc.jetstream(), settings.stream_replicas)
        specs, extra = await build(ctx)
        runners = [ConsumerRunner(nc, spec) for spec in specs]
        for runner in runners:
            await runner.ensure_consumer()
        tasks = [asyncio.create_task(r.run(), name=r.spec.durable) for r in runners]
        tasks += [asyncio.create_task(fn(), name=f"{name}-task") for fn in extra]
        freeze_startup_heap()
        log.info("service started", extra={"consumers": [s.durable for s in specs], "nats": settings.nats_servers})
        stop_wait = asyncio.create_task(ctx.stopping.wait())
        done, _ = await asyncio.wait([*tasks, stop_wait], return_when=asyncio.FIRST_COMPLETED)
        failed = next((t.exception() for t in done
                       if t is not stop_wait and not t.cancelled() and t.exception() is not None), None)
        if failed is None:
            log.info("service stopping")
        else:  # one task died: stop every other one too, so the process exits and its supervisor restarts it,
            # instead of living on with closed connections (consumer loops do not rely on cancellation to end)
            log.error("service task failed; stopping", extra={"error": repr(failed)})
        for runner in runners:
            runner.stop()
        ctx.stopping.set()
        await asyncio.wait(tasks, timeout=10)
        if failed is not None:
            raise failed
    except AegisError as exc:
        log.error("service failed", extra=exc.to_dict())
        raise SystemExit(1) from exc
    finally:
        try:  # in-flight handlers are done and acked; close (drain waits on idle pull requests)
            await nc.flush(timeout=2)
            await nc.close()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
