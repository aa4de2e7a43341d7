"""Rate limits: strict on device registration and sign-ins, generous on reads; a
throttled request gets 429 with Retry-After and RateLimit headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from api.app import create_app
from tests.servers import redis_url


def _redis_url() -> str | None:
    """The tests' Redis (tests/servers.py), emptied first."""
    url = redis_url()
    if url is not None:
        Redis.from_url(url, socket_timeout=1).flushdb()
    return url


@pytest.fixture(params=["memory", "redis"])
def limited(
    request: pytest.FixtureRequest, database_url: str, session_factory: sessionmaker[Session]
) -> Iterator[FlaskClient]:
    redis_url = ""
    if request.param == "redis":
        found = _redis_url()
        if found is None:
            pytest.skip("no Redis answers: the limits were checked in memory")
        redis_url = found
    app: Flask = create_app(
        {
            "database_url": database_url,
            "rate_limits_enabled": True,
            "version_ttl_seconds": 0,
            "redis_url": redis_url,
        }
    )
    app.extensions["db"].sessionmaker = session_factory
    yield app.test_client()
    app.extensions["db"].engine.dispose()


def assert_throttled(response: TestResponse) -> None:
    assert response.status_code == 429
    headers = response.headers
    assert int(headers["Retry-After"]) > 0
    assert "RateLimit-Limit" in headers
    assert response.mimetype == "application/problem+json"


def test_device_registration_is_strict_per_ip(limited: FlaskClient) -> None:
    for n in range(10):
        response = limited.post(
            "/v1/devices", json={"token": f"t-{n}", "platform": "ios", "locale": "kk"}
        )
        assert response.status_code == 201
    assert_throttled(
        limited.post("/v1/devices", json={"token": "t-x", "platform": "ios", "locale": "kk"})
    )


def test_sign_ins_are_limited_per_account_and_ip(limited: FlaskClient) -> None:
    body = {"email": "someone@myborder.test", "password": "wrong"}
    for _ in range(5):
        assert limited.post("/v1/auth/tokens", json=body).status_code == 401
    assert_throttled(limited.post("/v1/auth/tokens", json=body))
    # the lockout is per client IP: it cannot lock the real user out from elsewhere
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    again = limited.post("/v1/auth/tokens", json=body, environ_overrides=elsewhere)
    assert again.status_code == 401
    other = {"email": "someone.else@myborder.test", "password": "wrong"}
    assert limited.post("/v1/auth/tokens", json=other).status_code == 401


@pytest.mark.slow
def test_sign_in_spraying_is_limited_per_ip(limited: FlaskClient) -> None:
    """Review 4i: one password sprayed over many emails costs an argon2 check each."""
    for n in range(20):
        body = {"email": f"spray-{n}@myborder.test", "password": "Summer2026!"}
        assert limited.post("/v1/auth/tokens", json=body).status_code == 401
    body = {"email": "spray-new@myborder.test", "password": "Summer2026!"}
    assert_throttled(limited.post("/v1/auth/tokens", json=body))
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    again = limited.post("/v1/auth/tokens", json=body, environ_overrides=elsewhere)
    assert again.status_code == 401


def test_public_reads_are_generous_but_limited(limited: FlaskClient) -> None:
    for _ in range(600):
        assert limited.get("/v1/locales?lang=kk").status_code == 200
    throttled = limited.get("/v1/locales?lang=kk")
    assert_throttled(throttled)
    assert throttled.headers["Content-Language"] == "kk"
    assert throttled.get_json()["status"] == 429


@pytest.fixture(params=[True, False], ids=["cache-on", "cache-off"])
def five_reads(
    request: pytest.FixtureRequest, database_url: str, session_factory: sessionmaker[Session]
) -> Iterator[FlaskClient]:
    app: Flask = create_app(
        {
            "database_url": database_url,
            "rate_limits_enabled": True,
            "read_rate_limit": "5 per minute",
            "public_cache_enabled": request.param,
            "version_ttl_seconds": 0,
            "redis_url": "",
        }
    )
    app.extensions["db"].sessionmaker = session_factory
    yield app.test_client()
    app.extensions["db"].engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", "/v1/locales", {}),
        ("head", "/v1/locales", {}),
        ("get", "/v1/locales", {"Authorization": "Bearer junk"}),
        ("get", "/v1/locales", {"Authorization": "Device junk"}),
        ("get", "/v1/admin/audit", {"Authorization": "Bearer junk"}),
    ],
    ids=["get", "head", "junk-bearer", "junk-device", "admin-path"],
)
def test_no_header_or_method_steps_around_the_read_limit(
    five_reads: FlaskClient, method: str, path: str, headers: dict[str, str]
) -> None:
    """Review 4k: a junk Authorization header or HEAD skipped the read limit."""
    for _ in range(5):
        assert getattr(five_reads, method)(path, headers=headers).status_code != 429
    assert_throttled(getattr(five_reads, method)(path, headers=headers))
    # the five came out of the one allowance an address has for reads of any kind
    assert_throttled(five_reads.get("/v1/locales"))


def test_customs_checks_are_limited_per_ip(limited: FlaskClient) -> None:
    """Review 4i: the checker was an unthrottled CPU sink."""
    body = {
        "country": "KZ",
        "direction": "entry",
        "mode": "road",
        "traveller": {},
        "items": [{"category": "cash", "value": 100, "currency": "USD"}],
    }
    for _ in range(120):
        assert limited.post("/v1/customs/check", json=body).status_code == 200
    assert_throttled(limited.post("/v1/customs/check", json=body))
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    assert (
        limited.post("/v1/customs/check", json=body, environ_overrides=elsewhere).status_code == 200
    )


def _behind_nginx(
    database_url: str, session_factory: sessionmaker[Session], **overrides: object
) -> Flask:
    app: Flask = create_app(
        {
            "database_url": database_url,
            "rate_limits_enabled": True,
            "version_ttl_seconds": 0,
            "redis_url": "",
            "trusted_proxies": 1,
            "read_rate_limit": "",  # READ_RATE_LIMIT unset: the default for a proxy
            **overrides,
        }
    )
    app.extensions["db"].sessionmaker = session_factory
    return app


def test_behind_nginx_the_app_leaves_reads_to_the_front(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    """Issue 18: one carrier address, many phones. nginx's limit_req limits reads per
    address (deploy/nginx.conf); the app does not, but still holds registrations."""
    app = _behind_nginx(database_url, session_factory)
    client = app.test_client()
    carrier = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(601):
        assert client.get("/v1/locales?lang=kk", headers=carrier).status_code == 200
    body = {"platform": "ios", "locale": "kk"}
    for n in range(10):
        response = client.post("/v1/devices", json={**body, "token": f"n-{n}"}, headers=carrier)
        assert response.status_code == 201
    assert_throttled(client.post("/v1/devices", json={**body, "token": "n-x"}, headers=carrier))
    app.extensions["db"].engine.dispose()


def test_behind_nginx_the_apps_read_limit_can_be_switched_on(
    database_url: str, session_factory: sessionmaker[Session]
) -> None:
    app = _behind_nginx(database_url, session_factory, read_rate_limit="5 per minute")
    client = app.test_client()
    carrier = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(5):
        assert client.get("/v1/locales", headers=carrier).status_code == 200
    assert_throttled(client.get("/v1/locales", headers=carrier))
    # keyed on the address nginx saw, not on nginx's own
    assert client.get("/v1/locales", headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 200
    app.extensions["db"].engine.dispose()
