"""Notifier process: e-mail, webhook and Slack notifications, drafted, reviewed and sent once."""

from __future__ import annotations

from services.notifier.handlers import consumers
from shared.service import ServiceContext, run, serve


async def build(ctx: ServiceContext):
    """The notifier only reacts to events."""
    return consumers(ctx), []


if __name__ == "__main__":
    run(serve("notifier", build))
