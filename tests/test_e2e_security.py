"""Security of a real `aegis up`: the admin key is issued once and kept private, nothing works without
credentials, secrets never reach the disk (logs, JetStream files), and --no-auth says so every start."""

from __future__ import annotations

import re
import stat

import httpx
import pytest

pytestmark = pytest.mark.e2e
KEY = re.compile(r"admin API key (agops_[A-Za-z0-9_-]+)")


def files_containing(root, secrets: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.name != "admin.key":
            data = path.read_bytes()
            found += [
                f"{path.relative_to(root)} holds secret #{i}" for i, s in enumerate(secrets) if s.encode() in data
            ]
    return found


def test_admin_key_once_auth_everywhere_and_no_secret_on_disk(start_platform, tmp_path):
    plat = start_platform(tmp_path, demo=False)
    try:
        printed = KEY.findall(plat.output.read_text())
        key_file = plat.data_dir / "admin.key"
        assert len(printed) == 1 and key_file.read_text().strip() == printed[0]
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((plat.data_dir / "jwt.secret").stat().st_mode) == 0o600

        assert httpx.get(f"{plat.url}/incidents").status_code == 401
        assert httpx.get(f"{plat.url}/incidents", headers={"X-API-Key": "agops_guess"}).status_code == 401
        assert httpx.get(f"{plat.url}/health").status_code == 200
        assert httpx.get(f"{plat.url}/health/ready").json()["status"] == "ready"
        assert plat.get("/incidents").status_code == 200

        password = "correct-horse-battery-staple"
        assert (
            plat.post(
                "/auth/register", json={"email": "sre@example.com", "password": password, "role": "operator"}
            ).status_code
            == 201
        )
        token = httpx.post(f"{plat.url}/auth/login", json={"email": "sre@example.com", "password": password}).json()[
            "access_token"
        ]
        user_key = httpx.post(
            f"{plat.url}/auth/api-keys", json={"name": "pager"}, headers={"Authorization": f"Bearer {token}"}
        ).json()["key"]
        alert = {"incident_id": "sec-1", "alert_type": "CPU Spike", "logs": "cpu at 99%", "container_name": "nope"}
        assert httpx.post(f"{plat.url}/webhook", json=alert, headers={"X-API-Key": user_key}).status_code == 200
        plat.wait_terminal("sec-1")
        audited = plat.get("/audit", params={"principal": "sre@example.com"}).json()
        assert any(c["route"] == "/webhook" and c["status"] == 200 for c in audited)
        secrets = [printed[0], user_key, password, token]
    finally:
        plat.shutdown()
    assert files_containing(plat.data_dir, secrets) == []
    assert files_containing(plat.data_dir, ["sre@example.com"]) != []  # the scan does see stored events

    again = start_platform(tmp_path, demo=False)  # same data dir: the key stands, nothing new is printed
    try:
        assert KEY.findall(again.output.read_text()) == []
        assert "the admin key is in" in again.output.read_text()
        assert again.get("/incidents").status_code == 200
        assert httpx.get(f"{again.url}/incidents", headers={"X-API-Key": user_key}).status_code == 200
    finally:
        again.shutdown()


def test_no_auth_warns_on_every_start(start_platform, tmp_path):
    plat = start_platform(tmp_path, demo=False, args=("--no-auth",))
    try:
        assert "WARNING       authentication is OFF (--no-auth)" in plat.output.read_text()
        assert not (plat.data_dir / "admin.key").exists()
        assert httpx.get(f"{plat.url}/incidents").status_code == 200
        assert "authentication is OFF" in plat.log("gateway")
    finally:
        plat.shutdown()
