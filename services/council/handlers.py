"""The council's consumer: react to incident.analysis_completed."""

from __future__ import annotations

from services.common import fail_incident
from services.council.domain import Facts, deliberate
from shared.aggregate import decide_and_append
from shared.consumer import ConsumerSpec, Delivery
from shared.events import Envelope
from shared.events.incident import INCIDENTS_STREAM
from shared.projections.inventory import InventoryView
from shared.service import ServiceContext


def consumers(ctx: ServiceContext, inventory: InventoryView) -> list[ConsumerSpec]:
    """The council's durable consumers."""

    async def on_analysis(env: Envelope, delivery: Delivery) -> None:
        def decide(state):  # type: ignore[no-untyped-def]
            target = inventory.get(state.container_name) if state is not None else None
            return deliberate(state, Facts(ctx.settings, target))

        await decide_and_append(ctx.store, env.incident_id, decide, causation=env)  # type: ignore[arg-type]

    return [ConsumerSpec(durable="council", stream=INCIDENTS_STREAM,
                         filter_subjects=["incidents.*.analysis_completed"], handler=on_analysis,
                         on_give_up=fail_incident(ctx, "council"), ack_wait=ctx.settings.ack_wait,
                         max_deliver=ctx.settings.max_deliver)]
