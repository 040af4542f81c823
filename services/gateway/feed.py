"""The WebSocket hub: one bounded queue per client, frames serialized once and fanned out."""

from __future__ import annotations

import asyncio

from starlette.websockets import WebSocket, WebSocketDisconnect

from services.gateway.auth.guard import WS_SUBPROTOCOL
from services.gateway.frames import Frame, Heartbeat, encode, frame, frames_for
from shared.events import Envelope
from shared.log import get_logger
from shared.projections.incident import IncidentState

log = get_logger("gateway.ws")
CLIENT_QUEUE = 10_000


class Hub:
    """Connected clients and the broadcast of projected frames to them."""

    def __init__(self) -> None:
        self.clients: set[asyncio.Queue[str]] = set()

    def on_event(self, previous: IncidentState | None, state: IncidentState, env: Envelope) -> None:
        """IncidentsView listener: project the event into frames and broadcast them."""
        if self.clients:
            for item in frames_for(previous, state, env):
                self.broadcast(item)

    def broadcast(self, item: Frame) -> None:
        """Queue a frame for every client; a client too slow to keep a full queue is dropped."""
        text = encode(item)
        for queue in list(self.clients):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:
                self.clients.discard(queue)
                log.warning("dropping a slow websocket client")

    async def serve(self, ws: WebSocket) -> None:
        """Run one client: heartbeat on connect and on "ping", frames as they come."""
        offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
        await ws.accept(subprotocol=WS_SUBPROTOCOL if WS_SUBPROTOCOL in offered else None)
        queue: asyncio.Queue[str] = asyncio.Queue(CLIENT_QUEUE)
        await ws.send_text(encode(frame("heartbeat", None, Heartbeat("connected"))))
        self.clients.add(queue)
        sender = asyncio.create_task(self._send(ws, queue))
        try:
            while True:
                text = await ws.receive_text()
                if text.strip().lower() == "ping":
                    queue.put_nowait(encode(frame("heartbeat", None, Heartbeat("alive"))))
        except WebSocketDisconnect:
            pass
        finally:
            self.clients.discard(queue)
            sender.cancel()

    async def _send(self, ws: WebSocket, queue: asyncio.Queue[str]) -> None:
        try:
            while True:
                await ws.send_text(await queue.get())
        except Exception:  # noqa: BLE001 - the client went away; the receive loop cleans up
            return
