"""The typical week on hours whose values are known, so every figure can be worked out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from content.checkpoints.models import Direction, Lane
from content.checkpoints.typical import TypicalCell, TypicalWeek, typical_week
from content.errors import Invalid, NotFound
from tests import factories

# Monday 5 October 2026, half past midnight UTC: the window is the 8 weeks from Monday
# 10 August 00:00 UTC to Monday 5 October 00:00 UTC. In it, 31 August is Kyrgyzstan's
# Independence Day and no Kazakh holiday.
NOW = datetime(2026, 10, 5, 0, 30, tzinfo=UTC)
WINDOW_END = datetime(2026, 10, 5, tzinfo=UTC)
WINDOW_START = WINDOW_END - timedelta(weeks=8)
MONDAYS = [WINDOW_START + timedelta(weeks=week) for week in range(8)]  # 00:00 UTC each


def week(session: Session, checkpoint_id: str) -> TypicalWeek:
    return typical_week(
        session, checkpoint_id=checkpoint_id, direction=Direction.EXIT, lane=Lane.CAR, now=NOW
    )


def cell(result: TypicalWeek, weekday: int, hour: int) -> TypicalCell:
    found = result.cells[weekday * 24 + hour]
    assert (found.weekday, found.hour) == (weekday, hour)
    return found


def hourly(session: Session, checkpoint_id: str, hour: datetime, wait: float) -> None:
    factories.queue_hourly(session, checkpoint_id=checkpoint_id, hour=hour, median_wait=wait)


def test_percentiles_per_local_weekday_and_hour(session: Session) -> None:
    checkpoint = factories.checkpoint(session)  # Asia/Almaty, UTC+5
    # Tuesday 08:00 local is 03:00 UTC: five weeks of 10, 20, 30, 40, 50 minutes
    for index, wait in enumerate((10, 20, 30, 40, 50)):
        hourly(session, checkpoint.id, MONDAYS[index] + timedelta(days=1, hours=3), wait)
    # Wednesday 12:00 local: only two hours have a value
    for index in (0, 1):
        hourly(session, checkpoint.id, MONDAYS[index] + timedelta(days=2, hours=7), 15)

    result = week(session, checkpoint.id)

    assert result.checkpoint == checkpoint.id
    assert (result.direction, result.lane) == (Direction.EXIT, Lane.CAR)
    assert result.timezone == "Asia/Almaty"
    assert result.weeks == 8
    assert len(result.cells) == 168
    assert cell(result, 1, 8) == TypicalCell(1, 8, p50=30.0, p80=42.0, samples=5)
    # fewer than 3 samples: counted, but no figures
    assert cell(result, 2, 12) == TypicalCell(2, 12, p50=None, p80=None, samples=2)
    assert cell(result, 0, 0) == TypicalCell(0, 0, p50=None, p80=None, samples=0)
    assert sum(c.samples for c in result.cells) == 7


def test_raw_reports_count_by_their_hour_median(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    # three Fridays at 18:xx local (13:xx UTC), two reports each: the hour is their median
    for index in range(3):
        hour = MONDAYS[index] + timedelta(days=4, hours=13)
        for minute, wait in ((5, 20), (45, 40 + index * 10)):
            factories.record_queue(
                session,
                now=NOW,
                check_age=False,
                checkpoint_id=checkpoint.id,
                wait_minutes=wait,
                observed_at=hour + timedelta(minutes=minute),
            )
    result = week(session, checkpoint.id)
    # hour medians 30, 35, 40
    assert cell(result, 4, 18) == TypicalCell(4, 18, p50=35.0, p80=38.0, samples=3)


@pytest.mark.parametrize(
    ("country", "neighbor"),
    [("KZ", "KG"), ("KG", "KZ")],
    ids=["neighbour's holiday", "own holiday"],
)
def test_holidays_on_either_side_are_left_out(
    session: Session, country: str, neighbor: str
) -> None:
    checkpoint = factories.checkpoint(
        session, id=f"{country.lower()}-holiday-test", country=country, neighbor=neighbor
    )
    # Monday 10:00 local on all 8 Mondays; 31 August (the 4th) is a Kyrgyz holiday
    for index, monday in enumerate(MONDAYS):
        wait = 500 if monday.date().isoformat() == "2026-08-31" else 10 * (index + 1)
        hourly(session, checkpoint.id, monday + timedelta(hours=5), wait)

    found = cell(week(session, checkpoint.id), 0, 10)

    # 10, 20, 30, 50, 60, 70, 80: the holiday's 500 is not among them
    assert found == TypicalCell(0, 10, p50=50.0, p80=68.0, samples=7)


def test_the_holidays_are_those_of_the_two_countries_concerned(session: Session) -> None:
    checkpoint = factories.checkpoint(session, country="KZ", neighbor="TM")
    for monday in MONDAYS:
        hourly(session, checkpoint.id, monday + timedelta(hours=5), monday.day)
    found = cell(week(session, checkpoint.id), 0, 10)
    # Kyrgyzstan's 31 August counts here; 28 September (a Turkmen holiday) does not
    assert found.samples == 7
    assert found.p50 == 17.0  # 7, 10, 14, 17, 21, 24, 31


def test_cells_are_in_the_checkpoints_own_time_zone(session: Session) -> None:
    almaty = factories.checkpoint(session, timezone="Asia/Almaty")  # UTC+5
    bishkek = factories.checkpoint(session, timezone="Asia/Bishkek")  # UTC+6
    # Sunday 20:00 UTC, three weeks running (after Kyrgyzstan's holiday on Monday 31
    # August): Monday 01:00 in Almaty, 02:00 in Bishkek
    for index in range(4, 7):
        sunday_evening = MONDAYS[index] + timedelta(days=6, hours=20)
        hourly(session, almaty.id, sunday_evening, 25)
        hourly(session, bishkek.id, sunday_evening, 25)

    in_almaty, in_bishkek = week(session, almaty.id), week(session, bishkek.id)

    assert in_bishkek.timezone == "Asia/Bishkek"
    assert cell(in_almaty, 0, 1).p50 == 25.0
    assert cell(in_bishkek, 0, 2).p50 == 25.0
    assert cell(in_bishkek, 0, 1).samples == cell(in_bishkek, 6, 20).samples == 0


def test_best_lists_the_three_lowest_medians(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    # (local weekday, hour, wait) three weeks each; Thursday 03:00 has the lowest wait
    # but only two samples, so it is not shown and not best
    slots = [(0, 9, 40), (1, 9, 12), (2, 9, 5), (3, 9, 12), (4, 9, 60), (5, 9, 30)]
    for weekday, hour, wait in slots:
        for index in range(3):
            moment = MONDAYS[index] + timedelta(days=weekday, hours=hour - 5)
            hourly(session, checkpoint.id, moment, wait)
    for index in range(2):
        hourly(session, checkpoint.id, MONDAYS[index] + timedelta(days=3, hours=3 - 5), 1)

    best = week(session, checkpoint.id).best

    # lowest first; of the two 12s, the earlier in the week
    assert [(b.weekday, b.hour, b.p50) for b in best] == [(2, 9, 5.0), (1, 9, 12.0), (3, 9, 12.0)]


def test_best_is_shorter_when_few_cells_have_figures(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    for index in range(3):
        hourly(session, checkpoint.id, MONDAYS[index] + timedelta(hours=1), 20)
    result = week(session, checkpoint.id)
    assert [(b.weekday, b.hour) for b in result.best] == [(0, 6)]
    assert week(session, factories.checkpoint(session).id).best == []


def test_window_is_the_eight_whole_weeks_before_the_current_hour(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    # the window's first hour and its last are in; the hour before it and the hour in
    # progress are out. All four fall on Monday 04:00 or 05:00 local time.
    for moment in (
        WINDOW_START,  # Monday 05:00 local, in
        WINDOW_START - timedelta(hours=1),  # Monday 04:00 local, out
        WINDOW_END - timedelta(hours=1),  # Monday 04:00 local, in
        WINDOW_END + timedelta(minutes=10),  # Monday 05:00 local, the hour in progress: out
    ):
        factories.record_queue(
            session,
            now=NOW,
            check_age=False,
            checkpoint_id=checkpoint.id,
            wait_minutes=30,
            observed_at=moment,
        )

    result = week(session, checkpoint.id)

    assert result.as_of == WINDOW_END
    assert cell(result, 0, 5).samples == 1
    assert cell(result, 0, 4).samples == 1


def test_unknown_checkpoint_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        week(session, "kz-nowhere")


def test_a_lane_or_direction_the_checkpoint_lacks_is_invalid(session: Session) -> None:
    checkpoint = factories.checkpoint(session, lanes=["car"], directions=["entry"])
    with pytest.raises(Invalid) as raised:
        typical_week(
            session,
            checkpoint_id=checkpoint.id,
            direction=Direction.EXIT,
            lane=Lane.TRUCK,
            now=NOW,
        )
    assert {problem.path for problem in raised.value.problems} == {"lane", "direction"}
