"""Every queue entry says where it came from: `source`, `method`, `reported_by`; agencies
may post `method` (never `crowd_median`); each checkpoint serves `reporting`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import Agency, ApiKey, Role
from content.accounts.service import hash_key
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane, Method, QueueReport
from content.checkpoints.service import QueueObservation
from content.errors import Invalid
from tests.api.console.test_console import csrf, sign_in
from tests.conftest import bearer

MakeKey = Callable[..., str]


def _report(**overrides: Any) -> dict[str, Any]:
    observed = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "direction": "exit",
        "lane": "car",
        "wait_minutes": 35,
        "observed_at": observed.isoformat(),
        **overrides,
    }


def _agency_name(session: Session, raw_key: str) -> str:
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw_key)))
    assert key is not None
    agency = session.get(Agency, key.agency_id)
    assert agency is not None
    return agency.name


def _queue(item: dict[str, Any], direction: str = "exit", lane: str = "car") -> dict[str, Any]:
    (queue,) = [q for q in item["queues"] if (q["direction"], q["lane"]) == (direction, lane)]
    return queue


def test_an_agencys_sensor_figure_names_its_agency_in_the_list_and_the_detail(
    client: FlaskClient, session: Session, agency_key: MakeKey
) -> None:
    kz, kg = agency_key("KZ"), agency_key("KG")
    posted = client.post(
        "/v1/checkpoints/kz-kordai/queues",
        json={"reports": [_report(method="sensor")]},
        headers=bearer(kz),
    )
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["items"][0]["method"] == "sensor"
    # the partner across the border posts its entry queue without a method
    partner = client.post(
        "/v1/checkpoints/kg-ak-zhol/queues",
        json={"reports": [_report(direction="entry")]},
        headers=bearer(kg),
    )
    assert partner.status_code == 201, partner.get_json()

    listed = {c["id"]: c for c in client.get("/v1/checkpoints?country=KZ").get_json()["items"]}
    expected = {"source": "agency", "method": "sensor", "reported_by": _agency_name(session, kz)}
    assert {k: _queue(listed["kz-kordai"])[k] for k in expected} == expected
    detail = client.get("/v1/checkpoints/kz-kordai").get_json()
    assert {k: _queue(detail)[k] for k in expected} == expected
    paired = _queue(detail["paired_queues"], "entry")
    assert (paired["source"], paired["method"], paired["reported_by"]) == (
        "agency",
        "officer_estimate",
        _agency_name(session, kg),
    )
    stored = session.scalars(select(QueueReport.method).order_by(QueueReport.id)).all()
    assert stored == [Method.SENSOR, Method.OFFICER_ESTIMATE]


def test_a_console_officers_figure_names_no_agency(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    posted = client.post(
        "/console/board/kz-kordai/queues", data={"wait-exit-car": "25", "csrf_token": token}
    )
    assert posted.status_code == 302
    queue = _queue(client.get("/v1/checkpoints/kz-kordai").get_json())
    assert (queue["source"], queue["method"], queue["reported_by"], queue["demo"]) == (
        "agency",
        "officer_estimate",
        None,
        False,
    )


def test_demo_figures_name_no_agency_and_say_demo(client: FlaskClient, session: Session) -> None:
    observed = datetime.now(UTC) - timedelta(minutes=5)
    checkpoints.record_queues(
        session,
        poster=None,
        reports=[QueueObservation("kz-kordai", Direction.EXIT, Lane.CAR, 40, observed)],
        demo=True,
    )
    session.commit()
    detail = client.get("/v1/checkpoints/kz-kordai").get_json()
    queue = _queue(detail)
    assert (queue["source"], queue["method"], queue["reported_by"], queue["demo"]) == (
        "agency",
        "officer_estimate",
        None,
        True,
    )
    assert detail["reporting"]["demo"] is True
    assert detail["reporting"]["last_official_at"] == observed.isoformat()


@pytest.mark.parametrize("method", ["crowd_median", "guess", ""])
def test_an_agency_may_not_post_crowd_median_or_an_unknown_method(
    client: FlaskClient, session: Session, agency_key: MakeKey, method: str
) -> None:
    response = client.post(
        "/v1/checkpoints/kz-kordai/queues",
        json={"reports": [_report(method=method)]},
        headers=bearer(agency_key("KZ")),
    )
    assert response.status_code == 422
    assert "reports.0.method" in response.get_json()["errors"]
    assert session.scalar(select(QueueReport.id)) is None


def test_the_service_refuses_crowd_median_whoever_calls_it(session: Session) -> None:
    observed = datetime.now(UTC)
    report = QueueObservation(
        "kz-kordai", Direction.EXIT, Lane.CAR, 30, observed, method=Method.CROWD_MEDIAN
    )
    with pytest.raises(Invalid) as refused:
        checkpoints.record_queues(session, poster=None, reports=[report])
    assert [p.path for p in refused.value.problems] == ["reports.0.method"]


def test_reporting_is_null_until_an_official_report_and_then_served(
    client: FlaskClient, agency_key: MakeKey
) -> None:
    listed = {c["id"]: c for c in client.get("/v1/checkpoints?country=KZ").get_json()["items"]}
    assert listed["kz-kordai"]["reporting"] is None
    observed = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    body = {"reports": [_report(observed_at=observed.isoformat())]}
    client.post("/v1/checkpoints/kz-kordai/queues", json=body, headers=bearer(agency_key("KZ")))
    listed = {c["id"]: c for c in client.get("/v1/checkpoints?country=KZ").get_json()["items"]}
    reporting = listed["kz-kordai"]["reporting"]
    assert reporting["last_official_at"] == observed.isoformat()
    assert reporting["demo"] is False
    # the report freshens this hour and the next at most: neither has ended yet, or one has
    assert reporting["fresh_hours_share_7d"] in (0.0, round(1 / 168, 4))
