"""JetStream publishing with acks on one wildcard inbox, decoded by msgspec (lean enough for 30k+/s)."""

from __future__ import annotations

import asyncio
import itertools

import msgspec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shared.errors import ConcurrencyError, EventStoreError, StoreFullError, StoreUnavailableError
from shared.jetstream import ERR_INSUFFICIENT_RESOURCES, ERR_WRONG_LAST_SEQUENCE


class ApiError(msgspec.Struct):
    """The error object JetStream puts in a failed publish ack."""

    code: int = 0
    err_code: int = 0
    description: str = ""


class Ack(msgspec.Struct):
    """A JetStream publish acknowledgement."""

    stream: str = ""
    seq: int = 0
    duplicate: bool = False
    error: ApiError | None = None


_decode_ack = msgspec.json.Decoder(Ack).decode


def ack_error(ack: Ack) -> Exception | None:
    """The AegisError a failed ack stands for, or None."""
    if ack.error is None:
        return None
    if ack.error.err_code == ERR_WRONG_LAST_SEQUENCE:
        return ConcurrencyError("wrong last sequence: someone appended first", err_code=ack.error.err_code,
                                description=ack.error.description)
    if ack.error.err_code == ERR_INSUFFICIENT_RESOURCES:
        return StoreFullError(f"the event store is out of space ({ack.error.description}); nothing was written",
                              err_code=ack.error.err_code)
    return EventStoreError(f"jetstream error: {ack.error.description}", err_code=ack.error.err_code,
                           code=ack.error.code)


class Publisher:
    """Publishes with a reply subject under one wildcard inbox and resolves futures from the acks."""

    def __init__(self, nc: NATS) -> None:
        self.nc = nc
        self._prefix = nc.new_inbox() + "."
        self._futures: dict[str, asyncio.Future[Ack]] = {}
        self._tokens = itertools.count()
        self._sub: Subscription | None = None
        self._lock = asyncio.Lock()

    async def _ensure(self) -> None:
        if self._sub is None:
            async with self._lock:
                if self._sub is None:
                    self._sub = await self.nc.subscribe(self._prefix + "*", cb=self._on_reply)

    async def _on_reply(self, msg: Msg) -> None:
        fut = self._futures.pop(msg.subject[len(self._prefix):], None)
        if fut is None or fut.done():
            return
        if msg.headers and msg.headers.get("Status") == "503":
            fut.set_exception(StoreUnavailableError("no stream answered (JetStream unavailable)"))
            return
        try:
            ack = _decode_ack(msg.data)
        except msgspec.DecodeError as exc:
            fut.set_exception(EventStoreError(f"unreadable publish ack: {exc}"))
            return
        error = ack_error(ack)
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(ack)

    async def send(self, subject: str, payload: bytes, headers: dict[str, str]) -> asyncio.Future[Ack]:
        """Publish now; the returned future resolves with the ack (or a translated error)."""
        await self._ensure()
        token = str(next(self._tokens))
        fut: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._futures[token] = fut
        try:
            await self.nc.publish(subject, payload, reply=self._prefix + token, headers=headers)
        except Exception as exc:
            self._futures.pop(token, None)
            from shared.jetstream import translate

            raise translate(exc) from exc
        return fut

    async def wait(self, futures: list[asyncio.Future[Ack]], timeout: float) -> list[Ack | BaseException]:
        """Results in order; futures still open after `timeout` fail as StoreUnavailableError."""
        done, pending = await asyncio.wait(futures, timeout=timeout) if futures else (set(), set())
        for fut in pending:
            fut.cancel()
        out: list[Ack | BaseException] = []
        for fut in futures:
            if fut in pending:
                out.append(StoreUnavailableError(f"no publish ack within {timeout}s"))
            elif fut.exception() is not None:
                out.append(fut.exception())  # type: ignore[arg-type]
            else:
                out.append(fut.result())
        stale = [t for t, f in self._futures.items() if f.cancelled()]
        for token in stale:
            self._futures.pop(token, None)
        return out
