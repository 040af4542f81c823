"""The analyst's consumer: react to incident.received."""

from __future__ import annotations

from functools import partial

from services.analyst.domain import analyse_incident
from shared.aggregate import decide_and_append
from shared.consumer import ConsumerSpec, Delivery
from shared.events import Envelope
from shared.events.incident import INCIDENTS_STREAM
from shared.service import ServiceContext
from services.common import fail_incident


def consumers(ctx: ServiceContext) -> list[ConsumerSpec]:
    """The analyst's durable consumers."""

    async def on_received(env: Envelope, delivery: Delivery) -> None:
        decide = partial(analyse_incident, log_truncate_chars=ctx.settings.log_truncate_chars)
        await decide_and_append(ctx.store, env.incident_id, decide, causation=env)  # type: ignore[arg-type]

    return [ConsumerSpec(durable="analyst", stream=INCIDENTS_STREAM, filter_subjects=["incidents.*.received"],
                         handler=on_received, on_give_up=fail_incident(ctx, "analysis"),
                         ack_wait=ctx.settings.ack_wait, max_deliver=ctx.settings.max_deliver)]
