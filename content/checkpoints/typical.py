"""The typical week of one lane: per weekday and hour in the checkpoint's own time, the
median and 80th percentile wait over the last 8 weeks, public holidays of both countries
left out (they are not typical; the forecast models them separately).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from content.checkpoints import series
from content.checkpoints.models import Checkpoint, Direction, Lane
from content.checkpoints.service import get_or_raise, lane_problems
from content.db import utcnow
from content.errors import Invalid

#: how many weeks back the typical week looks
WEEKS = 8
#: a cell needs this many hours with a value to be shown
MIN_SAMPLES = 3
#: how many of the quietest cells `best` lists
BEST_CELLS = 3


@dataclass(frozen=True)
class TypicalCell:
    weekday: int  # 0 = Monday, local time
    hour: int  # 0-23, local time
    p50: float | None  # minutes; None with fewer than MIN_SAMPLES samples
    p80: float | None
    samples: int  # hours in the window with a value, holidays left out


@dataclass(frozen=True)
class TypicalWeek:
    checkpoint: str
    direction: Direction
    lane: Lane
    timezone: str
    weeks: int
    cells: list[TypicalCell]  # 168, Monday 00:00 first
    best: list[TypicalCell]  # the cells with the lowest p50, lowest first
    #: the end of the window (exclusive), UTC: the start of the hour in progress; the
    #: window is the WEEKS whole weeks before it
    as_of: datetime


def typical_week(
    session: Session,
    *,
    checkpoint_id: str,
    direction: Direction,
    lane: Lane,
    now: datetime | None = None,
) -> TypicalWeek:
    """The lane's typical week over the last WEEKS whole weeks before the current hour."""
    checkpoint = get_or_raise(session, checkpoint_id)
    problems = lane_problems(checkpoint, direction=direction, lane=lane)
    if problems:
        raise Invalid(problems)
    end = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    profile = week_before(session, checkpoint, direction=direction, lane=lane, end=end)
    cells = [
        TypicalCell(
            weekday=slot // 24,
            hour=slot % 24,
            p50=_minutes(profile.p50[slot]),
            p80=_minutes(profile.p80[slot]),
            samples=int(profile.samples[slot]),
        )
        for slot in range(series.WEEK_SLOTS)
    ]
    shown = [cell for cell in cells if cell.p50 is not None]
    # ties go to the earlier hour of the week (sorted is stable)
    best = sorted(shown, key=lambda cell: cell.p50 or 0.0)[:BEST_CELLS]
    return TypicalWeek(
        checkpoint=checkpoint.id,
        direction=direction,
        lane=lane,
        timezone=checkpoint.timezone,
        weeks=WEEKS,
        cells=cells,
        best=best,
        as_of=end,
    )


def week_before(
    session: Session, checkpoint: Checkpoint, *, direction: Direction, lane: Lane, end: datetime
) -> series.WeekProfile:
    """The typical week as a profile of 168 slots: the WEEKS weeks before `end` (UTC, on
    the hour), holidays of both sides left out, slots under MIN_SAMPLES hours empty. The
    one definition the endpoint, the forecast's fallback and the outlook read."""
    hourly = series.load(
        session,
        checkpoint,
        direction=direction,
        lane=lane,
        start=end - timedelta(weeks=WEEKS),
        end=end,
    )
    return series.week_profile(hourly.waits, hourly.slots, hourly.holiday, min_samples=MIN_SAMPLES)


def slot_at(checkpoint: Checkpoint, moment: datetime) -> int:
    """The hour-of-week slot of a moment in the checkpoint's time zone (0 = Monday 00:00)."""
    local = moment.astimezone(ZoneInfo(checkpoint.timezone))
    return local.weekday() * 24 + local.hour


def _minutes(value: float) -> float | None:
    """A percentile in minutes to one decimal; NaN (too few samples) is None."""
    return None if math.isnan(value) else round(float(value), 1)
