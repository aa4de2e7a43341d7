"""Planned closures and restrictions: the rules of announcing, and apply_planned starting
and ending them on time, with the history, the data version and the pushes right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from content import versions
from content.accounts.models import AuditEntry
from content.accounts.service import Actor, Poster
from content.checkpoints import planned
from content.checkpoints.models import (
    Checkpoint,
    CurrentStatus,
    PlannedStatus,
    Reason,
    State,
    StatusReport,
)
from content.checkpoints.service import set_status
from content.errors import Conflict, Forbidden, Invalid, NotFound
from push import devices
from push.models import MessageKind, MessageStatus, OutboxMessage
from tests import factories

NOW = datetime(2026, 12, 10, 6, 0, tzinfo=UTC)
OFFICER = Actor("user:1 officer@kz.test")
KZ = Poster(agency_id=None, country="KZ")


def _announce(session: Session, **overrides: Any) -> PlannedStatus:
    """A closure of Kordai for a public holiday, from one hour after NOW for a day."""
    fields: dict[str, Any] = {
        "actor": OFFICER,
        "poster": KZ,
        "checkpoint_id": "kz-kordai",
        "state": State.CLOSED,
        "starts_at": NOW + timedelta(hours=1),
        "ends_at": NOW + timedelta(hours=25),
        "reason": Reason.HOLIDAY,
        "message": "Independence Day",
        "now": NOW,
    }
    fields.update(overrides)
    return planned.announce(session, **fields)


def _problems(error: Invalid) -> dict[str, str]:
    return {p.path: p.message for p in error.problems}


def _outbox(session: Session, kind: MessageKind) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def _send_all(session: Session) -> None:
    """What a worker does between two ticks: everything waiting is sent (so a new status
    push is a row of its own, not a rewrite of a waiting one)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SENT, finished_at=NOW)
    )


def _waiting(session: Session, kind: MessageKind) -> list[OutboxMessage]:
    return [r for r in _outbox(session, kind) if r.status == MessageStatus.PENDING]


def _history(session: Session) -> list[tuple[State, Reason | None, str | None]]:
    return [
        (r.state, r.reason, r.message)
        for r in session.scalars(
            select(StatusReport)
            .where(StatusReport.checkpoint_id == "kz-kordai")
            .order_by(StatusReport.id)
        )
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": State.OPEN}, "state"),
        ({"starts_at": NOW - timedelta(minutes=6)}, "starts_at"),
        (
            {"starts_at": NOW + timedelta(days=366), "ends_at": NOW + timedelta(days=367)},
            "starts_at",
        ),
        ({"ends_at": NOW + timedelta(hours=1)}, "ends_at"),
        ({"ends_at": NOW + timedelta(minutes=30)}, "ends_at"),
        ({"ends_at": NOW + timedelta(hours=1, days=366)}, "ends_at"),
    ],
)
def test_announcing_checks_the_times_and_the_state(
    session: Session, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        _announce(session, **overrides)
    assert set(_problems(refused.value)) == {field}
    assert session.scalar(select(PlannedStatus)) is None


def test_a_start_within_the_grace_is_taken(session: Session) -> None:
    entry = _announce(session, starts_at=NOW - timedelta(minutes=4))
    assert entry.id is not None


def test_plans_of_one_checkpoint_may_not_overlap(session: Session) -> None:
    first = _announce(session)
    with pytest.raises(Conflict) as refused:
        _announce(
            session,
            starts_at=NOW + timedelta(hours=24),
            ends_at=NOW + timedelta(hours=30),
            state=State.RESTRICTED,
        )
    assert refused.value.params["id"] == first.id
    # back to back is no overlap; another checkpoint is none either; a cancelled plan is none
    _announce(session, starts_at=NOW + timedelta(hours=25), ends_at=NOW + timedelta(hours=26))
    _announce(session, checkpoint_id="kz-merke")
    planned.cancel(
        session, actor=OFFICER, poster=KZ, checkpoint_id="kz-kordai", planned_id=first.id, now=NOW
    )
    _announce(session, starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=3))


def test_only_who_may_post_the_status_may_plan_or_cancel(session: Session) -> None:
    with pytest.raises(Forbidden):
        _announce(session, poster=Poster(agency_id=None, country="KG"))
    agency = factories.agency(session, country="KZ", checkpoint_ids=["kz-merke"])
    narrowed = Poster(agency_id=agency.id, country="KZ", checkpoint_ids=frozenset({"kz-merke"}))
    with pytest.raises(Forbidden):
        _announce(session, poster=narrowed)
    entry = _announce(session)
    with pytest.raises(Forbidden):
        planned.cancel(
            session,
            actor=OFFICER,
            poster=Poster(agency_id=None, country="KG"),
            checkpoint_id="kz-kordai",
            planned_id=entry.id,
        )
    with pytest.raises(NotFound):  # the id of another checkpoint's plan
        planned.cancel(
            session, actor=OFFICER, poster=KZ, checkpoint_id="kz-merke", planned_id=entry.id
        )


def test_announcing_bumps_the_version_tells_followers_and_is_audited(session: Session) -> None:
    for token, locale in (("kk-phone", "kk"), ("ru-phone", "ru")):
        devices.follow(session, factories.device(session, token=token, locale=locale), "kz-kordai")
    before = versions.current(session)
    entry = _announce(session)
    assert versions.current(session) > before
    assert session.get(Checkpoint, "kz-kordai").changed_version == versions.current(session)
    rows = _outbox(session, MessageKind.PLANNED)
    assert [r.topic for r in rows] == ["cp.kz-kordai.kk", "cp.kz-kordai.ru"]
    assert rows[0].payload["data"]["event"] == "announced"
    assert rows[0].payload["collapse_key"] == f"plan-{entry.id}-kz-kordai"
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "announce_planned"))
    assert audit.actor == OFFICER.label
    assert audit.after["state"] == "closed"
    assert audit.after["starts_at"] == (NOW + timedelta(hours=1)).isoformat()


def test_a_closure_starts_and_ends_by_itself(session: Session) -> None:
    """Open before; closed from starts_at with the plan's reason and message; open again
    at ends_at. Each change is a status post (history), a new data version and one status
    push per language, the start's saying until when."""
    for token, locale in (("kk-phone", "kk"), ("ru-phone", "ru")):
        devices.follow(session, factories.device(session, token=token, locale=locale), "kz-kordai")
    set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.OPEN, now=NOW)
    entry = _announce(session)
    assert [r.topic for r in _waiting(session, MessageKind.PLANNED)] == [
        "cp.kz-kordai.kk",
        "cp.kz-kordai.ru",
    ]
    _send_all(session)
    assert planned.apply_planned(session, now=NOW + timedelta(minutes=59)) == []

    version = versions.current(session)
    start = NOW + timedelta(hours=1, seconds=20)
    assert planned.apply_planned(session, now=start) == [f"start {entry.id} kz-kordai"]
    status = session.get(CurrentStatus, "kz-kordai")
    assert (status.state, status.reason, status.message) == (
        State.CLOSED,
        Reason.HOLIDAY,
        "Independence Day",
    )
    assert status.since == start
    assert versions.current(session) > version
    started = _waiting(session, MessageKind.STATUS_CHANGE)
    assert [p.topic for p in started] == ["cp.kz-kordai.kk", "cp.kz-kordai.ru"]
    assert {p.payload["data"]["state"] for p in started} == {"closed"}
    assert all(p.payload["data"]["until"] == entry.ends_at.isoformat() for p in started)
    # the start is told once: by the status push, with no planned-closure message besides
    assert _waiting(session, MessageKind.PLANNED) == []
    _send_all(session)
    assert planned.upcoming(session, ["kz-kordai"])["kz-kordai"][0].started_at == start
    assert planned.apply_planned(session, now=start + timedelta(minutes=1)) == []

    version = versions.current(session)
    end = NOW + timedelta(hours=25, seconds=10)
    assert planned.apply_planned(session, now=end) == [f"end {entry.id} kz-kordai"]
    status = session.get(CurrentStatus, "kz-kordai")
    assert (status.state, status.reason, status.message) == (State.OPEN, None, None)
    assert versions.current(session) > version
    reopened = _waiting(session, MessageKind.STATUS_CHANGE)
    assert [p.topic for p in reopened] == ["cp.kz-kordai.kk", "cp.kz-kordai.ru"]
    assert {p.payload["data"]["state"] for p in reopened} == {"open"}
    assert "until" not in reopened[0].payload["data"]
    assert _waiting(session, MessageKind.PLANNED) == []
    assert _history(session) == [
        (State.OPEN, None, None),
        (State.CLOSED, Reason.HOLIDAY, "Independence Day"),
        (State.OPEN, None, None),
    ]
    assert planned.upcoming(session, ["kz-kordai"]) == {}
    scheduler = session.scalars(
        select(AuditEntry).where(AuditEntry.actor == "system:scheduler").order_by(AuditEntry.id)
    ).all()
    assert [e.after["state"] for e in scheduler] == ["closed", "open"]


def test_the_end_brings_back_what_was_there(session: Session) -> None:
    """A restriction planned during a weather closure: at its end, the weather closure
    (reason and message) is the status again."""
    set_status(
        session,
        poster=None,
        checkpoint_id="kz-kordai",
        state=State.RESTRICTED,
        reason=Reason.WEATHER,
        message="Snow on the pass",
        now=NOW,
    )
    _announce(session, state=State.CLOSED, reason=Reason.MAINTENANCE, message=None)
    planned.apply_planned(session, now=NOW + timedelta(hours=1))
    assert session.get(CurrentStatus, "kz-kordai").state == State.CLOSED
    planned.apply_planned(session, now=NOW + timedelta(hours=25))
    status = session.get(CurrentStatus, "kz-kordai")
    assert (status.state, status.reason, status.message) == (
        State.RESTRICTED,
        Reason.WEATHER,
        "Snow on the pass",
    )


def test_a_newer_post_wins_over_the_plan(session: Session) -> None:
    """Reopened early by hand: the plan is over at once (not listed), and its end leaves
    the status alone."""
    entry = _announce(session)
    planned.apply_planned(session, now=NOW + timedelta(hours=1))
    set_status(
        session,
        poster=None,
        checkpoint_id="kz-kordai",
        state=State.RESTRICTED,
        now=NOW + timedelta(hours=2),
    )
    assert planned.upcoming(session, ["kz-kordai"]) == {}
    assert planned.apply_planned(session, now=NOW + timedelta(hours=3)) == [
        f"superseded {entry.id} kz-kordai"
    ]
    assert planned.apply_planned(session, now=NOW + timedelta(hours=26)) == []
    assert session.get(CurrentStatus, "kz-kordai").state == State.RESTRICTED
    # the checkpoint is free for a new plan
    _announce(session, starts_at=NOW + timedelta(hours=4), ends_at=NOW + timedelta(hours=5))


def test_a_plan_whose_time_passed_unapplied_ends_without_a_change(session: Session) -> None:
    entry = _announce(session)
    version = versions.current(session)
    assert planned.apply_planned(session, now=NOW + timedelta(days=2)) == [
        f"missed {entry.id} kz-kordai"
    ]
    assert session.get(CurrentStatus, "kz-kordai") is None
    assert planned.upcoming(session, ["kz-kordai"]) == {}
    assert versions.current(session) > version


def test_cancelling_before_the_start_tells_followers(session: Session) -> None:
    devices.follow(session, factories.device(session, token="ru-phone", locale="ru"), "kz-kordai")
    entry = _announce(session)
    # a worker has sent the announcement already: the cancellation is a message of its own
    _send_all(session)
    version = versions.current(session)
    planned.cancel(
        session, actor=OFFICER, poster=KZ, checkpoint_id="kz-kordai", planned_id=entry.id, now=NOW
    )
    assert versions.current(session) > version
    rows = _outbox(session, MessageKind.PLANNED)
    assert [r.payload["data"]["event"] for r in rows] == ["announced", "cancelled"]
    assert rows[1].payload["collapse_key"] == rows[0].payload["collapse_key"]
    assert planned.upcoming(session, ["kz-kordai"]) == {}
    assert planned.apply_planned(session, now=NOW + timedelta(hours=2)) == []
    assert session.get(CurrentStatus, "kz-kordai") is None
    # again: nothing more happens
    planned.cancel(
        session, actor=OFFICER, poster=KZ, checkpoint_id="kz-kordai", planned_id=entry.id, now=NOW
    )
    assert len(_outbox(session, MessageKind.PLANNED)) == 2
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("%_planned"))
    ).all()
    assert actions == ["announce_planned", "cancel_planned"]


def test_a_cancellation_replaces_its_waiting_announcement(session: Session) -> None:
    devices.follow(session, factories.device(session, token="kk-phone", locale="kk"), "kz-kordai")
    entry = _announce(session)
    planned.cancel(
        session, actor=OFFICER, poster=KZ, checkpoint_id="kz-kordai", planned_id=entry.id, now=NOW
    )
    (row,) = _outbox(session, MessageKind.PLANNED)
    assert row.payload["data"]["event"] == "cancelled"


def test_cancelling_a_started_plan_ends_it_now(session: Session) -> None:
    devices.follow(session, factories.device(session, token="kk-phone", locale="kk"), "kz-kordai")
    set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.OPEN, now=NOW)
    entry = _announce(session)
    planned.apply_planned(session, now=NOW + timedelta(hours=1))
    _send_all(session)
    planned.cancel(
        session,
        actor=OFFICER,
        poster=KZ,
        checkpoint_id="kz-kordai",
        planned_id=entry.id,
        now=NOW + timedelta(hours=2),
    )
    assert session.get(CurrentStatus, "kz-kordai").state == State.OPEN
    # followers hear of it once: the status push, no "cancelled" message besides
    assert _waiting(session, MessageKind.PLANNED) == []
    (reopened,) = _waiting(session, MessageKind.STATUS_CHANGE)
    assert reopened.payload["data"]["state"] == "open"
    assert planned.apply_planned(session, now=NOW + timedelta(hours=26)) == []


def test_a_plan_that_ended_cannot_be_cancelled(session: Session) -> None:
    entry = _announce(session)
    planned.apply_planned(session, now=NOW + timedelta(hours=1))
    planned.apply_planned(session, now=NOW + timedelta(hours=25))
    with pytest.raises(Conflict):
        planned.cancel(
            session,
            actor=OFFICER,
            poster=KZ,
            checkpoint_id="kz-kordai",
            planned_id=entry.id,
            now=NOW + timedelta(hours=26),
        )


def test_demo_plans_send_nothing(session: Session) -> None:
    devices.follow(session, factories.device(session, token="kk-phone", locale="kk"), "kz-kordai")
    _announce(session, demo=True)
    planned.apply_planned(session, now=NOW + timedelta(hours=1))
    assert session.get(CurrentStatus, "kz-kordai").demo is True
    assert _outbox(session, MessageKind.PLANNED) == []
    assert _outbox(session, MessageKind.STATUS_CHANGE) == []
