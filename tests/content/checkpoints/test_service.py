"""The current-state rules: out-of-order reports, staleness, expiry, opening hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content import versions
from content.checkpoints import history
from content.checkpoints import service as checkpoints
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    Direction,
    Lane,
    QueueReport,
    State,
)
from tests import factories
from tests.conftest import statements_sent

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _current(session: Session, lane: Lane = Lane.CAR) -> CurrentQueue | None:
    return session.scalar(
        select(CurrentQueue).where(
            CurrentQueue.checkpoint_id == "kz-kordai",
            CurrentQueue.direction == Direction.EXIT,
            CurrentQueue.lane == lane,
        )
    )


def test_newest_observation_wins_whatever_the_order_of_posting(session: Session) -> None:
    factories.record_queue(
        session, now=NOW, wait_minutes=20, observed_at=NOW - timedelta(minutes=10)
    )
    recorded = factories.record_queue(
        session, now=NOW, wait_minutes=90, observed_at=NOW - timedelta(minutes=40)
    )
    assert recorded.applied is False
    current = _current(session)
    assert current is not None
    assert current.wait_minutes == 20
    waits = session.scalars(select(QueueReport.wait_minutes).order_by(QueueReport.id))
    assert list(waits)[-2:] == [20, 90]


def test_within_one_batch_the_newest_observation_is_current(session: Session) -> None:
    recorded = checkpoints.record_queues(
        session,
        poster=None,
        reports=[
            factories.queue_report(wait_minutes=15, observed_at=NOW - timedelta(minutes=5)),
            factories.queue_report(wait_minutes=45, observed_at=NOW - timedelta(minutes=25)),
        ],
        now=NOW,
    )
    assert [r.applied for r in recorded] == [True, False]
    current = _current(session)
    assert current is not None
    assert current.wait_minutes == 15


def test_equal_observation_time_replaces(session: Session) -> None:
    moment = NOW - timedelta(minutes=5)
    factories.record_queue(session, now=NOW, wait_minutes=10, observed_at=moment)
    factories.record_queue(session, now=NOW, wait_minutes=12, observed_at=moment)
    current = _current(session)
    assert current is not None
    assert current.wait_minutes == 12


def test_expired_reports_are_not_current_and_stale_ones_keep_their_time(
    session: Session,
) -> None:
    checkpoints.record_queues(
        session,
        poster=None,
        reports=[
            factories.queue_report(wait_minutes=10, observed_at=NOW - timedelta(minutes=100)),
            factories.queue_report(
                wait_minutes=30, observed_at=NOW - timedelta(hours=23), lane=Lane.TRUCK
            ),
        ],
        now=NOW,
    )
    (state,) = checkpoints.list_(
        session, filters=checkpoints.CheckpointFilter(ids=["kz-kordai"]), now=NOW
    )
    assert {q.lane for q in state.queues} == {Lane.CAR, Lane.TRUCK}
    later = NOW + timedelta(hours=1, minutes=1)
    (state,) = checkpoints.list_(
        session, filters=checkpoints.CheckpointFilter(ids=["kz-kordai"]), now=later
    )
    assert [(q.lane, q.observed_at) for q in state.queues] == [
        (Lane.CAR, NOW - timedelta(minutes=100))
    ]


def test_list_reads_only_current_state(session: Session) -> None:
    """The list answers the same with history present: it never aggregates history."""
    checkpoints.record_queues(
        session,
        poster=None,
        reports=[
            factories.queue_report(wait_minutes=m, observed_at=NOW - timedelta(minutes=m + 1))
            for m in range(200)
        ],
        now=NOW,
    )
    with statements_sent(session.get_bind()) as statements:
        (state,) = checkpoints.list_(
            session, filters=checkpoints.CheckpointFilter(ids=["kz-kordai"]), now=NOW
        )
    assert [q.wait_minutes for q in state.queues] == [0]
    assert statements, "the list was answered without a query: the listener saw nothing"
    assert not [s for s in statements if "queue_report" in s or "queue_hourly" in s]


def test_writes_bump_the_data_version(session: Session) -> None:
    before = versions.current(session)
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    assert versions.current(session) == before + 1
    factories.record_queue(session, now=NOW, wait_minutes=5, observed_at=NOW)
    assert versions.current(session) == before + 2


def _checkpoint(**overrides: Any) -> Checkpoint:
    return factories.checkpoint(**{"timezone": "Asia/Tashkent", "hours_known": True, **overrides})


def test_opening_hours_in_the_checkpoints_time_zone() -> None:
    day = _checkpoint(hours=[{"days": [1, 2, 3, 4, 5], "opens": "08:00", "closes": "20:00"}])
    # Tashkent is UTC+5: 02:59 UTC is 07:59 there, 03:00 UTC is 08:00
    monday = datetime(2026, 11, 23, tzinfo=UTC)
    assert checkpoints.is_open_at(day, monday.replace(hour=2, minute=59)) is False
    assert checkpoints.is_open_at(day, monday.replace(hour=3)) is True
    assert checkpoints.is_open_at(day, monday.replace(hour=15)) is False
    saturday = datetime(2026, 11, 28, 6, tzinfo=UTC)
    assert checkpoints.is_open_at(day, saturday) is False


def test_opening_hours_past_midnight() -> None:
    night = _checkpoint(hours=[{"days": [5], "opens": "22:00", "closes": "02:00"}])
    friday_23 = datetime(2026, 11, 27, 18, tzinfo=UTC)  # 23:00 in Tashkent
    saturday_01 = datetime(2026, 11, 27, 20, tzinfo=UTC)  # 01:00 Saturday
    saturday_03 = datetime(2026, 11, 27, 22, tzinfo=UTC)  # 03:00 Saturday
    assert checkpoints.is_open_at(night, friday_23) is True
    assert checkpoints.is_open_at(night, saturday_01) is True
    assert checkpoints.is_open_at(night, saturday_03) is False


def test_unknown_hours_and_always_open() -> None:
    assert checkpoints.is_open_at(_checkpoint(), NOW) is None
    assert checkpoints.is_open_at(_checkpoint(always_open=True), NOW) is True
    # hours no source confirmed say nothing, whatever the other fields hold
    assert checkpoints.is_open_at(_checkpoint(hours_known=False, always_open=True), NOW) is None


def test_the_next_hours_change_within_a_day_and_across_the_week() -> None:
    day = _checkpoint(hours=[{"days": [1, 2, 3, 4, 5], "opens": "08:00", "closes": "20:00"}])
    monday = datetime(2026, 11, 23, tzinfo=UTC)  # Tashkent is UTC+5
    # before the opening: it opens at 08:00 (03:00 UTC); open: it closes at 20:00 (15:00 UTC)
    assert checkpoints.next_hours_change(day, monday.replace(hour=2)) == monday.replace(hour=3)
    assert checkpoints.next_hours_change(day, monday.replace(hour=3)) == monday.replace(hour=15)
    assert checkpoints.next_hours_change(day, monday.replace(hour=10)) == monday.replace(hour=15)
    # Friday evening: closed over the weekend, it opens again on Monday
    friday_21 = datetime(2026, 11, 27, 16, tzinfo=UTC)
    assert checkpoints.next_hours_change(day, friday_21) == datetime(2026, 11, 30, 3, tzinfo=UTC)


def test_the_next_hours_change_past_midnight() -> None:
    night = _checkpoint(hours=[{"days": [5], "opens": "22:00", "closes": "02:00"}])
    friday_23 = datetime(2026, 11, 27, 18, tzinfo=UTC)
    saturday_02 = datetime(2026, 11, 27, 21, tzinfo=UTC)
    assert checkpoints.next_hours_change(night, friday_23) == saturday_02
    # closed from 02:00 Saturday until 22:00 the next Friday
    next_friday_22 = datetime(2026, 12, 4, 17, tzinfo=UTC)
    assert checkpoints.next_hours_change(night, saturday_02) == next_friday_22
    # windows that join at midnight do not turn there
    joined = _checkpoint(
        hours=[
            {"days": [3], "opens": "20:00", "closes": "24:00"},
            {"days": [4], "opens": "00:00", "closes": "02:00"},
        ]
    )
    wednesday_22 = datetime(2026, 11, 25, 17, tzinfo=UTC)
    thursday_02 = datetime(2026, 11, 25, 21, tzinfo=UTC)
    assert checkpoints.next_hours_change(joined, wednesday_22) == thursday_02


def test_no_hours_change_for_unknown_hours_or_always_open() -> None:
    assert checkpoints.next_hours_change(_checkpoint(), NOW) is None
    assert checkpoints.next_hours_change(_checkpoint(always_open=True), NOW) is None
    every_day = [{"days": [1, 2, 3, 4, 5, 6, 7], "opens": "08:00", "closes": "20:00"}]
    unconfirmed = _checkpoint(hours_known=False, hours=every_day)
    assert checkpoints.next_hours_change(unconfirmed, NOW) is None
    around_the_clock = _checkpoint(
        hours=[{"days": [1, 2, 3, 4, 5, 6, 7], "opens": "00:00", "closes": "24:00"}]
    )
    assert checkpoints.next_hours_change(around_the_clock, NOW) is None


def test_distance() -> None:
    # Almaty to Bishkek, about 195 km as the crow flies
    assert 190 < checkpoints.distance_km(43.238, 76.946, 42.875, 74.604) < 200


def test_prune_rolls_old_reports_into_hourly_aggregates(session: Session) -> None:
    from sqlalchemy import func

    from content.checkpoints.models import QueueHourly

    old = NOW - timedelta(days=500)
    hour = old.replace(minute=0, second=0, microsecond=0)
    checkpoints.record_queues(
        session,
        poster=None,
        reports=[
            factories.queue_report(wait_minutes=wait, observed_at=hour + timedelta(minutes=m))
            for m, wait in ((5, 10), (20, 30), (40, 20))
        ]
        + [
            factories.queue_report(
                wait_minutes=60, observed_at=hour + timedelta(hours=1, minutes=1)
            ),
            factories.queue_report(wait_minutes=5, observed_at=NOW - timedelta(days=1)),
        ],
        now=NOW,
        check_age=False,
    )
    count = session.scalar(select(func.count()).select_from(QueueReport))
    deleted = 0
    while batch := history.prune(session, batch_size=2, now=NOW):
        deleted += batch
    assert deleted == 4
    assert session.scalar(select(func.count()).select_from(QueueReport)) == (count or 0) - 4
    rolled = list(session.scalars(select(QueueHourly).order_by(QueueHourly.hour)))
    assert [(r.reports, r.min_wait, r.median_wait, r.max_wait) for r in rolled] == [
        (3, 10, 20, 30),
        (1, 60, 60, 60),
    ]
    # history still answers for those hours, from the aggregates
    buckets = history.hourly_waits(
        session,
        checkpoint_id="kz-kordai",
        direction=Direction.EXIT,
        lane=Lane.CAR,
        start=hour,
        end=hour + timedelta(days=1),
    )
    assert [(b.min_wait, b.median_wait, b.max_wait, b.reports) for b in buckets] == [
        (10, 20, 30, 3),
        (60, 60, 60, 1),
    ]


def test_lane_problems_name_each_missing_lane_and_direction_under_its_path() -> None:
    """One check serves queue reports (under their place in the batch) and queue alerts."""
    one_way = Checkpoint(id="kz-test-one-way", lanes=["car"], directions=["entry"])
    assert checkpoints.lane_problems(one_way, direction=Direction.ENTRY, lane=Lane.CAR) == []
    alone = checkpoints.lane_problems(one_way, direction=Direction.EXIT, lane=Lane.TRUCK)
    assert [(p.path, p.params) for p in alone] == [
        ("lane", {"checkpoint": "kz-test-one-way", "lane": "truck"}),
        ("direction", {"checkpoint": "kz-test-one-way", "direction": "exit"}),
    ]
    in_batch = checkpoints.lane_problems(
        one_way, direction=Direction.ENTRY, lane=Lane.BUS, path="reports.3"
    )
    assert [p.path for p in in_batch] == ["reports.3.lane"]
