"""The checkpoint list joined from serialised entries (api/checkpoint_list.py): the same
content as the reference render for every query and language, one render per changed
checkpoint, per-phone answers without Flask and without filling the response cache."""

from __future__ import annotations

import gzip
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.cache import content_etag, read_key
from api.checkpoint_list import EntryStore, ListEntry
from content import versions
from content.checkpoints import equeue
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Checkpoint, Direction, Lane, State
from content.locales import KNOWN_LOCALES
from tests import factories
from tests.conftest import statements_sent

#: random phone positions across the region, drawn once (seeded) for every language
_random = random.Random(17)
POSITIONS = [
    (round(_random.uniform(36.0, 55.0), 4), round(_random.uniform(46.0, 87.0), 4))
    for _ in range(12)
]


@pytest.fixture
def reference(
    database_url: str, session_factory: sessionmaker[Session], tmp_path: Any
) -> Iterator[FlaskClient]:
    """The same database read with the public cache off: rendered straight from the
    database through the schema, as before the entries existed."""
    app = create_app(
        {
            "database_url": database_url,
            "image_dir": str(tmp_path / "images"),
            "version_ttl_seconds": 0,
            "rate_limits_enabled": False,
            "public_cache_enabled": False,
        }
    )
    app.extensions["db"].sessionmaker = session_factory
    yield app.test_client()
    app.extensions["db"].engine.dispose()


@pytest.fixture
def rich_data(session: Session) -> None:
    """Everything an entry can hold: a status with a reason, fresh and stale queues, a
    crowd figure, an e-queue fact, a planned closure, opening hours, a reporting share."""
    now = datetime.now(UTC)
    factories.checkpoint(
        session,
        id="kz-test-hours",
        hours_known=True,
        hours=[{"days": [1, 2, 3, 4, 5], "opens": "08:00", "closes": "20:00"}],
        paired_id="kz-kordai",
    )
    checkpoints.set_status(
        session, poster=None, checkpoint_id="kz-kordai", state=State.RESTRICTED, now=now
    )
    factories.record_queue(session, wait_minutes=95, vehicles_waiting=40, lanes_open=3)
    factories.record_queue(
        session,
        checkpoint_id="kg-ak-zhol",
        direction=Direction.ENTRY,
        observed_at=now - timedelta(hours=3),
        wait_minutes=20,
    )
    device, _ = factories.reporter(session)
    factories.crowd_report(session, device)
    factories.planned_closure(session)
    equeue.set_(
        session,
        actor=factories.TESTER,
        poster=None,
        checkpoint_id="kz-kordai",
        facts=[equeue.EqueueInput(Direction.EXIT, Lane.TRUCK, required=True, system="Test")],
    )
    session.commit()


def _queries(cursor: int) -> list[str]:
    queries = [
        "",
        "country=kz",
        "neighbor=KG",
        "kind=road",
        "state=open",
        "state=restricted",
        "fields=summary",
        f"changed_since={max(cursor - 3, 0)}",
        f"changed_since={cursor}",
        "changed_since=0&fields=summary",
        "near=43.2,74.7&radius_km=400&fields=summary",
        "near=43.2,74.7&country=KG&changed_since=0",
    ]
    for radius, (lat, lon) in zip([50, 300, 1000, 5000] * 3, POSITIONS, strict=True):
        queries.append(f"near={lat},{lon}&radius_km={radius}")
    return queries


def _content(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_json()
    body = dict(response.get_json())
    del body["as_of"]  # the moment of answering
    return body


@pytest.mark.usefixtures("rich_data")
def test_every_answer_is_the_reference_render_in_every_language(
    client: FlaskClient, reference: FlaskClient
) -> None:
    """near=, changed_since= and every filter, joined from entries, hold what the
    reference renders from the database, item for item, in the same order."""
    cursor = client.get("/v1/checkpoints").get_json()["cursor"]
    for locale in KNOWN_LOCALES:
        for query in _queries(cursor):
            url = f"/v1/checkpoints?lang={locale}&{query}"
            joined, rendered = _content(client.get(url)), _content(reference.get(url))
            assert joined == rendered, url
            # the second read comes from the entries without Flask: still the same
            assert _content(client.get(url)) == rendered, url


@pytest.mark.usefixtures("rich_data")
def test_the_summary_keeps_what_a_list_screen_shows(client: FlaskClient) -> None:
    full = client.get("/v1/checkpoints?lang=ru&near=43.2,74.7&radius_km=300").get_json()
    summary = client.get(
        "/v1/checkpoints?lang=ru&near=43.2,74.7&radius_km=300&fields=summary"
    ).get_json()
    assert [i["id"] for i in summary["items"]] == [i["id"] for i in full["items"]]
    kordai = next(i for i in summary["items"] if i["id"] == "kz-kordai")
    whole = next(i for i in full["items"] if i["id"] == "kz-kordai")
    assert kordai["status"] == {"state": "restricted", "state_text": "Работает с ограничениями"}
    assert kordai["distance_km"] == whole["distance_km"]
    assert kordai["open_now"] == whole["hours"]["open_now"]
    assert kordai["queues"][0].keys() == {"direction", "lane", "wait_minutes", "wait_text", "stale"}
    for left_out in ("paired", "hours", "planned", "equeues", "reporting", "name_verified"):
        assert left_out not in kordai
    assert len(client.get("/v1/checkpoints?fields=summary").data) * 3 < len(
        client.get("/v1/checkpoints").data
    )


def test_an_unknown_shape_is_refused(client: FlaskClient) -> None:
    response = client.get("/v1/checkpoints?fields=tiny&lang=kk")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "fields" in response.get_json()["errors"]


def test_a_write_renders_only_the_checkpoint_it_changed(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    store: EntryStore = app.extensions["checkpoint_entries"]
    client.get("/v1/checkpoints?lang=kk")
    before = {e.id: e for e in store.catalogs["kk"].entries}
    factories.record_queue(session, wait_minutes=61)
    session.commit()
    answer = client.get("/v1/checkpoints?lang=kk&near=43.03,74.7&radius_km=50").get_json()
    after = {e.id: e for e in store.catalogs["kk"].entries}
    assert [i for i in after if after[i] is not before[i]] == ["kz-kordai"]
    kordai = next(i for i in answer["items"] if i["id"] == "kz-kordai")
    assert {q["wait_minutes"] for q in kordai["queues"]} >= {61}


def test_per_phone_answers_come_without_the_database_and_are_not_kept(
    app: Flask, client: FlaskClient, connection: Connection
) -> None:
    """Once a worker holds the entries at the current version, any position or cursor is
    answered before Flask runs, and none of them pushes a shared answer out of the cache."""
    app.extensions["version_clock"].ttl = 60  # as in production, the version is remembered
    client.get("/v1/checkpoints?lang=kk&near=40,70")  # the entries, at this version
    cache = app.extensions["response_cache"]
    kept = len(cache.entries)
    with statements_sent(connection) as statements:
        for lat, lon in POSITIONS:
            response = client.get(f"/v1/checkpoints?lang=kk&near={lat},{lon}&radius_km=800")
            assert response.status_code == 200
        assert client.get("/v1/checkpoints?lang=kk&changed_since=1").status_code == 200
    assert statements == []
    assert len(cache.entries) == kept


def test_per_phone_answers_have_etags_gzip_and_change_with_a_write(
    client: FlaskClient, session: Session
) -> None:
    url = "/v1/checkpoints?lang=uz&near=43.03,74.7&radius_km=300"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    plain = client.get(url)
    assert gzip.decompress(first.data).startswith(b'{"as_of":')
    assert first.headers["ETag"] == plain.headers["ETag"]
    same = {"If-None-Match": plain.headers["ETag"]}
    assert client.get(url, headers=same).status_code == 304
    cursor = plain.get_json()["cursor"]
    assert client.get(f"/v1/checkpoints?lang=uz&changed_since={cursor}").get_json()["items"] == []

    factories.record_queue(session, wait_minutes=77)
    session.commit()
    after = client.get(url, headers=same)
    assert after.status_code == 200
    assert after.get_json()["cursor"] > cursor
    changed = client.get(f"/v1/checkpoints?lang=uz&changed_since={cursor}").get_json()
    assert [i["id"] for i in changed["items"]] == ["kz-kordai"]


def _entry(checkpoint_id: str, changed_version: int, valid_until: float | None) -> ListEntry:
    return ListEntry(
        id=checkpoint_id,
        country="KZ",
        neighbor="KG",
        kind="road",
        state=None,
        latitude=43.0,
        longitude=75.0,
        changed_version=changed_version,
        full=b"{}",
        summary=b"{}",
        valid_until=valid_until,
    )


def test_an_entry_is_rendered_again_when_its_content_turns(session: Session) -> None:
    """An entry that would read differently at the same data (a report turning stale)
    is rendered again once its moment has passed; the others are kept."""
    loads: list[list[str] | None] = []
    now = datetime.now(UTC)
    turns_at = (now + timedelta(minutes=5)).timestamp()

    def load(_session: Session, ids: list[str] | None, _now: datetime) -> list[str] | None:
        loads.append(ids)
        return ids

    def render(
        _loaded: Any, changed: Mapping[str, int], _locale: str, when: datetime
    ) -> dict[str, ListEntry]:
        """Kordai's entry turns 5 minutes after it is rendered; the others never do."""
        turns = (when + timedelta(minutes=5)).timestamp()
        return {i: _entry(i, changed[i], turns if i == "kz-kordai" else None) for i in changed}

    store = EntryStore(load, render)
    first = store.synced(session, "kk", now)
    assert loads == [None]  # every entry, once
    assert first.valid_until == turns_at
    assert store.synced(session, "kk", now + timedelta(minutes=4)) is first
    later = store.synced(session, "kk", now + timedelta(minutes=6))
    assert loads[1:] == [["kz-kordai"]]
    assert later.version == first.version == versions.current(session)
    assert store.current("kk", later.version, (now + timedelta(minutes=6)).timestamp()) is later
    assert store.current("kk", later.version - 1, now.timestamp()) is None
    assert [e.id for e in later.entries] == [e.id for e in first.entries]
    assert later.entries != first.entries

    session.get_one(Checkpoint, "kg-ak-zhol").changed_version = versions.bump(session)
    session.flush()
    store.synced(session, "kk", now + timedelta(minutes=6))
    assert loads[2:] == [["kg-ak-zhol"]]


def test_one_read_of_the_database_serves_every_language_after_a_write(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    store: EntryStore = app.extensions["checkpoint_entries"]
    for locale in KNOWN_LOCALES:
        client.get(f"/v1/checkpoints?lang={locale}")
    loads: list[list[str] | None] = []
    load = store.load
    store.load = lambda *args: loads.append(args[1]) or load(*args)  # type: ignore[func-returns-value]
    factories.record_queue(session, wait_minutes=44)
    session.commit()
    for locale in KNOWN_LOCALES:
        items = client.get(f"/v1/checkpoints?lang={locale}&country=KZ").get_json()["items"]
        (kordai,) = [i for i in items if i["id"] == "kz-kordai"]
        assert 44 in {q["wait_minutes"] for q in kordai["queues"]}
    assert loads == [["kz-kordai"]]


def test_the_first_request_after_a_write_is_answered_before_flask(
    app: Flask, client: FlaskClient, reference: FlaskClient, session: Session
) -> None:
    """The list's assembler brings its entries up to date itself, in the reader's
    language, so the first request after each write skips Flask's dispatch too."""
    client.get("/v1/checkpoints?lang=ky")
    dispatched: list[str] = []
    app.before_request(lambda: dispatched.append("flask") and None)
    factories.record_queue(session, wait_minutes=53)
    session.commit()
    for url in ("/v1/checkpoints?lang=ky", "/v1/checkpoints?lang=tg&near=43.03,74.7"):
        answer = _content(client.get(url))
        assert answer == _content(reference.get(url))
    assert dispatched == []
    kordai = next(i for i in answer["items"] if i["id"] == "kz-kordai")
    assert 53 in {q["wait_minutes"] for q in kordai["queues"]}


def test_a_database_error_while_the_entries_are_brought_up_to_date_is_flasks_problem(
    app: Flask, client: FlaskClient
) -> None:
    """The assembler leaves a failed read to Flask's path, which answers it as a 503
    problem (the middleware itself never turns it into a 500)."""
    store: EntryStore = app.extensions["checkpoint_entries"]

    def unreachable(*_args: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("the server closed the connection"))

    store.synced = unreachable  # type: ignore[method-assign]
    response = client.get("/v1/checkpoints?lang=kk&near=43.03,74.7")
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"


def test_per_phone_answers_are_served_while_the_database_is_down(
    client: FlaskClient, database_down: Callable[[], None]
) -> None:
    """stale-if-error: a worker holding the entries answers any position from them."""
    client.get("/v1/checkpoints?lang=tg&near=40,70")
    database_down()
    during = client.get("/v1/checkpoints?lang=tg&near=43.03,74.7&radius_km=50")
    assert during.status_code == 200
    items = during.get_json()["items"]
    assert "kz-kordai" in {i["id"] for i in items}
    assert [i["distance_km"] for i in items] == sorted(i["distance_km"] for i in items)
    assert client.get("/v1/checkpoints?lang=tk&near=43.03,74.7").status_code == 503


@pytest.mark.parametrize(
    "query",
    [
        "lang=kk",
        "lang=ru&fields=summary",
        "lang=tg&country=KZ",
        "lang=en&changed_since=1",
        "lang=uz&near=41.3,69.3&radius_km=300",
    ],
)
def test_an_assembled_answer_has_the_etag_of_its_content(
    client: FlaskClient, rich_data: None, query: str
) -> None:
    """The list joins canonical entries and hashes them without parsing the answer again:
    its ETag is the one `content_etag` gives the body, as the reference path's is."""
    response = client.get(f"/v1/checkpoints?{query}")
    assert response.status_code == 200
    locale = query.split("&")[0].removeprefix("lang=")
    read = read_key("/v1/checkpoints", query, locale)
    assert response.headers["ETag"] == content_etag(read, response.data)


def test_the_first_read_after_a_write_does_not_wait_for_another_writer(
    committed_database: tuple[str, Engine], tmp_path: Path
) -> None:
    """The list brought up to date before Flask reads; on SQLite it must not take the
    write lock for that (BEGIN IMMEDIATE would wait out whatever transaction writes)."""
    url, engine = committed_database
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's write lock only")
    with Session(engine) as session:
        factories.checkpoint(session, id="kz-test-reader")
        session.commit()
    app = create_app({"database_url": url, "image_dir": str(tmp_path), "version_ttl_seconds": 0})
    client = app.test_client()
    assert client.get("/v1/checkpoints?lang=ru").status_code == 200
    with Session(engine) as session:
        checkpoints.set_status(
            session, poster=None, checkpoint_id="kz-test-reader", state=State.CLOSED
        )
        session.commit()
    answers: list[Any] = []
    with engine.connect() as writer:
        # another process's write under way, holding the write lock
        writer.exec_driver_sql("UPDATE data_version SET changed_at = changed_at")
        reader = threading.Thread(
            target=lambda: answers.append(client.get("/v1/checkpoints?lang=ru"))
        )
        reader.start()
        reader.join(timeout=10)
        finished_while_locked = not reader.is_alive()
        writer.rollback()
    reader.join()
    assert finished_while_locked
    items = {item["id"]: item for item in answers[0].get_json()["items"]}
    assert items["kz-test-reader"]["status"]["state"] == "closed"
    app.extensions["db"].engine.dispose()
