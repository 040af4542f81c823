"""What a service does when a stage gives up on an incident: the incident FAILS with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shared.aggregate import decide_and_append
from shared.decisions import fail
from shared.events import Envelope
from shared.log import get_logger
from shared.service import ServiceContext

log = get_logger("services")


def fail_incident(ctx: ServiceContext, stage: str) -> Callable[[Envelope, BaseException], Awaitable[None]]:
    """A give-up hook: when a stage cannot handle an incident after every retry, the incident FAILS."""

    async def on_give_up(env: Envelope, exc: BaseException) -> None:
        if env.incident_id is None:
            return

        await decide_and_append(ctx.store, env.incident_id, fail(f"{stage} gave up after retries: {exc}", stage),
                                causation=env)
        log.error("incident failed: stage gave up", extra={"incident_id": env.incident_id, "stage": stage})

    return on_give_up
