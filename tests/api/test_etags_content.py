"""ETags name the content: the same answer gets the same ETag on every worker and node and
at any time, so a phone's conditional GET stays a 304 until what it shows changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from api.cache import content_etag
from api.routes import campaigns as campaign_routes
from api.routes import checkpoints as checkpoint_routes
from content.accounts.models import Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Checkpoint, State
from tests import factories
from tests.conftest import build_app

#: a Tuesday, 09:59 in Tashkent (UTC+5); a minute before the hour, when `reporting` turns
T0 = datetime(2026, 11, 24, 4, 59, tzinfo=UTC)
#: Kordai's hours in the tests: it closes at 15:30 UTC, and warns of it from 09:30 UTC
HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "opens": "08:00", "closes": "20:30"}]
PUBLISHER = Actor("user:1 p@test", Role.PUBLISHER)
LIST = "/v1/checkpoints?lang=kk"
DETAIL = "/v1/checkpoints/kz-kordai?lang=kk"
CAMPAIGNS = "/v1/campaigns?country=KZ&lang=kk"
CAMPAIGN = "/v1/campaigns/road-safety?lang=kk"
READS = (LIST, DETAIL, CAMPAIGNS, CAMPAIGN)


class Clock:
    """The moment both app instances render at and read their caches' freshness by."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def utcnow(self) -> datetime:
        return self.now

    def epoch(self) -> float:
        return self.now.timestamp()

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def second_app(
    database_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[Flask]:
    """Another worker, or another node, on the same database."""
    app = build_app(database_url, session_factory, tmp_path / "images-2")
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def clock(app: Flask, second_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    for routes in (checkpoint_routes, campaign_routes):
        monkeypatch.setattr(routes, "utcnow", clock.utcnow)
    for instance in (app, second_app):
        instance.extensions["response_cache"].clock = clock.epoch
    return clock


@pytest.fixture
def clients(app: Flask, second_app: Flask, clock: Clock, session: Session) -> list[FlaskClient]:
    """Two instances' clients, over Kordai with opening hours and two published campaigns:
    one in Kazakhstan, one in Turkmenistan starting a minute after T0 (a boundary the
    Kazakh campaign list passes without reading differently)."""
    kordai = session.get(Checkpoint, "kz-kordai")
    assert kordai is not None
    kordai.timezone, kordai.hours_known, kordai.hours = "Asia/Tashkent", True, HOURS
    _publish(session, "road-safety", countries=["KZ"])
    _publish(session, "turkmen-roads", countries=["TM"], starts_at=T0 + timedelta(minutes=1))
    session.commit()
    return [app.test_client(), second_app.test_client()]


def _publish(session: Session, slug: str, **fields: Any) -> None:
    campaign = factories.campaign(session, actor=PUBLISHER, slug=slug, **fields)
    for action in ("submit", "approve", "publish"):
        campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action=action)


def _without_as_of(response: TestResponse) -> Any:
    body = response.get_json()
    if isinstance(body, dict):
        body.pop("as_of", None)
    return body


def _kordai(response: TestResponse) -> dict[str, Any]:
    (kordai,) = [i for i in response.get_json()["items"] if i["id"] == "kz-kordai"]
    return kordai


def test_two_instances_a_minute_apart_give_the_same_answer_the_same_etag(
    clients: list[FlaskClient], clock: Clock
) -> None:
    first = {url: clients[0].get(url) for url in READS}
    clock.advance(timedelta(minutes=1))
    later = {url: clients[1].get(url) for url in READS}
    for url in READS:
        assert first[url].status_code == later[url].status_code == 200, url
        assert _without_as_of(later[url]) == _without_as_of(first[url]), url
        assert later[url].headers["ETag"] == first[url].headers["ETag"], url
    # rendered a minute apart, which the answers say
    assert first[LIST].get_json()["as_of"] != later[LIST].get_json()["as_of"]
    assert _kordai(first[LIST])["hours"]["open_now"] is True


def test_an_answer_two_minutes_old_is_not_modified_on_every_instance(
    app: Flask, second_app: Flask, clients: list[FlaskClient], clock: Clock
) -> None:
    etags = {url: clients[0].get(url).headers["ETag"] for url in READS}
    clients[1].get(LIST)  # the other instance holds the list, not the rest
    cached = [dict(i.extensions["response_cache"].entries) for i in (app, second_app)]
    clock.advance(timedelta(minutes=2))
    for client in clients:
        for url in READS:
            answer = client.get(url, headers={"If-None-Match": etags[url]})
            assert answer.status_code == 304, (url, answer.status_code)
            assert answer.headers["ETag"] == etags[url]
    # the hour turned (reporting) and a campaign started: every answer was rendered again
    for instance, before in zip((app, second_app), cached, strict=True):
        after = instance.extensions["response_cache"].entries
        assert before
        assert all(after[key] is not entry for key, entry in before.items())


def test_what_does_not_turn_is_not_rendered_again(
    app: Flask, clients: list[FlaskClient], clock: Clock
) -> None:
    """Without a write, an answer is rendered again only when the next boundary it holds
    passes (here the next hour), not every minute."""
    clock.now = datetime(2026, 11, 24, 5, 1, tzinfo=UTC)
    etags = {url: clients[0].get(url).headers["ETag"] for url in READS}
    cached = dict(app.extensions["response_cache"].entries)
    clock.advance(timedelta(minutes=58))
    for url in READS:
        assert clients[0].get(url, headers={"If-None-Match": etags[url]}).status_code == 304
    after = app.extensions["response_cache"].entries
    assert len(cached) == len(READS)
    assert all(after[key] is entry for key, entry in cached.items())


def test_a_write_changes_the_etag_of_what_it_changes_only(
    clients: list[FlaskClient], session: Session
) -> None:
    etag = clients[0].get(DETAIL).headers["ETag"]
    clients[1].get(DETAIL)
    # a write elsewhere moves the data version, not Kordai's answer
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-merke", state=State.CLOSED)
    session.commit()
    for client in clients:
        assert client.get(DETAIL, headers={"If-None-Match": etag}).status_code == 304
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    session.commit()
    for client in clients:
        answer = client.get(DETAIL, headers={"If-None-Match": etag})
        assert answer.status_code == 200
        assert answer.get_json()["status"]["state"] == "closed"
        assert answer.headers["ETag"] != etag


def test_the_list_turns_when_a_checkpoint_closes(clients: list[FlaskClient], clock: Clock) -> None:
    clock.now = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)  # 20:10 in Tashkent
    first = clients[0].get(LIST)
    assert _kordai(first)["hours"]["open_now"] is True
    clock.now = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 20:30: closed, within the hour
    later = clients[0].get(LIST, headers={"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200
    assert _kordai(later)["hours"]["open_now"] is False


def test_the_detail_counts_down_to_the_closing(clients: list[FlaskClient], clock: Clock) -> None:
    clock.now = datetime(2026, 11, 24, 9, 29, tzinfo=UTC)  # 6 hours and a minute before
    assert clients[0].get(DETAIL).get_json()["closing"] is None
    clock.advance(timedelta(minutes=1))
    warned = clients[0].get(DETAIL)
    assert warned.get_json()["closing"]["minutes_left"] == 360
    clock.advance(timedelta(seconds=30))
    later = clients[0].get(DETAIL, headers={"If-None-Match": warned.headers["ETag"]})
    assert later.status_code == 200
    assert later.get_json()["closing"]["minutes_left"] == 359


def test_without_the_read_cache_the_same_content_has_the_same_etag(
    second_app: Flask, clients: list[FlaskClient], clock: Clock
) -> None:
    second_app.config["SETTINGS"].public_cache_enabled = False
    for url in READS:
        cached = clients[0].get(url)
        clock.advance(timedelta(minutes=1))
        uncached = clients[1].get(url, headers={"If-None-Match": cached.headers["ETag"]})
        assert uncached.status_code == 304, url
        assert uncached.headers["ETag"] == cached.headers["ETag"], url


def test_if_none_match_compares_weakly(clients: list[FlaskClient]) -> None:
    etag = clients[0].get(LIST).headers["ETag"]
    strong = etag.removeprefix("W/")
    # the other instance matches the first as it renders the list; every other match is
    # FastReads', before Flask runs
    for header in (f'"other", {etag}', strong):
        for client in clients:
            assert client.get(LIST, headers={"If-None-Match": header}).status_code == 304
    assert clients[0].get(LIST, headers={"If-None-Match": '"other"'}).status_code == 200


def test_the_etag_is_a_weak_hash_of_the_read_and_the_content_without_as_of() -> None:
    read = "/v1/checkpoints?lang=kk|kk"
    etag = content_etag(read, b'{"items": [1], "as_of": "2026-11-24T04:59:00+00:00"}')
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
    # rendered later, and written by another encoder: the same content
    assert content_etag(read, b'{"as_of":"2026-11-24T05:01:00+00:00","items":[1]}') == etag
    assert content_etag(read, b'{"items": [2], "as_of": "2026-11-24T04:59:00+00:00"}') != etag
    assert content_etag("/v1/checkpoints?lang=ru|ru", b'{"items": [1]}') != etag
    # only the answer's own as_of is left out
    nested = content_etag(read, b'{"items": [{"as_of": 1}]}')
    assert content_etag(read, b'{"items": [{"as_of": 2}]}') != nested
    csv = content_etag(read, b"checkpoint,wait\nkz-kordai,20\n")
    assert csv == content_etag(read, b"checkpoint,wait\nkz-kordai,20\n")
    assert csv != content_etag(read, b"checkpoint,wait\nkz-kordai,25\n")
