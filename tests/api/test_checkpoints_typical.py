"""The typical week through the public API: its shape, its errors in the reader's
language, and its caching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.seed import loader
from tests import factories

URL = "/v1/checkpoints/kz-kordai/typical"
ZONES = {entry["id"]: entry["timezone"] for entry in loader.read_checkpoints()}


def test_typical_week_shape(client: FlaskClient, session: Session) -> None:
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # the same hour of the week on each of the last 8 weeks, 42 minutes every time (a
    # holiday in the window drops a sample, never the median)
    for week in range(1, 9):
        factories.queue_hourly(session, hour=this_hour - timedelta(weeks=week), median_wait=42)
    session.commit()

    response = client.get(f"{URL}?direction=exit&lane=car")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "checkpoint",
        "direction",
        "lane",
        "timezone",
        "weeks",
        "cells",
        "best",
        "as_of",
    }
    assert (body["checkpoint"], body["direction"], body["lane"]) == ("kz-kordai", "exit", "car")
    assert body["timezone"] == "Asia/Almaty"
    assert body["weeks"] == 8
    assert datetime.fromisoformat(body["as_of"]) == this_hour
    cells = body["cells"]
    assert len(cells) == 168
    assert [(c["weekday"], c["hour"]) for c in cells[:25:24]] == [(0, 0), (1, 0)]
    assert set(cells[0]) == {"weekday", "hour", "p50", "p80", "samples"}
    shown = [c for c in cells if c["p50"] is not None]
    assert len(shown) == 1
    (cell,) = shown
    assert cell["p50"] == cell["p80"] == 42
    assert 3 <= cell["samples"] <= 8
    local = this_hour.astimezone(ZoneInfo("Asia/Almaty"))
    assert (cell["weekday"], cell["hour"]) == (local.weekday(), local.hour)
    assert body["best"] == [{"weekday": cell["weekday"], "hour": cell["hour"], "p50": 42}]
    # cached and validated like every public read
    assert "public" in response.headers["Cache-Control"]
    again = client.get(
        f"{URL}?direction=exit&lane=car", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_a_week_without_reports_has_empty_cells(client: FlaskClient) -> None:
    body = client.get(f"{URL}?direction=entry&lane=truck").get_json()
    assert all(c["p50"] is None and c["p80"] is None and c["samples"] == 0 for c in body["cells"])
    assert body["best"] == []


def test_unknown_checkpoint_is_404_in_the_readers_language(client: FlaskClient) -> None:
    response = client.get(
        "/v1/checkpoints/kz-nowhere/typical?direction=exit&lane=car",
        headers={"Accept-Language": "ky"},
    )
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert (
        response.get_json()["detail"]
        == "Идентификатору kz-nowhere болгон өткөрүү пункту табылган жок."
    )


def test_a_lane_the_checkpoint_lacks_is_422_in_the_readers_language(
    client: FlaskClient,
) -> None:
    response = client.get(f"{URL}?direction=exit&lane=bus", headers={"Accept-Language": "ru"})
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert response.get_json()["errors"] == {
        "lane": ["На пункте пропуска kz-kordai нет полосы bus."]
    }


def test_query_arguments_are_checked(client: FlaskClient) -> None:
    assert client.get(f"{URL}?lane=car").status_code == 422  # direction is required
    refused = client.get(f"{URL}?direction=exit&lane=boat")
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"lane"}
    assert client.get(f"{URL}?direction=exit&lane=car&lang=fr").status_code == 422


def test_unknown_query_parameters_are_ignored_as_on_every_public_read(
    client: FlaskClient,
) -> None:
    # QueryArgs excludes unknown parameters (api/schemas/common.py): a cache-buster or a
    # tracking parameter must not break an app's read
    plain = client.get(f"{URL}?direction=exit&lane=car").get_json()
    extra = client.get(f"{URL}?direction=exit&lane=car&utm_source=x").get_json()
    assert extra["cells"] == plain["cells"]


def test_every_checkpoint_serves_its_time_zone(client: FlaskClient) -> None:
    items = client.get("/v1/checkpoints").get_json()["items"]
    assert {item["id"]: item["hours"]["timezone"] for item in items} == ZONES
    for checkpoint_id in ("kz-kordai", "tm-farap"):
        detail = client.get(f"/v1/checkpoints/{checkpoint_id}").get_json()
        assert detail["hours"]["timezone"] == ZONES[checkpoint_id]
