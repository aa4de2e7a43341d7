"""Travellers' crowd reports through HTTP: the device secret, each refusal named in the
reader's language, the abuse the issue names, and the `crowd` and `disputed` fields the
list and the detail serve beside the official figure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from content.checkpoints import crowd
from content.checkpoints.models import CrowdReport
from push.models import Device
from tests import factories
from tests.conftest import statements_sent
from tests.factories import TESTER

KORDAI = {"lat": 43.037, "lon": 74.711}
URL = "/v1/checkpoints/kz-kordai/crowd-reports"


def _register(client: FlaskClient, session: Session, *, age: timedelta) -> dict[str, Any]:
    """A device registered through the API `age` ago: its id and Authorization header."""
    registered = client.post(
        "/v1/devices",
        json={"token": f"crowd-{datetime.now(UTC).timestamp()}", "platform": "ios", "locale": "ru"},
    ).get_json()
    session.execute(
        update(Device)
        .where(Device.id == registered["id"])
        .values(created_at=datetime.now(UTC) - age)
    )
    session.commit()
    return {
        "id": registered["id"],
        "headers": {"Authorization": f"Device {registered['secret']}"},
    }


@pytest.fixture
def reporter(client: FlaskClient, session: Session) -> Any:
    def make(age: timedelta = timedelta(hours=1)) -> dict[str, Any]:
        return _register(client, session, age=age)

    return make


def _body(**overrides: Any) -> dict[str, Any]:
    crossed = datetime.now(UTC) - timedelta(minutes=10)
    return {
        "direction": "exit",
        "lane": "car",
        "waited_minutes": 40,
        "crossed_at": crossed.isoformat(),
        "position": KORDAI,
        **overrides,
    }


def _kordai_exit_car(client: FlaskClient, path: str = "/v1/checkpoints") -> dict[str, Any]:
    body = client.get(path).get_json()
    item = body if "items" not in body else next(i for i in body["items"] if i["id"] == "kz-kordai")
    return next(q for q in item["queues"] if (q["direction"], q["lane"]) == ("exit", "car"))


def test_a_report_is_stored_with_its_distance_bucket(client: FlaskClient, reporter: Any) -> None:
    device = reporter()
    response = client.post(URL, json=_body(), headers=device["headers"])
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["distance"] == "0-1 km"
    assert answer["checkpoint"] == "kz-kordai"
    assert "position" not in answer


def test_a_report_needs_a_device_secret(client: FlaskClient) -> None:
    assert client.post(URL, json=_body()).status_code == 401
    wrong = client.post(URL, json=_body(), headers={"Authorization": "Device not-a-secret"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Device")


def test_unknown_fields_and_checkpoints_are_refused(client: FlaskClient, reporter: Any) -> None:
    device = reporter()
    extra = client.post(URL, json=_body(source="crowd"), headers=device["headers"])
    assert extra.status_code == 422
    assert "source" in extra.get_json()["errors"]
    nested = client.post(
        URL, json=_body(position={**KORDAI, "accuracy": 5}), headers=device["headers"]
    )
    assert nested.status_code == 422
    unknown = client.post(
        "/v1/checkpoints/xx-nowhere/crowd-reports", json=_body(), headers=device["headers"]
    )
    assert unknown.status_code == 404


def test_outside_the_geofence_is_refused_in_the_readers_language(
    client: FlaskClient, reporter: Any
) -> None:
    device = reporter()
    far = {"lat": 43.2, "lon": 74.711}  # 18 km north: beyond 5 km plus Kordai's 3 km
    english = client.post(f"{URL}?lang=en", json=_body(position=far), headers=device["headers"])
    assert english.status_code == 422
    assert english.get_json()["errors"]["position"] == [
        "You are too far from the checkpoint to report its queue."
    ]
    russian = client.post(f"{URL}?lang=ru", json=_body(position=far), headers=device["headers"])
    assert russian.get_json()["errors"]["position"] != english.get_json()["errors"]["position"]


def test_a_replay_within_30_minutes_is_refused(client: FlaskClient, reporter: Any) -> None:
    device = reporter()
    assert client.post(URL, json=_body(), headers=device["headers"]).status_code == 201
    again = client.post(URL, json=_body(lane="truck"), headers=device["headers"])
    assert again.status_code == 422
    assert "30" in again.get_json()["errors"]["direction"][0]


def test_a_device_minutes_old_is_refused(client: FlaskClient, reporter: Any) -> None:
    device = reporter(age=timedelta(minutes=3))
    response = client.post(f"{URL}?lang=en", json=_body(), headers=device["headers"])
    assert response.status_code == 422
    assert "less than 10 minutes" in response.get_json()["errors"]["_request"][0]


def test_a_crossing_more_than_2_hours_old_is_refused(client: FlaskClient, reporter: Any) -> None:
    device = reporter()
    old = (datetime.now(UTC) - timedelta(hours=2, minutes=5)).isoformat()
    response = client.post(URL, json=_body(crossed_at=old), headers=device["headers"])
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"crossed_at"}


def test_a_blocked_device_is_refused_with_403(
    client: FlaskClient, session: Session, reporter: Any
) -> None:
    device = reporter()
    assert client.post(URL, json=_body(), headers=device["headers"]).status_code == 201
    crowd.set_blocked(session, actor=TESTER, device_id=device["id"], blocked=True)
    session.commit()
    response = client.post(
        f"{URL}?lang=en", json=_body(direction="entry"), headers=device["headers"]
    )
    assert response.status_code == 403
    assert response.get_json()["detail"] == "This device may no longer send crowd reports."


def test_the_list_and_detail_show_the_crowd_beside_the_official_figure(
    client: FlaskClient, session: Session, reporter: Any
) -> None:
    factories.record_queue(session, wait_minutes=20, observed_at=datetime.now(UTC))
    session.commit()
    assert _kordai_exit_car(client)["crowd"] is None
    assert _kordai_exit_car(client)["disputed"] is None
    for minutes in (80, 90):
        client.post(URL, json=_body(waited_minutes=minutes), headers=reporter()["headers"])
    assert _kordai_exit_car(client)["crowd"] is None  # two devices are not a crowd
    client.post(URL, json=_body(waited_minutes=100), headers=reporter()["headers"])
    for path in ("/v1/checkpoints", "/v1/checkpoints/kz-kordai"):
        queue = _kordai_exit_car(client, path)
        assert queue["wait_minutes"] == 20  # the official figure stays
        assert queue["crowd"]["median_minutes"] == 90
        assert queue["crowd"]["reports"] == 3
        assert queue["disputed"] is True
    paired = client.get("/v1/checkpoints/kg-ak-zhol").get_json()["paired_queues"]
    assert paired["id"] == "kz-kordai"
    assert next(q for q in paired["queues"] if q["lane"] == "car" and q["direction"] == "exit")[
        "disputed"
    ]


def test_hidden_reports_leave_the_served_figure(
    client: FlaskClient, session: Session, reporter: Any
) -> None:
    factories.record_queue(session, wait_minutes=40, observed_at=datetime.now(UTC))
    session.commit()
    ids = [
        client.post(URL, json=_body(), headers=reporter()["headers"]).get_json()["id"]
        for _ in range(3)
    ]
    assert _kordai_exit_car(client)["crowd"]["reports"] == 3
    assert _kordai_exit_car(client)["disputed"] is False
    crowd.set_hidden(session, actor=TESTER, report_id=ids[0], hidden=True)
    session.commit()
    assert _kordai_exit_car(client)["crowd"] is None


def test_the_lists_statements_do_not_grow_with_crowd_reports(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    """The hottest read: one grouped query for every checkpoint's crowd, not one each."""
    now = datetime.now(UTC)
    reporters = [factories.reporting_device(session) for _ in range(3)]
    places = {"kz-kordai": KORDAI, "kg-ak-zhol": {"lat": 43.03, "lon": 74.705}}
    counted = []
    with statements_sent(session.get_bind()) as statements:
        for checkpoint_id in (None, "kz-kordai", "kg-ak-zhol"):
            if checkpoint_id is not None:
                factories.record_queue(session, checkpoint_id=checkpoint_id, observed_at=now)
                for device in reporters:
                    factories.crowd_report(
                        session,
                        device,
                        checkpoint_id=checkpoint_id,
                        latitude=places[checkpoint_id]["lat"],
                        longitude=places[checkpoint_id]["lon"],
                    )
                session.commit()
            statements.clear()
            body = client.get("/v1/checkpoints").get_json()
            counted.append(len(statements))
    crowded = [i["id"] for i in body["items"] if any(q["crowd"] for q in i["queues"])]
    assert crowded == ["kg-ak-zhol", "kz-kordai"]
    assert len(set(counted)) == 1, counted


# -- abuse from one address: the per-IP limit, then the robust median ---------------------


@pytest.fixture
def limited(database_url: str, session_factory: sessionmaker[Session]) -> Iterator[FlaskClient]:
    """The app with its rate limits on (in memory)."""
    app = create_app(
        {"database_url": database_url, "rate_limits_enabled": True, "version_ttl_seconds": 0}
    )
    app.extensions["db"].sessionmaker = session_factory
    yield app.test_client()
    app.extensions["db"].engine.dispose()


def test_fifty_devices_from_one_address_do_not_move_the_median(
    limited: FlaskClient, session: Session
) -> None:
    """50 distinct devices, each older than 10 minutes, send 4000 minutes from one address.
    The per-address limit (10 an hour) lets 10 through and refuses 40 with 429; the 12
    honest travellers on addresses of their own outnumber those 10, and the median
    absolute deviation drops them: the crowd figure stays the honest median."""
    now = datetime.now(UTC)
    attackers = [factories.reporter(session) for _ in range(50)]
    honest = [factories.reporter(session) for _ in range(12)]
    factories.record_queue(session, wait_minutes=45, observed_at=now)
    session.commit()

    statuses = []
    for _device, secret in attackers:
        response = limited.post(
            URL,
            json=_body(waited_minutes=4000),
            headers={"Authorization": f"Device {secret}"},
            environ_base={"REMOTE_ADDR": "203.0.113.50"},
        )
        statuses.append(response.status_code)
    assert statuses.count(201) == 10
    assert statuses.count(429) == 40
    for n, ((_device, secret), minutes) in enumerate(zip(honest, range(35, 59, 2), strict=True)):
        response = limited.post(
            URL,
            json=_body(waited_minutes=minutes),
            headers={"Authorization": f"Device {secret}"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"},
        )
        assert response.status_code == 201, response.get_json()
    stored = session.scalar(select(func.count()).select_from(CrowdReport))
    assert stored == 22
    queue = _kordai_exit_car(limited)
    assert queue["crowd"]["reports"] == 12  # the 10 absurd ones are outliers
    assert queue["crowd"]["median_minutes"] == 46  # the median of 35, 37, ..., 57
    assert queue["disputed"] is False
