"""The board's planned closures: an officer announces one in the checkpoint's local time,
sees it listed, and cancels it; bad values are shown beside their fields."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.checkpoints.models import PlannedStatus
from tests.api.console.test_console import csrf, sign_in
from tests.api.console.test_console_forms import field_error

ALMATY = ZoneInfo("Asia/Almaty")  # kz-kordai's time zone


def _local(moment: datetime) -> str:
    """As an <input type="datetime-local"> sends it."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _form(token: str, **changes: str) -> dict[str, str]:
    """Closed for a public holiday from 08:00 the day after tomorrow, for a day, local."""
    start = (datetime.now(ALMATY) + timedelta(days=2)).replace(hour=8, minute=0)
    form = {
        "csrf_token": token,
        "state": "closed",
        "starts_at": _local(start),
        "ends_at": _local(start + timedelta(days=1)),
        "reason": "holiday",
        "message": " Independence Day ",
    }
    form.update(changes)
    return form


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PlannedStatus)) or 0


def test_an_officer_announces_lists_and_cancels(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    form = _form(token)
    posted = client.post("/console/board/kz-kordai/planned", data=form)
    assert posted.status_code == 302
    entry = session.scalar(select(PlannedStatus))
    assert entry is not None
    # the form's times are Kordai's local time
    assert entry.starts_at == datetime.fromisoformat(form["starts_at"]).replace(tzinfo=ALMATY)
    assert entry.message == "Independence Day"
    assert entry.created_by.startswith("user:")
    board = client.get("/console/board?lang=ru").get_data(as_text=True)
    assert "Запланировано" in board
    assert ", 08:00 – " in board
    cancel_url = f"/console/board/kz-kordai/planned/{entry.id}/cancel"
    assert cancel_url in board

    assert client.post(cancel_url, data={"csrf_token": token}).status_code == 302
    session.refresh(entry)
    assert entry.cancelled_at is not None
    assert cancel_url not in client.get("/console/board").get_data(as_text=True)
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_id == "kz-kordai",
            AuditEntry.actor != "system:seed",  # the seed's e-queue fact of Kordai's trucks
        )
    ).all()
    assert actions == ["announce_planned", "cancel_planned"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"state": "open"}, "state"),
        ({"state": ""}, "state"),
        ({"reason": "aliens"}, "reason"),
        ({"message": "m" * 501}, "message"),
        ({"message": "nul\x00"}, "message"),
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "2026-02-30T10:00"}, "starts_at"),
        ({"starts_at": "2020-01-01T10:00", "ends_at": "2020-01-02T10:00"}, "starts_at"),
        ({"ends_at": "2020-01-01T10:00"}, "ends_at"),
    ],
)
def test_bad_values_are_shown_beside_their_fields(
    client: FlaskClient, session: Session, changes: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    response = client.post("/console/board/kz-kordai/planned", data=_form(token, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, f"{field}-kz-kordai")
    # the status form beside it names its fields alike: every id is still unique
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert _count(session) == 0


def test_an_overlap_and_another_country_are_refused_with_an_alert(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    assert client.post("/console/board/kz-kordai/planned", data=_form(token)).status_code == 302
    again = client.post("/console/board/kz-kordai/planned", data=_form(token, state="restricted"))
    assert again.status_code == 302
    assert "сначала отмените его" in client.get("/console/board").get_data(as_text=True)
    other = client.post("/console/board/kg-ak-zhol/planned", data=_form(token))
    assert other.status_code == 302
    assert _count(session) == 1


def test_admins_see_plans_but_post_none(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/board")
    board = client.get("/console/board?country=KZ").get_data(as_text=True)
    assert "/console/board/kz-kordai/planned" not in board
    refused = client.post("/console/board/kz-kordai/planned", data=_form(token))
    assert refused.status_code == 403
