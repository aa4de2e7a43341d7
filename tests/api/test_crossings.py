"""The best crossing into a country, and the detail's closing time, through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.checkpoints import service as checkpoints
from content.checkpoints.models import Checkpoint, Direction, State
from content.locales import translations
from tests import factories

ITEM_KEYS = {
    "checkpoint",
    "partner",
    "distance_km",
    "drive_minutes",
    "exit_wait",
    "entry_wait",
    "total_minutes",
    "range",
    "basis",
    "open_at_arrival",
}


def _crossing_with_queues(
    session: Session, longitude: float, exit_wait: int, entry_wait: int
) -> tuple[Checkpoint, Checkpoint]:
    exit_side, entry_side = factories.crossing(
        session, exit_overrides={"latitude": 43.0, "longitude": longitude}
    )
    factories.record_queue(session, checkpoint_id=exit_side.id, wait_minutes=exit_wait)
    factories.record_queue(
        session, checkpoint_id=entry_side.id, direction=Direction.ENTRY, wait_minutes=entry_wait
    )
    return exit_side, entry_side


def test_best_crossings_ranked_with_both_sides(client: FlaskClient, session: Session) -> None:
    near, near_partner = _crossing_with_queues(session, 75.1, exit_wait=20, entry_wait=100)
    far, _ = _crossing_with_queues(session, 75.3, exit_wait=25, entry_wait=10)
    checkpoints.set_status(session, poster=None, checkpoint_id=near_partner.id, state=State.CLOSED)
    session.commit()

    response = client.get("/v1/crossings/best?from=43.0,75.0&to=KG&lane=car&lang=en")

    assert response.status_code == 200
    assert "ETag" in response.headers
    body = response.get_json()
    assert set(body) == {"items", "drive", "depart_at", "as_of"}
    assert all(set(item) == ITEM_KEYS for item in body["items"])
    first, last = body["items"][0], body["items"][-1]
    assert first["checkpoint"]["id"] == far.id
    assert first["partner"]["country"] == "KG"
    assert first["exit_wait"]["p50"] == 25
    assert first["entry_wait"]["p50"] == 10
    assert first["total_minutes"] == first["drive_minutes"] + 35
    assert first["range"] == [first["total_minutes"], first["total_minutes"]]
    assert first["basis"] == "current"
    # closed on the Kyrgyz side: last, whatever its total
    assert last["checkpoint"]["id"] == near.id
    assert last["open_at_arrival"] is False
    assert body["drive"]["detour_factor"] == 1.3
    assert body["drive"]["speed_kmh"] == 60
    assert "1.3" in body["drive"]["method"]
    assert "60 km/h" in body["drive"]["method"]


@pytest.mark.parametrize("locale", ["ru", "kk", "ky", "uz", "tg", "tk"])
def test_the_drive_estimate_is_explained_in_each_language(client: FlaskClient, locale: str) -> None:
    english = client.get("/v1/crossings/best?from=43.0,75.0&to=KG&lane=car&lang=en").get_json()
    body = client.get(f"/v1/crossings/best?from=43.0,75.0&to=KG&lane=car&lang={locale}").get_json()
    assert body["drive"]["method"] != english["drive"]["method"]
    assert "1,3" in body["drive"]["method"]  # a decimal comma, from Babel
    assert "60" in body["drive"]["method"]


def test_depart_at_sets_the_arrival(client: FlaskClient) -> None:
    depart = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    query = f"from=43.0,75.0&to=KG&lane=car&depart_at={depart.isoformat().replace('+', '%2B')}"
    body = client.get(f"/v1/crossings/best?{query}").get_json()
    assert datetime.fromisoformat(body["depart_at"]) == depart
    for item in body["items"]:
        arrival = datetime.fromisoformat(item["exit_wait"]["at"])
        assert arrival == depart + timedelta(minutes=item["drive_minutes"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=91,75&to=KG&lane=car", "from"),
        ("from=Almaty&to=KG&lane=car", "from"),
        ("to=KG&lane=car", "from"),
        ("from=43.2,76.9&to=XX&lane=car", "to"),
        ("from=43.2,76.9&to=KG&lane=boat", "lane"),
        ("from=43.2,76.9&to=KG&lane=car&depart_at=tomorrow", "depart_at"),
        ("from=43.2,76.9&to=KG&lane=car&depart=2026-12-24T09:00:00Z", "depart"),
    ],
)
@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_bad_query_is_a_localised_422(
    client: FlaskClient, query: str, field: str, locale: str
) -> None:
    response = client.get(f"/v1/crossings/best?{query}&lang={locale}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body["errors"]) == {field}
    english = client.get(f"/v1/crossings/best?{query}&lang=en").get_json()
    assert body["errors"][field] != english["errors"][field]
    assert body["detail"] == translations(locale).gettext(
        "Some values in the request are not valid."
    )


def test_an_unknown_parameter_names_itself(client: FlaskClient) -> None:
    response = client.get("/v1/crossings/best?from=43.2,76.9&to=KG&lane=car&depart=9&lang=ru")
    assert response.get_json()["errors"] == {"depart": ["Неизвестное поле."]}


def _hours_closing_in(now: datetime, hours: int) -> list[dict[str, object]]:
    """Every day, open from an hour before `now` to `hours` after (Tashkent time)."""
    local = now.astimezone(ZoneInfo("Asia/Tashkent"))
    return [
        {
            "days": [1, 2, 3, 4, 5, 6, 7],
            "opens": (local - timedelta(hours=1)).strftime("%H:%M"),
            "closes": (local + timedelta(hours=hours)).strftime("%H:%M"),
        }
    ]


def test_detail_warns_of_a_closing(client: FlaskClient, session: Session) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    checkpoint = factories.checkpoint(
        session, timezone="Asia/Tashkent", hours_known=True, hours=_hours_closing_in(now, 2)
    )
    factories.record_queue(session, checkpoint_id=checkpoint.id, wait_minutes=30)
    session.commit()

    closing = client.get(f"/v1/checkpoints/{checkpoint.id}").get_json()["closing"]

    assert datetime.fromisoformat(closing["closes_at"]) == now + timedelta(hours=2)
    assert closing["likely_to_clear"] is True
    assert closing["wait_minutes"] == 30
    assert closing["basis"] == "current"
    assert 110 <= closing["minutes_left"] <= 120


def test_detail_has_no_closing_far_off_or_around_the_clock(
    client: FlaskClient, session: Session
) -> None:
    now = datetime.now(UTC)
    later = factories.checkpoint(
        session, timezone="Asia/Tashkent", hours_known=True, hours=_hours_closing_in(now, 8)
    )
    session.commit()
    assert client.get(f"/v1/checkpoints/{later.id}").get_json()["closing"] is None
    assert client.get("/v1/checkpoints/kg-dostuk").get_json()["closing"] is None  # 24 hours
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["closing"] is None  # unknown hours
