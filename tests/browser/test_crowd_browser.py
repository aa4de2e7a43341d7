"""Crowd reports in a real browser: the agency's board shows a disputed queue, and a
publisher hides a report on the moderation page, after which the crowd figure is gone."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests import factories
from tests.browser.test_console_browser import login, shot


def _kordai_exit_car(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(  # noqa: S310  # the loopback test server
        f"{base}/v1/checkpoints/kz-kordai?lang=en"
    ) as response:
        body = json.load(response)
    return next(q for q in body["queues"] if (q["direction"], q["lane"]) == ("exit", "car"))


def test_the_board_shows_a_disputed_queue_and_a_publisher_hides_a_report(
    browser: Any, live_server: str, committed_database: tuple[str, Engine]
) -> None:
    _url, engine = committed_database
    with Session(engine) as session:
        # the border service says 20 minutes; three travellers say 90 to 100
        factories.record_queue(session, wait_minutes=20, observed_at=datetime.now(UTC))
        reports = [
            factories.crowd_report(session, factories.reporting_device(session), waited_minutes=m)
            for m in (90, 95, 100)
        ]
        hidden_id = reports[1].id
        session.commit()
    assert _kordai_exit_car(live_server)["disputed"] is True

    officer = login(browser, live_server, "officer")
    officer.goto(f"{live_server}/console/board")
    card = officer.locator("section", has=officer.locator("#cp-kz-kordai"))
    lane = card.locator('tr[data-lane="exit-car"]')
    assert "20 minutes" in lane.inner_text()  # the official figure, beside the crowd's
    assert "Disputed" in lane.locator("td.crowd").inner_text()
    assert "devices: 3" in lane.locator("td.crowd").inner_text()
    lane.scroll_into_view_if_needed()
    shot(officer, "board-disputed-queue")

    publisher = login(browser, live_server, "publisher")
    publisher.get_by_role("link", name="Crowd reports").click()
    row = publisher.locator(f"#crowd-report-{hidden_id}")
    assert "Counts" in row.inner_text()
    shot(publisher, "crowd-reports-before-hiding")
    row.get_by_role("button", name="Hide").click()
    publisher.wait_for_load_state()
    assert publisher.get_by_role("status").first.inner_text() == (
        "Report hidden: it no longer counts."
    )
    row = publisher.locator(f"#crowd-report-{hidden_id}")
    assert "Hidden" in row.inner_text()
    assert row.get_by_role("button", name="Show again").count() == 1
    shot(publisher, "crowd-reports-one-hidden")

    # two devices left are not a crowd: the figure and the dispute are gone
    queue = _kordai_exit_car(live_server)
    assert queue["crowd"] is None
    assert queue["disputed"] is None
    officer.reload()
    assert "Disputed" not in lane.locator("td.crowd").inner_text()
    assert "devices:" not in lane.locator("td.crowd").inner_text()
