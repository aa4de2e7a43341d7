"""The crowd-report moderation page (publishers and admins): hiding, showing, blocking
and unblocking, each audited as the signed-in user; and the crowd figures in the board's
lane rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.checkpoints.models import CrowdBlock, CrowdReport
from tests import factories
from tests.api.console.test_console import csrf, sign_in


def _reports(session: Session, minutes: tuple[int, ...] = (90, 95, 100)) -> list[CrowdReport]:
    return [
        factories.crowd_report(session, factories.reporting_device(session), waited_minutes=m)
        for m in minutes
    ]


def _hidden(session: Session, report_id: int) -> bool:
    session.expire_all()
    return (
        session.scalar(select(CrowdReport.hidden_at).where(CrowdReport.id == report_id)) is not None
    )


@pytest.mark.parametrize("role", [Role.EDITOR, Role.BORDER_OFFICER])
def test_only_publishers_and_admins_moderate(
    client: FlaskClient, session: Session, role: Role
) -> None:
    sign_in(client, session, role, country="KZ" if role is Role.BORDER_OFFICER else None)
    assert client.get("/console/crowd-reports").status_code == 403


def test_a_publisher_hides_and_shows_a_report(client: FlaskClient, session: Session) -> None:
    (report, *_) = _reports(session)
    session.commit()
    sign_in(client, session, Role.PUBLISHER)
    token = csrf(client, "/console/crowd-reports?lang=en")  # the console keeps the language
    page = client.get("/console/crowd-reports").get_data(as_text=True)
    assert f'id="crowd-report-{report.id}"' in page
    assert "0-1 km" in page
    hidden = client.post(f"/console/crowd-reports/{report.id}/hide", data={"csrf_token": token})
    assert hidden.status_code == 302
    session.expire_all()
    assert _hidden(session, report.id)
    assert "Report hidden" in client.get("/console/crowd-reports?lang=en").get_data(as_text=True)
    client.post(f"/console/crowd-reports/{report.id}/show", data={"csrf_token": token})
    session.expire_all()
    assert not _hidden(session, report.id)
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.actor.like("user:% publisher@console.test"))
    ).all()
    assert actions[-2:] == ["hide_crowd_report", "unhide_crowd_report"]


def test_an_admin_blocks_and_unblocks_a_device(client: FlaskClient, session: Session) -> None:
    (report, *_) = _reports(session)
    session.commit()
    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/crowd-reports")
    client.post(f"/console/crowd-devices/{report.device_id}/block", data={"csrf_token": token})
    assert session.get(CrowdBlock, report.device_id) is not None
    page = client.get("/console/crowd-reports?lang=en").get_data(as_text=True)
    assert "Device blocked" in page
    client.post(f"/console/crowd-devices/{report.device_id}/unblock", data={"csrf_token": token})
    session.expire_all()
    assert session.get(CrowdBlock, report.device_id) is None


def test_moderating_what_does_not_exist_says_so(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/crowd-reports?lang=en")  # the console keeps the language
    client.post("/console/crowd-reports/999999/hide", data={"csrf_token": token})
    page = client.get("/console/crowd-reports?lang=en").get_data(as_text=True)
    assert "No crowd report with id 999999" in page


def _lane_row(page: str, lane: str = "exit-car") -> str:
    """The board row of one lane of Kordai's card: the official and the crowd figure."""
    card = page[page.index('id="cp-kz-kordai"') :]
    match = re.search(rf'<tr class="lane \w+" data-lane="{lane}">(.*?)</tr>', card, re.S)
    assert match, f"no row for {lane}"
    return match.group(0)


def test_the_board_shows_a_disputed_queue(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, wait_minutes=20, observed_at=datetime.now(UTC))
    _reports(session)
    session.commit()
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    page = client.get("/console/board?lang=en").get_data(as_text=True)
    row = _lane_row(page)
    assert "20 minutes" in row  # the official figure, in the same row
    crowd_cell = row[row.index('class="crowd') :]
    assert "1 hour, 35 minutes (devices: 3)" in crowd_cell
    assert "Disputed" in crowd_cell
    assert 'class="crowd disputed"' in row


def test_the_board_shows_no_dispute_when_they_agree(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, wait_minutes=90, observed_at=datetime.now(UTC))
    _reports(session)
    session.commit()
    sign_in(client, session, Role.ADMIN)
    page = client.get("/console/board?lang=en&country=KZ").get_data(as_text=True)
    row = _lane_row(page)
    assert "1 hour, 35 minutes (devices: 3)" in row
    assert "Disputed" not in row
