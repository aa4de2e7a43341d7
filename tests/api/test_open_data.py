"""Open data: the catalogue, and the hourly official waits as CSV — exact rows, the
31-day limit, its headers (file name, licence), its cache, and no travellers' reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.checkpoints import open_data
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane
from tests import factories
from tests.conftest import statements_sent

DAY = datetime(2026, 11, 30, tzinfo=UTC)
QUERY = "checkpoint=kz-kordai&from=2026-11-30T10:00:00Z&to=2026-11-30T13:00:00Z"
LICENCE_LINK = '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'


def _report(session: Session, hour: int, minute: int, wait: int, **overrides: Any) -> None:
    factories.record_queue(
        session,
        observed_at=DAY.replace(hour=hour, minute=minute),
        wait_minutes=wait,
        check_age=False,
        **overrides,
    )


@pytest.fixture
def kordai_history(session: Session) -> None:
    """Cars leaving Kordai: two reports at 10:xx, one at 11:xx, one just before the range;
    an hour of pedestrians whose reports were pruned into an aggregate; one demo report
    of trucks entering at 12:xx."""
    _report(session, 9, 59, 99)  # before `from`: left out
    _report(session, 10, 5, 30)
    _report(session, 10, 40, 50)
    _report(session, 11, 10, 20)
    _report(session, 13, 0, 77)  # at `to`, which is exclusive: left out
    factories.queue_hourly(
        session, lane=Lane.PEDESTRIAN, hour=DAY.replace(hour=12), median_wait=12.5
    )
    checkpoints.record_queues(
        session,
        poster=None,
        reports=[
            factories.queue_report(
                direction=Direction.ENTRY,
                lane=Lane.TRUCK,
                wait_minutes=90,
                observed_at=DAY.replace(hour=12, minute=30),
            )
        ],
        demo=True,
        check_age=False,
    )
    session.commit()


def test_the_catalogue_lists_the_dataset_its_columns_and_licence(client: FlaskClient) -> None:
    english = client.get("/v1/open-data?lang=en").get_json()
    (dataset,) = english["datasets"]
    assert dataset["id"] == "queues"
    assert dataset["format"] == "text/csv"
    assert dataset["url_template"] == "/v1/open-data/queues.csv{?checkpoint,from,to}"
    assert dataset["max_range_days"] == 31
    assert [f["name"] for f in dataset["fields"]] == list(open_data.QUEUE_COLUMNS)
    assert english["licence"] == {
        "id": "CC-BY-4.0",
        "name": "Creative Commons Attribution 4.0 International",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert english["attribution"] == "Queue data: My Border, licensed under CC BY 4.0"
    kazakh = client.get("/v1/open-data?lang=kk").get_json()
    assert kazakh["attribution"] != english["attribution"]
    assert "My Border" in kazakh["attribution"]
    assert kazakh["datasets"][0]["title"] != dataset["title"]


@pytest.mark.usefixtures("kordai_history")
def test_the_csv_holds_one_row_per_lane_and_hour_of_official_reports(
    client: FlaskClient,
) -> None:
    response = client.get(f"/v1/open-data/queues.csv?{QUERY}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == (
        "checkpoint,direction,lane,hour_start_utc,reports,min_minutes,median_minutes,"
        "max_minutes,demo\r\n"
        "kz-kordai,exit,car,2026-11-30T10:00:00Z,2,30,40,50,false\r\n"
        "kz-kordai,exit,car,2026-11-30T11:00:00Z,1,20,20,20,false\r\n"
        "kz-kordai,exit,pedestrian,2026-11-30T12:00:00Z,1,12,12.5,13,false\r\n"
        "kz-kordai,entry,truck,2026-11-30T12:00:00Z,1,90,90,90,true\r\n"
    )


@pytest.mark.usefixtures("kordai_history")
def test_the_download_names_its_file_and_licence_and_is_cached(client: FlaskClient) -> None:
    first = client.get(f"/v1/open-data/queues.csv?{QUERY}")
    name = "queues-kz-kordai-20261130T100000Z-20261130T130000Z.csv"
    cached = client.get(f"/v1/open-data/queues.csv?{QUERY}")
    for response in (first, cached):
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert response.headers["Link"] == LICENCE_LINK
        assert response.headers["ETag"] == first.headers["ETag"]
        assert "public" in response.headers["Cache-Control"]
    assert cached.get_data() == first.get_data()
    unchanged = client.get(
        f"/v1/open-data/queues.csv?{QUERY}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""


def test_a_new_report_in_the_range_changes_the_download(
    client: FlaskClient, session: Session
) -> None:
    before = client.get(f"/v1/open-data/queues.csv?{QUERY}")
    assert before.get_data(as_text=True).count("\r\n") == 1  # the header row alone
    _report(session, 11, 30, 45)
    session.commit()
    after = client.get(
        f"/v1/open-data/queues.csv?{QUERY}", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert "kz-kordai,exit,car,2026-11-30T11:00:00Z,1,45,45,45,false" in after.get_data(
        as_text=True
    )


def test_at_most_31_days_per_download(client: FlaskClient) -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    for days, status in ((31, 200), (32, 422)):
        end = (start + timedelta(days=days)).isoformat().replace("+00:00", "Z")
        response = client.get(
            "/v1/open-data/queues.csv?checkpoint=kz-kordai&from=2026-10-01T00:00:00Z"
            f"&to={end}&lang=en"
        )
        assert response.status_code == status, response.get_data(as_text=True)
    assert "from" in response.get_json()["errors"]
    backwards = client.get(
        "/v1/open-data/queues.csv?checkpoint=kz-kordai&from=2026-10-02T00:00:00Z"
        "&to=2026-10-01T00:00:00Z"
    )
    assert backwards.status_code == 422


def test_a_bad_query_is_refused(client: FlaskClient) -> None:
    unknown = client.get(
        "/v1/open-data/queues.csv?checkpoint=xx-nowhere&from=2026-10-01T00:00:00Z"
        "&to=2026-10-02T00:00:00Z"
    )
    assert unknown.status_code == 404
    no_checkpoint = client.get(
        "/v1/open-data/queues.csv?from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z"
    )
    assert no_checkpoint.status_code == 422
    naive = client.get(
        "/v1/open-data/queues.csv?checkpoint=kz-kordai&from=2026-10-01T00:00:00"
        "&to=2026-10-02T00:00:00Z"
    )
    assert naive.status_code == 422


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the test runs."""
    with statements_sent(app.extensions["db"].sessionmaker.kw["bind"].engine) as sent:
        yield sent


@pytest.mark.usefixtures("kordai_history")
def test_the_csv_reads_only_the_official_reports(
    client: FlaskClient, statements: list[str]
) -> None:
    """Travellers' reports never reach open data: the download reads the official reports
    and their hourly roll-ups, and nothing that holds what travellers sent."""
    assert client.get(f"/v1/open-data/queues.csv?{QUERY}").status_code == 200
    sent = [s.lower() for s in statements]
    assert any("from queue_report" in s for s in sent)
    assert any("from queue_hourly" in s for s in sent)
    assert not [s for s in sent if "crowd" in s or "device" in s]
