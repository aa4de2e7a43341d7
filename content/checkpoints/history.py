"""Queue history: hourly wait buckets over a range, and the roll-up of old raw reports
into hourly aggregates (pruning). What is true now is in content.checkpoints.service.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, type_coerce
from sqlalchemy.orm import Session

from content.checkpoints.models import Direction, Lane, QueueHourly, QueueReport
from content.checkpoints.service import get_or_raise
from content.db import UTCDateTime, utcnow
from content.errors import N_, FieldProblem, Invalid

#: the longest range one request may ask for
MAX_RANGE = timedelta(days=31)
#: raw queue reports older than this are rolled up into hourly aggregates, then deleted
DEFAULT_RETENTION = timedelta(days=400)


@dataclass(frozen=True)
class HourBucket:
    start: datetime
    min_wait: int
    median_wait: float
    max_wait: int
    reports: int
    #: some report of the hour was demo data (aggregates of pruned hours carry no flag:
    #: False; pruning reaches only reports over DEFAULT_RETENTION old)
    demo: bool = False


def hourly_waits(
    session: Session,
    *,
    checkpoint_id: str,
    direction: Direction,
    lane: Lane,
    start: datetime,
    end: datetime,
) -> list[HourBucket]:
    """Queue history in hourly buckets (by observation time) over [start, end)."""
    get_or_raise(session, checkpoint_id)
    check_range(start, end)
    return hour_buckets(
        session, checkpoint_id=checkpoint_id, direction=direction, lane=lane, start=start, end=end
    )


def check_range(start: datetime, end: datetime) -> None:
    """A range one request may ask for: its end after its start, at most MAX_RANGE long."""
    if end <= start:
        raise Invalid([FieldProblem("to", N_("The end of the range must be after its start."))])
    if end - start > MAX_RANGE:
        raise Invalid(
            [FieldProblem("from", N_("The range may span at most %(days)s days."), {"days": 31})]
        )


def hour_buckets(
    session: Session,
    *,
    checkpoint_id: str,
    direction: Direction,
    lane: Lane,
    start: datetime,
    end: datetime,
) -> list[HourBucket]:
    """The hourly buckets of one lane over [start, end), from raw reports and, where those
    were pruned, from the hourly aggregates; any range (the typical week reads 8 weeks)."""
    result = _hour_buckets(
        session,
        QueueReport.checkpoint_id == checkpoint_id,
        QueueReport.direction == direction,
        QueueReport.lane == lane,
        QueueReport.observed_at >= start,
        QueueReport.observed_at < end,
    )
    buckets = {bucket.start for bucket in result}
    # hours whose raw reports were pruned live on as aggregates
    rolled_up = session.scalars(
        select(QueueHourly).where(
            QueueHourly.checkpoint_id == checkpoint_id,
            QueueHourly.direction == direction,
            QueueHourly.lane == lane,
            QueueHourly.hour >= start.replace(minute=0, second=0, microsecond=0),
            QueueHourly.hour < end,
        )
    )
    result += [
        HourBucket(h.hour, h.min_wait, h.median_wait, h.max_wait, h.reports)
        for h in rolled_up
        if h.hour not in buckets
    ]
    return sorted(result, key=lambda bucket: bucket.start)


def _hour_buckets(session: Session, *conditions: Any) -> list[HourBucket]:
    """Hourly min, median and max of the raw reports that match. PostgreSQL aggregates
    them itself, so a 30-day range sends one row per hour instead of one per report;
    SQLite (development and tests) has no percentile, so they are aggregated here."""
    if session.get_bind().dialect.name == "postgresql":
        hour = type_coerce(
            func.date_trunc("hour", func.timezone("UTC", QueueReport.observed_at)), UTCDateTime
        )
        grouped = session.execute(
            select(
                hour,
                func.min(QueueReport.wait_minutes),
                func.percentile_cont(0.5).within_group(QueueReport.wait_minutes),
                func.max(QueueReport.wait_minutes),
                func.count(),
                func.bool_or(QueueReport.demo),
            )
            .where(*conditions)
            .group_by(hour)
        )
        return [
            HourBucket(h, low, float(median), high, n, bool(demo))
            for h, low, median, high, n, demo in grouped
        ]
    waits_by_hour: dict[datetime, list[int]] = {}
    demo_hours: set[datetime] = set()
    for observed_at, wait, demo in session.execute(
        select(QueueReport.observed_at, QueueReport.wait_minutes, QueueReport.demo).where(
            *conditions
        )
    ):
        hour_start = observed_at.replace(minute=0, second=0, microsecond=0)
        waits_by_hour.setdefault(hour_start, []).append(wait)
        if demo:
            demo_hours.add(hour_start)
    return [
        HourBucket(h, min(waits), statistics.median(waits), max(waits), len(waits), h in demo_hours)
        for h, waits in waits_by_hour.items()
    ]


def prune(
    session: Session,
    *,
    older_than: timedelta = DEFAULT_RETENTION,
    batch_size: int = 5000,
    now: datetime | None = None,
) -> int:
    """Roll one batch of old raw reports up into `queue_hourly` and delete them.

    Only whole hours are pruned, each in one batch with its aggregate, so the aggregate is
    exact; a batch is one short transaction (commit between calls), so the table is never
    locked for long. Returns how many reports were deleted (0 when done).
    """
    cutoff = ((now or utcnow()) - older_than).replace(minute=0, second=0, microsecond=0)
    oldest = session.execute(
        select(
            QueueReport.checkpoint_id,
            QueueReport.direction,
            QueueReport.lane,
            QueueReport.observed_at,
        )
        .where(QueueReport.observed_at < cutoff)
        .order_by(QueueReport.observed_at)
        .limit(1)
    ).first()
    if oldest is None:
        return 0
    # whole hours, starting with the oldest, up to about batch_size reports
    start = oldest.observed_at.replace(minute=0, second=0, microsecond=0)
    columns = (
        QueueReport.id,
        QueueReport.checkpoint_id,
        QueueReport.direction,
        QueueReport.lane,
        QueueReport.observed_at,
        QueueReport.wait_minutes,
    )
    rows = session.execute(
        select(*columns)
        .where(QueueReport.observed_at >= start, QueueReport.observed_at < cutoff)
        .order_by(QueueReport.observed_at, QueueReport.id)
        .limit(batch_size)
    ).all()
    if len(rows) == batch_size:
        last_hour = rows[-1].observed_at.replace(minute=0, second=0, microsecond=0)
        if last_hour > start:
            rows = [r for r in rows if r.observed_at < last_hour]
        else:  # one hour holds more than a batch: take that hour whole
            rows = session.execute(
                select(*columns).where(
                    QueueReport.observed_at >= start,
                    QueueReport.observed_at < min(cutoff, start + timedelta(hours=1)),
                )
            ).all()
    groups: dict[tuple[str, Direction, Lane, datetime], list[int]] = {}
    for row in rows:
        hour = row.observed_at.replace(minute=0, second=0, microsecond=0)
        key = (row.checkpoint_id, row.direction, row.lane, hour)
        groups.setdefault(key, []).append(row.wait_minutes)
    # an hour is rolled up once: reports that old can no longer be posted (24-hour window)
    session.add_all(
        QueueHourly(
            checkpoint_id=checkpoint_id,
            direction=direction,
            lane=lane,
            hour=hour,
            reports=len(waits),
            min_wait=min(waits),
            median_wait=statistics.median(waits),
            max_wait=max(waits),
        )
        for (checkpoint_id, direction, lane, hour), waits in groups.items()
    )
    ids = [row.id for row in rows]
    for chunk in range(0, len(ids), 1000):
        session.execute(delete(QueueReport).where(QueueReport.id.in_(ids[chunk : chunk + 1000])))
    session.flush()
    return len(ids)
