"""Security at the gateway, against real NATS and a real uvicorn: the auth matrix of every route (generated
from the one route table), the AgentOps contract's register/login/API keys, bad tokens, roles, rate limits and audit."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time

import jwt
import pytest
import websockets
from fastapi.routing import APIWebSocketRoute

from aegis.harness import eventually
from services.gateway.auth import tokens
from services.gateway.auth.bootstrap import jwt_secret
from services.gateway.auth.middleware import RefusalWindow
from services.gateway.auth.view import ROLE_ORDER, rank
from services.gateway.roles import PUBLIC, ROUTE_ROLES, required_role, route_for
from shared.config import load_settings
from shared.errors import ConfigError
from shared.events.security import AUDIT_STREAM, AUTH_STREAM
from tests.support.gateway import SECRET, serve_gateway

pytestmark = pytest.mark.integration
ROLES = ROLE_ORDER  # viewer < operator < approver < admin


def settings(**overrides):  # type: ignore[no-untyped-def]
    base = dict(jwt_secret=SECRET, rate_limit_per_minute=100_000, rate_limit_per_address_per_minute=100_000,
                auth_failures_per_minute=100_000)
    return load_settings(environ={}, **(base | overrides))


@pytest.fixture
async def gw(store, tmp_path):
    async with serve_gateway(store, settings(), tmp_path) as served:
        yield served


async def keys_for_every_role(gw) -> dict[str, str]:  # type: ignore[no-untyped-def]
    async with gw.client(gw.admin_key) as admin:
        out = {}
        for role in ROLES:
            response = await admin.post("/auth/api-keys", json={"name": f"{role} key", "role": role})
            assert response.status_code == 201, response.text
            out[role] = response.json()["key"]
        return out


def concrete(path: str) -> str:
    """A route template with its parameters filled (with names nothing exists under)."""
    return re.sub(r"\{direction\}", "up", re.sub(r"\{[a-z_]+\}", "nope", path))


def http_routes() -> list[tuple[str, str, str]]:
    return [(m, p, role) for (m, p), role in sorted(ROUTE_ROLES.items()) if m != "WS"]


async def test_every_app_route_has_a_role_and_every_role_row_a_route(gw):
    declared = set(ROUTE_ROLES)
    served = {(m.upper(), path) for path, ops in gw.app.openapi()["paths"].items() for m in ops}
    served |= {("GET", p) for p in ("/openapi.json", "/docs", "/docs-assets/{asset}", "/redoc")}  # not in the schema
    served |= {("WS", r.path) for r in gw.app.routes if isinstance(r, APIWebSocketRoute)}
    assert served - declared == set(), "routes without a role (they would need admin)"
    assert declared - served == set(), "role rows for routes that do not exist"
    assert required_role("POST", route_for("POST", "/api/system/supervisor/workers/x/start")) == "admin"
    assert required_role("GET", route_for("GET", "/no/such/path")) == "viewer"
    assert required_role("DELETE", route_for("DELETE", "/incidents/x")) == "admin"  # deny by default


@pytest.mark.parametrize("method, path, needed", http_routes())
async def test_auth_matrix(gw, method, path, needed):
    """401 without credentials, 403 below the route's role, through with it or above (never a 5xx)."""
    keys = await keys_for_every_role(gw)
    url = concrete(path)
    async with gw.client() as anonymous:
        response = await anonymous.request(method, url)
        if needed == PUBLIC:
            assert response.status_code not in (401, 403), response.text
        else:
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"].startswith("Bearer")
    for role in ROLES:
        async with gw.client(keys[role]) as client:
            response = await client.request(method, url)
        if needed != PUBLIC and rank(role) < rank(needed):
            assert response.status_code == 403, f"{role} {method} {path}: {response.text}"
            assert needed in response.json()["detail"]
        else:
            assert response.status_code not in (401, 403), f"{role} {method} {path}: {response.text}"
        assert response.status_code < 500 or response.status_code == 503, response.text


async def test_websocket_needs_a_key_and_takes_it_in_the_query(gw):
    ws_url = gw.url.replace("http", "ws", 1) + "/ws"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(ws_url):
            pass
    assert refused.value.response.status_code == 401
    with pytest.raises(websockets.InvalidStatus) as bad:
        async with websockets.connect(ws_url + "?api_key=agops_not-a-key"):
            pass
    assert bad.value.response.status_code == 401
    async with websockets.connect(f"{ws_url}?api_key={gw.admin_key}") as ws:
        await ws.send("ping")
    async with websockets.connect(ws_url, additional_headers={"X-API-Key": gw.admin_key}) as ws:
        await ws.send("ping")
    # what the cockpit does: the key in the subprotocol header, never in the URL; the gateway selects "aegis"
    async with websockets.connect(ws_url, subprotocols=["aegis", gw.admin_key]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "aegis"
        await ws.send("ping")
    with pytest.raises(websockets.InvalidStatus) as wrong:
        async with websockets.connect(ws_url, subprotocols=["aegis", "agops_not-a-key"]):  # type: ignore[list-item]
            pass
    assert wrong.value.response.status_code == 401


async def test_an_open_websocket_closes_when_its_key_is_revoked_and_sessions_per_principal_are_capped(store, tmp_path):
    async with serve_gateway(store, settings(ws_recheck_seconds=0.2, ws_max_per_principal=2), tmp_path) as served:
        ws_url = served.url.replace("http", "ws", 1) + "/ws"
        async with served.client(served.admin_key) as admin:
            issued = (await admin.post("/auth/api-keys", json={"name": "screen", "role": "viewer"})).json()
            async with websockets.connect(ws_url, subprotocols=["aegis", issued["key"]]) as ws:  # type: ignore[list-item]
                assert "connected" in await ws.recv()
                assert (await admin.delete(f"/auth/api-keys/{issued['id']}")).status_code == 200
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    while True:  # frames may still arrive until the next re-check
                        await asyncio.wait_for(ws.recv(), timeout=5)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
                assert "revoked" in closed.value.rcvd.reason
        async with websockets.connect(ws_url, subprotocols=["aegis", served.admin_key]) as one, \
                websockets.connect(ws_url, subprotocols=["aegis", served.admin_key]) as two:
            for ws in (one, two):
                assert "connected" in await ws.recv()
            async with websockets.connect(ws_url, subprotocols=["aegis", served.admin_key]) as third:
                with pytest.raises(websockets.ConnectionClosed) as capped:
                    await asyncio.wait_for(third.recv(), timeout=5)
                assert capped.value.rcvd.code == 1008 and "too many open WebSocket sessions" in capped.value.rcvd.reason
        async with websockets.connect(ws_url, subprotocols=["aegis", served.admin_key]) as again:  # freed on close
            assert "connected" in await again.recv()


async def test_register_login_and_keys_as_seed_002(gw):
    async with gw.client(gw.admin_key) as admin:
        created = await admin.post("/auth/register", json={"email": "Ops@Example.com", "password": "securepassword123",
                                                           "full_name": "John Doe", "role": "operator"})
        assert created.status_code == 201, created.text
        user = created.json()
        assert user["email"] == "ops@example.com" and user["role"] == "operator" and "password" not in created.text
        again = await admin.post("/auth/register", json={"email": "ops@example.com", "password": "another-password"})
        assert again.status_code == 409 and "already exists" in again.json()["detail"]
    async with gw.client() as anonymous:
        login = await anonymous.post("/auth/login", json={"email": "ops@example.com", "password": "securepassword123"})
        assert login.status_code == 200
        body = login.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 1800
        wrong = await anonymous.post("/auth/login", json={"email": "ops@example.com", "password": "not-the-password"})
        unknown = await anonymous.post("/auth/login", json={"email": "who@example.com", "password": "securepassword1"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"detail": "invalid email or password"}
    async with gw.client(Authorization=f"Bearer {body['access_token']}") as ops:
        assert (await ops.get("/auth/me")).json()["role"] == "operator"
        key = await ops.post("/auth/api-keys", json={"name": "My Production Key"})
        assert key.status_code == 201
        issued = key.json()
        assert issued["key"].startswith("agops_") and issued["name"] == "My Production Key"
        assert issued["is_active"] is True and issued["role"] == "operator" and issued["created_at"]
        above = await ops.post("/auth/api-keys", json={"name": "sneaky", "role": "admin"})
        assert above.status_code == 403
        listing = (await ops.get("/auth/api-keys")).json()
        assert [k["id"] for k in listing] == [issued["id"]] and "key" not in listing[0]
        assert (await ops.get("/auth/users")).status_code == 403
    async with gw.client(issued["key"]) as by_key:
        assert (await by_key.get("/incidents")).status_code == 200
    async with gw.client(Authorization=f"Bearer {issued['key']}") as bearer_key:  # how Alertmanager signs in
        assert (await bearer_key.get("/incidents")).status_code == 200
    async with gw.client(Authorization=f"Bearer {body['access_token']}") as ops:
        revoked = await ops.delete(f"/auth/api-keys/{issued['id']}")
        assert revoked.status_code == 200 and revoked.json()["is_active"] is False
        assert (await ops.delete(f"/auth/api-keys/{issued['id']}")).status_code == 409
        assert (await ops.delete("/auth/api-keys/nope")).status_code == 404
    async with gw.client(issued["key"]) as by_key:
        assert (await by_key.get("/incidents")).status_code == 401


async def test_bad_registration_input_is_refused_and_nothing_is_stored(gw, store):
    async with gw.client(gw.admin_key) as admin:
        before = len(await store.load_subject("auth.users.>", AUTH_STREAM))
        cases = [({"email": "not-an-email", "password": "securepassword123"}, 400, "email"),
                 ({"email": "a@example.com", "password": "short"}, 400, "password"),
                 ({"email": "a@example.com", "password": "securepassword123", "role": "god"}, 422, "role"),
                 ({"email": "a@example.com", "password": "securepassword123", "extra": 1}, 422, "extra"),
                 ({"password": "securepassword123"}, 422, "email")]
        for body, status, word in cases:
            response = await admin.post("/auth/register", json=body)
            assert response.status_code == status and word in response.text, (body, response.text)
        assert len(await store.load_subject("auth.users.>", AUTH_STREAM)) == before
    async with gw.client() as anonymous:  # registration needs an admin unless open_registration is on
        assert (await anonymous.post("/auth/register", json={"email": "x@example.com",
                                                             "password": "securepassword123"})).status_code == 401


async def test_racing_registrations_of_one_email_store_one_user(gw, store):
    async with gw.client(gw.admin_key) as admin:
        results = await asyncio.gather(*(admin.post("/auth/register", json={
            "email": "race@example.com", "password": "securepassword123"}) for _ in range(6)))
    assert sorted(r.status_code for r in results) == [201] + [409] * 5
    assert len(await store.load_subject("auth.users.>", AUTH_STREAM)) == 1


async def test_open_registration_creates_viewers_only(store, tmp_path):
    async with serve_gateway(store, settings(open_registration=True), tmp_path) as served:
        async with served.client() as anonymous:
            ok = await anonymous.post("/auth/register", json={"email": "v@example.com", "password": "securepassword1"})
            assert ok.status_code == 201 and ok.json()["role"] == "viewer"
            up = await anonymous.post("/auth/register", json={"email": "w@example.com", "password": "securepassword1",
                                                              "role": "admin"})
            assert up.status_code == 403


def _forge(header: dict, claims: dict, secret: bytes | None) -> str:
    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    signing = f"{b64(header)}.{b64(claims)}"
    if secret is None:
        return signing + "."
    import hashlib
    import hmac
    sig = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return signing + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


@pytest.mark.filterwarnings("ignore:The HMAC key")
async def test_bad_tokens_are_401_and_never_echoed(gw):
    async with gw.client(gw.admin_key) as admin:
        user = (await admin.post("/auth/register", json={"email": "t@example.com", "password": "securepassword123",
                                                         "role": "admin"})).json()
    now = time.time()
    claims = {"sub": user["id"], "iat": int(now), "exp": int(now) + 600, "iss": "aegisops", "aud": "aegisops-gateway"}
    good = tokens.issue(SECRET, user["id"], 5)
    head, body, sig = good.split(".")
    cases = {
        "expired": tokens.issue(SECRET, user["id"], 1, now=now - 3600),
        "wrong algorithm": jwt.encode(claims, SECRET, algorithm="HS512"),  # right secret, unpinned algorithm
        "none": _forge({"alg": "none", "typ": "JWT"}, claims, None),
        "tampered payload": f"{head}.{_forge({}, claims | {'sub': 'someone-else'}, None).split('.')[1]}.{sig}",
        "tampered signature": f"{head}.{body}.{sig[:-4]}AAAA",
        "other secret": jwt.encode(claims, "x" * 40, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        "wrong audience": jwt.encode(claims | {"aud": "elsewhere"}, SECRET, algorithm="HS256"),
        "unknown user": jwt.encode(claims | {"sub": "u-nobody"}, SECRET, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, token in cases.items():
        async with gw.client(Authorization=f"Bearer {token}") as client:
            response = await client.get("/incidents")
        assert response.status_code == 401, name
        assert token not in response.text, name
    async with gw.client(Authorization=f"Bearer {good}") as client:
        assert (await client.get("/incidents")).status_code == 200
    assert "expired" in jwt_detail(cases["expired"])


def jwt_detail(token: str) -> str:
    try:
        tokens.verify(SECRET, token)
    except Exception as exc:  # noqa: BLE001
        return str(exc)
    return ""


async def test_role_grants_take_effect_on_existing_tokens_and_keys(gw):
    async with gw.client(gw.admin_key) as admin:
        user = (await admin.post("/auth/register", json={"email": "g@example.com", "password": "securepassword123",
                                                         "role": "approver"})).json()
    token = tokens.issue(SECRET, user["id"], 5)
    async with gw.client(Authorization=f"Bearer {token}") as approver:
        key = (await approver.post("/auth/api-keys", json={"name": "ci"})).json()["key"]
        assert (await approver.post("/incidents/nope/approve", json={})).status_code == 404
    async with gw.client(gw.admin_key) as admin:
        granted = await admin.post(f"/auth/users/{user['id']}/role", json={"role": "viewer"})
        assert granted.status_code == 200 and granted.json()["role"] == "viewer"
        assert (await admin.post("/auth/users/nope/role", json={"role": "viewer"})).status_code == 404
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": key}):
        async with gw.client(**headers) as demoted:
            assert (await demoted.post("/incidents/nope/approve", json={})).status_code == 403


async def test_rate_limits_answer_429_with_retry_after(store, tmp_path):
    async with serve_gateway(store, settings(rate_limit_per_minute=60, auth_failures_per_minute=10), tmp_path) as gw:
        async with gw.client(gw.admin_key) as admin:
            statuses = [(await admin.get("/incidents")).status_code for _ in range(12)]
            assert statuses[:6] == [200] * 6 and statuses[-1] == 429  # burst of 6 at 60/min
            limited = await admin.get("/incidents")
            assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 2
        async with gw.client("agops_wrong") as wrong:
            failures = [(await wrong.get("/incidents")).status_code for _ in range(7)]
            assert failures[:5] == [401] * 5 and failures[-1] == 429  # failed sign-ins: burst 5 at 10/min
        async with gw.client() as anonymous:
            login = await anonymous.post("/auth/login", json={"email": "a@example.com", "password": "whatever-pass"})
            assert login.status_code == 429 and "retry-after" in login.headers
        assert gw.gateway.auth.guard.refused[429] >= 3 and gw.gateway.auth.guard.refused[401] == 5


async def test_mutating_calls_are_audited_with_the_principal_and_no_secrets(gw, store):
    async with gw.client(gw.admin_key) as admin:
        await admin.post("/auth/register", json={"email": "aud@example.com", "password": "secret-password-xyz"})
        key = (await admin.post("/auth/api-keys", json={"name": "audited", "role": "operator"})).json()["key"]
    async with gw.client(key) as ops:
        await ops.post("/incidents/nope/approve", json={})  # 403: operators do not approve
        await ops.post("/webhook", json={"incident_id": "aud-1", "alert_type": "x", "logs": "y"})
    async with gw.client() as anonymous:
        await anonymous.post("/webhook", json={})

    def calls() -> list[dict]:
        return list(gw.gateway.auth.audit.calls)

    await eventually(lambda: len([c for c in calls() if c["route"] == "/webhook"]) >= 2, what="audit of webhooks")
    by_route = {(c["route"], c["status"]): c for c in calls()}
    assert by_route[("/webhook", 200)]["principal_name"].startswith("key audited")
    assert by_route[("/webhook", 200)]["role"] == "operator"
    assert by_route[("/webhook", 401)]["principal"] == "anonymous"
    assert by_route[("/incidents/{incident_id}/approve", 403)]["path"] == "/incidents/nope/approve"
    assert by_route[("/auth/register", 201)]["principal_name"] == "key bootstrap admin (" + gw.admin_key[:12] + "…)"
    async with gw.client(gw.admin_key) as admin:
        listed = (await admin.get("/audit", params={"method": "post", "limit": 500})).json()
        assert {c["route"] for c in listed} >= {"/webhook", "/auth/register", "/auth/api-keys"}
    raw = b"".join(m.data for m in await _all_messages(store, AUTH_STREAM) + await _all_messages(store, AUDIT_STREAM))
    for secret in (key, gw.admin_key, "secret-password-xyz"):
        assert secret.encode() not in raw


def test_refused_anonymous_calls_are_audited_once_a_window_per_address_with_their_count():
    window = RefusalWindow(window=60.0, max_addresses=2)
    assert window.admit("10.0.0.1", 0.0) == 1  # the first refusal is recorded at once
    assert [window.admit("10.0.0.1", t) for t in (1.0, 2.0, 3.0)] == [0, 0, 0]  # then counted, not recorded
    assert window.admit("10.0.0.2", 5.0) == 1  # another address has its own window
    assert window.admit("10.0.0.1", 61.0) == 4  # the next record carries the three it stood in for
    assert window.admit("10.0.0.3", 130.0) == 1  # a full table forgets quiet addresses instead of growing
    assert set(window.last) == {"10.0.0.3"}


async def test_a_flood_of_anonymous_calls_costs_one_audit_record(gw):
    async with gw.client() as anonymous:
        for _ in range(40):
            assert (await anonymous.post("/webhook", json={})).status_code == 401
    async with gw.client(gw.admin_key) as admin:  # a call audited after the flood: once it shows, the flood has
        assert (await admin.post("/auth/api-keys", json={"name": "after", "role": "viewer"})).status_code == 201
    await eventually(lambda: any(c["route"] == "/auth/api-keys" for c in gw.gateway.auth.audit.calls),
                     what="the call after the flood audited")
    assert len([c for c in gw.gateway.auth.audit.calls if c["status"] == 401]) == 1


async def _all_messages(store, stream):  # type: ignore[no-untyped-def]
    info = await store.js.stream_info(stream)
    return [await store.js.get_msg(stream, seq) for seq in range(info.state.first_seq, info.state.last_seq + 1)]


async def test_secrets_never_reach_the_logs(gw, caplog):
    caplog.set_level(logging.DEBUG)
    async with gw.client(gw.admin_key) as admin:
        await admin.post("/auth/register", json={"email": "log@example.com", "password": "log-password-123"})
        key = (await admin.post("/auth/api-keys", json={"name": "logged"})).json()["key"]
    async with gw.client() as anonymous:
        token = (await anonymous.post("/auth/login", json={"email": "log@example.com",
                                                           "password": "log-password-123"})).json()["access_token"]
        await anonymous.post("/auth/login", json={"email": "log@example.com", "password": "wrong-password-456"})
    async with gw.client(key) as client:
        await client.get("/incidents")
    text = caplog.text
    for secret in (key, gw.admin_key, "log-password-123", "wrong-password-456", token):
        assert secret not in text


async def test_escalated_approval_needs_admin(gw, store):
    from shared.events import incident as ev
    from tests.support.builders import analysis, decided, received

    await store.append("esc-1", [received(), analysis(), decided(requires_approval=True),
                                 ev.ApprovalRequested(reason="escalated", required_role="admin")], expected_seq=0)
    await eventually(lambda: gw.gateway.view.get("esc-1") is not None, what="incident projected")
    keys = await keys_for_every_role(gw)
    async with gw.client(keys["approver"]) as approver:
        refused = await approver.post("/incidents/esc-1/approve", json={})
        assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    async with gw.client(keys["admin"]) as admin:
        granted = await admin.post("/incidents/esc-1/approve", json={"by": "someone-else"})
        assert granted.status_code == 200
    assert (await store.load("esc-1"))[-1].envelope.payload.by == "key admin key (" + keys["admin"][:12] + "…)"


async def test_health_probes_are_public(gw):
    async with gw.client() as anonymous:
        assert (await anonymous.get("/health")).status_code == 200
        db = await anonymous.get("/health/db")
        assert db.status_code == 200 and db.json()["database"] == "jetstream" and db.json()["streams"] >= 6
        ready = await anonymous.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"] == {"nats": True, "incidents": True, "auth": True}


async def test_rotating_x_forwarded_for_does_not_dodge_the_failed_sign_in_limit(store, tmp_path):
    async with serve_gateway(store, settings(auth_failures_per_minute=10), tmp_path) as gw:
        async with gw.client("agops_wrong") as wrong:
            statuses = [(await wrong.get("/incidents", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
                        for n in range(40)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}  # one address: the socket's


async def test_a_trusted_proxy_may_name_the_client(store, tmp_path):
    trusting = settings(auth_failures_per_minute=10, trusted_proxies=["127.0.0.1"])
    async with serve_gateway(store, trusting, tmp_path) as gw:
        async with gw.client("agops_wrong") as wrong:
            statuses = [(await wrong.get("/incidents", headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
                        for n in range(12)]
        assert set(statuses) == {401}  # each forwarded address has its own budget behind a proxy we trust


async def test_malformed_ids_in_a_path_are_422_not_500(gw):
    async with gw.client(gw.admin_key) as admin:
        for path in ("/incidents/*/approve", "/incidents/a.b/reject", "/notifications/inc-1/bad%20id!/approve"):
            answer = await admin.post(path, json={})
            assert answer.status_code == 422, (path, answer.status_code, answer.text)
        assert (await admin.get("/incidents/%20x")).status_code == 422


def test_a_short_or_empty_secret_file_is_refused_at_start(tmp_path):
    (tmp_path / "jwt.secret").write_text("\n")
    with pytest.raises(ConfigError, match="at least 32"):
        jwt_secret(load_settings(environ={}, data_dir=str(tmp_path)))
    (tmp_path / "jwt.secret").write_text("x" * 40)
    assert jwt_secret(load_settings(environ={}, data_dir=str(tmp_path))) == "x" * 40


async def test_whoever_posted_an_alert_cannot_approve_its_action(gw, store):
    from shared.events import incident as ev
    from tests.support.builders import analysis, decided

    keys = await keys_for_every_role(gw)
    async with gw.client(keys["approver"]) as poster:
        posted = await poster.post("/webhook", json={"incident_id": "sod-1", "alert_type": "Memory Leak",
                                                     "logs": "OOMKilled", "container_name": "addition-api"})
        assert posted.status_code == 200
    await eventually(lambda: gw.gateway.view.get("sod-1") is not None, what="incident projected")
    stored = await store.load("sod-1")
    await store.append("sod-1", [analysis(), decided(requires_approval=True),
                                 ev.ApprovalRequested(reason="policy", required_role="approver")],
                       expected_seq=stored[-1].seq)
    await eventually(lambda: gw.gateway.view.get("sod-1").status == "AWAITING_APPROVAL", what="held")
    async with gw.client(keys["approver"]) as poster:
        refused = await poster.post("/incidents/sod-1/approve", json={})
        assert refused.status_code == 403 and "separation of duties" in refused.json()["detail"]
    async with gw.client(keys["admin"]) as other:
        assert (await other.post("/incidents/sod-1/approve", json={})).status_code == 200
