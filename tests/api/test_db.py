"""The session per request when the database goes away: 503 with Retry-After, never 500."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.db import make_engine
from tests.conftest import bearer


class LosesItsConnectionOnClose(Session):
    """A session whose server shut down while its answer was on the way out."""

    invalidated = False

    def close(self) -> None:
        raise OperationalError(
            "ROLLBACK", None, Exception("terminating connection due to administrator command")
        )

    def invalidate(self) -> None:
        self.invalidated = True
        super().close()  # the test's own connection stays usable


def test_a_connection_lost_after_the_answer_was_ready_does_not_turn_it_into_500(
    app: Flask, client: FlaskClient, connection: Connection
) -> None:
    made: list[LosesItsConnectionOnClose] = []

    def sessions() -> Session:
        made.append(
            LosesItsConnectionOnClose(bind=connection, join_transaction_mode="create_savepoint")
        )
        return made[-1]

    app.extensions["version_clock"].ttl = 60
    client.get("/v1/locales")  # the version is read now: only the request opens a session
    app.extensions["db"].sessionmaker = sessions
    response = client.get("/v1/checkpoints/kz-kordai?lang=en")
    assert response.status_code == 200
    assert response.get_json()["id"] == "kz-kordai"
    assert [session.invalidated for session in made] == [True]


def test_a_post_while_the_database_is_down_gets_503_with_retry_after(
    client: FlaskClient, agency_key: Callable[..., str], database_down: Callable[[], None]
) -> None:
    key = agency_key("KZ")
    database_down()
    response = client.post(
        "/v1/checkpoints/kz-kordai/status",
        json={"state": "closed"},
        headers={**bearer(key), "Idempotency-Key": "outage-0001"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == 503


@pytest.mark.slow
def test_a_postgresql_server_that_never_answers_fails_the_connection_in_seconds() -> None:
    """A database host that accepts the connection but says nothing (a hung server, a
    proxy in front of a dead one): the request must fail fast, not hang the worker."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever answers
    port = silent.getsockname()[1]
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{port}/gone", connect_timeout=2)
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError):
            engine.connect()
    finally:
        engine.dispose()
        silent.close()
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("threshold", "prepared"), [(None, False), (0, True)])
def test_the_prepare_threshold_decides_whether_psycopg_prepares(
    database_url: str, threshold: int | None, prepared: bool
) -> None:
    """PgBouncer in transaction mode (Debian's 1.18) needs psycopg never to prepare."""
    if not database_url.startswith("postgresql"):
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    engine = make_engine(database_url, prepare_threshold=threshold)
    with engine.connect() as connection:
        for _ in range(10):
            connection.execute(text("SELECT count(*) FROM checkpoint"))
        held = connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    engine.dispose()
    assert bool(held) is prepared
