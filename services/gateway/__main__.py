"""Gateway process: projections of the stream behind REST + /ws, served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from services.gateway.app import Gateway, create_app
from services.gateway.feed import Hub
from shared.events.incident import INCIDENTS_STREAM
from shared.projections.incidents_view import IncidentsView
from shared.projections.projector import Projector
from shared.service import ServiceContext, run, serve


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[override]
        yield  # the service runner owns SIGTERM/SIGINT


async def build(ctx: ServiceContext):
    """Catch the read model up, then serve HTTP until the service stops."""
    view = IncidentsView()
    hub = Hub()
    view.listeners.append(hub.on_event)
    projector = Projector(ctx.nc, INCIDENTS_STREAM, "incidents.>", view.apply, "incidents")
    await projector.start()
    await projector.catch_up(timeout=120)
    app = create_app(Gateway(ctx.settings, ctx.store, view, projector, hub))
    config = uvicorn.Config(app, host=ctx.settings.host, port=ctx.settings.port, log_config=None,
                            access_log=False, lifespan="off", ws_max_size=1 << 20)
    server = _Server(config)

    async def run_http() -> None:
        task = asyncio.create_task(server.serve())
        await ctx.stopping.wait()
        server.should_exit = True
        await task
        await projector.stop()

    return [], [run_http]


if __name__ == "__main__":
    run(serve("gateway", build))
