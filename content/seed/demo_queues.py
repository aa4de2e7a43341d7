"""Demo queue history with what real queues have: a weekly rhythm, holiday peaks, spikes,
hours nobody reported, noise, and a level that drifts for hours at a time, so that the
typical week, the forecast's backtest and its "current anomaly" have something to find.

Pure functions of a random generator and a calendar (no database), so the loader can
write 16 weeks of it and a benchmark can make a year. The figures are invented: the seed
loader labels every row `demo`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from content.checkpoints.models import Direction, Lane

#: typical waits in minutes, by lane, around which each demo lane's own level is drawn
BASE_WAIT = {Lane.CAR: 35.0, Lane.TRUCK: 150.0, Lane.BUS: 25.0, Lane.PEDESTRIAN: 10.0}
MAX_WAIT = 4320  # the API's bound for a queue report
MAX_VEHICLES = 10_000  # and for the vehicles in line

# by local hour, 0-23: cars and buses run low at night and high in the late afternoon;
# trucks queue overnight for the morning opening and clear during the day; people on foot
# cross for the morning markets
_HOURLY = {
    Lane.CAR: (
        0.35, 0.3, 0.25, 0.25, 0.3, 0.45, 0.7, 0.95, 1.1, 1.15, 1.15, 1.1,
        1.05, 1.05, 1.1, 1.2, 1.3, 1.35, 1.3, 1.15, 0.95, 0.75, 0.55, 0.45,
    ),
    Lane.TRUCK: (
        1.1, 1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.35, 1.25, 1.1, 1.0, 0.95,
        0.9, 0.85, 0.85, 0.85, 0.85, 0.85, 0.9, 0.95, 1.0, 1.0, 1.05, 1.1,
    ),
    Lane.PEDESTRIAN: (
        0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 1.1, 1.5, 1.6, 1.5, 1.3, 1.1,
        1.0, 1.0, 1.0, 1.1, 1.2, 1.1, 0.9, 0.7, 0.5, 0.4, 0.3, 0.2,
    ),
}  # fmt: skip
_HOURLY[Lane.BUS] = _HOURLY[Lane.CAR]

# by weekday, Monday first: people leave on Friday and come home on Sunday; trucks catch
# up on Monday and rest at the weekend; markets are busiest on Saturday
_DAILY = {
    (Lane.CAR, Direction.EXIT): (0.9, 0.85, 0.85, 0.95, 1.25, 1.1, 0.95),
    (Lane.CAR, Direction.ENTRY): (1.0, 0.85, 0.85, 0.9, 1.0, 1.05, 1.3),
    (Lane.TRUCK, Direction.EXIT): (1.2, 1.05, 1.0, 1.0, 1.0, 0.75, 0.55),
    (Lane.TRUCK, Direction.ENTRY): (1.2, 1.05, 1.0, 1.0, 1.0, 0.75, 0.55),
    (Lane.PEDESTRIAN, Direction.EXIT): (1.0, 0.95, 0.95, 1.0, 1.05, 1.3, 1.1),
    (Lane.PEDESTRIAN, Direction.ENTRY): (1.0, 0.95, 0.95, 1.0, 1.05, 1.3, 1.1),
}
# the Friday-evening departures and the Sunday-afternoon returns, on top of the day
_EVENING_RUSH = {Direction.EXIT: (4, range(15, 22), 1.3), Direction.ENTRY: (6, range(14, 23), 1.4)}


@dataclass(frozen=True)
class Shape:
    """How the demo queue moves; the defaults are what the seed loader writes."""

    #: AR(1) coefficient per hour of the log level, and its hourly innovation
    level_persistence: float = 0.92
    level_step: float = 0.07
    #: independent hourly noise on the log scale
    noise: float = 0.12
    #: spikes (a breakdown, a convoy): how many per week, how long, how high
    spikes_per_week: float = 0.7
    spike_hours: tuple[int, int] = (2, 7)
    spike_factor: tuple[float, float] = (1.6, 3.0)
    #: holidays (either side): the day itself, and the day before it
    holiday_factor: tuple[float, float] = (1.6, 2.4)
    eve_factor: float = 1.3
    #: trucks feel holidays less: fewer travellers, only fewer officers
    truck_holiday_share: float = 0.5
    #: gaps: an hour nobody reported, a night (00:00-06:00), a whole day
    missing_hour: float = 0.04
    missing_night: float = 0.07
    missing_day: float = 0.02
    #: the share of lanes whose service also reports its open booths and the vehicles in
    #: line; there the booths open change by the day and the wait follows them
    reports_booths: float = 0.4
    usual_booths: tuple[int, int] = (3, 7)
    #: minutes a vehicle takes at a booth, drawn per lane (vehicles = wait x booths / this)
    minutes_per_vehicle: tuple[float, float] = (2.0, 6.0)


DEFAULT_SHAPE = Shape()


@dataclass(frozen=True)
class DemoQueue:
    waits: np.ndarray  # whole minutes each hour, as if somebody had reported every hour
    reported: np.ndarray  # bool: whether somebody did
    lanes_open: np.ndarray  # booths open each hour; NaN where the service does not say
    vehicles_waiting: np.ndarray  # vehicles (or people) in line; NaN likewise


def week_pattern(lane: Lane, direction: Direction) -> np.ndarray:
    """The 168 multipliers of the weekly rhythm, slot 0 = Monday 00:00 local."""
    hourly = np.array(_HOURLY[lane])
    daily = np.array(_DAILY[(Lane.CAR if lane is Lane.BUS else lane, direction)])
    pattern = np.outer(daily, hourly)
    if lane in (Lane.CAR, Lane.BUS):
        weekday, hours, factor = _EVENING_RUSH[direction]
        pattern[weekday, list(hours)] *= factor
    return pattern.reshape(-1)


def demo_queue(
    rng: np.random.Generator,
    *,
    base: float,
    slots: np.ndarray,
    holiday: np.ndarray,
    lane: Lane = Lane.CAR,
    direction: Direction = Direction.EXIT,
    shape: Shape = DEFAULT_SHAPE,
) -> DemoQueue:
    """One lane's hourly waits and which hours were reported, over the hours whose local
    hour-of-week `slots` and holiday mask (either country) are given."""
    hours = len(slots)
    factor = week_pattern(lane, direction)[slots]
    factor = factor * _holiday_factor(rng, holiday, slots, lane, shape)
    factor = factor * _spikes(rng, hours, shape)
    log_level = _ar1(rng, hours, shape.level_persistence, shape.level_step)
    noise = rng.normal(-(shape.noise**2) / 2, shape.noise, hours)
    lanes_open = np.full(hours, np.nan)
    vehicles = np.full(hours, np.nan)
    if rng.random() < shape.reports_booths:
        usual = int(rng.integers(*shape.usual_booths))
        days = _days(slots)
        by_day = rng.integers(max(1, usual - 2), usual + 2, days[-1] + 1 if len(days) else 0)
        lanes_open = by_day[days].astype(float)
        factor = factor * usual / lanes_open
    waits = np.clip(np.rint(base * factor * np.exp(log_level + noise)), 0, MAX_WAIT)
    if not np.isnan(lanes_open).all():
        in_line = waits * lanes_open / rng.uniform(*shape.minutes_per_vehicle)
        vehicles = np.minimum(np.rint(in_line), MAX_VEHICLES)
    return DemoQueue(waits, _reported(rng, slots, shape), lanes_open, vehicles)


def demo_waits(
    rng: np.random.Generator,
    *,
    base: float,
    slots: np.ndarray,
    holiday: np.ndarray,
    lane: Lane = Lane.CAR,
    direction: Direction = Direction.EXIT,
    shape: Shape = DEFAULT_SHAPE,
) -> np.ndarray:
    """The hourly waits as history holds them: NaN where nobody reported."""
    queue = demo_queue(
        rng, base=base, slots=slots, holiday=holiday, lane=lane, direction=direction, shape=shape
    )
    return np.where(queue.reported, queue.waits, np.nan)


def _days(slots: np.ndarray) -> np.ndarray:
    """Which local day each hour falls on, counted from 0."""
    return np.cumsum(slots % 24 == 0) - (1 if len(slots) and slots[0] % 24 == 0 else 0)


def _holiday_factor(
    rng: np.random.Generator, holiday: np.ndarray, slots: np.ndarray, lane: Lane, shape: Shape
) -> np.ndarray:
    """Each holiday day its own peak (drawn), and a smaller one the day before."""
    days = _days(slots)
    low, high = shape.holiday_factor
    peaks = rng.uniform(low, high, days[-1] + 1 if len(days) else 0)
    factor = np.where(holiday, peaks[days], 1.0)
    eve = np.zeros_like(holiday)
    eve[:-24] = holiday[24:]
    factor = np.where(eve & ~holiday, shape.eve_factor, factor)
    if lane is Lane.TRUCK:
        factor = 1 + (factor - 1) * shape.truck_holiday_share
    return factor


def _spikes(rng: np.random.Generator, hours: int, shape: Shape) -> np.ndarray:
    factor = np.ones(hours)
    for _ in range(rng.poisson(shape.spikes_per_week * hours / 168)):
        start = rng.integers(0, hours)
        length = rng.integers(shape.spike_hours[0], shape.spike_hours[1] + 1)
        factor[start : start + length] *= rng.uniform(*shape.spike_factor)
    return factor


def _ar1(rng: np.random.Generator, hours: int, persistence: float, step: float) -> np.ndarray:
    """A stationary AR(1) path: a level that stays high or low for hours."""
    steps = rng.normal(0.0, step, hours).tolist()
    level = rng.normal(0.0, step / math.sqrt(1 - persistence**2)) if hours else 0.0
    path = []
    for innovation in steps:
        level = persistence * level + innovation
        path.append(level)
    return np.array(path)


def _reported(rng: np.random.Generator, slots: np.ndarray, shape: Shape) -> np.ndarray:
    days = _days(slots)
    day_count = days[-1] + 1 if len(days) else 0
    silent_days = rng.random(day_count) < shape.missing_day
    silent_nights = rng.random(day_count) < shape.missing_night
    night = slots % 24 < 6
    missing = rng.random(len(slots)) < shape.missing_hour
    missing |= silent_days[days] | (silent_nights[days] & night)
    return ~missing
