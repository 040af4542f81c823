"""The supervisor's control API over NATS request/reply (rpc.supervisor.<verb>), used by the gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable

from nats.aio.client import Client as NATS

from aegis.supervisor import Supervisor
from shared.log import get_logger
from shared.wiring import SUPERVISOR_RPC

SUBJECT = SUPERVISOR_RPC
log = get_logger("supervisor-api")


async def serve_supervisor_api(nc: NATS, supervisor: Supervisor) -> None:
    """Answer status, start, stop, restart and reset requests: {"code": HTTP status, "body": …}."""

    async def handle(msg) -> None:  # type: ignore[no-untyped-def]
        verb = msg.subject.rsplit(".", 1)[-1]
        try:
            request = json.loads(msg.data or b"{}")
        except ValueError:
            request = {}
        name = request.get("name", "")
        if verb == "status":
            reply = {"code": 200, "body": supervisor.status()}
        elif name not in supervisor.workers:
            reply = {"code": 404, "body": {"detail": f"Worker '{name}' not found"}}
        elif verb in ("restart", "stop") and _serves_the_api(name) and supervisor.workers[name].status == "running":
            # the process asking is the one to go: answer first (the contract's shape), act once it could reply
            doing = "restarting" if verb == "restart" else "stopping"
            reply = {"code": 200, "body": {"success": True, "worker_name": name,
                                           "message": f"Worker '{name}' {doing} (it answered this request first)"}}
            await msg.respond(json.dumps(reply).encode())
            task = asyncio.create_task(_after(ANSWER_GRACE, _act(supervisor, verb, name)))
            _pending.add(task)
            task.add_done_callback(_pending.discard)
            return
        else:
            reply = await _act(supervisor, verb, name)
        await msg.respond(json.dumps(reply).encode())

    await nc.subscribe(f"{SUBJECT}.*", cb=handle)


ANSWER_GRACE = 0.5  # seconds the gateway gets to send its HTTP answer before its own restart
_pending: set[asyncio.Task[dict]] = set()


def _serves_the_api(name: str) -> bool:
    """Whether the worker is (a replica of) the gateway, which relays supervisor requests from HTTP."""
    return name.split("_")[0] == "gateway"


async def _after(delay: float, action: Awaitable[dict]) -> dict:
    await asyncio.sleep(delay)
    return await action


async def _act(supervisor: Supervisor, verb: str, name: str) -> dict:
    worker = supervisor.workers[name]
    if verb == "start":
        if worker.status == "running":
            return {"code": 400, "body": {"detail": f"Worker '{name}' is already running"}}
        await supervisor.start(name)
        message = f"Worker '{name}' started successfully"
    elif verb == "stop":
        if worker.status != "running":
            return {"code": 400, "body": {"detail": f"Worker '{name}' is not running"}}
        await supervisor.stop(name, reason="stop requested")
        message = f"Worker '{name}' stopped successfully"
    elif verb == "restart":
        await supervisor.restart(name)
        message = f"Worker '{name}' restarted successfully"
    elif verb == "reset":
        await supervisor.reset(name)
        return {"code": 200, "body": {"success": True, "message": f"Worker '{name}' restart count reset"}}
    else:
        return {"code": 400, "body": {"detail": f"unknown supervisor action {verb!r}"}}
    log.info("supervisor action", extra={"worker": name, "action": verb})
    return {"code": 200, "body": {"success": True, "message": message, "worker_name": name}}
