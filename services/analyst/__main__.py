"""Analyst process."""

from __future__ import annotations

from services.analyst.handlers import consumers
from shared.service import ServiceContext, run, serve


async def build(ctx: ServiceContext):
    """The analyst only reacts to events."""
    return consumers(ctx), []


if __name__ == "__main__":
    run(serve("analyst", build))
