"""Reporting freshness: the fresh-hour rule, each checkpoint's `reporting` on a
constructed week, the list's constant number of statements, and the agencies' report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Agency, Role
from content.accounts.service import Actor, Poster
from content.checkpoints import freshness
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane, QueueReport
from content.checkpoints.service import CheckpointFilter, QueueObservation
from content.errors import Forbidden, Invalid
from content.seed import loader
from tests import factories
from tests.conftest import statements_sent

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # on the hour
WEEK_START = NOW - timedelta(hours=freshness.SHARE_HOURS)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def _post(
    session: Session,
    *,
    observed_at: datetime,
    posted_at: datetime,
    checkpoint_id: str = "kz-kordai",
    poster: Poster | None = None,
    demo: bool = False,
) -> None:
    checkpoints.record_queues(
        session,
        actor=accounts.agency_actor(poster) if poster else None,
        poster=poster,
        reports=[QueueObservation(checkpoint_id, Direction.EXIT, Lane.CAR, 30, observed_at)],
        now=posted_at,
        demo=demo,
    )


def _reporting_of(
    session: Session, ids: list[str], *, now: datetime
) -> dict[str, freshness.Reporting]:
    """Each checkpoint's `reporting` as the list reads it (absent: never reported)."""
    states = checkpoints.list_(session, filters=CheckpointFilter(ids=ids), now=now)
    return {s.checkpoint.id: s.reporting for s in states if s.reporting is not None}


def test_a_report_is_fresh_for_its_hour_and_the_next_from_when_it_was_posted() -> None:
    hour = freshness.hour_index(NOW)
    assert list(freshness.fresh_hours(NOW + 10 * M, NOW + 15 * M)) == [hour, hour + 1]
    # posted in the next hour: only that one (travellers never saw it before)
    assert list(freshness.fresh_hours(NOW + 50 * M, NOW + 65 * M)) == [hour + 1]
    # posted two hours later: it never made an hour fresh
    assert list(freshness.fresh_hours(NOW + 10 * M, NOW + 2 * H + 10 * M)) == []


def test_reporting_share_on_a_constructed_week(session: Session) -> None:
    """A report every 4 hours keeps 2 hours in 4 fresh: exactly half of the 168."""
    for k in range(42):
        hour = WEEK_START + 4 * k * H
        _post(session, observed_at=hour + 10 * M, posted_at=hour + 15 * M)
    # a late post adds nothing; one before the window only freshens hours already fresh
    _post(session, observed_at=WEEK_START + 2 * H, posted_at=WEEK_START + 4 * H + 10 * M)
    _post(session, observed_at=WEEK_START - H + 10 * M, posted_at=WEEK_START - H + 20 * M)
    # another checkpoint's reports are its own
    _post(
        session, checkpoint_id="kz-sypatai-batyr", observed_at=NOW - 30 * M, posted_at=NOW - 25 * M
    )

    reporting = _reporting_of(session, ["kz-kordai", "kz-sypatai-batyr", "kz-kolzhat"], now=NOW)
    assert reporting["kz-kordai"].fresh_hours_share_7d == 0.5
    assert reporting["kz-kordai"].last_official_at == WEEK_START + 164 * H + 10 * M
    assert reporting["kz-kordai"].demo is False
    assert reporting["kz-sypatai-batyr"].fresh_hours_share_7d == round(1 / 168, 4)
    assert "kz-kolzhat" not in reporting  # never reported
    (state,) = checkpoints.list_(session, filters=CheckpointFilter(ids=["kz-kordai"]), now=NOW)
    assert state.reporting == reporting["kz-kordai"]
    # a week on, the same hours have left the window
    later = _reporting_of(session, ["kz-kordai"], now=NOW + 7 * 24 * H)
    assert later["kz-kordai"].fresh_hours_share_7d == 0.0


def test_demo_data_counts_as_official_and_says_so(session: Session) -> None:
    _post(session, observed_at=NOW - 70 * M, posted_at=NOW - 65 * M, demo=True)
    (reporting,) = _reporting_of(session, ["kz-kordai"], now=NOW).values()
    assert reporting.demo is True
    assert reporting.fresh_hours_share_7d == round(2 / 168, 4)


def _count_statements(session: Session, ids: list[str] | None) -> int:
    with statements_sent(session.get_bind()) as statements:
        checkpoints.list_(session, filters=CheckpointFilter(ids=ids), now=NOW)
    return len(statements)


def test_the_list_takes_as_many_statements_for_one_checkpoint_as_for_all(
    session: Session,
) -> None:
    for checkpoint_id in ("kz-kordai", "kz-sypatai-batyr", "kg-ak-zhol"):
        _post(session, checkpoint_id=checkpoint_id, observed_at=NOW - 20 * M, posted_at=NOW)
    session.expire_all()
    one = _count_statements(session, ["kz-kordai"])
    session.expire_all()
    assert _count_statements(session, None) == one


def _agency(session: Session, country: str, scope: list[str] | None) -> tuple[Agency, Poster]:
    agency = factories.agency(session, country=country, checkpoint_ids=scope)
    ids = frozenset(agency.checkpoint_ids) if agency.checkpoint_ids else None
    return agency, Poster(agency.id, agency.country, ids, agency.name)


def test_the_agencies_report_counts_only_the_agencys_own_reports(session: Session) -> None:
    agency, poster = _agency(session, "KZ", ["kz-kordai", "kz-sypatai-batyr"])
    day_start = NOW - 24 * H
    for k in range(12):  # every other hour at Kordai, 5 or 15 minutes late
        hour = day_start + 2 * k * H
        _post(
            session, poster=poster, observed_at=hour, posted_at=hour + (5 if k % 2 == 0 else 15) * M
        )
    # an officer's and another agency's reports count for neither
    officer = Poster(None, "KZ")
    checkpoints.record_queues(
        session,
        actor=Actor("user:1 o@b.kz", Role.BORDER_OFFICER),
        poster=officer,
        reports=[QueueObservation("kz-sypatai-batyr", Direction.EXIT, Lane.CAR, 5, NOW - 3 * H)],
        now=NOW - 3 * H + M,
    )
    other, other_poster = _agency(session, "KZ", ["kz-sypatai-batyr"])
    _post(
        session,
        poster=other_poster,
        checkpoint_id="kz-sypatai-batyr",
        observed_at=NOW - 5 * H,
        posted_at=NOW - 5 * H + 30 * M,
    )

    report = freshness.agencies_report(session, agencies=[agency, other], days=1, now=NOW + 20 * M)
    assert (report.start, report.end, report.hours) == (day_start, NOW, 24)
    mine, theirs = report.items
    assert [(c.checkpoint.id, c.fresh_hours) for c in mine.checkpoints] == [
        ("kz-kordai", 24),
        ("kz-sypatai-batyr", 0),
    ]
    assert mine.fresh_share == 0.5
    assert mine.median_report_age_minutes == 10.0
    assert mine.reports == 12
    assert mine.last_report is not None
    assert mine.last_report.checkpoint_id == "kz-kordai"
    assert mine.last_report.posted_at == day_start + 22 * H + 15 * M
    assert [(c.checkpoint.id, c.fresh_hours) for c in theirs.checkpoints] == [
        ("kz-sypatai-batyr", 2)
    ]
    assert theirs.median_report_age_minutes == 30.0


def test_an_agency_with_no_reports_has_no_figures(session: Session) -> None:
    agency, _poster = _agency(session, "TM", None)
    (item,) = freshness.agencies_report(session, agencies=[agency], now=NOW).items
    assert item.checkpoints, "every TM checkpoint with queue lanes is its own"
    assert all(c.checkpoint.lanes for c in item.checkpoints)
    assert (item.fresh_share, item.median_report_age_minutes, item.last_report) == (0.0, None, None)
    with pytest.raises(Invalid):
        freshness.agencies_report(session, agencies=[agency], days=0, now=NOW)


def test_who_sees_which_agencies(session: Session) -> None:
    kz, kz_poster = _agency(session, "KZ", None)
    kg, _ = _agency(session, "KG", None)
    admin = freshness.visible_agencies(session, actor=Actor("admin", Role.ADMIN))
    assert {kz.id, kg.id} <= {a.id for a in admin}
    officer = freshness.visible_agencies(
        session, actor=Actor("officer", Role.BORDER_OFFICER, country="KG")
    )
    assert kg.id in {a.id for a in officer}
    assert {a.country for a in officer} == {"KG"}
    assert [a.id for a in freshness.visible_agencies(session, poster=kz_poster)] == [kz.id]
    with pytest.raises(Forbidden):
        freshness.visible_agencies(session, actor=Actor("editor", Role.EDITOR))


def test_the_demo_history_counts_towards_reporting_by_the_same_rule(session: Session) -> None:
    """The seed inserts its history around record_queues: it notes the fresh hours itself."""
    loader.load_demo(session, now=NOW, days=8)
    reports = session.execute(
        select(QueueReport.observed_at, QueueReport.posted_at).where(
            QueueReport.checkpoint_id == "kz-kordai"
        )
    ).all()
    end = freshness.hour_index(NOW)
    fresh = {
        hour
        for observed_at, posted_at in reports
        for hour in freshness.fresh_hours(observed_at, posted_at)
        if end - freshness.SHARE_HOURS <= hour < end
    }
    (reporting,) = _reporting_of(session, ["kz-kordai"], now=NOW).values()
    assert reporting.demo is True
    assert reporting.fresh_hours_share_7d == round(len(fresh) / freshness.SHARE_HOURS, 4)
    assert reporting.fresh_hours_share_7d > 0.5
