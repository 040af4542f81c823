"""One streamed chat completion through litellm, with timing and token figures for evaluation."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from shared.config import Settings
from shared.errors import TransientError

Chunk = Callable[[str, str], None]  # (chunk, full_text so far)


class LLMCallError(TransientError):
    """The provider failed: connection, HTTP error, or timeout."""


@dataclass(frozen=True)
class Completion:
    """A finished completion and how it went."""

    model: str
    text: str
    latency_s: float
    ttft_s: float | None
    tokens_in: int
    tokens_out: int

    @property
    def throughput_tps(self) -> float:
        """Output tokens per second after the first token."""
        span = self.latency_s - (self.ttft_s or 0.0)
        return round(self.tokens_out / span, 2) if span > 0 and self.tokens_out else 0.0


def load_litellm():  # type: ignore[no-untyped-def]
    """litellm, imported once (~5 s on this machine: the analyst does it at start, before the first incident, so
    that no incident's analysis waits on it while the event loop is blocked)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the cost map at run time
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    return litellm


async def stream_completion(model: str, messages: list[dict[str, str]], settings: Settings,
                            on_chunk: Chunk) -> Completion:
    """Stream one completion; LLMCallError on any provider failure or after `llm_timeout` seconds."""
    litellm = load_litellm()
    started = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    usage = None
    kwargs: dict = {"model": model, "messages": messages, "stream": True, "temperature": settings.llm_temperature,
                    "timeout": settings.llm_timeout, "max_retries": 0, "stream_options": {"include_usage": True}}
    if settings.llm_api_base:
        kwargs["api_base"] = settings.llm_api_base
    if settings.llm_api_key:
        kwargs["api_key"] = settings.llm_api_key
    try:
        async with asyncio.timeout(settings.llm_timeout):
            response = await litellm.acompletion(**kwargs)
            async for chunk in response:
                if getattr(chunk, "usage", None):
                    usage = chunk.usage
                if not chunk.choices:
                    continue
                piece = chunk.choices[0].delta.content or ""
                if piece:
                    if first is None:
                        first = time.perf_counter() - started
                    parts.append(piece)
                    on_chunk(piece, "".join(parts))
    except TimeoutError:
        raise LLMCallError(f"{model}: no complete answer within {settings.llm_timeout:g}s", model=model) from None
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - every provider error is a failed call
        raise LLMCallError(f"{model}: {type(exc).__name__}: {str(exc)[:300]}", model=model) from None
    text = "".join(parts)
    tokens_in = getattr(usage, "prompt_tokens", 0) or _count(litellm, model, messages=messages)
    tokens_out = getattr(usage, "completion_tokens", 0) or _count(litellm, model, text=text)
    return Completion(model=model, text=text, latency_s=time.perf_counter() - started, ttft_s=first,
                      tokens_in=tokens_in, tokens_out=tokens_out)


def _count(litellm, model: str, **what) -> int:  # type: ignore[no-untyped-def]
    try:
        return int(litellm.token_counter(model=model, **what))
    except Exception:  # noqa: BLE001 - an estimate is all we need
        text = what.get("text") or " ".join(m["content"] for m in what.get("messages", []))
        return max(1, len(text) // 4)
