"""Planned closures through the API: border services announce and cancel them; travellers
read them in the list and the detail as `planned`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.checkpoints import planned
from tests.conftest import bearer

MakeKey = Callable[..., str]
URL = "/v1/checkpoints/kz-kordai/planned"


def _body(**overrides: Any) -> dict[str, Any]:
    """A closure of Kordai for a public holiday, from tomorrow for a day."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    body: dict[str, Any] = {
        "state": "closed",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=1)).isoformat(),
        "reason": "holiday",
        "message": "Independence Day",
    }
    body.update(overrides)
    return body


def test_announce_then_read_it_in_the_list_and_the_detail(
    client: FlaskClient, agency_key: MakeKey
) -> None:
    key = agency_key("KZ")
    before = client.get("/v1/checkpoints/kz-kordai?lang=ru")
    assert before.get_json()["planned"] == []
    posted = client.post(URL, json=_body(), headers=bearer(key))
    assert posted.status_code == 201, posted.get_json()
    entry = posted.get_json()
    assert entry["id"] > 0
    assert (entry["checkpoint"], entry["state"], entry["started"]) == ("kz-kordai", "closed", False)

    detail = client.get("/v1/checkpoints/kz-kordai?lang=ru")
    assert detail.headers["ETag"] != before.headers["ETag"]
    (shown,) = detail.get_json()["planned"]
    assert shown["id"] == entry["id"]
    assert shown["state_text"] == "Закрыт"
    assert shown["reason_text"] == "Праздничный день"
    assert shown["message"] == "Independence Day"
    assert shown["starts_at"] == entry["starts_at"]
    listed = {c["id"]: c for c in client.get("/v1/checkpoints?country=KZ").get_json()["items"]}
    assert [p["id"] for p in listed["kz-kordai"]["planned"]] == [entry["id"]]
    assert listed["kz-merke"]["planned"] == []


def test_a_delta_sync_brings_the_checkpoint_with_a_new_plan(
    client: FlaskClient, agency_key: MakeKey
) -> None:
    cursor = client.get("/v1/checkpoints").get_json()["cursor"]
    client.post(URL, json=_body(), headers=bearer(agency_key("KZ")))
    changed = client.get(f"/v1/checkpoints?changed_since={cursor}").get_json()["items"]
    assert [c["id"] for c in changed] == ["kz-kordai"]


def test_cancel_removes_it(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    entry = client.post(URL, json=_body(), headers=bearer(key)).get_json()
    cancelled = client.delete(f"{URL}/{entry['id']}", headers=bearer(key))
    assert cancelled.status_code == 204
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["planned"] == []
    # cancelling again is no error and changes nothing
    assert client.delete(f"{URL}/{entry['id']}", headers=bearer(key)).status_code == 204
    assert client.delete(f"{URL}/999999", headers=bearer(key)).status_code == 404


def test_scope_is_the_same_as_for_posting_status(client: FlaskClient, agency_key: MakeKey) -> None:
    kz, kg = agency_key("KZ"), agency_key("KG")
    assert client.post(URL, json=_body()).status_code == 401
    assert client.post(URL, json=_body(), headers=bearer(kg)).status_code == 403
    narrowed = agency_key("KZ", checkpoint_ids=["kz-merke"])
    assert client.post(URL, json=_body(), headers=bearer(narrowed)).status_code == 403
    entry = client.post(URL, json=_body(), headers=bearer(kz)).get_json()
    assert client.delete(f"{URL}/{entry['id']}", headers=bearer(kg)).status_code == 403
    assert client.delete(f"{URL}/{entry['id']}").status_code == 401
    # another checkpoint's path does not reach it
    other = f"/v1/checkpoints/kz-merke/planned/{entry['id']}"
    assert client.delete(other, headers=bearer(kz)).status_code == 404
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["planned"] != []


def test_an_overlapping_plan_is_409(client: FlaskClient, agency_key: MakeKey) -> None:
    key = agency_key("KZ")
    assert client.post(URL, json=_body(), headers=bearer(key)).status_code == 201
    again = client.post(URL, json=_body(state="restricted"), headers=bearer(key))
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": "open"}, "state"),
        ({"state": "exploded"}, "state"),
        ({"reason": "aliens"}, "reason"),
        ({"message": "m" * 501}, "message"),
        ({"starts_at": "2026-12-24T10:00:00"}, "starts_at"),  # no time zone
        ({"ends_at": None}, "ends_at"),
        ({"colour": "red"}, "colour"),
        # the service's checks, by field as well
        ({"starts_at": "2020-01-01T00:00:00+00:00"}, "starts_at"),
        ({"ends_at": datetime.now(UTC).isoformat()}, "ends_at"),
    ],
)
def test_invalid_plans_are_422_with_the_field(
    client: FlaskClient, agency_key: MakeKey, overrides: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=_body(**overrides), headers=bearer(agency_key("KZ")))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["planned"] == []


def test_the_detail_shows_a_started_plan_as_started(
    client: FlaskClient, agency_key: MakeKey, session: Session
) -> None:
    key = agency_key("KZ")
    start = datetime.now(UTC) + timedelta(minutes=1)
    body = _body(starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat())
    entry = client.post(URL, json=body, headers=bearer(key)).get_json()
    planned.apply_planned(session, now=start + timedelta(seconds=5))
    session.commit()
    detail = client.get("/v1/checkpoints/kz-kordai").get_json()
    assert detail["status"]["state"] == "closed"
    assert detail["status"]["reason"] == "holiday"
    (shown,) = detail["planned"]
    assert (shown["id"], shown["started"]) == (entry["id"], True)
