"""Gateway process: projections of the stream behind REST + /ws, served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json

import uvicorn
from nats.js.api import DeliverPolicy
from pydantic import ValidationError as PydanticValidationError

from services.gateway.app import create_app, open_gateway, server_config
from services.gateway.frames import AiStream, frame
from services.gateway.schemas import IncidentPayload
from services.gateway.system_api import PERFORMANCE_INTERVAL
from services.gateway.topology import seed_container
from shared.errors import AegisError
from shared.jetstream import SAMPLES_STREAM
from shared.log import get_logger
from shared.service import ServiceContext, run, serve
from shared.wiring import INTAKE_ALERTS, LIVE_AI_PREFIX

log = get_logger("gateway")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield  # the service runner owns SIGTERM/SIGINT


async def build(ctx: ServiceContext):
    """Catch every read model up, then serve HTTP until the service stops."""
    gateway = await open_gateway(ctx.settings, ctx.store)
    hub = gateway.hub

    async def on_token(msg) -> None:  # type: ignore[no-untyped-def]
        data = json.loads(msg.data)
        iid = data.get("incident_id")
        hub.broadcast(frame("ai.stream", iid, AiStream(iid or "", data.get("chunk", ""), data.get("full_text", ""))))

    await ctx.nc.subscribe(f"{LIVE_AI_PREFIX}.*", cb=on_token)
    if not ctx.settings.auth:
        log.warning("authentication is OFF (--no-auth): anyone who can reach the gateway may act on your services")

    async def on_sample(msg) -> None:  # type: ignore[no-untyped-def]
        parts = msg.subject.split(".", 2)
        data = json.loads(msg.data)
        if parts[1] == "probes":
            gateway.probes[parts[2]] = data
            return
        if parts[1] not in ("containers", "metrics") or len(parts) < 3:
            return  # process exits (samples.exits.<target>) are the prober's
        kind, node = parts[1], parts[2]
        gateway.node_samples.setdefault(kind, {})[node] = data  # each node's agent samples its own targets
        data = [item for _, items in sorted(gateway.node_samples[kind].items()) for item in items]
        gateway.samples[kind] = data
        if kind == "metrics":
            hub.broadcast(frame("metrics", None, data))
        elif kind == "containers":
            hub.broadcast(frame("container.list", None, [seed_container(c) for c in data]))

    await ctx.nc.jetstream().subscribe("samples.>", stream=SAMPLES_STREAM, ordered_consumer=True,
                                       deliver_policy=DeliverPolicy.LAST_PER_SUBJECT, cb=on_sample)
    async def on_intake(msg) -> None:  # type: ignore[no-untyped-def]
        try:
            result = await gateway.receive(IncidentPayload.model_validate_json(msg.data), source="nats")
            reply = json.dumps(result).encode()
        except (PydanticValidationError, AegisError) as exc:
            reply = json.dumps({"error": str(exc)[:500]}).encode()
        if msg.reply:
            await msg.respond(reply)

    await ctx.nc.subscribe(INTAKE_ALERTS, queue="gateway", cb=on_intake)
    app = create_app(gateway)
    server = _Server(server_config(app, ctx.settings, ctx.settings.host, ctx.settings.port))

    async def run_http() -> None:
        task = asyncio.create_task(server.serve())
        sampler = asyncio.create_task(gateway.sample_performance(ctx.stopping, PERFORMANCE_INTERVAL))
        await ctx.stopping.wait()
        server.should_exit = True
        await task
        sampler.cancel()
        await gateway.close()  # every read model this process follows stops with it

    return [], [run_http]


if __name__ == "__main__":
    run(serve("gateway", build))
