from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from content.accounts.service import Poster
from content.checkpoints import outlook, planned
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Checkpoint, Direction, Forecast, Lane, State
from content.checkpoints.outlook import Basis
from tests import factories

# a Wednesday, 11:00 in Almaty and Bishkek; no holiday on either side on the Wednesdays
# of the 8 weeks before
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
ORIGIN = (43.0, 75.0)
EXIT, ENTRY, CAR = Direction.EXIT, Direction.ENTRY, Lane.CAR


def _wait(session: Session, checkpoint: Checkpoint, at: datetime, **kwargs: Any) -> Any:
    return outlook.expected_wait(
        session, checkpoint, direction=kwargs.get("direction", EXIT), lane=CAR, at=at, now=NOW
    )


def _report(session: Session, checkpoint: Checkpoint, wait: int, **overrides: Any) -> None:
    factories.record_queue(
        session,
        now=NOW,
        **{
            "checkpoint_id": checkpoint.id,
            "direction": EXIT,
            "lane": CAR,
            "wait_minutes": wait,
            "observed_at": NOW - timedelta(minutes=10),
            **overrides,
        },
    )


# --- the wait at a moment ---------------------------------------------------------------


def test_a_fresh_report_is_the_wait_close_to_now(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    _report(session, checkpoint, 40)
    estimate = _wait(session, checkpoint, NOW + timedelta(minutes=30))
    assert (estimate.p50, estimate.p80, estimate.basis) == (40, 40, Basis.CURRENT)


def test_the_typical_week_beyond_the_current_horizon(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    _report(session, checkpoint, 40)
    later = NOW + timedelta(hours=3)
    factories.weekly_history(
        session,
        checkpoint_id=checkpoint.id,
        direction=EXIT,
        lane=CAR,
        at=later,
        waits=[10, 20, 30],
        now=NOW,
    )
    estimate = _wait(session, checkpoint, later)
    # the median and numpy's 80th percentile of 10, 20, 30
    assert (estimate.p50, estimate.p80, estimate.basis) == (20, 26, Basis.TYPICAL)


def test_a_stale_report_gives_way_to_the_typical_week(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    factories.weekly_history(
        session,
        checkpoint_id=checkpoint.id,
        direction=EXIT,
        lane=CAR,
        at=NOW,
        waits=[50, 50, 50, 50],
        now=NOW,
    )
    _report(session, checkpoint, 5, observed_at=NOW - timedelta(hours=3))
    estimate = _wait(session, checkpoint, NOW)
    assert (estimate.p50, estimate.basis) == (50, Basis.TYPICAL)


def test_unknown_with_fewer_than_three_hours_of_history(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    later = NOW + timedelta(hours=5)
    factories.weekly_history(
        session,
        checkpoint_id=checkpoint.id,
        direction=EXIT,
        lane=CAR,
        at=later,
        waits=[10, 20],
        now=NOW,
    )
    estimate = _wait(session, checkpoint, later)
    assert not estimate.known
    assert (estimate.p50, estimate.p80, estimate.basis) == (None, None, None)


def test_the_other_direction_is_not_counted(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    _report(session, checkpoint, 40, direction=ENTRY)
    assert not _wait(session, checkpoint, NOW).known
    assert _wait(session, checkpoint, NOW, direction=ENTRY).p50 == 40


def _stored_forecast(session: Session, checkpoint: Checkpoint, *points: dict[str, Any]) -> None:
    session.add(
        Forecast(
            checkpoint_id=checkpoint.id,
            direction=EXIT,
            lane=CAR,
            computed_at=NOW.replace(minute=0),
            points=list(points),
            methods={},
            accuracy={},
            shown=True,
            reason=None,
            decay=0.9,
            typical={"p50": [None] * 168, "p80": [None] * 168},
        )
    )
    session.flush()


def test_an_earned_forecast_wins_over_the_typical_week(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    later = NOW + timedelta(hours=3)
    for hour in (later, later + timedelta(hours=1)):
        factories.weekly_history(
            session, checkpoint_id=checkpoint.id, direction=EXIT, lane=CAR, at=hour,
            waits=[10, 20, 30], now=NOW,
        )  # fmt: skip
    _stored_forecast(
        session,
        checkpoint,
        {"at": later.isoformat(), "p50": 44.4, "p80": 61.0, "method": "blend"},
        {"at": (later + timedelta(hours=1)).isoformat(), "p50": 9, "p80": 9, "method": "seasonal"},
    )
    estimate = _wait(session, checkpoint, later + timedelta(minutes=20))
    assert (estimate.p50, estimate.p80, estimate.basis) == (44, 61, Basis.FORECAST)
    # an hour the forecast did not earn is the typical week's, read live
    beyond = _wait(session, checkpoint, later + timedelta(hours=1))
    assert (beyond.p50, beyond.basis) == (20, Basis.TYPICAL)


def test_a_fresh_report_wins_over_a_forecast_close_to_now(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    _stored_forecast(
        session, checkpoint, {"at": NOW.isoformat(), "p50": 44, "p80": 61, "method": "blend"}
    )
    assert _wait(session, checkpoint, NOW).basis is Basis.FORECAST
    _report(session, checkpoint, 7)
    assert (_wait(session, checkpoint, NOW).p50, _wait(session, checkpoint, NOW).basis) == (
        7,
        Basis.CURRENT,
    )


def test_a_forecast_not_shown_is_not_used(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    later = NOW + timedelta(hours=3)
    _stored_forecast(
        session, checkpoint, {"at": later.isoformat(), "p50": 44, "p80": 61, "method": "blend"}
    )
    assert _wait(session, checkpoint, later).basis is Basis.FORECAST
    stored = session.get(Forecast, (checkpoint.id, EXIT, CAR))
    assert stored is not None
    stored.shown = False
    assert not _wait(session, checkpoint, later).known
    stored.shown, stored.computed_at = True, NOW - timedelta(hours=7)  # too old to stand
    assert not _wait(session, checkpoint, later).known


def test_the_weakest_basis() -> None:
    assert outlook.weakest(Basis.CURRENT, Basis.TYPICAL) is Basis.TYPICAL
    assert outlook.weakest(Basis.CURRENT, Basis.FORECAST) is Basis.FORECAST
    assert outlook.weakest(Basis.CURRENT, Basis.CURRENT) is Basis.CURRENT
    assert outlook.weakest(Basis.CURRENT, None) is None


# --- the best crossing ------------------------------------------------------------------


def _crossing(
    session: Session, longitude: float, exit_wait: int | None, entry_wait: int | None
) -> tuple[Checkpoint, Checkpoint]:
    exit_side, entry_side = factories.crossing(
        session, exit_overrides={"latitude": ORIGIN[0], "longitude": longitude}
    )
    if exit_wait is not None:
        _report(session, exit_side, exit_wait)
    if entry_wait is not None:
        _report(session, entry_side, entry_wait, direction=ENTRY)
    return exit_side, entry_side


def _best(session: Session, **overrides: Any) -> outlook.BestCrossings:
    arguments: dict[str, Any] = {
        "origin_lat": ORIGIN[0],
        "origin_lon": ORIGIN[1],
        "to_country": "KG",
        "lane": CAR,
        "depart_at": NOW,
        "now": NOW,
        **overrides,
    }
    return outlook.best_crossings(session, **arguments)


def _ids(best: outlook.BestCrossings, *wanted: Checkpoint) -> list[str]:
    ids = {c.id for c in wanted}
    return [c.checkpoint.id for c in best.items if c.checkpoint.id in ids]


def test_ranked_by_total_with_the_partners_entry_wait(session: Session) -> None:
    # the near one is quicker out of Kazakhstan, but its Kyrgyz entry queue is long
    near, near_partner = _crossing(session, 75.1, exit_wait=20, entry_wait=100)
    far, far_partner = _crossing(session, 75.3, exit_wait=25, entry_wait=10)

    best = _best(session)

    assert _ids(best, near, far) == [far.id, near.id]
    first = best.items[0]
    assert (first.checkpoint.id, first.partner.id) == (far.id, far_partner.id)
    assert (first.exit_wait.p50, first.entry_wait.p50) == (25, 10)
    assert first.total_minutes == first.drive_minutes + 25 + 10
    assert first.range == (first.total_minutes, first.total_minutes)  # current: no spread
    assert first.basis is Basis.CURRENT
    # the entry wait is expected once through the exit queue
    assert first.entry_wait.at == first.exit_wait.at + timedelta(minutes=25)
    assert first.exit_wait.at == NOW + timedelta(minutes=first.drive_minutes)


def test_drive_time_from_the_distance(session: Session) -> None:
    near, _ = _crossing(session, 75.1, exit_wait=20, entry_wait=20)
    (item,) = [c for c in _best(session).items if c.checkpoint.id == near.id]
    km = checkpoints.distance_km(*ORIGIN, near.latitude, near.longitude)
    assert item.distance_km == pytest.approx(km)
    # 8.1 km in a straight line, 10.6 km by road at 60 km/h: 11 minutes
    assert item.drive_minutes == 11
    assert outlook.DriveEstimate().minutes(100) == 130


@pytest.mark.parametrize("closed_side", ["exit", "entry"])
def test_a_crossing_closed_on_either_side_comes_last(session: Session, closed_side: str) -> None:
    quick, quick_partner = _crossing(session, 75.1, exit_wait=5, entry_wait=5)
    slow, _ = _crossing(session, 75.3, exit_wait=200, entry_wait=200)
    closed = quick if closed_side == "exit" else quick_partner
    checkpoints.set_status(
        session, poster=None, checkpoint_id=closed.id, state=State.CLOSED, now=NOW
    )

    best = _best(session)

    last = best.items[-1]
    assert last.checkpoint.id == quick.id
    assert last.open_at_arrival is False
    assert _ids(best, quick, slow) == [slow.id, quick.id]
    # the seeded crossings into Kyrgyzstan have no status: open (24 hours) or unknown
    assert all(item.open_at_arrival is not False for item in best.items[:-1])


def test_open_at_arrival_ranks_before_unknown(session: Session) -> None:
    unknown, _ = _crossing(session, 75.1, exit_wait=50, entry_wait=50)
    opened, opened_partner = _crossing(session, 75.3, exit_wait=20, entry_wait=100)
    for side in (opened, opened_partner):
        checkpoints.set_status(
            session, poster=None, checkpoint_id=side.id, state=State.OPEN, now=NOW
        )
    restricted, _ = _crossing(session, 75.2, exit_wait=1, entry_wait=1)
    checkpoints.set_status(
        session, poster=None, checkpoint_id=restricted.id, state=State.RESTRICTED, now=NOW
    )

    best = _best(session)

    assert best.items[0].checkpoint.id == opened.id
    assert best.items[0].open_at_arrival is True
    assert _ids(best, unknown, opened, restricted) == [opened.id, restricted.id, unknown.id]
    by_id = {c.checkpoint.id: c for c in best.items}
    assert by_id[restricted.id].open_at_arrival is None  # restricted: this lane may not pass


def test_a_planned_closure_at_arrival_comes_last(session: Session) -> None:
    quick, quick_partner = _crossing(session, 75.1, exit_wait=5, entry_wait=5)
    slow, _ = _crossing(session, 75.3, exit_wait=200, entry_wait=200)
    # the Kyrgyz side closes from 10 minutes from now, before the traveller gets there
    factories.planned_closure(
        session,
        checkpoint_id=quick_partner.id,
        poster=Poster(agency_id=None, country="KG"),
        starts_at=NOW + timedelta(minutes=10),
        ends_at=NOW + timedelta(days=1),
        now=NOW,
    )
    best = _best(session)
    assert _ids(best, quick, slow) == [slow.id, quick.id]
    assert best.items[-1].open_at_arrival is False
    # a trip the day after, when the plan is over, is not affected by it
    later = _best(session, depart_at=NOW + timedelta(days=2))
    by_id = {c.checkpoint.id: c for c in later.items}
    assert by_id[quick.id].open_at_arrival is not False


def test_a_plan_in_progress_hands_back_the_status_it_replaced(session: Session) -> None:
    checkpoint = factories.checkpoint(session)
    checkpoints.set_status(
        session,
        poster=None,
        checkpoint_id=checkpoint.id,
        state=State.OPEN,
        now=NOW - timedelta(hours=2),
    )
    factories.planned_closure(
        session,
        checkpoint_id=checkpoint.id,
        starts_at=NOW - timedelta(minutes=1),
        ends_at=NOW + timedelta(hours=2),
        now=NOW - timedelta(minutes=2),
    )
    planned.apply_planned(session, now=NOW)
    assert outlook.open_at(session, checkpoint, NOW + timedelta(hours=1)) is False
    # after its end the open status it replaced comes back, as the worker will post it
    assert outlook.open_at(session, checkpoint, NOW + timedelta(hours=3)) is True


def test_closed_by_the_schedule_at_arrival(session: Session) -> None:
    # open 08:00-10:00 in Almaty: closed at 11:00, when the traveller arrives
    hours = [{"days": [1, 2, 3, 4, 5, 6, 7], "opens": "08:00", "closes": "10:00"}]
    exit_side, _ = factories.crossing(
        session,
        exit_overrides={
            "latitude": ORIGIN[0],
            "longitude": 75.1,
            "hours_known": True,
            "hours": hours,
        },
    )
    (item,) = [c for c in _best(session).items if c.checkpoint.id == exit_side.id]
    assert item.open_at_arrival is False


def test_unknown_waits_rank_after_known_totals(session: Session) -> None:
    unknown, _ = _crossing(session, 75.1, exit_wait=None, entry_wait=None)
    half_known, _ = _crossing(session, 75.15, exit_wait=10, entry_wait=None)
    known, _ = _crossing(session, 75.4, exit_wait=5, entry_wait=5)

    best = _best(session)

    assert _ids(best, unknown, half_known, known) == [known.id, unknown.id, half_known.id]
    by_id = {c.checkpoint.id: c for c in best.items}
    for checkpoint in (unknown, half_known):
        assert by_id[checkpoint.id].total_minutes is None
        assert by_id[checkpoint.id].range is None
        assert by_id[checkpoint.id].basis is None
    assert by_id[half_known.id].exit_wait.p50 == 10


def test_the_weaker_side_names_the_basis(session: Session) -> None:
    exit_side, entry_side = _crossing(session, 75.1, exit_wait=30, entry_wait=None)
    factories.weekly_history(
        session,
        checkpoint_id=entry_side.id,
        direction=ENTRY,
        lane=CAR,
        at=NOW + timedelta(minutes=11 + 30),
        waits=[10, 20, 30],
        now=NOW,
    )
    (item,) = [c for c in _best(session).items if c.checkpoint.id == exit_side.id]
    assert item.exit_wait.basis is Basis.CURRENT
    assert item.entry_wait.basis is Basis.TYPICAL
    assert item.basis is Basis.TYPICAL
    assert item.range == (item.drive_minutes + 30 + 20, item.drive_minutes + 30 + 26)


def test_only_crossings_that_let_the_lane_through(session: Session) -> None:
    both, _ = factories.crossing(
        session,
        exit_overrides={"lanes": ["car", "truck"]},
        entry_overrides={"lanes": ["car", "truck"]},
    )
    no_truck_entry, _ = factories.crossing(session, exit_overrides={"lanes": ["car", "truck"]})
    exit_only, _ = factories.crossing(
        session,
        exit_overrides={"lanes": ["truck"]},
        entry_overrides={"lanes": ["truck"], "directions": ["exit"]},
    )
    unpaired = factories.checkpoint(session, lanes=["truck"])

    ids = {c.checkpoint.id for c in _best(session, lane=Lane.TRUCK).items}

    assert both.id in ids
    assert not ids & {no_truck_entry.id, exit_only.id, unpaired.id}
    assert {c.checkpoint.id for c in _best(session, to_country="UZ").items}.isdisjoint(ids)


# --- closing time -----------------------------------------------------------------------

# 08:00-20:00 every day in Tashkent (UTC+5): 20:00 there is 15:00 UTC
DAY_HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "opens": "08:00", "closes": "20:00"}]
AFTERNOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 17:00 in Tashkent


def _day_checkpoint(session: Session, **overrides: Any) -> Checkpoint:
    return factories.checkpoint(
        session,
        **{
            "timezone": "Asia/Tashkent",
            "hours_known": True,
            "hours": DAY_HOURS,
            "lanes": ["car", "truck"],
            **overrides,
        },
    )


def _post(session: Session, checkpoint: Checkpoint, wait: int, lane: Lane = CAR) -> None:
    factories.record_queue(
        session,
        now=AFTERNOON,
        checkpoint_id=checkpoint.id,
        direction=EXIT,
        lane=lane,
        wait_minutes=wait,
        observed_at=AFTERNOON - timedelta(minutes=5),
    )


def test_closing_within_six_hours_likely_to_clear(session: Session) -> None:
    checkpoint = _day_checkpoint(session)
    _post(session, checkpoint, 60)
    _post(session, checkpoint, 170, lane=Lane.TRUCK)

    closing = outlook.closing(session, checkpoint, now=AFTERNOON)

    assert closing is not None
    assert closing.closes_at == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert closing.minutes_left == 180
    assert closing.wait.p50 == 170  # the longest lane
    assert closing.wait.basis is Basis.CURRENT
    assert closing.likely_to_clear is True


def test_closing_unlikely_to_clear(session: Session) -> None:
    checkpoint = _day_checkpoint(session)
    _post(session, checkpoint, 60)
    _post(session, checkpoint, 200, lane=Lane.TRUCK)
    closing = outlook.closing(session, checkpoint, now=AFTERNOON)
    assert closing is not None
    assert closing.likely_to_clear is False


def test_closing_without_any_wait_says_it_does_not_know(session: Session) -> None:
    closing = outlook.closing(session, _day_checkpoint(session), now=AFTERNOON)
    assert closing is not None
    assert (closing.likely_to_clear, closing.wait.p50, closing.wait.basis) == (None, None, None)


def test_no_closing_beyond_six_hours_or_when_already_closed(session: Session) -> None:
    checkpoint = _day_checkpoint(session)
    morning = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:00: closes in 11 hours
    assert outlook.closing(session, checkpoint, now=morning) is None
    night = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # 21:00: closed
    assert outlook.closing(session, checkpoint, now=night) is None
    just_inside = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 14:00: closes in exactly 6 hours
    assert outlook.closing(session, checkpoint, now=just_inside) is not None


def test_no_closing_for_always_open_or_unknown_hours(session: Session) -> None:
    always = _day_checkpoint(session, always_open=True, hours=None)
    unknown = _day_checkpoint(session, hours_known=False, hours=None)
    assert outlook.closing(session, always, now=AFTERNOON) is None
    assert outlook.closing(session, unknown, now=AFTERNOON) is None


def test_the_closing_warning_turns_when_it_appears_and_each_minute_after() -> None:
    checkpoint = factories.checkpoint(timezone="Asia/Tashkent", hours_known=True, hours=DAY_HOURS)
    morning = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:00: closes at 20:00 (15:00 UTC)
    six_hours_before = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert outlook.next_closing_change(checkpoint, now=morning) == six_hours_before
    # 179½ minutes left, shown as 179: it shows 178 once fewer than 179 are left
    inside = AFTERNOON + timedelta(seconds=30)
    assert outlook.next_closing_change(checkpoint, now=inside) == AFTERNOON + timedelta(minutes=1)
    night = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # closed: the opening turns it
    assert outlook.next_closing_change(checkpoint, now=night) is None


def test_next_close_across_midnight_and_joined_windows() -> None:
    night = factories.checkpoint(
        timezone="Asia/Tashkent",
        hours_known=True,
        hours=[
            {"days": [3], "opens": "20:00", "closes": "24:00"},
            {"days": [4], "opens": "00:00", "closes": "02:00"},
        ],
    )
    wednesday_22 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    # the Wednesday window runs on into Thursday's: closes 02:00 Thursday, 21:00 UTC
    assert checkpoints.next_close(night, wednesday_22) == datetime(2026, 11, 25, 21, 0, tzinfo=UTC)
    assert checkpoints.next_close(night, datetime(2026, 11, 25, 10, 0, tzinfo=UTC)) is None
    past_midnight = factories.checkpoint(
        timezone="Asia/Tashkent",
        hours_known=True,
        hours=[{"days": [3], "opens": "22:00", "closes": "03:00"}],
    )
    thursday_01 = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    assert checkpoints.next_close(past_midnight, thursday_01) == datetime(
        2026, 11, 25, 22, 0, tzinfo=UTC
    )
