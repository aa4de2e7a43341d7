"""GET /v1/checkpoints/{id}/forecast, `flask forecast refresh` and the worker's duty."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from api.cli import _refresh_forecasts, seconds_until_next_refresh
from content.checkpoints.models import Direction, Lane, QueueReport
from content.db import utcnow

URL = "/v1/checkpoints/kz-kordai/forecast"
HOURS = 16 * 7 * 24


def _store_history(session: Session, waits: np.ndarray) -> None:
    """Hourly car reports leaving Kordai, the last one in the hour before this one."""
    end = utcnow().replace(minute=0, second=0, microsecond=0)
    first = end - len(waits) * timedelta(hours=1)
    session.execute(
        insert(QueueReport),
        [
            {
                "checkpoint_id": "kz-kordai",
                "direction": Direction.EXIT,
                "lane": Lane.CAR,
                "wait_minutes": int(round(wait)),
                "observed_at": first + timedelta(hours=index, minutes=10),
                "posted_at": first + timedelta(hours=index, minutes=11),
            }
            for index, wait in enumerate(waits)
        ],
    )
    session.commit()


def _refresh(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["forecast", "refresh"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_forecast_that_earns_it_is_shown_with_its_error(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    rng = np.random.default_rng(1)
    _store_history(session, 100 + np.abs(np.cumsum(rng.normal(0, 4, HOURS))))
    before = client.get(f"{URL}?direction=exit&lane=car&hours=6")
    assert before.get_json()["reason_code"] == "not_current"
    output = _refresh(app)
    assert output.startswith("refreshed 1 lane forecast(s), 1 shown, in ")

    response = client.get(f"{URL}?direction=exit&lane=car&hours=6")
    assert response.status_code == 200
    assert response.headers["ETag"]
    body = response.get_json()
    assert body["shown"] is True
    assert body["basis"] == "forecast"
    assert body["reason"] is None
    assert body["method"] == "persistence"
    assert len(body["points"]) == 6
    first = body["points"][0]
    assert first["p80"] >= first["p50"]
    this_hour = utcnow().replace(minute=0, second=0, microsecond=0)
    assert datetime.fromisoformat(first["at"]) == this_hour
    for horizon in ("1h", "6h", "24h"):
        accuracy = body["accuracy"][horizon]
        assert accuracy["mae_minutes"] == accuracy["persistence_mae"]
        assert accuracy["mae_minutes"] < accuracy["seasonal_mae"]
        assert accuracy["evaluated_hours"] >= 14 * 24
    # the refresh changed the data version, and so the cached answer and its ETag
    assert response.headers["ETag"] != before.headers["ETag"]


def test_nothing_beats_the_typical_week_so_it_is_not_shown_in_any_language(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    rng = np.random.default_rng(2)
    _store_history(session, 50 + rng.normal(0, 8, HOURS))
    assert "0 shown" in _refresh(app)
    answers = {}
    for locale in ("en", "ru", "kk", "uz", "ky", "tg", "tk"):
        body = client.get(f"{URL}?direction=exit&lane=car&lang={locale}").get_json()
        assert body["shown"] is False
        assert body["reason_code"] == "no_method_beats_typical"
        assert body["basis"] == "typical"
        assert {p["method"] for p in body["points"]} == {"seasonal"}
        assert len(body["points"]) == 24
        answers[locale] = body["reason"]
    assert answers["en"].startswith("No forecast method beats the typical week")
    assert len(set(answers.values())) == 7  # each language its own text


def test_without_a_stored_forecast_the_typical_week_answers(client: FlaskClient) -> None:
    body = client.get(f"{URL}?direction=entry&lane=truck&hours=3").get_json()
    assert body["shown"] is False
    assert body["reason_code"] == "not_current"
    assert body["basis"] == "typical"
    assert body["accuracy"] is None
    assert [p["p50"] for p in body["points"]] == [None, None, None]  # no history at all


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("direction=exit&lane=bus", 422),  # Kordai has no bus lane
        ("direction=exit&lane=car&hours=0", 422),
        ("direction=exit&lane=car&hours=25", 422),
        ("direction=exit", 422),
    ],
)
def test_what_is_refused(client: FlaskClient, query: str, status: int) -> None:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == status
    assert response.content_type == "application/problem+json"


def test_an_unknown_checkpoint_is_404(client: FlaskClient) -> None:
    response = client.get("/v1/checkpoints/xx-nowhere/forecast?direction=exit&lane=car")
    assert response.status_code == 404


def test_the_worker_refreshes_a_minute_into_each_hour() -> None:
    assert seconds_until_next_refresh(datetime(2026, 12, 2, 14, 30, tzinfo=UTC)) == 31 * 60
    assert seconds_until_next_refresh(datetime(2026, 12, 2, 14, 0, 30, tzinfo=UTC)) == 3630


def test_a_failed_refresh_does_not_stop_the_worker(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()

    def broken_database() -> Session:
        stop.set()  # one round, then stop
        raise ConnectionError("the database went away")

    sessions: sessionmaker[Session] = broken_database  # type: ignore[assignment]
    _refresh_forecasts(sessions, stop)
    assert "refreshing the forecasts failed" in caplog.text
