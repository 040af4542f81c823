"""Notifier process. For now it logs terminal incidents; e-mail and webhooks arrive with the notifier issue."""

from __future__ import annotations

from shared.consumer import ConsumerSpec, Delivery
from shared.events import Envelope
from shared.events.incident import INCIDENTS_STREAM
from shared.log import get_logger
from shared.service import ServiceContext, run, serve

log = get_logger("notifier")


async def build(ctx: ServiceContext):
    """Declare the notifier's durable consumer on terminal incident events."""

    async def on_terminal(env: Envelope, delivery: Delivery) -> None:
        log.info("incident reached a terminal state", extra={"event": env.type, "incident_id": env.incident_id})

    return [ConsumerSpec(durable="notifier", stream=INCIDENTS_STREAM,
                         filter_subjects=["incidents.*.resolved", "incidents.*.recovered",
                                                          "incidents.*.failed"], handler=on_terminal)], []


if __name__ == "__main__":
    run(serve("notifier", build))
