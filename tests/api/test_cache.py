"""The public read cache: bytes once per version, gzip, 304 without the database,
coherence across worker processes within a second, and delta sync."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from api.routes import checkpoints as checkpoint_routes
from content.accounts import service as accounts
from content.accounts.service import SYSTEM
from content.checkpoints import service as checkpoints
from content.checkpoints.models import State
from tests import factories
from tests.conftest import statements_sent
from tests.servers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def test_a_cached_read_is_the_same_bytes_gzipped_once(client: FlaskClient) -> None:
    plain = client.get("/v1/checkpoints?lang=kk")
    again = client.get("/v1/checkpoints?lang=kk")
    assert plain.data == again.data
    zipped = client.get("/v1/checkpoints?lang=kk", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    for header in ("Accept-Language", "Accept-Encoding"):
        assert header in plain.headers["Vary"]
    control = plain.headers["Cache-Control"]
    assert "public" in control
    assert "stale-while-revalidate" in control
    assert "stale-if-error" in control


def test_304_does_not_touch_the_database(
    app: Flask, client: FlaskClient, connection: Connection
) -> None:
    app.extensions["version_clock"].ttl = 60  # as in production, the version is remembered
    etag = client.get("/v1/checkpoints?lang=ru").headers["ETag"]
    with statements_sent(connection) as statements:
        response = client.get("/v1/checkpoints?lang=ru", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert statements == []
    assert response.headers["ETag"].strip('"') == etag.strip('"')
    assert "max-age" in response.headers["Cache-Control"]
    assert "Accept-Language" in response.headers["Vary"]


def test_a_write_changes_what_is_served(client: FlaskClient, session: Session) -> None:
    before = client.get("/v1/checkpoints/kz-kordai").get_json()
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    session.commit()
    after = client.get("/v1/checkpoints/kz-kordai").get_json()
    assert before["status"] is None
    assert after["status"]["state"] == "closed"


def test_delta_sync_returns_only_what_changed(client: FlaskClient, session: Session) -> None:
    first = client.get("/v1/checkpoints").get_json()
    assert len(first["items"]) > 2
    cursor = first["cursor"]
    assert client.get(f"/v1/checkpoints?changed_since={cursor}").get_json()["items"] == []
    checkpoints.set_status(session, poster=None, checkpoint_id="kg-ak-zhol", state=State.CLOSED)
    session.commit()
    delta = client.get(f"/v1/checkpoints?changed_since={cursor}").get_json()
    assert [item["id"] for item in delta["items"]] == ["kg-ak-zhol"]
    assert delta["cursor"] > cursor
    assert client.get(f"/v1/checkpoints?changed_since={delta['cursor']}").get_json()["items"] == []


@pytest.fixture
def gunicorn(committed_database: tuple[str, Engine], tmp_path: Path) -> Iterator[tuple[str, str]]:
    url, engine = committed_database
    with Session(engine) as session:
        agency = accounts.create_agency(session, actor=SYSTEM, country="KZ", name="KZ")
        _, key = accounts.issue_key(session, actor=SYSTEM, agency=agency)
        session.commit()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "IMAGE_DIR": str(tmp_path)}
    process = subprocess.Popen(  # noqa: S603  # our own server, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base)
        yield base, key
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url) as response:  # noqa: S310  # loopback
        return json.load(response)


@pytest.mark.slow
def test_other_workers_see_a_write_within_a_second(gunicorn: tuple[str, str]) -> None:
    base, key = gunicorn
    for _ in range(12):  # warm every worker's cache with the old answer
        assert _get(f"{base}/v1/checkpoints/kz-kordai")["status"] is None
    request = urllib.request.Request(  # noqa: S310  # loopback
        f"{base}/v1/checkpoints/kz-kordai/status",
        data=json.dumps({"state": "closed"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310  # loopback
        assert response.status == 201
    written = time.monotonic()
    time.sleep(1.0)
    # every worker, reached by fresh connections, now answers with the write
    states = {_get(f"{base}/v1/checkpoints/kz-kordai")["status"]["state"] for _ in range(12)}
    assert states == {"closed"}
    assert time.monotonic() - written < 10


class ManualClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_a_cached_answer_is_rendered_again_when_it_would_read_differently(
    app: Flask,
    client: FlaskClient,
    session: Session,
    connection: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A queue report turning stale changes the answer without a write: the cached bytes
    expire at that moment, on the cache's clock, and the answer rendered then says so."""
    app.extensions["version_clock"].ttl = 60  # as in production: a hit reads nothing
    clock = ManualClock(time.time())
    app.extensions["response_cache"].clock = clock
    monkeypatch.setattr(checkpoint_routes, "utcnow", lambda: datetime.fromtimestamp(clock(), UTC))
    stale_after = timedelta(minutes=app.config["SETTINGS"].queue_stale_after_minutes)
    turns_stale_at = datetime.now(UTC) + timedelta(seconds=30)
    factories.record_queue(session, observed_at=turns_stale_at - stale_after)
    session.commit()
    url = "/v1/checkpoints/kz-kordai"
    first = client.get(url)
    assert first.get_json()["queues"][0]["stale"] is False
    same = {"If-None-Match": first.headers["ETag"]}
    with statements_sent(connection) as statements:
        clock.advance(20)
        assert client.get(url, headers=same).status_code == 304
        assert statements == []  # still the cached answer
        clock.advance(20)  # the report is stale now
        later = client.get(url, headers=same)
    assert later.status_code == 200
    assert later.get_json()["queues"][0]["stale"] is True
    assert later.headers["ETag"] != first.headers["ETag"]
    assert statements  # rendered again from the database


def test_the_data_version_is_read_again_once_its_ttl_has_passed(
    app: Flask, session: Session
) -> None:
    version_clock = app.extensions["version_clock"]
    version_clock.ttl = 60  # as in production, the version is remembered
    version_clock.monotonic = monotonic = ManualClock(1000.0)
    before = version_clock.current()
    # a write by another process: this one's clock is not invalidated
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    session.commit()
    monotonic.advance(59)
    assert version_clock.current() == before
    monotonic.advance(2)
    assert version_clock.current() > before


def test_cached_reads_are_served_while_the_database_is_down(
    app: Flask, client: FlaskClient, database_down: Callable[[], None]
) -> None:
    served = client.get("/v1/checkpoints?lang=kk")
    database_down()
    during = client.get("/v1/checkpoints?lang=kk")
    assert during.status_code == 200
    assert during.data == served.data
    assert app.extensions["version_clock"].database_down
    never_served = client.get("/v1/checkpoints?lang=tk")
    assert never_served.status_code == 503
    assert never_served.headers["Retry-After"] == "5"
    assert never_served.mimetype == "application/problem+json"


def test_the_newest_answer_is_served_when_the_database_goes_before_the_clock_notices(
    app: Flask, client: FlaskClient, session: Session, database_down: Callable[[], None]
) -> None:
    clock = app.extensions["version_clock"]
    clock.ttl = 60  # as in production, the version is remembered
    served = client.get("/v1/checkpoints/kz-kordai")
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    session.commit()
    clock.invalidate()
    client.get("/v1/locales")  # the clock reads the new version: kz-kordai is not cached at it
    database_down()
    during = client.get("/v1/checkpoints/kz-kordai")
    assert during.status_code == 200
    assert during.data == served.data


def test_cached_answers_keep_cors_vary_and_hsts(app: Flask, client: FlaskClient) -> None:
    """Review §7: hits served by FastReads dropped ACAO, Vary: Origin and HSTS."""
    settings = app.config["SETTINGS"]
    settings.cors_origins = "https://app.example"
    settings.env = "production"
    headers = {"Origin": "https://app.example"}
    answers = [client.get("/v1/checkpoints?lang=kk", headers=headers) for _ in range(3)]
    names = (
        "Access-Control-Allow-Origin",
        "Access-Control-Expose-Headers",
        "Vary",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
    )
    first = {name: answers[0].headers.get(name) for name in names}
    assert first["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Origin" in (first["Vary"] or "")
    assert first["Strict-Transport-Security"]
    for later in answers[1:]:
        assert {name: later.headers.get(name) for name in names} == first
    etag = answers[0].headers["ETag"]
    not_modified = client.get("/v1/checkpoints?lang=kk", headers={**headers, "If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert not_modified.headers["Strict-Transport-Security"]
