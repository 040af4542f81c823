"""Three nats-server processes on loopback as one JetStream cluster, streams with 3 replicas, the platform on top:
a node is SIGKILLed under load and every incident still ends, with no event lost or doubled."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter

import pytest

from aegis.harness import eventually, free_port, wait_sync
from aegis.nats_auth import NatsAuth
from aegis.nats_server import EmbeddedNats
from shared.events.incident import INCIDENTS_STREAM
from shared.eventstore import EventStore
from shared.jetstream import connect, ensure_streams

pytestmark = pytest.mark.e2e
COUNT = 150


@pytest.fixture
def auth(tmp_path):
    """The cluster's users, in the data dir the platform will use: `aegis up` on an external NATS finds them there
    and gives each service its own (anonymous clients are refused, routes authenticate)."""
    found = NatsAuth(tmp_path / "aegis-data")
    found.ensure()
    return found


@pytest.fixture
def cluster(tmp_path, auth):
    ports, cluster_ports = [free_port() for _ in range(3)], [free_port() for _ in range(3)]
    nodes = []
    for i in range(3):
        routes = tuple(f"nats://127.0.0.1:{cluster_ports[j]}" for j in range(3) if j != i)
        node = EmbeddedNats(tmp_path / f"node{i}", ports[i], server_name=f"node{i}", cluster_port=cluster_ports[i],
                            routes=routes, auth=auth)
        node.start()
        nodes.append(node)
    asyncio.run(_until_streams_replicate(",".join(n.url for n in nodes), str(auth.path("admin"))))
    yield nodes
    for node in nodes:
        node.stop()


async def _until_streams_replicate(urls: str, credentials: str) -> None:
    """A new cluster elects its JetStream meta leader first; R3 streams can be created after that."""
    nc = await connect(urls, "test-cluster", credentials=credentials)

    async def ready() -> bool:
        try:
            await ensure_streams(nc.jetstream(), replicas=3)
            return True
        except Exception:  # noqa: BLE001 - "no suitable peers" until the cluster has formed
            return False

    try:
        await eventually(ready, timeout=30, interval=0.5, what="R3 streams on the new cluster")
    finally:
        await nc.close()


async def _stream_state(url: str, credentials: str) -> tuple[str, int, list]:  # type: ignore[type-arg]
    nc = await connect(url, "test-cluster-info", credentials=credentials)
    try:
        info = await nc.jetstream().stream_info(INCIDENTS_STREAM)
        return info.cluster.leader, info.config.num_replicas, await EventStore(nc, "t").load_subject(
            "incidents.>", INCIDENTS_STREAM)
    finally:
        await nc.close()


@pytest.mark.timeout(420)
def test_a_node_killed_under_load_loses_nothing(cluster, auth, start_platform, tmp_path):
    urls = ",".join(n.url for n in cluster)
    plat = start_platform(tmp_path, demo=False, env={"AEGIS_NATS_URL": urls, "AEGIS_STREAM_REPLICAS": "3"})
    try:
        leader, replicas, _ = asyncio.run(_stream_state(cluster[0].url, str(auth.path("admin"))))
        assert replicas == 3
        victim = next(n for n in cluster[1:] if n.server_name == leader) if leader != "node0" else cluster[1]
        chaos = subprocess.Popen([sys.executable, "-m", "aegis.cli", "chaos", "--nats-url", cluster[0].url,
                                  "--credentials", str(auth.path("intake")),
                                  "--count", str(COUNT), "--rate", "25", "--types", "Synthetic check",
                                  "--timeout", "240"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_sync(lambda: len(plat.get("/incidents").json()) >= COUNT // 4, timeout=60, what="load under way")
        victim.proc.kill()  # SIGKILL one node (the INCIDENTS leader when it is not the node chaos talks to)
        victim.proc.wait()
        out, err = chaos.communicate(timeout=300)
        if not out.strip():
            pytest.fail(f"aegis chaos failed ({chaos.returncode}): {err[-1500:]}")
        report = json.loads(out.strip().splitlines()[-1])
        stuck = [(i["incident_id"], i["status"]) for i in plat.get("/incidents").json()
                 if i["status"] not in ("RESOLVED", "FAILED")]
        if chaos.returncode != 0 or report["terminal"] != COUNT:
            pytest.fail(f"{report}\nnot terminal by status: {Counter(s for _, s in stuck)}\n{err[-800:]}")

        survivor = next(n for n in cluster if n is not victim)
        _, _, stored = asyncio.run(_stream_state(survivor.url, str(auth.path("admin"))))
        by_incident: dict[str, list[str]] = {}
        for item in stored:
            by_incident.setdefault(item.envelope.incident_id, []).append(item.envelope.type)  # type: ignore[arg-type]
        chaos_ids = [i for i in by_incident if i.startswith("chaos-")]
        assert len(chaos_ids) == COUNT
        for iid in chaos_ids:
            types = Counter(by_incident[iid])
            assert types["incident.received.v1"] == 1, iid
            assert types["incident.resolved.v1"] + types["incident.failed.v1"] == 1, (iid, types)
            assert types["incident.council_decided.v1"] <= 1 and types["incident.action_started.v1"] <= 1, types
        seqs = [item.seq for item in stored]
        assert seqs == sorted(set(seqs))  # no sequence twice: nothing doubled by a failover
        assert len({item.envelope.event_id for item in stored}) == len(stored)
    finally:
        plat.shutdown()
