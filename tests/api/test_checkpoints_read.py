"""Travellers' reads: lists, filters, detail, history, languages, conditional GETs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane, Reason, State
from content.seed.loader import read_checkpoints
from tests import factories

SEED = {entry["id"]: entry for entry in read_checkpoints()}
LOCALES = ["en", "ru", "kk", "ky", "uz", "tg", "tk"]


def test_list_is_an_object_with_items_and_as_of(client: FlaskClient) -> None:
    response = client.get("/v1/checkpoints")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "as_of", "cursor"}
    assert {item["id"] for item in body["items"]} == set(SEED)
    datetime.fromisoformat(body["as_of"])


@pytest.mark.parametrize("locale", LOCALES)
def test_names_and_texts_in_each_language(
    client: FlaskClient, session: Session, locale: str
) -> None:
    factories.record_queue(session, wait_minutes=35)
    checkpoints.set_status(
        session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED, reason=Reason.WEATHER
    )
    session.commit()

    body = client.get(f"/v1/checkpoints/kz-kordai?lang={locale}").get_json()

    assert body["name"] == SEED["kz-kordai"]["name"][locale]
    assert body["queues"][0]["wait_minutes"] == 35
    assert "35" in body["queues"][0]["wait_text"]
    english = client.get("/v1/checkpoints/kz-kordai?lang=en").get_json()
    if locale != "en":
        assert body["status"]["state_text"] != english["status"]["state_text"]
        assert body["status"]["reason_text"] != english["status"]["reason_text"]
        assert body["queues"][0]["lane_text"] != english["queues"][0]["lane_text"]
        assert body["queues"][0]["wait_text"] != english["queues"][0]["wait_text"]


def test_location_carries_an_accuracy_radius(client: FlaskClient) -> None:
    items = {i["id"]: i for i in client.get("/v1/checkpoints").get_json()["items"]}
    for checkpoint_id, entry in SEED.items():
        assert items[checkpoint_id]["location"] == {
            "lat": entry["lat"],
            "lon": entry["lon"],
            "accuracy_m": entry["accuracy_m"],
        }
    detail = client.get("/v1/checkpoints/tm-farap").get_json()
    assert detail["location"]["accuracy_m"] == SEED["tm-farap"]["accuracy_m"] >= 30_000


def test_unknown_hours_are_served_as_unknown(client: FlaskClient) -> None:
    """Review §6: hours no source confirmed were served as always_open: false."""
    unknown = {cid for cid, entry in SEED.items() if not entry["hours_known"]}
    assert "kz-zhibek-zholy" in unknown
    items = client.get("/v1/checkpoints").get_json()["items"]
    for item in items:
        hours = item["hours"]
        if item["id"] in unknown:
            assert hours["hours_known"] is False
            assert hours["always_open"] is None
            assert hours["schedule"] is None
            assert hours["open_now"] is None
        else:
            assert hours["hours_known"] is True
            assert hours["always_open"] is SEED[item["id"]]["always_open"]
    detail = client.get("/v1/checkpoints/kz-zhibek-zholy").get_json()["hours"]
    assert (detail["hours_known"], detail["always_open"]) == (False, None)
    known = client.get("/v1/checkpoints/kg-dostuk").get_json()["hours"]
    assert (known["hours_known"], known["always_open"], known["open_now"]) == (True, True, True)


def test_an_unconfirmed_name_is_served_flagged(client: FlaskClient) -> None:
    items = {i["id"]: i for i in client.get("/v1/checkpoints").get_json()["items"]}
    assert items["tj-tojvaron"]["name_verified"] is False
    assert items["kg-karamyk"]["name_verified"] is True
    assert items["kg-karamyk"]["paired"]["name_verified"] is False
    detail = client.get("/v1/checkpoints/tj-tojvaron").get_json()
    assert detail["name_verified"] is False
    partner = client.get("/v1/checkpoints/kg-karamyk").get_json()
    assert partner["paired"]["name_verified"] is False
    assert partner["paired_queues"]["name_verified"] is False


def test_the_schema_says_always_open_may_be_null(client: FlaskClient) -> None:
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    hours = schemas["HoursOut"]["properties"]
    assert hours["always_open"]["type"] == ["boolean", "null"] or hours["always_open"].get(
        "nullable"
    )
    assert "accuracy_m" in schemas["LocationOut"]["properties"]
    assert "approximate" not in schemas["LocationOut"]["properties"]
    assert "name_verified" in schemas["CheckpointOut"]["properties"]


def test_wait_text_comes_from_cldr(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, wait_minutes=35)
    factories.record_queue(session, wait_minutes=90, lane=Lane.TRUCK)
    session.commit()
    queues = client.get("/v1/checkpoints/kz-kordai?lang=ru").get_json()["queues"]
    texts = {q["lane"]: q["wait_text"] for q in queues}
    assert texts == {"car": "35 минут", "truck": "1 час 30 минут"}
    queues = client.get("/v1/checkpoints/kz-kordai?lang=kk").get_json()["queues"]
    assert {q["lane"]: q["wait_text"] for q in queues}["truck"] == "1 сағат 30 минут"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("kk-KZ", "kk"),
        ("uz-Latn-UZ", "uz"),
        ("ky", "ky"),
        ("tg-TJ,ru;q=0.5", "tg"),
        ("tk-TM", "tk"),
        ("en-GB", "en"),
        ("ru-RU", "ru"),
        ("de-DE,kk;q=0.3,en;q=0.8", "en"),
        ("fr-FR", "ru"),
        ("", "ru"),
    ],
)
def test_accept_language_negotiation(client: FlaskClient, header: str, expected: str) -> None:
    response = client.get("/v1/locales", headers={"Accept-Language": header})
    assert response.headers["Content-Language"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_lang_parameter_wins_over_accept_language(client: FlaskClient) -> None:
    response = client.get("/v1/checkpoints/kz-kordai?lang=tk", headers={"Accept-Language": "kk"})
    assert response.headers["Content-Language"] == "tk"
    assert response.get_json()["name"] == SEED["kz-kordai"]["name"]["tk"]


def test_unknown_lang_parameter_is_refused(client: FlaskClient) -> None:
    response = client.get("/v1/checkpoints?lang=fr")
    assert response.status_code == 422
    assert "lang" in response.get_json()["errors"]


def test_locales_are_named_in_themselves(client: FlaskClient) -> None:
    body = client.get("/v1/locales").get_json()
    names = {item["code"]: item["name"] for item in body["items"]}
    # the stored languages, then those read in another script (tests/api/test_derived_locales.py)
    assert list(names) == [*LOCALES, "uz-Cyrl", "kk-Latn"]
    assert names["kk"] == "Қазақ тілі"
    assert names["ru"] == "Русский"
    assert body["default"] == "ru"


def test_filters(client: FlaskClient, session: Session) -> None:
    def ids(query: str) -> set[str]:
        return {item["id"] for item in client.get(f"/v1/checkpoints?{query}").get_json()["items"]}

    assert ids("country=kz") == {k for k, v in SEED.items() if v["country"] == "KZ"}
    assert ids("neighbor=KG") == {k for k, v in SEED.items() if v.get("neighbor") == "KG"}
    assert ids("kind=rail") == {k for k, v in SEED.items() if v["kind"] == "rail"}
    assert ids("state=closed") == set()
    checkpoints.set_status(session, poster=None, checkpoint_id="kg-ak-zhol", state=State.CLOSED)
    session.commit()
    assert ids("state=closed") == {"kg-ak-zhol"}


def test_near_sorts_by_distance_within_radius(client: FlaskClient) -> None:
    kordai = SEED["kz-kordai"]
    body = client.get(
        f"/v1/checkpoints?near={kordai['lat']},{kordai['lon']}&radius_km=30"
    ).get_json()
    distances = [item["distance_km"] for item in body["items"]]
    assert body["items"][0]["id"] == "kz-kordai"
    assert distances[0] == 0
    assert distances == sorted(distances)
    assert all(distance <= 30 for distance in distances)


@pytest.mark.parametrize("near", ["43.1", "abc,def", "91,10", "10,181"])
def test_bad_near_is_refused(client: FlaskClient, near: str) -> None:
    assert client.get(f"/v1/checkpoints?near={near}").status_code == 422


def test_detail_has_the_partners_queues(client: FlaskClient, session: Session) -> None:
    factories.record_queue(
        session, checkpoint_id="kg-ak-zhol", direction=Direction.ENTRY, wait_minutes=20
    )
    session.commit()
    body = client.get("/v1/checkpoints/kz-kordai?lang=en").get_json()
    assert body["paired"]["id"] == "kg-ak-zhol"
    partner = body["paired_queues"]
    assert partner["id"] == "kg-ak-zhol"
    assert [(q["direction"], q["wait_minutes"]) for q in partner["queues"]] == [("entry", 20)]


def test_unknown_checkpoint_is_a_localised_404(client: FlaskClient) -> None:
    response = client.get("/v1/checkpoints/xx-nowhere?lang=kk")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404
    english = client.get("/v1/checkpoints/xx-nowhere?lang=en").get_json()
    assert english["detail"] == "No checkpoint with id xx-nowhere."
    assert body["title"] != english["title"]
    assert body["detail"] != english["detail"]
    assert "xx-nowhere" in body["detail"]


def test_stale_reports_are_flagged_and_expired_ones_are_dropped(
    client: FlaskClient, session: Session
) -> None:
    now = datetime.now(UTC)
    for lane, wait, age in (
        (Lane.CAR, 10, timedelta(minutes=10)),
        (Lane.TRUCK, 40, timedelta(minutes=120)),
        (Lane.PEDESTRIAN, 50, timedelta(hours=25)),
    ):
        factories.record_queue(
            session, check_age=False, lane=lane, wait_minutes=wait, observed_at=now - age
        )
    session.commit()
    queues = client.get("/v1/checkpoints/kz-kordai").get_json()["queues"]
    by_lane = {q["lane"]: q for q in queues}
    assert set(by_lane) == {"car", "truck"}
    assert by_lane["car"]["stale"] is False
    assert by_lane["truck"]["stale"] is True
    # an old value keeps its own time: it is never re-stamped as fresh
    observed = datetime.fromisoformat(by_lane["truck"]["observed_at"])
    assert now - observed >= timedelta(minutes=119)


def test_history_in_hourly_buckets(client: FlaskClient, session: Session) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    # an even count in the third hour: the median is the mean of the middle two, on every
    # database
    for minutes, wait in [(5, 10), (20, 30), (40, 20), (61, 60), (130, 25), (170, 10)]:
        factories.record_queue(
            session,
            check_age=False,
            wait_minutes=wait,
            observed_at=hour + timedelta(minutes=minutes),
        )
    session.commit()
    response = client.get("/v1/checkpoints/kz-kordai/history?direction=exit&lane=car")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["min_wait"], i["median_wait"], i["max_wait"], i["reports"]) for i in items] == [
        (10, 20, 30, 3),
        (60, 60, 60, 1),
        (10, 17.5, 25, 2),
    ]
    assert datetime.fromisoformat(items[0]["hour"]) == hour


def test_history_refuses_long_or_backward_ranges(client: FlaskClient) -> None:
    base = "/v1/checkpoints/kz-kordai/history?direction=exit&lane=car"
    long_range = f"{base}&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z"
    assert client.get(long_range).status_code == 422
    backward = f"{base}&from=2026-03-01T00:00:00Z&to=2026-01-01T00:00:00Z"
    assert client.get(backward).status_code == 422
    assert client.get("/v1/checkpoints/kz-kordai/history?lane=car").status_code == 422


def test_etag_and_304(client: FlaskClient, session: Session) -> None:
    first = client.get("/v1/checkpoints?lang=kk")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/v1/checkpoints?lang=kk", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "max-age" in again.headers["Cache-Control"]
    factories.record_queue(session, wait_minutes=77)
    session.commit()
    changed = client.get("/v1/checkpoints?lang=kk", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def test_openapi_spec_and_docs(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    operations = spec["paths"]["/v1/checkpoints/{checkpoint_id}/queues"]["post"]
    assert {"201", "401", "403", "404", "413", "415", "422"} <= set(operations["responses"])
    assert "default" not in operations["responses"]
    problem = operations["responses"]["403"]
    assert "$ref" in problem or "application/problem+json" in problem["content"]
    assert client.get("/docs").status_code == 200
