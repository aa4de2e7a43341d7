"""The forecast ladder on series built so that each method should win, and the typical
week when none earns being shown."""

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from content import versions
from content.checkpoints import forecast
from content.checkpoints.forecast import HORIZONS, Method
from content.checkpoints.models import Direction, Forecast, Lane, QueueReport
from content.checkpoints.series import week_profile
from tests import factories

START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
#: eight weeks for the first typical week, four to fit the decay and the model, four to test
HOURS = 16 * 7 * 24
KEY = ("kz-test", Direction.EXIT, Lane.CAR)


def _weekly() -> np.ndarray:
    """Busy afternoons, quiet nights, and busier weekends from Friday."""
    hour = np.arange(HOURS)
    return 40 + 25 * np.sin(2 * np.pi * (hour % 24 - 9) / 24) + 10 * (hour % 168 >= 4 * 24)


def _ar1(rng: np.random.Generator, phi: float, sigma: float) -> np.ndarray:
    shocks = rng.normal(0, sigma, HOURS)
    anomaly = np.zeros(HOURS)
    for hour in range(1, HOURS):
        anomaly[hour] = phi * anomaly[hour - 1] + shocks[hour]
    return anomaly


def _series(waits: np.ndarray, **features: np.ndarray) -> forecast.LaneSeries:
    # "XX" has no public holidays: every day counts in the typical week
    return forecast.lane_series(
        KEY,
        START,
        np.maximum(waits, 0),
        timezone="UTC",
        country="XX",
        neighbor=None,
        **features,
    )


def _one(series: forecast.LaneSeries) -> forecast.LaneForecast:
    [result] = forecast.evaluate([series])
    return result


def test_profiles_equal_the_typical_week_of_each_window() -> None:
    rng = np.random.default_rng(3)
    waits = rng.gamma(2, 20, 4000)
    waits[rng.random(4000) < 0.2] = np.nan
    slots = (np.arange(4000) + 5) % 168
    excluded = np.zeros(4000, dtype=bool)
    excluded[1000:1048] = True
    boundaries = np.array([4000, 3976, 2500, 1300, 600])
    p50, p80 = forecast.profiles(waits, slots, excluded, boundaries)
    for row, boundary in enumerate(boundaries):
        low = max(0, boundary - forecast.PROFILE_HOURS)
        expected = week_profile(waits[low:boundary], slots[low:boundary], excluded[low:boundary])
        np.testing.assert_allclose(p50[row], expected.p50, equal_nan=True)
        np.testing.assert_allclose(p80[row], expected.p80, equal_nan=True)


def test_a_random_walk_is_forecast_by_persistence() -> None:
    rng = np.random.default_rng(1)
    result = _one(_series(100 + np.abs(np.cumsum(rng.normal(0, 4, HOURS)))))
    assert result.scores[1].method is Method.PERSISTENCE
    assert result.shown
    assert result.reason is None
    assert result.points[0]["method"] == "persistence"


def test_a_stable_weekly_pattern_is_the_typical_week() -> None:
    rng = np.random.default_rng(1)
    result = _one(_series(_weekly() + rng.normal(0, 6, HOURS)))
    day = result.scores[24]
    # the blend with a fitted decay of 0 is the typical week itself; nothing beats it
    assert day.method is Method.SEASONAL
    assert result.decay == 0
    assert day.mae[Method.SEASONAL] < 0.75 * (day.mae[Method.PERSISTENCE] or 0)
    assert not result.shown
    assert {p["method"] for p in result.points} == {"seasonal"}


def test_a_persistent_anomaly_on_a_weekly_pattern_is_the_blend() -> None:
    rng = np.random.default_rng(1)
    result = _one(_series(_weekly() + _ar1(rng, 0.95, 6) + rng.normal(0, 1, HOURS)))
    assert result.scores[1].method is Method.BLEND
    assert result.scores[6].method is Method.BLEND
    assert 0 < result.decay < 1
    assert result.shown
    assert [p["method"] for p in result.points][:6] == ["blend"] * 6


def test_lanes_open_that_explain_the_wait_make_the_model_win() -> None:
    rng = np.random.default_rng(1)
    lanes_open = np.repeat(rng.integers(1, 5, HOURS // 48 + 1), 48)[:HOURS].astype(float)
    waits = _weekly() * 2.5 / lanes_open + rng.normal(0, 2, HOURS)
    result = _one(_series(waits, lanes_open=lanes_open))
    six = result.scores[6]
    assert six.method is Method.MODEL
    assert (six.mae[Method.MODEL] or 0) < (six.mae[Method.BLEND] or 0)
    assert [p["method"] for p in result.points][1:6] == ["model"] * 5


def test_noise_around_a_constant_is_not_shown() -> None:
    rng = np.random.default_rng(2)
    result = _one(_series(50 + rng.normal(0, 8, HOURS)))
    assert not result.shown
    assert result.reason == "no_method_beats_typical"
    for horizon in HORIZONS:
        assert not result.scores[horizon].earned
    # the answer is the typical week: its p50 and p80
    first = result.points[0]
    assert first["method"] == "seasonal"
    assert first["p50"] == result.typical_p50[0]
    assert first["p80"] == result.typical_p80[0]


def test_too_little_history_is_not_shown() -> None:
    rng = np.random.default_rng(1)
    waits = 100 + np.abs(np.cumsum(rng.normal(0, 4, HOURS)))
    waits[-forecast.BACKTEST_HOURS :][rng.random(forecast.BACKTEST_HOURS) < 0.6] = np.nan
    result = _one(_series(waits))
    assert result.scores[1].evaluated_hours < forecast.MIN_EVALUATED_HOURS
    assert not result.shown
    assert result.reason == "not_enough_history"


def test_no_backtest_pair_looks_past_its_origin() -> None:
    """Changing the last hours changes no backtest forecast made before them."""
    rng = np.random.default_rng(1)
    waits = _weekly() + _ar1(rng, 0.9, 5)
    lane = forecast._Lane(_series(waits))
    before = lane.backtest_pairs(1)
    changed = waits.copy()
    changed[-24:] += 500
    after = forecast._Lane(_series(changed)).backtest_pairs(1)
    earlier = slice(0, len(before.target) - 24)
    np.testing.assert_array_equal(before.persistence[earlier], after.persistence[earlier])
    np.testing.assert_array_equal(before.typical[earlier], after.typical[earlier])
    np.testing.assert_array_equal(before.anomaly[earlier], after.anomaly[earlier])


def _store_history(session: Session, checkpoint_id: str, waits: np.ndarray, end: datetime) -> None:
    first = end - len(waits) * timedelta(hours=1)
    session.execute(
        insert(QueueReport),
        [
            {
                "checkpoint_id": checkpoint_id,
                "direction": Direction.EXIT,
                "lane": Lane.CAR,
                "wait_minutes": int(round(wait)),
                "observed_at": first + timedelta(hours=index, minutes=20),
                "posted_at": first + timedelta(hours=index, minutes=21),
            }
            for index, wait in enumerate(waits)
            if not np.isnan(wait)
        ],
    )


def test_refresh_stores_every_lane_with_history_and_bumps_the_version(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    now = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    rng = np.random.default_rng(1)
    _store_history(session, checkpoint.id, 100 + np.abs(np.cumsum(rng.normal(0, 4, HOURS))), now)
    version = versions.current(session)
    result = forecast.refresh(session, now=now)
    assert result.refreshed == 1  # the entry lane has no history
    row = session.get(Forecast, (checkpoint.id, Direction.EXIT, Lane.CAR))
    assert row is not None
    assert row.shown
    assert row.methods["1h"] == "persistence"
    assert row.computed_at == datetime(2026, 5, 4, 10, tzinfo=UTC)
    assert len(row.points) == forecast.FORECAST_HOURS
    assert versions.current(session) == version + 1

    view = forecast.get(
        session,
        checkpoint.id,
        direction=Direction.EXIT,
        lane=Lane.CAR,
        hours=6,
        now=now + timedelta(hours=2),
    )
    # two hours later the first two points are past
    assert [p["at"] for p in view.points] == [
        datetime(2026, 5, 4, 12, tzinfo=UTC) + timedelta(hours=h) for h in range(6)
    ]
    assert view.basis == "forecast"
    assert view.accuracy is not None
    assert view.accuracy["1h"]["method"] == "persistence"


def test_without_a_stored_forecast_the_typical_week_answers(session: Session) -> None:
    checkpoint = factories.checkpoint(session, timezone="UTC")
    now = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)  # a Monday
    waits = np.full(8 * 7 * 24, np.nan)
    waits[::168] = 30  # Mondays 10:00, eight weeks running
    _store_history(session, checkpoint.id, waits, now.replace(minute=0))
    view = forecast.get(
        session, checkpoint.id, direction=Direction.EXIT, lane=Lane.CAR, hours=2, now=now
    )
    assert not view.shown
    assert view.reason == "not_current"
    assert view.basis == "typical"
    assert [(p["p50"], p["method"]) for p in view.points] == [(30, "seasonal"), (None, "seasonal")]
