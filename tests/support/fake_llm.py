"""A small OpenAI-compatible chat-completions server on loopback, with switchable misbehaviour."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from aegis.harness import free_port, wait_sync

GOOD_ANSWER = json.dumps({"root_cause": "Memory leak in the request cache", "action": "RESTART",
                          "justification": "Heap grows without bound; a restart releases it.",
                          "confidence": 0.88, "replica_count": 2})


DRAFT_ANSWER = json.dumps({"subject": "[AegisOps] addition-api is down", "body": "Restart in progress."})


class FakeLLM:
    """Modes: ok, malformed, malformed_once, slow (no answer in time), error (HTTP 500), slow_stream."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mode = "ok"
        self.modes: dict[str, str] = {}  # per model name
        self.requests: list[dict] = []
        self.stream_seconds = 3.0
        self._server: uvicorn.Server | None = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _completions(self, request: Request):  # type: ignore[no-untyped-def]
        body = await request.json()
        self.requests.append(body)
        mode = self.modes.get(body.get("model", ""), self.mode)
        if mode == "malformed_once":
            self.modes[body.get("model", "")] = "ok"
            mode = "malformed"
        if mode == "error":
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}}, status_code=500)
        if mode == "slow":
            await asyncio.sleep(30)
        text = {"malformed": "I think the answer is: {root_cause: leak", "draft": DRAFT_ANSWER}.get(mode, GOOD_ANSWER)
        pieces = [text[i:i + 12] for i in range(0, len(text), 12)]
        delay = self.stream_seconds / len(pieces) if mode == "slow_stream" else 0.0

        async def events():
            for piece in pieces:
                yield _sse(body, {"content": piece}, None)
                if delay:
                    await asyncio.sleep(delay)
            yield _sse(body, {}, "stop")
            usage = {"prompt_tokens": 120, "completion_tokens": len(pieces), "total_tokens": 120 + len(pieces)}
            yield "data: " + json.dumps({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                                         "created": int(time.time()), "model": body.get("model"),
                                         "choices": [], "usage": usage}) + "\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    def start(self) -> FakeLLM:
        app = Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     lifespan="off"))
        threading.Thread(target=self._server.run, daemon=True).start()
        wait_sync(lambda: self._server.started, timeout=10, what="fake LLM server")  # type: ignore[union-attr]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True


def _sse(body: dict, delta: dict, finish: str | None) -> str:
    chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
             "model": body.get("model"), "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return "data: " + json.dumps(chunk) + "\n\n"
