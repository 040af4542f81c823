"""The service runner (shared/service.py) against a real nats-server."""

from __future__ import annotations

import asyncio

import pytest

from shared.config import load_settings
from shared.consumer import ConsumerSpec
from shared.errors import StoreUnavailableError
from shared.events.incident import INCIDENTS_STREAM
from shared.service import ServiceContext, serve


@pytest.mark.timeout(60)
async def test_a_service_whose_task_dies_stops_its_consumers_and_exits(nats_server, tmp_path):
    """A dead background task ends the whole process (its supervisor restarts it): the consumers stop too, instead
    of re-binding forever against the connection the runner closed (CI's node-kill test, session 11)."""
    settings = load_settings(environ={"AEGIS_NATS_URL": nats_server.url, "AEGIS_DATA_DIR": str(tmp_path)})
    handled: list[object] = []

    async def handler(envelope, delivery) -> None:
        handled.append(envelope)

    async def build(ctx: ServiceContext):
        async def dies() -> None:
            await asyncio.sleep(0.5)
            raise StoreUnavailableError("jetstream unavailable: no response from stream")

        spec = ConsumerSpec(durable="service-runner-test", stream=INCIDENTS_STREAM,
                            filter_subjects=["incidents.service-runner-test.>"], handler=handler)
        return [spec], [dies]

    with pytest.raises(SystemExit) as exited:
        await serve("runner-test", build, settings)  # returns (by raising) instead of living on
    assert exited.value.code == 1
    leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()
                and (t.get_name() == "service-runner-test" or t.get_name() == "runner-test-task")]
    assert leftover == []  # no consumer loop or task of the service is still running
