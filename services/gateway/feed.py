"""The WebSocket hub: one bounded queue per client, frames serialized once and fanned out; each session's credentials
checked again every `ws_recheck_seconds` (a revoked key, an expired token or a demotion closes it with 1008), and at
most `ws_max_per_principal` open sessions per principal."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from services.gateway.auth.guard import WS_SUBPROTOCOL
from services.gateway.frames import Frame, Heartbeat, encode, frame, frames_for
from shared.errors import AegisError
from shared.events import Envelope
from shared.log import get_logger
from shared.projections.incident import IncidentState

log = get_logger("gateway.ws")
CLIENT_QUEUE = 10_000


class Hub:
    """Connected clients and the broadcast of projected frames to them."""

    def __init__(self, recheck_seconds: float = 10.0, max_per_principal: int = 1000) -> None:
        self.clients: set[asyncio.Queue[str]] = set()
        self.recheck_seconds = recheck_seconds
        self.max_per_principal = max_per_principal
        self.open_by: Counter[str] = Counter()  # open sessions per principal id
        self.closed_by_recheck = 0

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
        state = ws.scope.get("state") or {}
        principal = state.get("principal")
        who = principal.id if principal is not None else "anonymous"
        offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
        await ws.accept(subprotocol=WS_SUBPROTOCOL if WS_SUBPROTOCOL in offered else None)
        if self.open_by[who] >= self.max_per_principal:
            await ws.close(code=1008, reason=f"too many open WebSocket sessions for this principal "
                                             f"(max {self.max_per_principal})")
            return
        self.open_by[who] += 1
        queue: asyncio.Queue[str] = asyncio.Queue(CLIENT_QUEUE)
        await ws.send_text(encode(frame("heartbeat", None, Heartbeat("connected"))))
        self.clients.add(queue)
        sender = asyncio.create_task(self._send(ws, queue))
        watcher = asyncio.create_task(self._recheck(ws, state.get("recheck")))
        try:
            while True:
                text = await ws.receive_text()
                if text.strip().lower() == "ping":
                    queue.put_nowait(encode(frame("heartbeat", None, Heartbeat("alive"))))
        except (WebSocketDisconnect, RuntimeError):  # RuntimeError: receiving after the watcher closed it
            pass
        finally:
            self.clients.discard(queue)
            self.open_by[who] -= 1
            if self.open_by[who] <= 0:
                del self.open_by[who]
            sender.cancel()
            watcher.cancel()

    async def _recheck(self, ws: WebSocket, recheck: Callable[[], object] | None) -> None:
        """Close the session once its credentials no longer admit it (revoked, expired, demoted)."""
        if recheck is None:
            return
        while True:
            await asyncio.sleep(self.recheck_seconds)
            try:
                recheck()
            except AegisError as exc:
                self.closed_by_recheck += 1
                log.info("closing a websocket session: its credentials no longer admit it",
                         extra={"reason": exc.message})
                try:
                    await ws.close(code=1008, reason=exc.message[:120])
                except RuntimeError:  # already closing
                    pass
                return

    async def _send(self, ws: WebSocket, queue: asyncio.Queue[str]) -> None:
        try:
            while True:
                await ws.send_text(await queue.get())
        except Exception:  # noqa: BLE001 - the client went away; the receive loop cleans up
            return
