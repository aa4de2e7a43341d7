"""The session per request when the database goes away: 503 with Retry-After, never 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

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
