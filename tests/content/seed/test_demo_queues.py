"""The demo queue has what real queues have: a weekly rhythm, holiday peaks on both sides,
spikes, gaps, noise, and a level that persists for hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from content.checkpoints.models import Direction, Lane
from content.checkpoints.series import holiday_mask, local_calendar, week_profile
from content.seed.demo_queues import BASE_WAIT, DEFAULT_SHAPE, Shape, demo_queue, demo_waits

# 2026 in Almaty from Monday 5 January 00:00 local (UTC+5), 52 weeks; Kazakh and Kyrgyz
# holidays, as at Kordai
START = datetime(2026, 1, 4, 19, tzinfo=UTC)
HOURS = 52 * 7 * 24
SLOTS, DATES = local_calendar(START, HOURS, "Asia/Almaty")
HOLIDAY = holiday_mask(DATES, ("KZ", "KG"))


def year(
    lane: Lane = Lane.CAR,
    direction: Direction = Direction.EXIT,
    seed: int = 7,
    shape: Shape = DEFAULT_SHAPE,
) -> np.ndarray:
    return demo_waits(
        np.random.default_rng(seed),
        base=BASE_WAIT[lane],
        slots=SLOTS,
        holiday=HOLIDAY,
        lane=lane,
        direction=direction,
        shape=shape,
    )


def ratio_to_typical(waits: np.ndarray) -> np.ndarray:
    """Each hour's wait over the median of its hour-of-week slot on ordinary days."""
    typical = week_profile(waits, SLOTS, HOLIDAY).p50
    return waits / typical[SLOTS]


def test_calendar_starts_on_monday_midnight() -> None:
    assert SLOTS[0] == 0
    assert DATES[0] == date(2026, 1, 5)


def test_same_seed_same_queue() -> None:
    np.testing.assert_array_equal(year(seed=3), year(seed=3))
    assert not np.array_equal(year(seed=3), year(seed=4), equal_nan=True)


def test_waits_are_whole_minutes_within_the_apis_bounds() -> None:
    waits = year(Lane.TRUCK)
    reported = waits[~np.isnan(waits)]
    assert np.array_equal(reported, np.rint(reported))
    assert reported.min() >= 0
    assert reported.max() <= 4320


def test_has_gaps_single_hours_whole_nights_and_days() -> None:
    waits = year()
    missing = np.isnan(waits)
    assert 0.04 < missing.mean() < 0.25
    by_day = missing.reshape(-1, 24)  # the calendar starts at local midnight, no DST
    whole_days = by_day.all(axis=1)
    whole_nights = by_day[:, :6].all(axis=1) & ~by_day[:, 6:].all(axis=1)
    assert whole_days.sum() >= 3
    assert whole_nights.sum() >= 10
    single_hours = missing & ~np.roll(missing, 1) & ~np.roll(missing, -1)
    assert single_hours.sum() >= 50


def test_the_current_wait_is_there_even_when_nobody_reported() -> None:
    queue = demo_queue(
        np.random.default_rng(1), base=35, slots=SLOTS, holiday=HOLIDAY, lane=Lane.CAR
    )
    assert not np.isnan(queue.waits).any()
    assert not queue.reported.all()


def test_weekly_rhythm() -> None:
    def typical(lane: Lane, direction: Direction) -> np.ndarray:
        return week_profile(year(lane, direction), SLOTS, HOLIDAY).p50.reshape(7, 24)

    cars_out, cars_in = typical(Lane.CAR, Direction.EXIT), typical(Lane.CAR, Direction.ENTRY)
    trucks = typical(Lane.TRUCK, Direction.EXIT)
    # night lows and afternoon highs
    assert cars_out[1, 17] > 3 * cars_out[1, 3]
    # people leave on Friday evening and come home on Sunday
    assert cars_out[4, 18] > 1.3 * cars_out[2, 18]
    assert cars_in[6, 18] > 1.4 * cars_in[2, 18]
    assert cars_in[4, 18] < cars_out[4, 18]
    # trucks queue overnight for the morning, and rest on Sunday
    assert trucks[2, 6] > 1.4 * trucks[2, 15]
    assert trucks[6].mean() < 0.65 * trucks[0].mean()
    assert trucks[2, 3] > cars_out[2, 3]  # and their night is not the cars' night


@pytest.mark.parametrize(("lane", "least"), [(Lane.CAR, 1.5), (Lane.TRUCK, 1.2)])
def test_holidays_peak(lane: Lane, least: float) -> None:
    ratio = ratio_to_typical(year(lane))
    assert np.nanmedian(ratio[HOLIDAY]) > least
    assert 0.9 < np.nanmedian(ratio[~HOLIDAY]) < 1.1


def test_a_holiday_on_the_other_side_peaks_too() -> None:
    # 31 August is Kyrgyzstan's Independence Day, not Kazakhstan's
    kyrgyz_only = np.array([d == date(2026, 8, 31) for d in DATES])
    assert not holiday_mask([date(2026, 8, 31)], ("KZ",)).any()
    assert HOLIDAY[kyrgyz_only].all()
    ratio = ratio_to_typical(year())
    assert np.nanmedian(ratio[kyrgyz_only]) > 1.4


def test_spikes_stand_out_of_the_noise() -> None:
    ordinary = ~HOLIDAY
    with_spikes = ratio_to_typical(year())[ordinary]
    without = ratio_to_typical(year(shape=Shape(spikes_per_week=0)))[ordinary]
    assert np.nanpercentile(with_spikes, 99.5) > 1.3 * np.nanpercentile(without, 99.5)
    assert np.nanmax(with_spikes) > 2.5


def test_noise_and_a_level_that_lasts_for_hours() -> None:
    residual = np.log(ratio_to_typical(year(shape=Shape(spikes_per_week=0))))
    residual[HOLIDAY | np.isinf(residual)] = np.nan
    assert 0.1 < np.nanstd(residual) < 0.5

    def autocorrelation(lag: int) -> float:
        pairs = np.column_stack([residual[:-lag], residual[lag:]])
        pairs = pairs[~np.isnan(pairs).any(axis=1)]
        return float(np.corrcoef(pairs.T)[0, 1])

    # the anomaly of this hour says something about the next ones, and less and less
    assert autocorrelation(1) > 0.45
    assert 0.15 < autocorrelation(6) < autocorrelation(1)
    assert autocorrelation(72) < 0.1
