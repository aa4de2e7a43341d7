"""Firebase App Check on device registration and crowd reports.

Tokens are signed here with a local RSA key, and that key's JWKS is served from a
loopback HTTP server: firebase-admin's own `app_check.verify_token` fetches it and checks
the signature, the header, the issuer and the audience, as it does against Google.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.app_check import HEADER
from push.models import Device
from push.senders import fake_service_account
from tests.servers import free_port

PROJECT_ID = "myborder-test"
PROJECT_NUMBER = "123456789012"
KID = "test-key-1"


class KeyServer:
    """A signing key, and its JWKS on loopback (Firebase's keys, as far as the SDK knows)."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        body = json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]})
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/jwks"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def token(self, key: Any = None, **claims: Any) -> str:
        """An App Check token as Firebase issues them; `claims` override its fields."""
        now = int(time.time())
        payload = {
            "iss": f"https://firebaseappcheck.googleapis.com/{PROJECT_NUMBER}",
            "aud": [f"projects/{PROJECT_NUMBER}", f"projects/{PROJECT_ID}"],
            "sub": "1:123456789012:android:0123456789abcdef",
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        headers = {"kid": KID, "typ": "JWT"}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers=headers)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    yield server
    server.close()


@pytest.fixture
def checked_app(
    database_url: str, session_factory: sessionmaker[Session], key_server: KeyServer
) -> Iterator[Callable[..., FlaskClient]]:
    """A client of an app with App Check in the given mode and the rate limits on."""
    apps: list[Flask] = []

    def make(mode: str, **overrides: Any) -> FlaskClient:
        app = create_app(
            {
                "database_url": database_url,
                "version_ttl_seconds": 0,
                "rate_limits_enabled": True,
                "redis_url": "",
                "app_check": mode,
                "firebase_project_id": PROJECT_ID,
                "app_check_jwks_url": key_server.url,
                **overrides,
            }
        )
        app.extensions["db"].sessionmaker = session_factory
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["db"].engine.dispose()


def _register(client: FlaskClient, token: str | None, fcm_token: str | None = None) -> Any:
    headers = {HEADER: token} if token is not None else {}
    body = {"token": fcm_token or f"fcm-{uuid.uuid4().hex}", "platform": "android", "locale": "kk"}
    return client.post("/v1/devices", json=body, headers=headers)


def test_required_refuses_a_registration_without_a_token_in_the_callers_language(
    checked_app: Callable[..., FlaskClient],
) -> None:
    client = checked_app("required")
    response = client.post(
        "/v1/devices",
        json={"token": "fcm-1", "platform": "ios", "locale": "ru"},
        headers={"Accept-Language": "ru"},
    )
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("AppCheck")
    assert response.headers["Content-Language"] == "ru"
    assert HEADER in response.get_json()["detail"]
    assert "Firebase App Check" in response.get_json()["detail"]
    assert response.get_json()["detail"] != (
        "This request needs a Firebase App Check token in the X-Firebase-AppCheck header."
    )


def test_required_accepts_a_valid_token(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer
) -> None:
    response = _register(checked_app("required"), key_server.token())
    assert response.status_code == 201
    assert response.get_json()["secret"]


@pytest.mark.parametrize("mode", ["required", "optional"])
@pytest.mark.parametrize(
    "forge",
    ["another key", "another project", "another issuer", "expired", "garbage"],
)
def test_a_token_that_is_not_valid_is_refused(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer, mode: str, forge: str
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = {
        "another key": lambda: key_server.token(stranger),
        "another project": lambda: key_server.token(aud=["projects/someone-else"]),
        "another issuer": lambda: key_server.token(iss="https://issuer.example/"),
        "expired": lambda: key_server.token(exp=int(time.time()) - 60),
        "garbage": lambda: "not-a-token",
    }[forge]()
    response = _register(checked_app(mode), token)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "App Check" in response.get_json()["detail"]


def test_optional_registers_without_a_token(checked_app: Callable[..., FlaskClient]) -> None:
    assert _register(checked_app("optional"), None).status_code == 201


def test_off_ignores_the_header(checked_app: Callable[..., FlaskClient]) -> None:
    assert _register(checked_app("off"), "not-a-token").status_code == 201


def test_with_keys_out_of_reach_a_token_counts_as_absent(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer
) -> None:
    """Firebase's keys cannot be fetched: the phone is not refused, and the strict limit
    (not the generous one) holds its address."""
    closed = f"http://127.0.0.1:{free_port()}/v1/jwks"
    client = checked_app("required", app_check_jwks_url=closed)
    for _ in range(10):
        assert _register(client, key_server.token()).status_code == 201
    assert _register(client, key_server.token()).status_code == 429


@pytest.mark.slow
def test_500_phones_behind_one_address_register_with_app_check(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer, session: Session
) -> None:
    """A carrier's NAT address: 500 registrations in a minute, each with its own App Check
    token, all succeed; a flood without tokens from the same address is held at 10."""
    client = checked_app("optional")
    started = time.monotonic()
    statuses = [_register(client, key_server.token()).status_code for _ in range(500)]
    assert statuses == [201] * 500
    assert time.monotonic() - started < 60
    flood = [_register(client, None).status_code for _ in range(30)]
    assert flood == [201] * 10 + [429] * 20
    throttled = _register(client, None)
    assert throttled.mimetype == "application/problem+json"
    assert int(throttled.headers["Retry-After"]) > 0
    assert throttled.headers["RateLimit-Limit"] == "10"
    assert key_server.fetches >= 1  # the SDK fetched the keys from loopback


def test_the_generous_limit_still_ends(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer
) -> None:
    client = checked_app("optional", app_check_registration_rate_limit="20 per hour")
    statuses = [_register(client, key_server.token()).status_code for _ in range(21)]
    assert statuses == [201] * 20 + [429]


def test_the_same_fcm_token_never_makes_a_second_device(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer, session: Session
) -> None:
    client = checked_app("required")
    first = _register(client, key_server.token(), fcm_token="fcm-same")
    assert first.status_code == 201
    again = _register(client, key_server.token(), fcm_token="fcm-same")
    assert again.status_code == 409
    # with its secret it is the same device again: same id (idempotent)
    body = {"token": "fcm-same", "platform": "android", "locale": "kk"}
    headers = {HEADER: key_server.token(), "Authorization": f"Device {first.get_json()['secret']}"}
    same = client.post("/v1/devices", json=body, headers=headers)
    assert same.status_code == 201
    assert same.get_json()["id"] == first.get_json()["id"]
    count = session.scalar(
        select(func.count()).select_from(Device).where(Device.token == "fcm-same")
    )
    assert count == 1


def test_crowd_reports_need_a_token_where_it_is_required(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer, session: Session
) -> None:
    client = checked_app("required")
    registered = _register(client, key_server.token()).get_json()
    session.execute(
        update(Device)
        .where(Device.id == registered["id"])
        .values(created_at=datetime.now(UTC) - timedelta(hours=1))
    )
    session.commit()
    device = {"Authorization": f"Device {registered['secret']}"}
    path = "/v1/checkpoints/kz-kordai/crowd-reports"
    body = {
        "direction": "exit",
        "lane": "car",
        "waited_minutes": 40,
        "crossed_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "position": {"lat": 43.037, "lon": 74.711},
    }
    refused = client.post(path, json=body, headers=device)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("AppCheck")
    forged = client.post(path, json=body, headers={**device, HEADER: "not-a-token"})
    assert forged.status_code == 403
    reported = client.post(path, json=body, headers={**device, HEADER: key_server.token()})
    assert reported.status_code == 201


def test_the_project_may_come_from_the_fcm_service_account(
    checked_app: Callable[..., FlaskClient], key_server: KeyServer, tmp_path: Path
) -> None:
    """No FIREBASE_PROJECT_ID: the audience is the project of FIREBASE_CREDENTIALS, the
    service account the push worker sends with (given as JSON here, a path works too)."""
    account = fake_service_account("http://127.0.0.1:9", tmp_path / "sa.json", PROJECT_ID)
    client = checked_app(
        "required", firebase_project_id="", firebase_credentials=json.dumps(account)
    )
    assert _register(client, key_server.token()).status_code == 201
    assert _register(client, key_server.token(aud=["projects/other"])).status_code == 403
