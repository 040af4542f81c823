"""Process facts for many targets at once: one shared scan of sockets and processes per interval, and exit
waits that hold no thread (a pidfd becomes readable when its process ends)."""

from __future__ import annotations

import asyncio
import os
import time

from shared.config import TargetConfig
from shared.inspection import ProcessSnapshot, pids_of, process_snapshot


class ProcessTable:
    """A process snapshot at most `max_age` seconds old, scanned in a thread by one caller while the others
    wait for the same scan (2,000 process targets cost one scan, not 2,000)."""

    def __init__(self, max_age: float = 0.25) -> None:
        self.max_age = max_age
        self._snapshot: ProcessSnapshot | None = None
        self._taken = 0.0
        self._scan: asyncio.Task[ProcessSnapshot] | None = None

    async def pids(self, target: TargetConfig) -> list[int]:
        """The target's processes as of a recent scan."""
        return pids_of(await self.snapshot(), target)

    async def snapshot(self) -> ProcessSnapshot:
        if self._snapshot is not None and time.monotonic() - self._taken <= self.max_age:
            return self._snapshot
        if self._scan is None or self._scan.done():
            self._scan = asyncio.create_task(self._take())
        return await asyncio.shield(self._scan)

    async def _take(self) -> ProcessSnapshot:
        started = time.monotonic()
        snapshot = await asyncio.to_thread(process_snapshot)
        self._snapshot, self._taken = snapshot, started
        return snapshot


async def wait_exit(pid: int) -> bool:
    """Wait until process `pid` exits: True. False at once if it was already gone (a scan may be a little old,
    so that exit may have been seen before)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()
    loop.add_reader(fd, lambda: None if exited.done() else exited.set_result(None))
    try:
        await exited
        return True
    finally:
        loop.remove_reader(fd)
        os.close(fd)
