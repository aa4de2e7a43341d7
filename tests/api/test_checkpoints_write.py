"""Border services' posts: auth and scope, validation, atomicity, idempotent retries."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.service import SYSTEM
from content.checkpoints.models import QueueReport, StatusReport
from tests import factories
from tests.conftest import bearer

MakeKey = Callable[..., str]


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_post_status_then_read_it(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kz-kordai/status",
        json={"state": "closed", "reason": "weather", "message": "Snow on the pass"},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["state"] == "closed"
    status = client.get("/v1/checkpoints/kz-kordai?lang=ru").get_json()["status"]
    assert status["state"] == "closed"
    assert status["reason"] == "weather"
    assert status["message"] == "Snow on the pass"
    assert status["demo"] is False


def test_same_state_again_keeps_since(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    client.post("/v1/checkpoints/kz-kordai/status", json={"state": "closed"}, headers=bearer(key))
    first = client.get("/v1/checkpoints/kz-kordai").get_json()["status"]
    client.post(
        "/v1/checkpoints/kz-kordai/status",
        json={"state": "closed", "reason": "holiday"},
        headers=bearer(key),
    )
    second = client.get("/v1/checkpoints/kz-kordai").get_json()["status"]
    assert second["since"] == first["since"]
    assert second["updated_at"] >= first["updated_at"]
    assert second["reason"] == "holiday"
    client.post("/v1/checkpoints/kz-kordai/status", json={"state": "open"}, headers=bearer(key))
    third = client.get("/v1/checkpoints/kz-kordai").get_json()["status"]
    assert third["since"] > first["since"]


def test_post_queues_then_read_them(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kz-kordai/queues",
        json={"reports": [factories.queue_report_json(vehicles_waiting=40, lanes_open=3)]},
        headers=bearer(key),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["items"][0]["current"] is True
    queue = client.get("/v1/checkpoints/kz-kordai?lang=tk").get_json()["queues"][0]
    assert (queue["wait_minutes"], queue["vehicles_waiting"], queue["lanes_open"]) == (35, 40, 3)
    assert queue["stale"] is False


def test_batch_post_for_many_checkpoints(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    key = agency_key("KZ")
    reports = [
        factories.queue_report_json(checkpoint="kz-kordai"),
        factories.queue_report_json(checkpoint="kz-zhibek-zholy", lane="bus"),
    ]
    response = client.post("/v1/queue-reports", json={"reports": reports}, headers=bearer(key))
    assert response.status_code == 201, response.get_json()
    assert [i["checkpoint"] for i in response.get_json()["items"]] == [
        "kz-kordai",
        "kz-zhibek-zholy",
    ]


def test_batch_is_all_or_nothing(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    key = agency_key("KZ")
    before = _count(session, QueueReport)
    reports = [
        factories.queue_report_json(checkpoint="kz-kordai"),
        factories.queue_report_json(checkpoint="kz-zhibek-zholy", wait_minutes=99999),
    ]
    response = client.post("/v1/queue-reports", json={"reports": reports}, headers=bearer(key))
    assert response.status_code == 422
    assert "reports.1.wait_minutes" in response.get_json()["errors"]
    # a rule checked by the service, not the schema, refuses the batch all the same
    reports = [
        factories.queue_report_json(checkpoint="kz-kordai"),
        factories.queue_report_json(checkpoint="kz-merke"),
    ]
    response = client.post("/v1/queue-reports", json={"reports": reports}, headers=bearer(key))
    assert response.status_code == 422
    assert "reports.1.lane" in response.get_json()["errors"]
    assert _count(session, QueueReport) == before
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["queues"] == []


def test_no_key_bad_key_and_revoked_key_are_401(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    url = "/v1/checkpoints/kz-kordai/status"
    for headers in ({}, bearer("mbk_nope_nope"), {"Authorization": "Basic abc"}):
        response = client.post(url, json={"state": "open"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    key = agency_key("KZ")
    assert client.post(url, json={"state": "open"}, headers=bearer(key)).status_code == 201
    poster = accounts.poster_for_key(session, key)
    assert poster is not None
    accounts.revoke_keys(
        session, actor=SYSTEM, agency=accounts.get_agency_or_raise(session, poster.agency_id)
    )
    session.commit()
    assert client.post(url, json={"state": "open"}, headers=bearer(key)).status_code == 401


def test_another_countrys_checkpoint_is_403(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kg-ak-zhol/status", json={"state": "closed"}, headers=bearer(key)
    )
    assert response.status_code == 403
    response = client.post(
        "/v1/queue-reports",
        json={
            "reports": [
                factories.queue_report_json(checkpoint="kz-kordai"),
                factories.queue_report_json(checkpoint="kg-ak-zhol"),
            ]
        },
        headers=bearer(key),
    )
    assert response.status_code == 403


def test_a_narrowed_key_posts_only_for_its_checkpoints(
    client: FlaskClient, agency_key: MakeKey
) -> None:
    key = agency_key("KZ", checkpoint_ids=["kz-kordai"])
    ok = client.post(
        "/v1/checkpoints/kz-kordai/status", json={"state": "open"}, headers=bearer(key)
    )
    assert ok.status_code == 201
    refused = client.post(
        "/v1/checkpoints/kz-zhibek-zholy/status", json={"state": "open"}, headers=bearer(key)
    )
    assert refused.status_code == 403


def test_unknown_checkpoint_is_404(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kz-nowhere/queues",
        json={"reports": [factories.queue_report_json()]},
        headers=bearer(key),
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (factories.queue_report_json(wait_minutes=4321), "reports.0.wait_minutes"),
        (factories.queue_report_json(wait_minutes=-1), "reports.0.wait_minutes"),
        (factories.queue_report_json(wait_minutes=35.5), "reports.0.wait_minutes"),
        (factories.queue_report_json(wait_minutes="35"), "reports.0.wait_minutes"),
        (factories.queue_report_json(lane="bicycle"), "reports.0.lane"),
        (factories.queue_report_json(direction="sideways"), "reports.0.direction"),
        (factories.queue_report_json(observed_at="2026-11-24T10:00:00"), "reports.0.observed_at"),
        (factories.queue_report_json(colour="red"), "reports.0.colour"),
        # review 5m: absurd values passed
        (factories.queue_report_json(lanes_open=500), "reports.0.lanes_open"),
        (factories.queue_report_json(vehicles_waiting=100_000), "reports.0.vehicles_waiting"),
        ({"direction": "exit", "lane": "car", "observed_at": _now()}, "reports.0.wait_minutes"),
    ],
)
def test_invalid_reports_are_422_with_the_field(
    client: FlaskClient, agency_key: MakeKey, report: dict[str, Any], field: str
) -> None:
    key = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kz-kordai/queues", json={"reports": [report]}, headers=bearer(key)
    )
    assert response.status_code == 422
    body = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in body["errors"], body


def test_observed_at_window(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    url = "/v1/checkpoints/kz-kordai/queues"
    future = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()
    old = (datetime.now(UTC) - timedelta(hours=24, minutes=1)).isoformat()
    near_future = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    for observed_at, status in ((future, 422), (old, 422), (near_future, 201)):
        response = client.post(
            url,
            json={"reports": [factories.queue_report_json(observed_at=observed_at)]},
            headers=bearer(key),
        )
        assert response.status_code == status, observed_at


def test_a_report_from_a_clock_running_ahead_is_taken_as_now(
    client: FlaskClient, agency_key: MakeKey
) -> None:
    """Review 5m: a report 5 minutes ahead pinned the lane against the next true one."""
    key = agency_key("KZ")
    url = "/v1/checkpoints/kz-kordai/queues"
    ahead = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    first = client.post(
        url, json={"reports": [factories.queue_report_json(observed_at=ahead)]}, headers=bearer(key)
    )
    assert first.status_code == 201
    posted = first.get_json()["items"][0]
    assert datetime.fromisoformat(posted["observed_at"]) <= datetime.fromisoformat(
        posted["posted_at"]
    )
    # a true report a minute later is current, not hidden behind the one from the future
    later = client.post(
        url,
        json={"reports": [factories.queue_report_json(wait_minutes=90, observed_at=_now())]},
        headers=bearer(key),
    )
    assert later.status_code == 201
    assert later.get_json()["items"][0]["current"] is True


def test_lane_or_direction_the_checkpoint_lacks(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    factories.checkpoint(
        session, id="kz-test-one-way", lanes=["car"], directions=["entry"], names={"en": "One way"}
    )
    session.commit()
    key = agency_key("KZ")
    response = client.post(
        "/v1/checkpoints/kz-test-one-way/queues",
        json={"reports": [factories.queue_report_json(lane="truck", direction="exit")]},
        headers={**bearer(key), "Accept-Language": "ru"},
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"reports.0.lane", "reports.0.direction"}
    assert "kz-test-one-way" in errors["reports.0.lane"][0]
    assert errors["reports.0.lane"][0] != "Checkpoint kz-test-one-way has no lane truck."


def test_an_older_report_is_history_not_current(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    key = agency_key("KZ")
    url = "/v1/checkpoints/kz-kordai/queues"
    newer = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    older = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    client.post(
        url, json={"reports": [factories.queue_report_json(observed_at=newer)]}, headers=bearer(key)
    )
    response = client.post(
        url,
        json={"reports": [factories.queue_report_json(observed_at=older, wait_minutes=99)]},
        headers=bearer(key),
    )
    assert response.status_code == 201
    assert response.get_json()["items"][0]["current"] is False
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["queues"][0]["wait_minutes"] == 35
    stored = session.scalars(select(QueueReport.wait_minutes).where(QueueReport.wait_minutes == 99))
    assert list(stored) == [99]


def test_idempotent_retry_is_stored_once(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    key = agency_key("KZ")
    headers = {**bearer(key), "Idempotency-Key": "post-2026-11-24-0001"}
    body = {"reports": [factories.queue_report_json()]}
    before = _count(session, QueueReport)
    first = client.post("/v1/checkpoints/kz-kordai/queues", json=body, headers=headers)
    second = client.post("/v1/checkpoints/kz-kordai/queues", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(session, QueueReport) == before + 1
    # the same key with a different request is refused, not replayed
    other = client.post(
        "/v1/checkpoints/kz-kordai/queues",
        json={"reports": [factories.queue_report_json(wait_minutes=1)]},
        headers=headers,
    )
    assert other.status_code == 422
    assert _count(session, QueueReport) == before + 1


def test_idempotent_status_post(client: FlaskClient, agency_key: MakeKey, session: Session) -> None:
    key = agency_key("KZ")
    headers = {**bearer(key), "Idempotency-Key": "status-1"}
    before = _count(session, StatusReport)
    for _ in range(3):
        response = client.post(
            "/v1/checkpoints/kz-kordai/status", json={"state": "closed"}, headers=headers
        )
        assert response.status_code == 201
    assert _count(session, StatusReport) == before + 1


def test_malformed_json_is_400(client: FlaskClient, agency_key: MakeKey) -> None:
    response = client.post(
        "/v1/checkpoints/kz-kordai/status",
        data="{not json",
        content_type="application/json",
        headers={**bearer(agency_key("KZ")), "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "The request body is not valid JSON."


def test_wrong_content_type_is_415(client: FlaskClient, agency_key: MakeKey) -> None:
    response = client.post(
        "/v1/checkpoints/kz-kordai/status",
        data=json.dumps({"state": "open"}),
        content_type="text/plain",
        headers=bearer(agency_key("KZ")),
    )
    assert response.status_code == 415


def test_body_over_1_mb_is_413(client: FlaskClient, agency_key: MakeKey) -> None:
    response = client.post(
        "/v1/checkpoints/kz-kordai/status",
        data=json.dumps({"state": "open", "message": "x" * (1024 * 1024)}),
        content_type="application/json",
        headers=bearer(agency_key("KZ")),
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert "1" in response.get_json()["detail"]


def test_method_not_allowed_carries_allow(client: FlaskClient) -> None:
    response = client.delete("/v1/checkpoints/kz-kordai")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"


def test_errors_are_in_the_callers_language(client: FlaskClient) -> None:
    english = client.post(
        "/v1/checkpoints/kz-kordai/status",
        json={"state": "open"},
        headers={"Accept-Language": "en"},
    )
    kazakh = client.post(
        "/v1/checkpoints/kz-kordai/status",
        json={"state": "open"},
        headers={"Accept-Language": "kk"},
    )
    assert english.status_code == kazakh.status_code == 401
    assert kazakh.headers["Content-Language"] == "kk"
    assert kazakh.get_json()["title"] != english.get_json()["title"]
    assert kazakh.get_json()["detail"] != english.get_json()["detail"]
