from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from content.checkpoints.models import Direction, Lane, QueueHourly, QueueReport
from content.checkpoints.series import (
    WEEK_SLOTS,
    holiday_mask,
    load,
    local_calendar,
    week_profile,
)
from tests import factories


def test_slots_are_local_hours_of_the_week() -> None:
    # 2026-11-30 is a Monday; 18:00 UTC is 23:00 in Tashkent (UTC+5), 00:00 Tuesday in Bishkek
    start = datetime(2026, 11, 30, 18, tzinfo=UTC)
    tashkent, dates = local_calendar(start, 2, "Asia/Tashkent")
    bishkek, _ = local_calendar(start, 2, "Asia/Bishkek")
    assert tashkent.tolist() == [23, 24]
    assert dates == [date(2026, 11, 30), date(2026, 12, 1)]
    assert bishkek.tolist() == [24, 25]


def test_holidays_of_either_side_are_marked() -> None:
    # 1 September is Uzbekistan's Independence Day, not Kazakhstan's; 16 December the reverse
    days = [date(2026, 9, 1), date(2026, 12, 16), date(2026, 12, 2)]
    assert holiday_mask(days, ("UZ",)).tolist() == [True, False, False]
    assert holiday_mask(days, ("KZ", "UZ")).tolist() == [True, True, False]


def test_week_profile_needs_three_samples_and_skips_holidays_and_gaps() -> None:
    slots = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    waits = np.array([10, 20, 30, 999, 5, 5, 40, np.nan, 60])
    excluded = np.array([False, False, False, True, False, False, False, False, False])
    profile = week_profile(waits, slots, excluded)
    assert profile.p50[0] == 20
    assert profile.p80[0] == 26  # numpy's linear interpolation between 20 and 30
    assert profile.samples[0] == 3
    assert np.isnan(profile.p50[1])
    assert profile.samples[1] == 2
    assert np.isnan(profile.p50[2])
    assert profile.samples[2] == 2
    assert len(profile.p50) == WEEK_SLOTS


def test_load_reads_hour_medians_and_leaves_gaps_empty(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    start = datetime(2026, 11, 30, 10, tzinfo=UTC)
    for minute, wait in ((5, 10), (20, 30), (40, 50)):
        session.add(
            QueueReport(
                checkpoint_id=checkpoint.id,
                direction=Direction.EXIT,
                lane=Lane.CAR,
                wait_minutes=wait,
                observed_at=start + timedelta(hours=2, minutes=minute),
            )
        )
    session.add(
        QueueHourly(
            checkpoint_id=checkpoint.id,
            direction=Direction.EXIT,
            lane=Lane.CAR,
            hour=start,
            reports=4,
            min_wait=5,
            median_wait=12.5,
            max_wait=40,
        )
    )
    session.flush()
    series = load(
        session,
        checkpoint,
        direction=Direction.EXIT,
        lane=Lane.CAR,
        start=start,
        end=start + timedelta(hours=4),
    )
    assert series.waits[0] == 12.5
    assert np.isnan(series.waits[1])
    assert np.isnan(series.waits[3])
    assert series.waits[2] == 30
    # Monday 15:00 in Almaty (UTC+5) is slot 15
    assert series.slots.tolist() == [15, 16, 17, 18]
    assert not series.holiday.any()
