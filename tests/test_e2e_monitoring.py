"""Prometheus: our /metrics exposition scraped by Debian's prometheus, and the monitoring endpoints."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from aegis.harness import eventually, free_port
from tests.conftest import _require

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


@pytest.fixture(scope="module")
def stack(start_platform, tmp_path_factory):
    binary = shutil.which("prometheus")
    _require(binary is not None, "prometheus is not installed (Debian package prometheus)")
    tmp = tmp_path_factory.mktemp("prom")
    prom_port = free_port()
    plat = start_platform(tmp, demo=False, config=f'prometheus_url = "http://127.0.0.1:{prom_port}"\n')
    gateway_port = plat.port
    (tmp / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: aegisops
    metrics_path: /metrics
    authorization: {{type: Bearer, credentials_file: {tmp / "scrape.key"}}}
    static_configs: [{{targets: ["127.0.0.1:{gateway_port}"]}}]
""")
    (tmp / "scrape.key").write_text(plat.user_key("prometheus@example.com", "viewer"))  # a viewer key as bearer
    prom = subprocess.Popen([binary, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=subprocess.DEVNULL,
                            stderr=open(tmp / "prometheus.log", "wb"))  # noqa: SIM115 - the child owns it
    yield plat, prom_port
    plat.shutdown()
    prom.terminate()
    prom.wait(30)


def test_prometheus_format_when_asked_seed_json_otherwise(stack):
    plat, _ = stack
    plat.webhook({"incident_id": "prom-1", "alert_type": "Synthetic check", "logs": "nothing is wrong"})
    plat.wait_terminal("prom-1")
    text = plat.get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT}).text
    for name in ("aegis_incidents{status=\"RESOLVED\"} 1.0", "aegis_stage_seconds_bucket", "aegis_mttr_seconds_count",
                 "aegis_consumer_pending{consumer=\"analyst\"}", "aegis_ws_clients"):
        assert name in text, name
    assert isinstance(plat.get("/metrics").json(), list)  # the Core API contract's JSON for everyone else


async def test_monitoring_endpoints_read_a_real_prometheus(stack):
    plat, prom_port = stack
    def scraped():
        response = plat.get("/api/system/monitoring/targets")
        if response.status_code == 503:  # prometheus itself still starting
            return None
        body = response.json()
        assert body["up"] == 1, [t["last_error"] for t in body["targets"]]
        return body

    targets = await eventually(scraped, timeout=60, what="prometheus scraped us")
    assert targets["jobs"] == ["aegisops"] and targets["targets"][0]["health"] == "up"
    health = plat.get("/api/system/monitoring/health").json()
    assert health["healthy"] and health["prometheus_reachable"] and health["targets_summary"][0]["up"] == 1
    query = httpx.get(f"http://127.0.0.1:{prom_port}/api/v1/query", params={"query": "aegis_ws_clients"}).json()
    assert query["status"] == "success" and query["data"]["result"]


def test_performance_endpoints(stack):
    plat, _ = stack
    body = plat.get("/api/system/performance").json()
    assert body["stages"]["total"]["count"] >= 1 and body["stages"]["total"]["p50_ms"] > 0
    assert body["throughput"]["received_per_min_5m"] > 0
    history = plat.get("/api/system/performance/history").json()
    assert history["count"] >= 1 and {"incidents", "resolved", "stream_seq"} <= set(history["items"][0])
    assert plat.get("/api/system/performance/history", params={"limit": 0}).status_code == 422


@pytest.mark.integration
async def test_monitoring_without_prometheus_is_503(api):
    for path in ("/api/system/monitoring/targets", "/api/system/monitoring/health"):
        response = await api.get(path)
        assert response.status_code == 503
