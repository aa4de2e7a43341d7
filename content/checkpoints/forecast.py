"""The queue forecast: a ladder of methods, each tested by a rolling-origin backtest over
the last four weeks, and served only where it beats the typical week.

The ladder, simplest first:
1. persistence: the last observed hour's wait, carried forward;
2. seasonal naive: the typical week (the same week profile travellers are served);
3. blend: the typical week plus the current anomaly, decaying with the time since it was
   observed (typical + anomaly x decay^hours);
4. model: one gradient-boosting model pooled over every lane, which learns what the blend
   misses from the hour of the week, both countries' holidays, the horizon, the latest
   wait and anomaly, `vehicles_waiting` and `lanes_open`.

The backtest. A refresh at hour N (the end of the series, exclusive) takes every hour of
the last four weeks as an origin o; from o it forecasts the hours o, o+5 and o+23 (the
horizons 1, 6 and 24 h; horizon h is the hour that starts h-1 hours after o) using only
hours before o. Targets nobody reported are skipped. Each method is scored on the same
pairs: those whose target was observed and where persistence and the typical week both
have a value, so their mean absolute errors (minutes) compare like with like.

The typical week at an origin is `series.week_profile` over the eight weeks before it,
holidays excluded. It is recomputed once per day of origins, not per hour: origins in
[b, b+24) use the profile of the eight weeks before b, where the day boundaries b fall
24 h apart, ending at N. At b = N that is exactly the typical week served to travellers.
`profiles` computes all those days at once and equals `week_profile` on each window.

No peeking: the blend's decay and the model are fitted on pairs whose target lies before
the backtest window, and the same decay and model then serve the next 24 hours, so the
accuracy published is that of what is served.

p80: for a forecast method, p50 plus the 80th percentile of its backtest errors
(observed minus forecast) at the horizon, never below p50; for the typical week, the
typical week's own p80.

What is served. Each hour ahead h belongs to the horizon that bounds it: h = 1 to 1 h,
2-6 to 6 h, 7-24 to 24 h. At each horizon the method with the lowest backtest MAE wins
(ties go to the simpler); the horizon earns a forecast when that MAE is at least 5 %
below seasonal naive's, on at least two weeks of backtest hours. Forecasts are served
from the first hour for as long as the horizons earn them, without gaps: past the first
horizon that does not, every later hour is the typical week. `shown` is whether the 1 h
horizon earns it; when it does not, the whole answer is the typical week and `reason`
says why.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from content import versions
from content.checkpoints import series as hourly
from content.checkpoints import typical
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    Direction,
    Forecast,
    Kind,
    Lane,
    QueueReport,
)
from content.checkpoints.service import get_or_raise, lane_problems
from content.db import utcnow
from content.errors import N_, Invalid

HOUR = timedelta(hours=1)
WEEK = 7 * 24
HORIZONS = (1, 6, 24)
#: how many hours ahead a forecast reaches
FORECAST_HOURS = 24
#: the typical week's window
PROFILE_HOURS = typical.WEEKS * WEEK
#: the rolling-origin backtest's window
BACKTEST_HOURS = 4 * WEEK
#: the window before the backtest in which the decay and the model are fitted
TRAIN_HOURS = 16 * WEEK
#: how much history a refresh reads: a profile's window before the first training origin
LOAD_HOURS = PROFILE_HOURS + TRAIN_HOURS + BACKTEST_HOURS
#: a horizon earns a forecast only on at least this many backtest hours
MIN_EVALUATED_HOURS = 2 * WEEK
#: ... and when its best method's MAE is at least this much below seasonal naive's
MARGIN = 0.05
#: decays the blend may use, the best chosen on the training pairs
DECAYS = np.array([0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 1.0])
#: the decay when there are too few training pairs to choose one
DEFAULT_DECAY = 0.9
#: training pairs drawn per lane (a random sample of origin x horizon), and the fewest the
#: pooled model is trained on
TRAIN_ROWS_PER_LANE = 3000
MIN_MODEL_ROWS = 500
#: lanes_open and vehicles_waiting carry forward for at most this many hours
FEATURE_CARRY_HOURS = 24
#: a stored forecast older than this is not served (the worker refreshes it every hour)
STORED_VALID_FOR = timedelta(hours=6)
#: lanes refreshed per flush
BATCH_SIZE = 50


class Method(enum.StrEnum):
    PERSISTENCE = "persistence"
    SEASONAL = "seasonal"
    BLEND = "blend"
    MODEL = "model"


LADDER = (Method.PERSISTENCE, Method.SEASONAL, Method.BLEND, Method.MODEL)

#: why a forecast is not (wholly) shown, by key; rendered in the reader's language
REASONS = {
    "not_enough_history": N_(
        "There is not yet enough queue history here to test a forecast, so these are the "
        "typical week's waits."
    ),
    "no_method_beats_typical": N_(
        "No forecast method beats the typical week here by at least 5%, so these are the "
        "typical week's waits."
    ),
    "partial": N_(
        "Further ahead no forecast method beats the typical week by at least 5%, so the "
        "later hours show the typical week's waits."
    ),
    "not_current": N_(
        "No current forecast is available here, so these are the typical week's waits."
    ),
}


@dataclass(frozen=True)
class LaneSeries:
    """One lane's hourly history up to `end`, with its calendar known 48 h further."""

    key: tuple[str, Direction, Lane]
    start: datetime  # UTC, on the hour
    waits: np.ndarray  # N hours; NaN where nobody reported
    slots: np.ndarray  # N + 48 hours: local hour of the week
    holiday_own: np.ndarray  # N + 48: a public holiday in the checkpoint's country
    holiday_neighbor: np.ndarray  # N + 48: ... in the neighbour's
    lanes_open: np.ndarray  # N: the last report's lanes_open in that hour, or NaN
    vehicles_waiting: np.ndarray  # N

    @property
    def end(self) -> datetime:
        return self.start + len(self.waits) * HOUR

    @property
    def holiday(self) -> np.ndarray:
        return self.holiday_own | self.holiday_neighbor


def lane_series(
    key: tuple[str, Direction, Lane],
    start: datetime,
    waits: np.ndarray,
    *,
    timezone: str,
    country: str,
    neighbor: str | None,
    lanes_open: np.ndarray | None = None,
    vehicles_waiting: np.ndarray | None = None,
) -> LaneSeries:
    """A lane's series with its local calendar and both sides' holidays."""
    hours = len(waits)
    slots, holiday_own, holiday_neighbor = _calendar(start, hours + 48, timezone, country, neighbor)
    empty = np.full(hours, np.nan)
    return LaneSeries(
        key=key,
        start=start,
        waits=np.asarray(waits, dtype=float),
        slots=slots,
        holiday_own=holiday_own,
        holiday_neighbor=holiday_neighbor,
        lanes_open=empty if lanes_open is None else np.asarray(lanes_open, dtype=float),
        vehicles_waiting=(
            empty if vehicles_waiting is None else np.asarray(vehicles_waiting, dtype=float)
        ),
    )


@functools.lru_cache(maxsize=64)
def _calendar(
    start: datetime, hours: int, timezone: str, country: str, neighbor: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slots and each side's holidays; a refresh asks the same of every lane of a
    checkpoint, and of every checkpoint in one time zone between the same countries."""
    local_slots, local_dates = hourly.local_calendar(start, hours, timezone)
    slots = local_slots.astype(np.int64)
    own = hourly.holiday_mask(local_dates, (country,))
    other = (
        hourly.holiday_mask(local_dates, (neighbor,)) if neighbor else np.zeros(hours, dtype=bool)
    )
    for array in (slots, own, other):
        array.flags.writeable = False  # shared between lanes
    return slots, own, other


def profiles(
    waits: np.ndarray,
    slots: np.ndarray,
    excluded: np.ndarray,
    boundaries: np.ndarray,
    *,
    window: int = PROFILE_HOURS,
    min_samples: int = 3,
) -> tuple[np.ndarray, np.ndarray]:
    """The week profile (p50, p80: boundaries x 168) of the `window` hours before each
    boundary, as `series.week_profile` computes it, for all boundaries at once."""
    hours = len(waits)
    slots = slots[:hours]
    usable = ~np.isnan(waits) & ~excluded[:hours]
    gathered = []
    for slot in range(hourly.WEEK_SLOTS):
        index = np.flatnonzero(slots == slot)
        low = np.searchsorted(index, boundaries - window)
        high = np.searchsorted(index, boundaries)
        gathered.append((index, low, high))
    width = max([int((high - low).max(initial=0)) for _, low, high in gathered] + [1])
    values = np.full((len(boundaries), hourly.WEEK_SLOTS, width), np.nan)
    steps = np.arange(width)
    for slot, (index, low, high) in enumerate(gathered):
        if not len(index):
            continue
        position = low[:, None] + steps
        inside = position < high[:, None]
        hour = index[np.minimum(position, len(index) - 1)]
        keep = inside & usable[hour]
        values[:, slot, :] = np.where(keep, waits[hour], np.nan)
    values.sort(axis=2)  # NaNs last
    counts = (~np.isnan(values)).sum(axis=2)
    return _percentile(values, counts, 0.5, min_samples), _percentile(
        values, counts, 0.8, min_samples
    )


def _percentile(ordered: np.ndarray, counts: np.ndarray, q: float, min_samples: int) -> np.ndarray:
    """numpy's linear percentile of the first `counts` values of each sorted row."""
    position = (np.maximum(counts, 1) - 1) * q
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(counts - 1, 0))
    fraction = position - below
    low = np.take_along_axis(ordered, below[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(ordered, above[..., None], axis=-1)[..., 0]
    result = low + (high - low) * fraction
    return np.where(counts >= min_samples, result, np.nan)


@dataclass
class _Pairs:
    """Forecast pairs (origin, horizon) of one lane, with what each method needs."""

    horizon: np.ndarray
    target: np.ndarray  # observed wait at the target hour (NaN beyond the series)
    persistence: np.ndarray
    typical: np.ndarray
    typical_p80: np.ndarray
    anomaly: np.ndarray
    age: np.ndarray  # hours from the last observation to the target
    features: np.ndarray

    def blend(self, decay: float) -> np.ndarray:
        return self.typical + self.anomaly * decay**self.age

    def take(self, mask: np.ndarray) -> _Pairs:
        return _Pairs(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})


# The model predicts the blend's error, so it needs no typical value among its features;
# given one, it learned to shrink the typical week's 8-sample medians towards the lane's
# mean and "beat" the typical week on pure noise by up to 5 %, which is not a forecast.
FEATURES = (
    "horizon",
    "hour_of_week",
    "hour_of_day",
    "holiday_own",
    "holiday_neighbor",
    "holiday_next_day",
    "latest_wait",
    "hours_since_latest",
    "anomaly",
    "lanes_open",
    "vehicles_waiting",
)


class _Lane:
    """One lane's series with its day-by-day typical weeks, ready to make pairs."""

    def __init__(self, series: LaneSeries) -> None:
        self.series = series
        hours = self.hours = len(series.waits)
        observed = ~np.isnan(series.waits)
        self.last_observed = np.maximum.accumulate(np.where(observed, np.arange(hours), -1))
        days = hours // 24 + 2  # the oldest origin's boundary may lie before the start
        self.boundaries = hours - 24 * np.arange(days)
        self.p50, self.p80 = profiles(series.waits, series.slots, series.holiday, self.boundaries)
        self.lanes_open = _carry_forward(series.lanes_open, FEATURE_CARRY_HOURS)
        self.vehicles_waiting = _carry_forward(series.vehicles_waiting, FEATURE_CARRY_HOURS)
        self.decay = DEFAULT_DECAY

    def pairs(self, origins: np.ndarray, horizons: np.ndarray) -> _Pairs:
        s = self.series
        target_hour = origins + horizons - 1
        day = (self.hours - origins + 23) // 24  # the profile of the day boundary <= origin
        last = self.last_observed[origins - 1]
        seen = last >= 0
        last_safe = np.where(seen, last, 0)
        persistence = np.where(seen, s.waits[last_safe], np.nan)
        typical = self.p50[day, s.slots[target_hour]]
        typical_p80 = self.p80[day, s.slots[target_hour]]
        anomaly = persistence - self.p50[day, s.slots[last_safe]]
        anomaly = np.where(np.isnan(anomaly), 0.0, anomaly)
        age = (target_hour - last).astype(float)
        in_series = target_hour < self.hours
        target = np.where(in_series, s.waits[np.minimum(target_hour, self.hours - 1)], np.nan)
        before = origins - 1
        pairs = _Pairs(
            horizon=horizons,
            target=target,
            persistence=persistence,
            typical=typical,
            typical_p80=typical_p80,
            anomaly=anomaly,
            age=age,
            features=np.empty((len(origins), len(FEATURES))),
        )
        slot = s.slots[target_hour]
        pairs.features = np.column_stack(
            [
                horizons,
                slot,
                slot % 24,
                s.holiday_own[target_hour],
                s.holiday_neighbor[target_hour],
                s.holiday[target_hour + 24],
                persistence,
                np.where(seen, age, np.nan),
                anomaly,
                self.lanes_open[before],
                self.vehicles_waiting[before],
            ]
        ).astype(float)
        return pairs

    def training_pairs(self, rng: np.random.Generator) -> _Pairs:
        """A random sample of pairs whose target lies before the backtest window."""
        window_start = self.hours - BACKTEST_HOURS
        first = max(1, window_start - TRAIN_HOURS)
        if window_start <= first:
            return self.pairs(np.array([1], dtype=np.int64), np.array([1])).take(np.array([False]))
        every_origin = np.arange(first, window_start)
        origins = np.repeat(every_origin, FORECAST_HOURS)
        horizons = np.tile(np.arange(1, FORECAST_HOURS + 1), len(every_origin))
        target_hour = origins + horizons - 1
        keep = target_hour < window_start
        keep[keep] = ~np.isnan(self.series.waits[target_hour[keep]])
        origins, horizons = origins[keep], horizons[keep]
        if len(origins) > TRAIN_ROWS_PER_LANE:
            chosen = np.sort(rng.choice(len(origins), TRAIN_ROWS_PER_LANE, replace=False))
            origins, horizons = origins[chosen], horizons[chosen]
        pairs = self.pairs(origins, horizons)
        return pairs.take(_comparable(pairs))

    def fit_decay(self, pairs: _Pairs) -> None:
        """The decay of the anomaly that fits the training pairs best (MAE)."""
        if len(pairs.target) < 100:
            return
        predictions = pairs.typical + pairs.anomaly * DECAYS[:, None] ** pairs.age
        errors = np.abs(predictions - pairs.target).mean(axis=1)
        self.decay = float(DECAYS[int(np.argmin(errors))])

    def backtest_pairs(self, horizon: int) -> _Pairs:
        origins = np.arange(max(1, self.hours - BACKTEST_HOURS), self.hours - horizon + 1)
        pairs = self.pairs(origins, np.full(len(origins), horizon))
        return pairs.take(_comparable(pairs))

    def serving_pairs(self) -> _Pairs:
        horizons = np.arange(1, FORECAST_HOURS + 1)
        return self.pairs(np.full(len(horizons), self.hours), horizons)


def _comparable(pairs: _Pairs) -> np.ndarray:
    """Pairs every method can be scored on: an observed target, a last report, a typical
    value."""
    return ~np.isnan(pairs.target) & ~np.isnan(pairs.persistence) & ~np.isnan(pairs.typical)


def _carry_forward(values: np.ndarray, limit: int) -> np.ndarray:
    """Each hour's value, or the last one at most `limit` hours before it."""
    index = np.arange(len(values))
    last = np.maximum.accumulate(np.where(~np.isnan(values), index, -1))
    fresh = (last >= 0) & (index - last <= limit)
    return np.where(fresh, values[np.maximum(last, 0)], np.nan)


@dataclass(frozen=True)
class HorizonScore:
    evaluated_hours: int
    mae: dict[Method, float | None]
    method: Method
    #: the 80th percentile of the served method's backtest errors (observed - forecast)
    error_p80: float
    earned: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "evaluated_hours": self.evaluated_hours,
            "mae": {m.value: v for m, v in self.mae.items()},
            "method": self.method.value,
            "error_p80": self.error_p80,
            "earned": self.earned,
        }


@dataclass(frozen=True)
class LaneForecast:
    """What a refresh computes for one lane."""

    key: tuple[str, Direction, Lane]
    computed_at: datetime  # the first point's hour
    points: list[dict[str, Any]]  # {"at", "p50", "p80", "method"} for 24 hours
    scores: dict[int, HorizonScore]
    shown: bool
    reason: str | None
    decay: float
    typical_p50: list[float | None] = field(default_factory=list)
    typical_p80: list[float | None] = field(default_factory=list)


def _mae(errors: np.ndarray) -> float | None:
    return float(np.abs(errors).mean()) if len(errors) else None


def _score(
    lane: _Lane, pairs: _Pairs, model: _Model | None
) -> tuple[HorizonScore, dict[Method, np.ndarray]]:
    forecasts = {
        Method.PERSISTENCE: pairs.persistence,
        Method.SEASONAL: pairs.typical,
        Method.BLEND: pairs.blend(lane.decay),
    }
    if model is not None and len(pairs.target):
        forecasts[Method.MODEL] = forecasts[Method.BLEND] + model.correction(pairs)
    mae = {m: _mae(pairs.target - forecasts[m]) if m in forecasts else None for m in LADDER}
    scored = [(v, LADDER.index(m), m) for m, v in mae.items() if v is not None]
    best = min(scored)[2] if scored else Method.SEASONAL
    seasonal = mae[Method.SEASONAL]
    best_mae = mae[best]
    evaluated = len(pairs.target)
    earned = (
        evaluated >= MIN_EVALUATED_HOURS
        and seasonal is not None
        and best_mae is not None
        and best_mae <= (1 - MARGIN) * seasonal
        and best is not Method.SEASONAL
    )
    error_p80 = float(np.percentile(pairs.target - forecasts[best], 80)) if evaluated else 0.0
    return HorizonScore(evaluated, mae, best, error_p80, bool(earned)), forecasts


def _bucket(hours_ahead: int) -> int:
    """The evaluated horizon that bounds an hour ahead: 1, 2-6 and 7-24 h."""
    return next(h for h in HORIZONS if hours_ahead <= h)


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(max(value, 0.0), 1)


def evaluate(lanes: Sequence[LaneSeries], *, seed: int = 0) -> list[LaneForecast]:
    """Backtest the ladder on each lane, fit the pooled model, and choose what to serve."""
    rng = np.random.default_rng(seed)
    prepared = [_Lane(series) for series in lanes]
    training = []
    for lane in prepared:
        pairs = lane.training_pairs(rng)
        lane.fit_decay(pairs)
        training.append((pairs, lane.decay))
    # one OpenMP thread: the worker shares its cores with the web workers, and OpenMP's
    # spinning threads are many times slower than one thread when the cores are busy
    with threadpool_limits(limits=1, user_api="openmp"):
        model = _fit_model(training)
        return [_choose(lane, model) for lane in prepared]


class _Model:
    """The pooled gradient-boosting model, over the features that had any value in
    training (a column with none cannot be binned)."""

    def __init__(self, regressor: Any, columns: np.ndarray) -> None:
        self.regressor = regressor
        self.columns = columns

    def correction(self, pairs: _Pairs) -> np.ndarray:
        if not len(pairs.target):
            return np.empty(0)
        result: np.ndarray = self.regressor.predict(pairs.features[:, self.columns])
        return result


def _fit_model(training: list[tuple[_Pairs, float]]) -> _Model | None:
    """One model pooled over every lane, learning what the blend (with each lane's decay)
    misses."""
    if sum(len(pairs.target) for pairs, _ in training) < MIN_MODEL_ROWS:
        return None
    # imported here, not at the top: scikit-learn adds about 90 MB to a process, and the
    # web workers only read stored forecasts (the refresh runs in the worker and the CLI)
    from sklearn.ensemble import HistGradientBoostingRegressor

    features = np.concatenate([pairs.features for pairs, _ in training])
    residual = np.concatenate([pairs.target - pairs.blend(decay) for pairs, decay in training])
    columns = np.flatnonzero(~np.isnan(features).all(axis=0))
    regressor = HistGradientBoostingRegressor(
        loss="absolute_error",
        max_iter=150,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )
    regressor.fit(features[:, columns], residual)
    return _Model(regressor, columns)


def _choose(lane: _Lane, model: _Model | None) -> LaneForecast:
    scores = {h: _score(lane, lane.backtest_pairs(h), model)[0] for h in HORIZONS}
    serving = lane.serving_pairs()
    forecasts = {
        Method.PERSISTENCE: serving.persistence,
        Method.SEASONAL: serving.typical,
        Method.BLEND: serving.blend(lane.decay),
    }
    if model is not None:
        forecasts[Method.MODEL] = forecasts[Method.BLEND] + model.correction(serving)
    # horizons earn a forecast from the first one on, without gaps
    earning: set[int] = set()
    for h in HORIZONS:
        if not scores[h].earned:
            break
        earning.add(h)
    end = lane.series.end
    points = []
    for index, ahead in enumerate(range(1, FORECAST_HOURS + 1)):
        bucket = _bucket(ahead)
        if bucket in earning:
            method = scores[bucket].method
            p50 = float(forecasts[method][index])
            p80 = p50 + max(scores[bucket].error_p80, 0.0)
        else:
            method = Method.SEASONAL
            p50, p80 = float(serving.typical[index]), float(serving.typical_p80[index])
        points.append(
            {
                "at": (end + index * HOUR).isoformat(),
                "p50": _rounded(p50),
                "p80": _rounded(max(p80, p50)),
                "method": method.value,
            }
        )
    if scores[1].evaluated_hours < MIN_EVALUATED_HOURS:
        reason: str | None = "not_enough_history"
    elif 1 not in earning:
        reason = "no_method_beats_typical"
    elif len(earning) < len(HORIZONS):
        reason = "partial"
    else:
        reason = None
    return LaneForecast(
        key=lane.series.key,
        computed_at=end,
        points=points,
        scores=scores,
        shown=1 in earning,
        reason=reason,
        decay=lane.decay,
        typical_p50=[_rounded(v) for v in lane.p50[0]],
        typical_p80=[_rounded(v) for v in lane.p80[0]],
    )


# --- the database side: load, refresh, read -------------------------------------------


def load_lane(
    session: Session,
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    start: datetime,
    end: datetime,
) -> LaneSeries | None:
    """A lane's hourly waits over [start, end) and the last lanes_open and
    vehicles_waiting reported in each hour (the hourly aggregates of pruned reports keep
    neither, so those hours have none); None when nobody reported in that time."""
    waits = hourly.hourly_waits(
        session, checkpoint, direction=direction, lane=lane, start=start, end=end
    )
    hours = len(waits)
    if np.isnan(waits).all():
        return None
    lanes_open = np.full(hours, np.nan)
    vehicles_waiting = np.full(hours, np.nan)
    rows = session.execute(
        select(QueueReport.observed_at, QueueReport.lanes_open, QueueReport.vehicles_waiting)
        .where(
            QueueReport.checkpoint_id == checkpoint.id,
            QueueReport.direction == direction,
            QueueReport.lane == lane,
            QueueReport.observed_at >= start,
            QueueReport.observed_at < end,
            or_(QueueReport.lanes_open.is_not(None), QueueReport.vehicles_waiting.is_not(None)),
        )
        .order_by(QueueReport.observed_at)
    )
    for observed_at, open_lanes, vehicles in rows:
        index = int((observed_at - start) / HOUR)
        if open_lanes is not None:
            lanes_open[index] = open_lanes
        if vehicles is not None:
            vehicles_waiting[index] = vehicles
    return lane_series(
        (checkpoint.id, direction, lane),
        start,
        waits,
        timezone=checkpoint.timezone,
        country=checkpoint.country,
        neighbor=checkpoint.neighbor,
        lanes_open=lanes_open,
        vehicles_waiting=vehicles_waiting,
    )


def road_lanes(session: Session) -> list[tuple[Checkpoint, Direction, Lane]]:
    """Every road checkpoint's directions and lanes."""
    checkpoints = session.scalars(
        select(Checkpoint).where(Checkpoint.kind == Kind.ROAD).order_by(Checkpoint.id)
    )
    return [
        (checkpoint, Direction(direction), Lane(lane))
        for checkpoint in checkpoints
        for direction in checkpoint.directions
        for lane in checkpoint.lanes
    ]


@dataclass(frozen=True)
class RefreshResult:
    refreshed: int
    shown: int
    forecasts: list[LaneForecast]


def refresh(session: Session, *, now: datetime | None = None) -> RefreshResult:
    """Compute and store the forecast of every road lane with history, and bump the data
    version so that cached reads change. Flushes; the caller commits."""
    end = (now or utcnow()).replace(minute=0, second=0, microsecond=0)
    start = end - LOAD_HOURS * HOUR
    lanes = []
    for checkpoint, direction, lane in road_lanes(session):
        series = load_lane(
            session, checkpoint, direction=direction, lane=lane, start=start, end=end
        )
        if series is not None:
            lanes.append(series)
    forecasts = evaluate(lanes)
    demo = {
        (q.checkpoint_id, q.direction, q.lane): q.demo
        for q in session.scalars(select(CurrentQueue))
    }
    for first in range(0, len(forecasts), BATCH_SIZE):
        for forecast in forecasts[first : first + BATCH_SIZE]:
            _store(session, forecast, demo=demo.get(forecast.key, False))
        session.flush()
    if forecasts:
        versions.bump(session)
    return RefreshResult(len(forecasts), sum(f.shown for f in forecasts), forecasts)


def _store(session: Session, forecast: LaneForecast, *, demo: bool) -> None:
    checkpoint_id, direction, lane = forecast.key
    row = session.get(Forecast, (checkpoint_id, direction, lane)) or Forecast(
        checkpoint_id=checkpoint_id, direction=direction, lane=lane
    )
    row.computed_at = forecast.computed_at
    row.points = forecast.points
    row.methods = {f"{h}h": forecast.scores[h].method.value for h in HORIZONS}
    row.accuracy = {f"{h}h": forecast.scores[h].as_json() for h in HORIZONS}
    row.shown = forecast.shown
    row.reason = forecast.reason
    row.decay = forecast.decay
    row.typical = {"p50": forecast.typical_p50, "p80": forecast.typical_p80}
    row.demo = demo
    session.add(row)


@dataclass(frozen=True)
class ForecastView:
    """A lane's forecast as a reader gets it."""

    checkpoint: Checkpoint
    direction: Direction
    lane: Lane
    points: list[dict[str, Any]]  # {"at": datetime, "p50", "p80", "method"}
    shown: bool
    reason: str | None  # a key of REASONS
    basis: str  # "forecast" when a stored forecast answers, "typical" when the typical week
    accuracy: dict[str, dict[str, Any]] | None
    computed_at: datetime | None
    demo: bool

    @property
    def method(self) -> str:
        return self.points[0]["method"] if self.points else Method.SEASONAL.value

    @property
    def reason_text(self) -> str | None:
        return REASONS[self.reason] if self.reason else None


def get(
    session: Session,
    checkpoint_id: str,
    *,
    direction: Direction,
    lane: Lane,
    hours: int = FORECAST_HOURS,
    now: datetime | None = None,
) -> ForecastView:
    """The stored forecast of a lane from the current hour on; the typical week where
    there is none that is current."""
    checkpoint = get_or_raise(session, checkpoint_id)
    problems = lane_problems(checkpoint, direction=direction, lane=lane)
    if problems:
        raise Invalid(problems)
    now = now or utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    row = session.get(Forecast, (checkpoint_id, direction, lane))
    if row is None or row.computed_at < now - STORED_VALID_FOR:
        return ForecastView(
            checkpoint,
            direction,
            lane,
            _typical_points(session, checkpoint, direction, lane, hour, hours),
            shown=False,
            reason="not_current",
            basis="typical",
            accuracy=None,
            computed_at=None,
            demo=False,
        )
    points = [
        {**p, "at": datetime.fromisoformat(p["at"])}
        for p in row.points
        if datetime.fromisoformat(p["at"]) >= hour
    ][:hours]
    if len(points) < hours:  # the last refresh is a few hours old: the typical week after
        after = hour + len(points) * HOUR
        slots, _ = hourly.local_calendar(after, hours - len(points), checkpoint.timezone)
        points += _points_from(after, slots, row.typical["p50"], row.typical["p80"])
    return ForecastView(
        checkpoint,
        direction,
        lane,
        points,
        shown=row.shown,
        reason=row.reason,
        basis="forecast" if row.shown else "typical",
        accuracy=_public_accuracy(row.accuracy),
        computed_at=row.computed_at,
        demo=row.demo,
    )


def earned_point(
    session: Session,
    checkpoint_id: str,
    *,
    direction: Direction,
    lane: Lane,
    at: datetime,
    now: datetime,
) -> dict[str, Any] | None:
    """The stored forecast's point for `at`'s hour when it is current, shown and earned
    there (its method is not the typical week's); None otherwise."""
    row = session.get(Forecast, (checkpoint_id, direction, lane))
    if row is None or not row.shown or row.computed_at < now - STORED_VALID_FOR:
        return None
    hour = at.replace(minute=0, second=0, microsecond=0)
    for point in row.points:
        if datetime.fromisoformat(point["at"]) == hour:
            return point if point["method"] != Method.SEASONAL.value else None
    return None


def _public_accuracy(stored: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per horizon: the served method's MAE beside each rung's, in minutes."""

    def minutes(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        horizon: {
            "mae_minutes": minutes(score["mae"][score["method"]]),
            **{f"{m.value}_mae": minutes(score["mae"][m.value]) for m in LADDER},
            "evaluated_hours": score["evaluated_hours"],
            "method": score["method"],
            "earned": score["earned"],
        }
        for horizon, score in stored.items()
    }


def _typical_points(
    session: Session,
    checkpoint: Checkpoint,
    direction: Direction,
    lane: Lane,
    hour: datetime,
    hours: int,
) -> list[dict[str, Any]]:
    """The typical week's waits for the next hours (the 8 weeks before this hour)."""
    profile = typical.week_before(session, checkpoint, direction=direction, lane=lane, end=hour)
    slots, _ = hourly.local_calendar(hour, hours, checkpoint.timezone)
    return _points_from(
        hour, slots, [_rounded(v) for v in profile.p50], [_rounded(v) for v in profile.p80]
    )


def _points_from(
    start: datetime,
    slots: Iterable[int],
    p50: Sequence[float | None],
    p80: Sequence[float | None],
) -> list[dict[str, Any]]:
    return [
        {
            "at": start + index * HOUR,
            "p50": p50[slot],
            "p80": p80[slot],
            "method": Method.SEASONAL.value,
        }
        for index, slot in enumerate(int(s) for s in slots)
    ]
