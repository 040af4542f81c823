"""Analyst process."""

from __future__ import annotations

import asyncio

from services.analyst.handlers import consumers
from shared.service import ServiceContext, serve


async def build(ctx: ServiceContext):
    """The analyst only reacts to events."""
    return consumers(ctx), []


if __name__ == "__main__":
    asyncio.run(serve("analyst", build))
