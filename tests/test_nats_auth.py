"""NATS with least privilege, against a real nats-server: anonymous clients are refused, each service may append
only its own events, the reader writes nothing, nobody but the admin rewrites history, credentials stay private."""

from __future__ import annotations

import asyncio
import json
import stat

import nats
import nats.errors
import pytest

from aegis.harness import free_port
from aegis.nats_auth import ROLES, NatsAuth, permissions
from aegis.nats_server import EmbeddedNats
from shared.errors import ConfigError
from shared.events import ALL_EVENTS
from shared.events import incident as ev
from shared.jetstream import connect, ensure_streams
from shared.wiring import APPENDS, event_subjects

ADMIN_ONLY = {"WorkerStarted", "WorkerCrashed", "WorkerRestarted", "WorkerGaveUp", "WorkerStopped",  # the supervisor
              "TargetRemoved"}  # the operator, through the admin's CLI


@pytest.fixture
def secured(tmp_path):
    auth = NatsAuth(tmp_path)
    auth.ensure()
    server = EmbeddedNats(tmp_path, free_port(), auth=auth)
    server.start()
    yield server, auth
    server.stop()


def _refused(server: EmbeddedNats) -> list[str]:
    return [line for line in (server.data_dir / "nats-server.log").read_text().splitlines() if "Violation" in line]


async def _appends(nc, server: EmbeddedNats, subject: str) -> bool:
    """Whether the server let this user append to `subject`. A refused publish is dropped (no ack comes) and logged
    as a violation; a publish that is merely slow (a loaded machine) is retried — deduplicated by its message id —
    until its ack comes, so slowness never reads as a refusal."""
    headers = {"Nats-Msg-Id": f"appends-{subject}"}
    for timeout in (1.5, 10.0):
        try:
            await nc.jetstream().publish(subject, b"{}", timeout=timeout, headers=headers)
            return True
        except nats.errors.TimeoutError:
            refusal = f'user:{nc.options["user"]}" - Publish Violation - Subject "{subject}"'
            if any(refusal in line for line in _refused(server)):
                return False
    raise AssertionError(f"no ack and no violation for {subject} after 11.5 s")


def test_every_event_has_a_writer_and_only_the_gateway_writes_approvals_keys_and_audit():
    written = {cls.__name__ for classes in APPENDS.values() for cls in classes}
    assert {cls.__name__ for cls in ALL_EVENTS} - written == ADMIN_ONLY
    writers = {role: set(permissions(role)["publish"]["allow"]) for role in APPENDS}
    for subject in ("incidents.*.approval_granted", "auth.*.*.api_key_created", "audit.*"):
        assert [r for r, allowed in writers.items() if subject in allowed] == ["gateway"], subject
    assert [r for r, allowed in writers.items() if "incidents.*.action_started" in allowed] == ["executor"]
    assert [r for r, allowed in writers.items() if "runbook.*.entry_added" in allowed] == ["analyst"]
    assert event_subjects(ev.ApprovalGranted) == "incidents.*.approval_granted"
    with pytest.raises(ConfigError, match="unknown NATS role"):
        permissions("mallory")


def test_credentials_are_private_and_the_config_holds_only_hashes(secured):
    server, auth = secured
    assert stat.S_IMODE(auth.directory.stat().st_mode) == 0o700
    config = (auth.directory / "aegis.conf").read_text()
    assert stat.S_IMODE((auth.directory / "aegis.conf").stat().st_mode) == 0o600
    for role in ROLES:
        path = auth.path(role)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        password = json.loads(path.read_text())["password"]
        assert len(password) >= 40 and password not in config
    before = auth.path("gateway").read_text()
    auth.ensure()  # a restart keeps every password: running services keep working
    assert auth.path("gateway").read_text() == before


def test_a_broken_credentials_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.creds"
    bad.write_text("not json")
    with pytest.raises(ConfigError, match="not a usable NATS credentials file"):
        asyncio.run(connect("nats://127.0.0.1:1", "t", credentials=bad))


def test_anonymous_and_wrong_password_clients_are_refused(secured):
    server, auth = secured

    async def run() -> None:
        with pytest.raises(ConfigError, match="refused an anonymous client"):  # at once, not retried forever
            await connect(server.url, "anonymous")
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(server.url, allow_reconnect=False, connect_timeout=2)
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(server.url, user="gateway", password="guess", allow_reconnect=False,
                               connect_timeout=2)

    asyncio.run(run())


def test_each_service_appends_only_its_own_events_and_nobody_but_the_admin_rewrites_history(secured):
    server, auth = secured

    async def run() -> None:
        admin = await connect(server.url, "admin", credentials=auth.path("admin"))
        await ensure_streams(admin.jetstream())
        clients = {role: await connect(server.url, role, credentials=auth.path(role))
                   for role in ("gateway", "analyst", "executor", "reader", "intake")}
        try:
            assert await _appends(clients["gateway"], server, "incidents.i1.approval_granted")
            # the attack in the issue
            assert not await _appends(clients["analyst"], server, "incidents.i1.approval_granted")
            assert not await _appends(clients["executor"], server, "auth.keys.k1.api_key_created")  # minting a key
            # a target running a shell
            assert not await _appends(clients["gateway"], server, "inventory.sh.registered")
            assert await _appends(clients["executor"], server, "inventory.web.registered")
            assert await _appends(clients["analyst"], server, "runbook.i1.entry_added")
            # replay and what-if only read
            assert not await _appends(clients["reader"], server, "incidents.i2.received")
            assert not await _appends(clients["intake"], server, "incidents.i2.received")
            sub = await clients["reader"].jetstream().subscribe("incidents.>", ordered_consumer=True)
            assert (await sub.next_msg(timeout=5)).subject == "incidents.i1.approval_granted"
            with pytest.raises(nats.errors.TimeoutError):  # a service cannot purge the history
                await clients["gateway"].jetstream(timeout=1.5).purge_stream("INCIDENTS")
            info = await admin.jetstream().stream_info("INCIDENTS")
            assert info.state.messages == 1
            # nobody else may listen where the analyst answers (it would take the analyst's requests)
            await clients["gateway"].subscribe("rpc.analyst.rag")
            await clients["gateway"].flush()
        finally:
            for nc in (*clients.values(), admin):
                await nc.close()

    asyncio.run(run())
    refused = "\n".join(_refused(server))
    assert 'user:analyst" - Publish Violation - Subject "incidents.i1.approval_granted"' in refused
    assert 'user:gateway" - Subscription Violation - Subject "rpc.analyst.rag"' in refused
    assert 'Publish Violation - Subject "$JS.API.STREAM.PURGE.INCIDENTS"' in refused


FORBIDDEN = {  # one publish per service that its permissions must refuse, and one they must let through
    "gateway": ("incidents.f1.action_started", "incidents.f1.approval_granted"),
    "analyst": ("incidents.f1.approval_granted", "incidents.f1.analysis_completed"),
    "council": ("incidents.f1.action_completed", "incidents.f1.council_decided"),
    "executor": ("auth.keys.k9.api_key_created", "incidents.f1.action_started"),
    "notifier": ("incidents.f1.resolved", "incidents.f1.notification_sent"),
    "prober": ("incidents.f1.council_decided", "incidents.f1.received"),
}


def test_every_service_is_refused_outside_its_permissions_and_allowed_inside(secured):
    server, auth = secured
    assert set(FORBIDDEN) == set(APPENDS)

    async def run() -> dict[str, tuple[bool, bool]]:
        admin = await connect(server.url, "admin", credentials=auth.path("admin"))
        await ensure_streams(admin.jetstream())
        out = {}
        try:
            for role, (forbidden, allowed) in FORBIDDEN.items():
                nc = await connect(server.url, role, credentials=auth.path(role))
                out[role] = (await _appends(nc, server, forbidden), await _appends(nc, server, allowed))
                await nc.close()
        finally:
            await admin.close()
        return out

    assert asyncio.run(run()) == {role: (False, True) for role in FORBIDDEN}
    refused = "\n".join(_refused(server))
    for role, (forbidden, _) in FORBIDDEN.items():
        assert f'user:{role}" - Publish Violation - Subject "{forbidden}"' in refused, role


def test_a_three_node_cluster_runs_with_authenticated_routes(tmp_path):
    auth = NatsAuth(tmp_path / "shared")
    auth.ensure()
    ports = [(free_port(), free_port()) for _ in range(3)]
    routes = tuple(f"nats://127.0.0.1:{cp}" for _, cp in ports)
    nodes = [EmbeddedNats(tmp_path / f"n{i}", port, server_name=f"n{i}", cluster_port=cp, routes=routes, auth=auth)
             for i, (port, cp) in enumerate(ports)]
    for node in nodes:
        node.start()
    try:
        async def run() -> int:
            nc = await connect(",".join(n.url for n in nodes), "t", credentials=auth.path("admin"))
            try:
                for _ in range(60):  # a new cluster elects its JetStream leader first
                    try:
                        await ensure_streams(nc.jetstream(), replicas=3)
                        break
                    except Exception:  # noqa: BLE001 - "no suitable peers" until the meta leader is up
                        await asyncio.sleep(1)
                gw = await connect(nodes[2].url, "gw", credentials=auth.path("gateway"))
                await gw.jetstream().publish("incidents.c1.received", b"{}", timeout=5)
                await gw.close()
                return (await nc.jetstream().stream_info("INCIDENTS")).config.num_replicas
            finally:
                await nc.close()

        assert asyncio.run(run()) == 3
        assert "password" not in " ".join(n.url for n in nodes)
    finally:
        for node in nodes:
            node.stop()
