"""Open data: the hourly aggregates of official queue reports, as CSV, under CC BY 4.0.

Only official figures are published: the reports border services and officers post
(`queue_report`, and `queue_hourly` once they are rolled up). Travellers' reports are
never read here. Demo rows are published too, marked in the `demo` column, so that the
demo database serves something to try and nobody takes them for real.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from content.checkpoints import history
from content.checkpoints.history import HourBucket
from content.checkpoints.models import Direction, Lane
from content.checkpoints.service import get_or_raise
from content.errors import N_

LICENCE_ID = "CC-BY-4.0"
LICENCE_NAME = "Creative Commons Attribution 4.0 International"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
#: the longest range one download may span
MAX_RANGE_DAYS = history.MAX_RANGE.days
#: how reusers credit the data, in the reader's language
ATTRIBUTION = N_("Queue data: %(service)s, licensed under CC BY 4.0")
#: the name credited, the same in every language
SERVICE_NAME = "My Border"

#: the CSV's columns, in order; minutes are the waits of the hour's official reports
QUEUE_COLUMNS = (
    "checkpoint",
    "direction",
    "lane",
    "hour_start_utc",
    "reports",
    "min_minutes",
    "median_minutes",
    "max_minutes",
    "demo",
)


@dataclass(frozen=True)
class QueueHour:
    checkpoint_id: str
    direction: Direction
    lane: Lane
    bucket: HourBucket


def queue_hours(
    session: Session, *, checkpoint_id: str, start: datetime, end: datetime
) -> list[QueueHour]:
    """Every hour of [start, end) with an official report, for each of the checkpoint's
    directions and lanes (in their order), oldest hour first; at most 31 days."""
    checkpoint = get_or_raise(session, checkpoint_id)
    history.check_range(start, end)
    rows = []
    for direction in map(Direction, checkpoint.directions):
        for lane in map(Lane, checkpoint.lanes):
            buckets = history.hour_buckets(
                session,
                checkpoint_id=checkpoint.id,
                direction=direction,
                lane=lane,
                start=start,
                end=end,
            )
            rows += [QueueHour(checkpoint.id, direction, lane, b) for b in buckets]
    return rows


def queue_csv(rows: Sequence[QueueHour]) -> str:
    """The rows as CSV (RFC 4180: comma-separated, CRLF line ends), with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(QUEUE_COLUMNS)
    for row in rows:
        bucket = row.bucket
        writer.writerow(
            (
                row.checkpoint_id,
                row.direction.value,
                row.lane.value,
                bucket.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                bucket.reports,
                bucket.min_wait,
                f"{bucket.median_wait:g}",
                bucket.max_wait,
                "true" if bucket.demo else "false",
            )
        )
    return out.getvalue()
