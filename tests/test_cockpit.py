"""The cockpit in a real browser (Debian chromium driven by Playwright) against a real `aegis up`:
sign-in, a chaos run appearing live, approving from the page, surviving a gateway restart, 1,000 incidents.
Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from aegis.harness import alert, demo_ports_free, kill_target, wait_sync
from tests.conftest import _require

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).parent / "artifacts"
POLICY = """
approval_ttl_seconds = 600
[[rules]]
match = "addition-api"
approval_required = ["RESTART"]
"""
LIVE = "#connection[data-state=live]"


def chromium() -> str | None:
    return shutil.which("chromium") or (shutil.which("chromium-browser"))


@pytest.fixture(scope="module")
def browser():
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    _require(path is not None, "Debian chromium and the playwright package are needed for the cockpit tests")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-background-networking",
                                                                 "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def platform(start_platform, tmp_path_factory, llm):
    wait_sync(demo_ports_free, timeout=15, what="demo ports free")
    tmp = tmp_path_factory.mktemp("cockpit")
    (tmp / "policy.toml").write_text(POLICY)
    config = (f'policy_file = "{tmp / "policy.toml"}"\nllm_model = "openai/fake-sre"\n'
              f'llm_api_base = "{llm.api_base}"\nllm_api_key = "k"\n')
    plat = start_platform(tmp, demo=True, config=config)
    yield plat


def open_cockpit(browser, platform, key: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    page.goto(platform.url + "/")
    page.fill("#api-key", key)
    page.click("#sign-in-form button")
    page.wait_for_selector(LIVE, timeout=20_000)
    return page


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"cockpit-{name}.png"), full_page=True)


def rows_with_status(page, prefix: str, statuses: tuple[str, ...]) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("""([prefix, statuses]) => [...document.querySelectorAll('.incident')]
        .filter(r => r.dataset.id.startsWith(prefix) && statuses.includes(r.dataset.status)).length""",
                         [prefix, list(statuses)])


def test_a_wrong_key_is_refused_on_the_page(browser, platform):
    page = browser.new_page()
    page.goto(platform.url + "/")
    page.fill("#api-key", "agops_not-a-key")
    page.click("#sign-in-form button")
    page.wait_for_selector("#sign-in-error:has-text('refused')")
    assert page.is_hidden("#cockpit")
    page.close()


def test_the_api_docs_render_from_this_host_under_a_strict_csp(browser, platform):
    """/docs and /redoc load Swagger UI and ReDoc from the gateway itself (an air-gapped host renders them): no
    request leaves for elsewhere and nothing they need is blocked by the CSP."""
    for path, rendered in (("/docs", ".swagger-ui .info .title"), ("/redoc", "redoc h1")):
        page = browser.new_page()
        elsewhere, refused = [], []
        page.on("response", lambda r, out=elsewhere: None if r.url.startswith((platform.url, "data:", "blob:"))
                else out.append(r.url))  # a request the CSP blocked never gets a response
        # ReDoc's footer asks for Redocly's logo from their CDN: the CSP blocks that image, as it should; a blocked
        # script, style or connection would mean the page needs something from elsewhere to work
        page.on("console", lambda m, out=refused: out.append(m.text) if "Content Security Policy" in m.text
                and "img-src" not in m.text else None)
        page.goto(platform.url + path)
        page.wait_for_selector(f"{rendered}:has-text('AegisOps Core API')", timeout=20_000)
        assert elsewhere == [] and refused == [], (path, elsewhere, refused)
        page.close()


def test_approving_from_the_page_runs_the_action_and_viewers_see_no_buttons(browser, platform, llm):
    llm.mode = "ok"
    viewer = open_cockpit(browser, platform, platform.user_key("viewer@example.com", "viewer"))
    admin = open_cockpit(browser, platform, platform.api_key)  # type: ignore[arg-type]
    kill_target(8002)
    sender = platform.user_key("alertmanager@example.com", "operator")  # whoever posts may not approve it
    platform.webhook(alert("cockpit-approve-1", "addition-api", alert_type="Memory Leak",
                           logs="heap at 98%, OOM imminent"), key=sender)
    card = ".approval[data-incident=cockpit-approve-1]"
    viewer.wait_for_selector(card, timeout=60_000)
    assert viewer.locator(f"{card} button").count() == 0 and "needs the approver role" in viewer.inner_text(card)
    admin.wait_for_selector(f"{card} button.approve", timeout=20_000)
    record = platform.get("/incidents/cockpit-approve-1").json()  # held for approval: the analysis is recorded
    assert "Memory leak in the request cache" in ((record.get("analysis") or {}).get("root_cause") or ""), \
        (record.get("analyzer"), [e["message"] for e in record["timeline"]])  # which analyzer decided, and why
    admin.click("[data-id=cockpit-approve-1]")
    admin.wait_for_selector("#ai-stream:has-text('Memory leak in the request cache')")
    admin.wait_for_selector("#council .vote")
    admin.wait_for_function("() => Number(document.body.dataset.metricsFrames || 0) >= 3", timeout=20_000)
    shot(admin, "approval")
    admin.click(f"{card} button.approve")
    result = platform.wait_terminal("cockpit-approve-1", 60)
    assert result["status"] == "RESOLVED"
    assert any(e["message"].startswith("Approved by key bootstrap admin") for e in result["timeline"])
    assert httpx.get("http://127.0.0.1:8002/health", timeout=5).status_code == 200
    admin.wait_for_selector("[data-id=cockpit-approve-1][data-status=RESOLVED]")
    admin.wait_for_selector("#timeline li:has-text('RESOLVED')")
    viewer.wait_for_selector(f"{card}", state="detached")
    viewer.close()
    admin.close()


def test_a_chaos_run_appears_live_with_metrics_topology_and_workers(browser, platform):
    page = open_cockpit(browser, platform, platform.api_key)  # type: ignore[arg-type]
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "chaos", *platform.chaos_args(),
                           "--count", "15", "--rate", "10", "--types", "Synthetic check", "--timeout", "60"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    wait_sync(lambda: rows_with_status(page, "chaos-", ("RESOLVED", "FAILED")) == 15, timeout=30,
              what="15 chaos incidents terminal on the page without a reload")
    page.wait_for_function("() => Number(document.body.dataset.metricsFrames || 0) >= 2", timeout=20_000)
    page.wait_for_selector("#topology g[data-node]")
    page.wait_for_selector("#workers tr[data-worker=gateway]")
    assert page.inner_text("#who").endswith("admin")
    page.wait_for_selector("#topology line", state="attached")  # edges are drawn (the contract's from/to)
    # the judgment chart counts the run (refreshed every 30 s, or on a reload)
    page.reload()
    page.wait_for_selector(LIVE, timeout=20_000)
    page.wait_for_selector("#judgment-chart rect[data-kind]", timeout=20_000)
    assert "decided" in page.inner_text("#judgment-summary")
    # the post-incident report of one of them, shown and downloadable
    chosen = page.evaluate("() => [...document.querySelectorAll('.incident')].find(r => r.dataset.id.startsWith("
                           "'chaos-')).dataset.id")
    page.click(f".incident[data-id='{chosen}']")
    page.wait_for_selector("#report-button:not([hidden])")
    page.click("#report-button")
    page.wait_for_selector(f"#report:has-text('# Post-incident report: {chosen}')")
    with page.expect_download() as download:
        page.click("#report-download")
    saved = download.value
    assert saved.suggested_filename == f"postmortem-{chosen}.md"
    assert Path(saved.path()).read_text() == platform.get(f"/incidents/{chosen}/postmortem").text
    shot(page, "chaos")
    page.close()


def test_the_page_survives_a_gateway_restart(browser, platform):
    page = open_cockpit(browser, platform, platform.api_key)  # type: ignore[arg-type]
    old = platform.service_pid("gateway")
    os.kill(old, signal.SIGKILL)
    page.wait_for_selector("#connection[data-state=reconnecting]", timeout=10_000)
    page.wait_for_selector(LIVE, timeout=60_000)
    assert platform.service_pid("gateway") != old
    platform.webhook(alert("cockpit-after-restart", "no-such-target"))
    page.wait_for_selector("[data-id=cockpit-after-restart][data-status=FAILED]", timeout=30_000)
    page.close()


@pytest.mark.timeout(420)  # its own budget: chaos --timeout 240 inside a 300 s subprocess, then the browser
def test_a_thousand_incidents_stay_usable(browser, platform):
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "chaos", *platform.chaos_args(),
                           "--count", "1000", "--rate", "200", "--types", "Synthetic check", "--timeout", "240"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    total = int(platform.get("/incidents", params={"limit": 1}, timeout=30).headers["X-Total-Count"])
    assert total >= 1000
    page = open_cockpit(browser, platform, platform.api_key)  # type: ignore[arg-type]
    page.wait_for_function(f"() => document.querySelectorAll('.incident').length === {total}", timeout=30_000)
    assert page.inner_text("#incident-count") == str(total)
    page.fill("#filter", "cockpit-approve")
    assert page.evaluate("[...document.querySelectorAll('.incident')].filter(r => !r.hidden).length") == 1
    page.fill("#filter", "")
    last = page.locator(".incident").nth(total - 1)
    last.click()
    page.wait_for_selector("#timeline li")
    shot(page, "thousand")
    page.close()


def test_after_cockpit_sessions_no_file_but_admin_key_holds_the_key(platform):
    # runs after the module's sessions above (sign in, live frames, a gateway restart and reconnect, sign out)
    key = platform.api_key.encode()  # type: ignore[union-attr]
    holding = [str(p.relative_to(platform.data_dir)) for p in platform.data_dir.rglob("*")
               if p.is_file() and p.name != "admin.key" and key in p.read_bytes()]
    assert holding == []
    logs = platform.data_dir / "logs"
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in logs.glob("*.log")), \
        {p.name: oct(p.stat().st_mode) for p in logs.glob("*.log")}
