"""The board's lanes: every lane and direction with its figure, age and source, a
highlight for figures about to go stale, one all-or-nothing form for every lane; and the
agencies' freshness page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.checkpoints.models import CurrentQueue, Direction, Lane, Method, QueueReport
from tests import factories
from tests.api.console.test_console import csrf, sign_in
from tests.api.console.test_console_forms import field_error

URL = "/console/board/kz-kordai/queues"


def _reports(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(QueueReport)) or 0


def _row(page: str, lane: str) -> str:
    """The <tr> of one lane of Kordai's card (the first card with that lane key)."""
    card = page[page.index('id="cp-kz-kordai"') :]
    match = re.search(rf'<tr class="lane (\w+)" data-lane="{lane}">(.*?)</tr>', card, re.S)
    assert match, f"no row for {lane}"
    return match.group(0)


def _officer(client: FlaskClient, session: Session, country: str = "KZ") -> None:
    """A border officer of the country, signed in, whose console speaks English."""
    sign_in(client, session, Role.BORDER_OFFICER, country=country)
    client.get("/console/?lang=en")  # the session keeps the language


def test_one_submit_posts_every_lane_filled_in(client: FlaskClient, session: Session) -> None:
    _officer(client, session)
    token = csrf(client, "/console/board")
    form = {
        "csrf_token": token,
        "wait-exit-car": "25",
        "wait-entry-truck": "180",
        "method-entry-truck": "sensor",
        "wait-exit-pedestrian": "",  # left blank: left as it is
    }
    response = client.post(URL, data=form)
    assert response.status_code == 302
    current = {
        (q.direction, q.lane): (q.wait_minutes, q.method)
        for q in session.scalars(
            select(CurrentQueue).where(CurrentQueue.checkpoint_id == "kz-kordai")
        )
    }
    assert current == {
        (Direction.EXIT, Lane.CAR): (25, Method.OFFICER_ESTIMATE),
        (Direction.ENTRY, Lane.TRUCK): (180, Method.SENSOR),
    }
    page = client.get("/console/board").get_data(as_text=True)
    assert "Queue times posted." in page
    assert "<td>Border service: Officer's estimate (border officer)</td>" in _row(page, "exit-car")
    assert "<td>Border service: Sensor (border officer)</td>" in _row(page, "entry-truck")


def test_one_bad_lane_posts_nothing_and_is_shown_beside_that_lane(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    form = {"csrf_token": token, "wait-exit-car": "25", "wait-entry-truck": "99999"}
    response = client.post(URL, data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "wait-entry-truck-kz-kordai")
    assert not field_error(page, "wait-exit-car-kz-kordai")
    assert 'value="25"' in page  # what was typed is kept
    assert _reports(session) == 0


def test_a_method_the_api_refuses_is_refused_beside_its_lane(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    form = {"csrf_token": token, "wait-exit-car": "25", "method-exit-car": "crowd_median"}
    response = client.post(URL, data=form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "method-exit-car-kz-kordai")
    assert _reports(session) == 0


def test_an_empty_form_is_refused(client: FlaskClient, session: Session) -> None:
    _officer(client, session)
    token = csrf(client, "/console/board")
    response = client.post(URL, data={"csrf_token": token, "wait-exit-car": " "})
    assert response.status_code == 422
    assert "Enter the wait of at least one lane." in response.get_data(as_text=True)
    assert _reports(session) == 0


def test_another_countrys_checkpoint_is_refused(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KG")
    token = csrf(client, "/console/board")
    response = client.post(URL, data={"csrf_token": token, "wait-exit-car": "25"})
    assert response.status_code == 302
    assert _reports(session) == 0


def test_lanes_about_to_go_stale_are_highlighted(client: FlaskClient, session: Session) -> None:
    now = datetime.now(UTC)
    for lane, direction, minutes in (
        (Lane.CAR, Direction.EXIT, 10),
        (Lane.TRUCK, Direction.EXIT, 70),  # two thirds of the 90-minute window have passed
        (Lane.CAR, Direction.ENTRY, 100),  # past the window
    ):
        factories.record_queue(
            session, lane=lane, direction=direction, observed_at=now - timedelta(minutes=minutes)
        )
    session.commit()
    _officer(client, session)
    page = client.get("/console/board").get_data(as_text=True)
    assert _row(page, "exit-car").startswith('<tr class="lane fresh"')
    assert _row(page, "exit-truck").startswith('<tr class="lane soon"')
    assert "about to go stale" in _row(page, "exit-truck")
    assert "1 hour, 10 minutes" in _row(page, "exit-truck")  # its age, by Babel
    assert _row(page, "entry-car").startswith('<tr class="lane stale"')
    assert _row(page, "entry-pedestrian").startswith('<tr class="lane none"')
    # the spot the crowd median and the disputed flag go in (part C)
    assert 'data-crowd="exit-car"' in _row(page, "exit-car")


def test_the_board_speaks_the_officers_language(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, observed_at=datetime.now(UTC) - timedelta(minutes=70))
    session.commit()
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    page = client.get("/console/board?lang=ru").get_data(as_text=True)
    row = _row(page, "exit-car")
    assert "1 час 10 минут" in row
    assert "Пограничная служба" in row


def test_the_freshness_page_shows_admins_every_agency(
    client: FlaskClient, session: Session
) -> None:
    kz = factories.agency(session, country="KZ", checkpoint_ids=["kz-kordai"])
    kg = factories.agency(session, country="KG", checkpoint_ids=["kg-ak-zhol"])
    session.commit()
    sign_in(client, session, Role.ADMIN)
    page = client.get("/console/freshness?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert kz.name in text
    assert kg.name in text
    assert "Reporting freshness" in text


def test_the_freshness_page_shows_an_officer_their_countrys_agencies(
    client: FlaskClient, session: Session
) -> None:
    kz = factories.agency(session, country="KZ", checkpoint_ids=["kz-kordai"])
    kg = factories.agency(session, country="KG", checkpoint_ids=["kg-ak-zhol"])
    session.commit()
    sign_in(client, session, Role.BORDER_OFFICER, country="KG")
    text = client.get("/console/freshness").get_data(as_text=True)
    assert kg.name in text
    assert kz.name not in text


def test_editors_do_not_see_the_freshness_page(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.EDITOR)
    assert client.get("/console/freshness").status_code == 403
