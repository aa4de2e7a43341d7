"""One test (at least) per OWASP API Security Top 10 (2023) risk that applies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.config import Settings
from content.accounts import service as accounts
from content.accounts.models import Role
from tests.conftest import bearer

Login = Callable[..., dict[str, str]]
MakeKey = Callable[..., str]


def test_api1_object_level_authorization(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    """API1: a KZ key cannot post for a KG checkpoint; a device cannot touch another."""
    kz = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kg-ak-zhol/status", json={"state": "closed"}, headers=bearer(kz)
    )
    assert response.status_code == 403
    mine = client.post("/v1/devices", json={"token": "a", "platform": "ios", "locale": "ru"})
    theirs = client.post("/v1/devices", json={"token": "b", "platform": "ios", "locale": "ru"})
    stolen = {"Authorization": f"Device {mine.get_json()['secret']}"}
    their_id = theirs.get_json()["id"]
    assert client.get(f"/v1/devices/{their_id}", headers=stolen).status_code == 401
    assert client.delete(f"/v1/devices/{their_id}", headers=stolen).status_code == 401


def test_api2_authentication(client: FlaskClient, session: Session, login: Login) -> None:
    """API2: brute force locks out; keys and tokens are stored hashed and revocable."""
    headers = login(Role.EDITOR)
    raw_token = headers["Authorization"].split()[1]
    from content.accounts.models import AuthToken

    stored = [t.token_hash for t in session.query(AuthToken)]
    assert raw_token not in stored
    assert accounts.hash_key(raw_token) in stored
    client.delete("/v1/auth/tokens/current", headers=headers)
    assert client.get("/v1/admin/campaigns", headers=headers).status_code == 401
    client.application.extensions["sign_in_guard"].enabled = True
    for _ in range(5):
        client.post("/v1/auth/tokens", json={"email": "editor-x@myborder.test", "password": "x"})
    locked = client.post(
        "/v1/auth/tokens",
        json={"email": "editor-x@myborder.test", "password": "correct horse battery staple"},
    )
    assert locked.status_code == 429


SECRETS = re.compile(r"(argon2|mbk_|mbt_|\$argon|secret_hash|password_hash|key_hash)")


def test_api3_property_level_authorization(
    client: FlaskClient, login: Login, agency_key: MakeKey
) -> None:
    """API3: no answer carries an FCM token, secret, key or hash; extra fields are refused."""
    device = client.post(
        "/v1/devices", json={"token": "fcm-token-123", "platform": "android", "locale": "kk"}
    ).get_json()
    auth = {"Authorization": f"Device {device['secret']}"}
    admin = login(Role.ADMIN)
    for path, headers in (
        (f"/v1/devices/{device['id']}", auth),
        ("/v1/admin/audit", admin),
        ("/v1/checkpoints", {}),
    ):
        text = client.get(path, headers=headers).get_data(as_text=True)
        assert "fcm-token-123" not in text
        assert device["secret"] not in text
        assert not SECRETS.search(text), path
    mass_assignment = client.patch(
        f"/v1/devices/{device['id']}", json={"secret_hash": "mine"}, headers=auth
    )
    assert mass_assignment.status_code == 422
    read_only = client.post(
        "/v1/checkpoints/kz-kordai/status",
        json={"state": "open", "posted_at": "2020-01-01T00:00:00Z"},
        headers=bearer(agency_key("KZ")),
    )
    assert read_only.status_code == 422


def test_api4_resource_consumption(client: FlaskClient, agency_key: MakeKey) -> None:
    """API4: batches, bodies and ranges are capped (rate limits: test_limits.py)."""
    key = agency_key("KZ")
    report = {
        "checkpoint": "kz-kordai",
        "direction": "exit",
        "lane": "car",
        "wait_minutes": 1,
        "observed_at": "2026-01-01T00:00:00Z",
    }
    too_many = client.post(
        "/v1/queue-reports", json={"reports": [report] * 1001}, headers=bearer(key)
    )
    assert too_many.status_code == 422
    huge = client.post(
        "/v1/checkpoints/kz-kordai/status",
        data=json.dumps({"state": "open", "message": "x" * 2_000_000}),
        content_type="application/json",
        headers=bearer(key),
    )
    assert huge.status_code == 413
    long_history = client.get(
        "/v1/checkpoints/kz-kordai/history?direction=exit&lane=car"
        "&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"
    )
    assert long_history.status_code == 422


@pytest.mark.parametrize("depth", [33, 1_000, 50_000])
def test_api4_deeply_nested_json_is_a_400(
    app: Flask, client: FlaskClient, agency_key: MakeKey, depth: int
) -> None:
    """Review §4b: 2 KB nested 1,000 deep was an unauthenticated 500 (RecursionError)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500, not a raise
    body = '{"items": ' + "[" * depth + "]" * depth + "}"
    customs = client.post(
        "/v1/customs/check",
        data=body,
        content_type="application/json",
        headers={"Accept-Language": "ru"},
    )
    assert customs.status_code == 400, customs.get_data(as_text=True)
    assert customs.mimetype == "application/problem+json"
    assert "32" in customs.get_json()["detail"]
    assert customs.headers["Content-Language"] == "ru"
    queues = client.post(
        "/v1/checkpoints/kz-kordai/queues",
        data='{"reports": [' + '{"a": ' * depth + "1" + "}" * depth + "]}",
        content_type="application/json",
        headers=bearer(agency_key("KZ")),
    )
    assert queues.status_code == 400


def test_api4_brackets_inside_strings_are_not_nesting(client: FlaskClient) -> None:
    from api.app import json_depth

    assert json_depth(b'{"a": "[[[[{{{\\"]]]", "b": [[1]]}') == 3
    assert json_depth(b"[" * 40 + b"]" * 40) == 40
    body = {"country": "KZ", "items": [{"name": "[" * 100, "quantity": 1}]}
    response = client.post("/v1/customs/check", json=body)
    assert response.status_code != 400, response.get_json()


def test_api4_a_chunked_body_over_the_limit_is_a_413(
    client: FlaskClient, agency_key: MakeKey
) -> None:
    """Review §4a: sent chunked, 2 MB was cut at the limit and refused as bad JSON (400)."""
    body = json.dumps({"state": "open", "message": "x" * 2_000_000}).encode()
    response = client.post(
        "/v1/checkpoints/kz-kordai/status",
        input_stream=BytesIO(body),
        headers={
            **bearer(agency_key("KZ")),
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        environ_base={"wsgi.input_terminated": True},  # as gunicorn sets for chunked bodies
    )
    assert response.status_code == 413, response.get_json()


ADMIN_ONLY = {"/v1/admin/audit"}
#: an officer reads these too, scoped to their own country's agencies
OFFICER_SCOPED = {"/v1/admin/agencies/freshness"}
PUBLISHER_ONLY = {
    "/v1/admin/push/broadcasts",
    "/v1/admin/push/stats",
    "/v1/admin/campaigns/<string:slug>/schedule",
}


def _admin_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/admin"):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return routes


def test_api5_function_level_authorization(app: Flask, client: FlaskClient, login: Login) -> None:
    """API5: every admin route, found in the URL map, refuses anonymous callers, border
    officers and (where stricter) editors — a new route cannot slip past this test."""
    routes = _admin_routes(app)
    assert len(routes) >= 15
    officer = login(Role.BORDER_OFFICER, country="KZ")
    editor = login(Role.EDITOR)
    publisher = login(Role.PUBLISHER)
    for method, rule in routes:
        path = re.sub(  # a converter may take arguments: <string(length=3):currency>
            r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
            lambda m: "1" if m.group(1) in ("number",) else "xxx",
            rule,
        )
        call = getattr(client, method.lower())
        assert call(path).status_code == 401, (method, rule)
        if rule in OFFICER_SCOPED:
            answer = call(path, headers=officer)
            assert answer.status_code == 200, (method, rule)
            assert {a["country"] for a in answer.get_json()["items"]} <= {"KZ"}, (method, rule)
            assert call(path, headers=editor).status_code == 403, (method, rule)
            continue
        assert call(path, headers=officer).status_code == 403, (method, rule)
        if rule in PUBLISHER_ONLY or rule in ADMIN_ONLY:
            assert call(path, headers=editor).status_code == 403, (method, rule)
        if rule in ADMIN_ONLY:
            assert call(path, headers=publisher).status_code == 403, (method, rule)


def test_api8_security_misconfiguration(client: FlaskClient) -> None:
    """API8: security headers, no CORS for unknown origins, no debug, SECRET_KEY needed."""
    api = client.get("/v1/checkpoints", headers={"Origin": "https://evil.example"})
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in api.headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in api.headers
    console = client.get("/console/login")
    assert "frame-ancestors 'none'" in console.headers["Content-Security-Policy"]
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Settings(env="production", secret_key="").validate()
    production = Settings(
        env="production",
        secret_key="x" * 40,
        push_backend="log",
        redis_url="redis://127.0.0.1:6379/0",
    )
    production.validate()
    assert production.is_production


def test_api8_cors_only_for_configured_origins(app: Flask, client: FlaskClient) -> None:
    app.config["SETTINGS"].cors_origins = "https://app.myborder.example"
    allowed = client.get("/v1/locales", headers={"Origin": "https://app.myborder.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.myborder.example"
    refused = client.get("/v1/locales", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_api8_no_traceback_reaches_a_client(app: Flask, client: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    response = client.get("/v1/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_api10_unsafe_consumption_of_fcm_answers() -> None:
    """API10: FCM errors of unknown shape are handled as retryable, never crash."""
    from push.senders import error_code, retry_after

    class Odd(Exception):
        http_response = object()

    assert error_code(Odd()) == "UNKNOWN"
    assert retry_after(Odd()) is None

    class BadHeader(Exception):
        class http_response:  # mimics the SDK's attribute
            headers = {"Retry-After": "soon, maybe"}

    assert retry_after(BadHeader()) is None


def test_request_ids_and_metrics(client: FlaskClient) -> None:
    echoed = client.get("/v1/locales", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    fresh = client.get("/v1/locales", headers={"X-Request-ID": "bad id with spaces"})
    assert fresh.headers["X-Request-ID"] != "bad id with spaces"
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "myborder_http_requests_total" in metrics
    assert "myborder_outbox_pending" in metrics
