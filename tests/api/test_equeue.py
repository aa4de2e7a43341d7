"""E-queue facts: served per lane in the list and the detail in every language, posted by
border services within their scope, set by admins in the console, seeded from a source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.accounts.service import Actor
from content.checkpoints import equeue
from content.checkpoints.models import Direction, EqueueDirection, EqueueFact, Lane
from content.locales import KNOWN_LOCALES
from tests import factories
from tests.api.console.test_console import csrf, sign_in
from tests.api.console.test_console_forms import field_error
from tests.conftest import bearer

ADMIN = Actor("user:0 admin@test")


def _fact(item: dict[str, Any], lane: str, direction: str | None) -> dict[str, Any]:
    (found,) = [e for e in item["equeues"] if e["lane"] == lane and e["direction"] == direction]
    return found


def _post(client: FlaskClient, key: str, checkpoint: str = "kz-kordai", **item: Any) -> Any:
    fact = {"direction": "exit", "lane": "truck", "required": True, **item}
    return client.post(
        f"/v1/checkpoints/{checkpoint}/equeue", json={"equeues": [fact]}, headers=bearer(key)
    )


def test_the_detail_serves_the_fact_with_its_label_in_every_language(
    client: FlaskClient,
) -> None:
    labels = {}
    for locale in KNOWN_LOCALES:
        item = client.get(f"/v1/checkpoints/kz-kordai?lang={locale}").get_json()
        fact = _fact(item, "truck", None)
        assert fact["required"] is True
        assert fact["booking_url"] == "https://cgr.qoldau.kz/"
        assert "CarGoRuqsat" in fact["label"]
        assert fact["vehicles_in_waiting_zone"] is None
        labels[locale] = (fact["label"], fact["direction_text"])
    assert labels["en"] == ("Booking required in CarGoRuqsat", "Direction not stated")
    # every language has its own words, not the English ones
    assert len({label for label, _ in labels.values()}) == len(KNOWN_LOCALES)
    assert len({text for _, text in labels.values()}) == len(KNOWN_LOCALES)


def test_each_queue_lane_carries_its_fact_or_null(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, lane=Lane.TRUCK, direction=Direction.ENTRY, wait_minutes=90)
    factories.record_queue(session, lane=Lane.CAR, wait_minutes=20)
    session.commit()
    listed = client.get("/v1/checkpoints?country=KZ").get_json()["items"]
    (kordai,) = [c for c in listed if c["id"] == "kz-kordai"]
    by_lane = {q["lane"]: q for q in kordai["queues"]}
    # the seeded fact names no direction, so it stands for the truck lane either way
    assert by_lane["truck"]["equeue"]["required"] is True
    assert by_lane["truck"]["equeue"]["direction"] is None
    assert by_lane["car"]["equeue"] is None
    others = [c for c in listed if c["id"] != "kz-kordai"]
    assert all(c["equeues"] == [] for c in others)


def test_a_lanes_own_direction_wins_over_the_unstated_one(
    client: FlaskClient, session: Session
) -> None:
    equeue.set_(
        session,
        actor=ADMIN,
        poster=None,
        checkpoint_id="kz-kordai",
        facts=[equeue.EqueueInput(Direction.ENTRY, Lane.TRUCK, required=False, system="Other")],
    )
    factories.record_queue(session, lane=Lane.TRUCK, direction=Direction.ENTRY)
    factories.record_queue(session, lane=Lane.TRUCK, direction=Direction.EXIT)
    session.commit()
    item = client.get("/v1/checkpoints/kz-kordai?lang=en").get_json()
    by_direction = {q["direction"]: q["equeue"] for q in item["queues"] if q["lane"] == "truck"}
    assert by_direction["entry"]["label"] == "Booking available in Other"
    assert by_direction["exit"]["label"] == "Booking required in CarGoRuqsat"


def test_an_agency_posts_facts_201_then_200_audited(
    client: FlaskClient, session: Session, agency_key: Any
) -> None:
    key = agency_key("KZ")
    first = _post(client, key, vehicles_in_waiting_zone=42, booking_url="https://cgr.qoldau.kz/")
    assert first.status_code == 201, first.get_json()
    (posted,) = first.get_json()["equeues"]
    assert posted["direction"] == "exit"
    assert posted["vehicles_in_waiting_zone"] == 42
    again = _post(client, key, vehicles_in_waiting_zone=7, system="CarGoRuqsat")
    assert again.status_code == 200
    item = client.get("/v1/checkpoints/kz-kordai?lang=ru").get_json()
    fact = _fact(item, "truck", "exit")
    # each post replaces the lane's fact whole: the address of the first post is gone
    assert fact["vehicles_in_waiting_zone"] == 7
    assert fact["booking_url"] is None
    assert fact["direction_text"] == "Выезд"
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "set_equeue").order_by(AuditEntry.id)
    ).all()
    posted_by_agency = [e for e in entries if e.actor.startswith("agency:")]
    assert [e.after["vehicles_in_waiting_zone"] for e in posted_by_agency] == [42, 7]
    assert posted_by_agency[0].before is None
    assert posted_by_agency[1].before["vehicles_in_waiting_zone"] == 42


def test_an_agency_posts_only_where_it_may_post_status(
    client: FlaskClient, agency_key: Any
) -> None:
    assert _post(client, agency_key("KG")).status_code == 403
    narrowed = agency_key("KZ", checkpoint_ids=["kz-sypatai-batyr"])
    assert _post(client, narrowed).status_code == 403
    assert _post(client, "mbk_nonsense").status_code == 401


def test_bad_facts_are_refused_naming_the_field(client: FlaskClient, agency_key: Any) -> None:
    key = agency_key("KZ")
    plain = _post(client, key, booking_url="http://cgr.qoldau.kz/")
    assert plain.status_code == 422
    assert "equeues.0.booking_url" in plain.get_json()["errors"]
    proxied = _post(client, key, booking_url="https://fanyv88.com/https://cgr.qoldau.kz/")
    assert proxied.status_code == 422
    assert "equeues.0.booking_url" in proxied.get_json()["errors"]
    unknown = _post(client, key, color="red")
    assert unknown.status_code == 422
    assert "equeues.0.color" in unknown.get_json()["errors"]
    no_bus = _post(client, key, lane="bus")  # Kordai has no bus lane
    assert no_bus.status_code == 422
    assert "equeues.0.lane" in no_bus.get_json()["errors"]
    negative = _post(client, key, vehicles_in_waiting_zone=-1)
    assert negative.status_code == 422
    truthy = _post(client, key, required="yes")
    assert truthy.status_code == 422
    twice = client.post(
        "/v1/checkpoints/kz-kordai/equeue",
        json={"equeues": [{"direction": "exit", "lane": "truck", "required": True}] * 2},
        headers=bearer(key),
    )
    assert twice.status_code == 422
    assert "equeues.1.lane" in twice.get_json()["errors"]


def test_the_waiting_zone_count_is_served_for_two_hours_only(
    client: FlaskClient, session: Session
) -> None:
    now = datetime.now(UTC)
    for direction, posted_at in (
        (Direction.EXIT, now),
        (Direction.ENTRY, now - timedelta(hours=3)),
    ):
        equeue.set_(
            session,
            actor=ADMIN,
            poster=None,
            checkpoint_id="kz-kordai",
            facts=[equeue.EqueueInput(direction, Lane.TRUCK, True, "CarGoRuqsat", None, 40)],
            now=posted_at,
        )
    session.commit()
    item = client.get("/v1/checkpoints/kz-kordai").get_json()
    assert _fact(item, "truck", "exit")["vehicles_in_waiting_zone"] == 40
    old = _fact(item, "truck", "entry")
    assert old["vehicles_in_waiting_zone"] is None
    assert old["required"] is True  # the booking rule does not age


def test_an_admin_sets_and_removes_a_fact_in_the_console(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/equeue")
    form = {
        "csrf_token": token,
        "checkpoint": "kg-ak-zhol",
        "direction": "unstated",
        "lane": "truck",
        "required": "yes",
        "system": "CarGoRuqsat",
        "booking_url": "https://cgr.qoldau.kz/",
        "vehicles": "12",
    }
    assert client.post("/console/equeue", data=form).status_code == 302
    fact = session.get(EqueueFact, ("kg-ak-zhol", EqueueDirection.UNSTATED, Lane.TRUCK))
    assert fact is not None
    assert fact.vehicles_in_waiting_zone == 12
    assert fact.updated_by.startswith("user:")
    page = client.get("/console/equeue?lang=kk").get_data(as_text=True)
    assert "kg-ak-zhol" in page
    assert "https://cgr.qoldau.kz/" in page
    refused = client.post("/console/equeue", data={**form, "booking_url": "http://x.kz/"})
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "booking_url")
    removed = client.post(
        "/console/equeue/kg-ak-zhol/unstated/truck/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 302
    session.expire_all()
    assert session.get(EqueueFact, ("kg-ak-zhol", EqueueDirection.UNSTATED, Lane.TRUCK)) is None
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == "kg-ak-zhol")
    ).all()
    assert {"set_equeue", "remove_equeue"} <= set(actions)


def test_only_admins_open_the_e_queue_page(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    assert client.get("/console/equeue").status_code == 403
