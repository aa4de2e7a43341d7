"""One lane's queue as an hourly series in the checkpoint's own time, with the public
holidays of both countries marked: what the typical week and the forecast are computed from.

An hour's value is the median of the waits reported in it (or its rolled-up aggregate);
an hour nobody reported in is NaN, never zero or interpolated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from sqlalchemy.orm import Session

from content.checkpoints.history import hour_buckets
from content.checkpoints.models import Checkpoint, Direction, Lane

HOUR = timedelta(hours=1)
#: hours in a week; slot 0 is Monday 00:00-01:00 local time
WEEK_SLOTS = 7 * 24


@dataclass(frozen=True)
class HourlySeries:
    start: datetime  # UTC, on the hour: the first hour of the series
    waits: np.ndarray  # float minutes per hour; NaN where nobody reported
    slots: np.ndarray  # int hour of the week in local time, 0 = Monday 00:00
    holiday: np.ndarray  # bool: a public holiday on either side of the border, local date

    def __len__(self) -> int:
        return len(self.waits)

    def hour(self, index: int) -> datetime:
        return self.start + index * HOUR


@dataclass(frozen=True)
class WeekProfile:
    """Per hour-of-week slot: the median and 80th percentile wait, and how many hours
    they rest on. Slots with fewer than the minimum samples are NaN."""

    p50: np.ndarray
    p80: np.ndarray
    samples: np.ndarray


def load(
    session: Session,
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    start: datetime,
    end: datetime,
) -> HourlySeries:
    """The lane's hourly series over [start, end); start and end are UTC, on the hour."""
    waits = hourly_waits(session, checkpoint, direction=direction, lane=lane, start=start, end=end)
    slots, local_dates = local_calendar(start, len(waits), checkpoint.timezone)
    sides = tuple(c for c in (checkpoint.country, checkpoint.neighbor) if c)
    return HourlySeries(start, waits, slots, holiday_mask(local_dates, sides))


def hourly_waits(
    session: Session,
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    start: datetime,
    end: datetime,
) -> np.ndarray:
    """Each hour's median wait over [start, end) (UTC, on the hour); NaN: nobody reported."""
    hours = int((end - start) / HOUR)
    waits = np.full(hours, np.nan)
    for bucket in hour_buckets(
        session, checkpoint_id=checkpoint.id, direction=direction, lane=lane, start=start, end=end
    ):
        index = int((bucket.start - start) / HOUR)
        if 0 <= index < hours:
            waits[index] = bucket.median_wait
    return waits


def local_calendar(start: datetime, hours: int, timezone: str) -> tuple[np.ndarray, list[date]]:
    """Hour-of-week slot and local date of each hour from `start` (UTC)."""
    zone = ZoneInfo(timezone)
    slots = np.empty(hours, dtype=np.int16)
    local_dates: list[date] = []
    for index in range(hours):
        local = (start + index * HOUR).astimezone(zone)
        slots[index] = local.weekday() * 24 + local.hour
        local_dates.append(local.date())
    return slots, local_dates


def holiday_mask(local_dates: list[date], countries: tuple[str, ...]) -> np.ndarray:
    """True for each date that is a public holiday in any of the countries."""
    days: set[date] = set()
    for year in {d.year for d in local_dates}:
        for country in countries:
            days |= _holidays(country, year)
    return np.fromiter((d in days for d in local_dates), dtype=bool, count=len(local_dates))


@functools.cache
def _holidays(country: str, year: int) -> frozenset[date]:
    """A country's public holidays from the `holidays` package (national calendars; the
    Islamic feasts are its estimates until a decree fixes them). A country it does not
    cover has none, so nothing is excluded on its side."""
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        return frozenset()


def week_profile(
    waits: np.ndarray, slots: np.ndarray, excluded: np.ndarray, *, min_samples: int = 3
) -> WeekProfile:
    """The typical week: per slot, the median and 80th percentile of the hours that have a
    value and are not excluded (holidays)."""
    usable = ~np.isnan(waits) & ~excluded
    p50 = np.full(WEEK_SLOTS, np.nan)
    p80 = np.full(WEEK_SLOTS, np.nan)
    samples = np.bincount(slots[usable], minlength=WEEK_SLOTS)
    for slot in np.flatnonzero(samples >= min_samples):
        values = waits[usable & (slots == slot)]
        p50[slot], p80[slot] = np.percentile(values, [50, 80])
    return WeekProfile(p50, p80, samples)
