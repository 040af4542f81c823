"""`aegis chaos` against a running platform: 200 alerts over NATS, all terminal; the webhook path too."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def platform(start_platform):
    plat = start_platform("chaos", demo=False)
    yield plat


def chaos(platform, *args):
    proc = subprocess.run([sys.executable, "-m", "aegis.cli", "chaos", *platform.chaos_args(),
                           "--url", platform.url, "--data-dir", str(platform.data_dir), *args],
                          capture_output=True, text=True, timeout=300)
    return proc, json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}


def test_200_alerts_over_nats_all_reach_a_terminal_state(platform):
    proc, report = chaos(platform, "--count", "200", "--rate", "100", "--via", "nats", "--timeout", "120")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report["sent"] == 200 and report["terminal"] == 200 and report["lost"] == 0
    assert report["outcomes"]["resolved"] > 0 and report["outcomes"]["failed"] > 0  # NOOPs resolve; unknowns fail
    assert "terminal" in proc.stderr  # progress was shown


def test_chaos_through_the_webhook(platform):
    proc, report = chaos(platform, "--count", "20", "--rate", "50", "--via", "webhook", "--types", "Synthetic check")
    assert proc.returncode == 0 and report["terminal"] == 20 and report["outcomes"]["resolved"] == 20


def test_bad_chaos_arguments(platform):
    proc, _ = chaos(platform, "--count", "0")
    assert proc.returncode == 2 and "--count must be" in proc.stderr
