"""GET /v1/admin/agencies/freshness: admins see every agency, a border officer their
country's, an agency's key its own; anyone else is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Agency, Role
from content.accounts.service import Poster
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane
from content.checkpoints.service import QueueObservation
from tests import factories
from tests.conftest import bearer

URL = "/v1/admin/agencies/freshness"
Login = Callable[..., dict[str, str]]


def _agency_with_key(session: Session, country: str, scope: list[str]) -> tuple[Agency, str]:
    agency = factories.agency(session, country=country, checkpoint_ids=scope)
    _, raw_key = accounts.issue_key(session, actor=factories.TESTER, agency=agency)
    return agency, raw_key


@pytest.fixture
def agencies(session: Session) -> dict[str, tuple[Agency, str]]:
    """A KZ agency for Kordai that reported three hours ago, and a KG one that never did."""
    kz, kz_key = _agency_with_key(session, "KZ", ["kz-kordai"])
    kg, kg_key = _agency_with_key(session, "KG", ["kg-ak-zhol"])
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    poster = Poster(kz.id, "KZ", frozenset({"kz-kordai"}), kz.name)
    checkpoints.record_queues(
        session,
        actor=accounts.agency_actor(poster),
        poster=poster,
        reports=[QueueObservation("kz-kordai", Direction.EXIT, Lane.CAR, 30, hour)],
        now=hour + timedelta(minutes=12),
    )
    session.commit()
    return {"KZ": (kz, kz_key), "KG": (kg, kg_key)}


def _items(response: object) -> dict[int, dict[str, object]]:
    body = response.get_json()  # type: ignore[attr-defined]
    return {item["id"]: item for item in body["items"]}


def test_an_admin_sees_every_agency_with_its_figures(
    client: FlaskClient, login: Login, agencies: dict[str, tuple[Agency, str]]
) -> None:
    response = client.get(f"{URL}?lang=ru", headers=login(Role.ADMIN))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["days"], body["hours"]) == (7, 168)
    items = _items(response)
    kz, kg = agencies["KZ"][0], agencies["KG"][0]
    assert {kz.id, kg.id} <= set(items)
    mine = items[kz.id]
    # observed on the hour, posted 12 minutes later: that hour and the next are fresh
    assert mine["checkpoints"] == [
        {
            "id": "kz-kordai",
            "name": "Кордай",
            "fresh_hours": 2,
            "fresh_share": round(2 / 168, 4),
            "last_report_at": mine["checkpoints"][0]["last_report_at"],
        }
    ]
    assert mine["fresh_share"] == round(2 / 168, 4)
    assert mine["median_report_age_minutes"] == 12.0
    assert mine["reports"] == 1
    assert mine["last_report"]["checkpoint"] == "kz-kordai"
    never = items[kg.id]
    assert (never["fresh_share"], never["median_report_age_minutes"], never["last_report"]) == (
        0.0,
        None,
        None,
    )


def test_an_officer_sees_only_their_countrys_agencies(
    client: FlaskClient, login: Login, agencies: dict[str, tuple[Agency, str]]
) -> None:
    response = client.get(URL, headers=login(Role.BORDER_OFFICER, "KG"))
    assert response.status_code == 200
    assert agencies["KG"][0].id in _items(response)
    assert {item["country"] for item in _items(response).values()} == {"KG"}


def test_an_agency_key_sees_only_its_own_agency(
    client: FlaskClient, agencies: dict[str, tuple[Agency, str]]
) -> None:
    agency, key = agencies["KZ"]
    response = client.get(f"{URL}?days=1", headers=bearer(key))
    assert response.status_code == 200
    assert list(_items(response)) == [agency.id]
    assert response.get_json()["hours"] == 24


@pytest.mark.parametrize("role", [Role.EDITOR, Role.PUBLISHER])
def test_editors_and_publishers_are_refused(
    client: FlaskClient, login: Login, agencies: dict[str, tuple[Agency, str]], role: Role
) -> None:
    assert client.get(URL, headers=login(role)).status_code == 403


def test_anonymous_and_unknown_credentials_are_refused(client: FlaskClient) -> None:
    assert client.get(URL).status_code == 401
    assert client.get(URL, headers=bearer("mbk_nothing_here")).status_code == 401


@pytest.mark.parametrize("days", ["0", "32", "week"])
def test_the_window_is_one_to_31_days(client: FlaskClient, login: Login, days: str) -> None:
    assert client.get(f"{URL}?days={days}", headers=login(Role.ADMIN)).status_code == 422
