"""Crowd reports: what is refused, what is kept (never the position), the robust
aggregate, disputes, moderation, retention, and that no queue alert fires on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.models import AuditEntry
from content.checkpoints import crowd
from content.checkpoints.models import (
    CrowdReport,
    CurrentQueue,
    Direction,
    DistanceBucket,
    Lane,
)
from content.errors import Forbidden, Invalid
from push import devices
from push.models import Device, MessageKind, OutboxMessage
from tests import factories
from tests.conftest import statements_sent
from tests.factories import TESTER

KORDAI = (43.037, 74.711)  # the seeded point; its accuracy radius is 3 km


def _now() -> datetime:
    return datetime.now(UTC)


def _problems(error: pytest.ExceptionInfo[Invalid]) -> dict[str, str]:
    return {p.path: p.message for p in error.value.problems}


def _kordai_car(session: Session, now: datetime) -> crowd.CrowdFigure | None:
    return (
        crowd.current(session, ["kz-kordai"], now=now)
        .get("kz-kordai", {})
        .get((Direction.EXIT, Lane.CAR))
    )


def _figure(session: Session, now: datetime) -> crowd.CrowdFigure:
    figure = _kordai_car(session, now)
    assert figure is not None, "no crowd figure for Kordai's car lane out of Kazakhstan"
    return figure


def _devices(session: Session, count: int) -> list[Device]:
    return [factories.reporting_device(session) for _ in range(count)]


# -- what is refused -------------------------------------------------------------------


def test_a_position_outside_the_geofence_is_refused(session: Session) -> None:
    """5 km plus Kordai's 3 km accuracy radius: 11 km north is out, 6.5 km is in."""
    device = factories.reporting_device(session)
    with pytest.raises(Invalid) as refused:
        factories.crowd_report(session, device, latitude=KORDAI[0] + 0.1)
    assert set(_problems(refused)) == {"position"}
    assert "too far" in _problems(refused)["position"]
    kept = factories.crowd_report(session, device, latitude=KORDAI[0] + 0.058)
    assert kept.distance is DistanceBucket.OVER_5_KM


def test_the_geofence_is_5_km_without_an_accuracy_radius(session: Session) -> None:
    checkpoint = factories.checkpoint(session, location_accuracy_m=0)
    device = factories.reporting_device(session)
    place = {"checkpoint_id": checkpoint.id, "longitude": checkpoint.longitude}
    with pytest.raises(Invalid):
        factories.crowd_report(session, device, latitude=checkpoint.latitude + 0.05, **place)
    report = factories.crowd_report(session, device, latitude=checkpoint.latitude + 0.04, **place)
    assert report.distance is DistanceBucket.UNDER_5_KM


@pytest.mark.parametrize(
    ("north_degrees", "bucket"),
    [
        (0.0, DistanceBucket.UNDER_1_KM),
        (0.0135, DistanceBucket.UNDER_2_KM),  # 1.5 km
        (0.027, DistanceBucket.UNDER_5_KM),  # 3 km
    ],
)
def test_only_the_distance_bucket_is_kept(
    session: Session, north_degrees: float, bucket: DistanceBucket
) -> None:
    device = factories.reporting_device(session)
    report = factories.crowd_report(session, device, latitude=KORDAI[0] + north_degrees)
    assert report.distance is bucket


def test_no_coordinates_are_stored(session: Session) -> None:
    """The row has no column for a position, and no value of it holds one."""
    device = factories.reporting_device(session)
    report = factories.crowd_report(session, device, latitude=43.0412, longitude=74.7133)
    session.expire_all()
    columns = {c.name for c in inspect(CrowdReport).columns}
    assert columns == {
        "id",
        "checkpoint_id",
        "direction",
        "lane",
        "waited_minutes",
        "crossed_at",
        "device_id",
        "distance",
        "created_at",
        "hidden_at",
        "hidden_by",
    }
    row = session.execute(select(CrowdReport.__table__).where(CrowdReport.id == report.id)).one()
    stored = " ".join(str(value) for value in row)
    assert "43.04" not in stored
    assert "74.71" not in stored
    assert row.distance == DistanceBucket.UNDER_1_KM


def test_a_crossing_more_than_2_hours_old_or_ahead_is_refused(session: Session) -> None:
    device = factories.reporting_device(session)
    now = _now()
    with pytest.raises(Invalid) as old:
        factories.crowd_report(session, device, now=now, crossed_at=now - timedelta(minutes=121))
    assert _problems(old) == {"crossed_at": "The crossing is more than 2 hours ago."}
    with pytest.raises(Invalid) as ahead:
        factories.crowd_report(session, device, now=now, crossed_at=now + timedelta(minutes=6))
    assert set(_problems(ahead)) == {"crossed_at"}
    # a clock a little ahead is taken as now
    report = factories.crowd_report(session, device, now=now, crossed_at=now + timedelta(minutes=3))
    assert report.crossed_at == now


def test_a_second_report_within_30_minutes_is_refused(session: Session) -> None:
    """One report per device, checkpoint and direction in 30 minutes (a replay)."""
    device = factories.reporting_device(session)
    now = _now()
    factories.crowd_report(session, device, now=now)
    with pytest.raises(Invalid) as replay:
        factories.crowd_report(session, device, now=now + timedelta(minutes=29), lane=Lane.TRUCK)
    assert "last 30 minutes" in _problems(replay)["direction"]
    # the other direction, and the same one half an hour later, are new reports
    factories.crowd_report(session, device, now=now, direction=Direction.ENTRY)
    factories.crowd_report(session, device, now=now + timedelta(minutes=31))


def test_a_device_registered_minutes_ago_is_refused(session: Session) -> None:
    device = factories.reporting_device(session, age=timedelta(minutes=9))
    with pytest.raises(Invalid) as refused:
        factories.crowd_report(session, device)
    assert "less than 10 minutes" in _problems(refused)["_request"]
    older = factories.reporting_device(session, age=timedelta(minutes=11))
    factories.crowd_report(session, older)


def test_a_lane_or_direction_the_checkpoint_lacks_is_refused(session: Session) -> None:
    device = factories.reporting_device(session)
    with pytest.raises(Invalid) as refused:
        factories.crowd_report(session, device, lane=Lane.BUS)
    assert set(_problems(refused)) == {"lane"}


def test_every_reason_is_named_at_once(session: Session) -> None:
    device = factories.reporting_device(session, age=timedelta(minutes=1))
    now = _now()
    with pytest.raises(Invalid) as refused:
        factories.crowd_report(
            session, device, now=now, latitude=40.0, crossed_at=now - timedelta(hours=3)
        )
    assert set(_problems(refused)) == {"position", "crossed_at", "_request"}


def test_a_blocked_device_is_refused(session: Session) -> None:
    device = factories.reporting_device(session)
    factories.crowd_report(session, device, direction=Direction.ENTRY)
    crowd.set_blocked(session, actor=TESTER, device_id=device.id, blocked=True)
    with pytest.raises(Forbidden):
        factories.crowd_report(session, device)
    crowd.set_blocked(session, actor=TESTER, device_id=device.id, blocked=False)
    factories.crowd_report(session, device)


# -- the aggregate ---------------------------------------------------------------------


def test_the_crowd_figure_needs_3_distinct_devices(session: Session) -> None:
    now = _now()
    first, second, third = _devices(session, 3)
    factories.crowd_report(session, first, now=now, waited_minutes=40)
    factories.crowd_report(session, second, now=now, waited_minutes=50)
    assert _kordai_car(session, now) is None
    figure_before = _kordai_car(session, now)
    factories.crowd_report(session, third, now=now, waited_minutes=60)
    figure = _kordai_car(session, now)
    assert figure_before is None
    assert figure is not None
    assert (figure.median_minutes, figure.reports) == (50, 3)
    assert figure.newest_at == now - timedelta(minutes=10)
    assert figure.valid_until == now - timedelta(minutes=10) + crowd.WINDOW


def test_three_reports_from_one_device_are_one_voice(session: Session) -> None:
    device = factories.reporting_device(session)
    other = factories.reporting_device(session)
    start = _now()
    for n in range(3):  # half an hour apart, as the replay rule allows
        moment = start + timedelta(minutes=31 * n)
        factories.crowd_report(session, device, now=moment, crossed_at=moment)
    factories.crowd_report(session, other, now=start + timedelta(minutes=62))
    assert _kordai_car(session, start + timedelta(minutes=63)) is None


def test_reports_leave_the_figure_after_2_hours(session: Session) -> None:
    now = _now()
    for device in _devices(session, 3):
        factories.crowd_report(session, device, now=now)
    assert _kordai_car(session, now + timedelta(minutes=109)) is not None
    assert _kordai_car(session, now + timedelta(minutes=111)) is None


def test_an_absurd_value_does_not_move_the_median(session: Session) -> None:
    now = _now()
    for device, minutes in zip(_devices(session, 5), (30, 35, 40, 45, 4000), strict=True):
        factories.crowd_report(session, device, now=now, waited_minutes=minutes)
    figure = _kordai_car(session, now)
    assert figure is not None
    assert (figure.median_minutes, figure.reports) == (38, 4)  # median of 30..45


@pytest.mark.parametrize(
    ("values", "dropped"),
    [
        ([30, 30, 30, 31, 60], {60}),  # MAD 0: the 5-minute floor keeps 31, drops 60
        ([300, 300, 300, 330, 400], {400}),  # 10 % of the median: 330 kept
        ([20, 40, 60, 80, 100], set()),  # a wide spread is no outlier
        ([10, 10, 10, 900, 900], {900}),
    ],
)
def test_outliers_by_the_median_absolute_deviation(values: list[int], dropped: set[int]) -> None:
    assert crowd.outliers(values) == dropped


def test_hidden_reports_and_blocked_devices_leave_the_figure(session: Session) -> None:
    now = _now()
    reporters = _devices(session, 4)
    reports = [factories.crowd_report(session, d, now=now, waited_minutes=40) for d in reporters]
    assert _figure(session, now).reports == 4
    crowd.set_hidden(session, actor=TESTER, report_id=reports[0].id, hidden=True)
    assert _figure(session, now).reports == 3
    crowd.set_blocked(session, actor=TESTER, device_id=reporters[1].id, blocked=True)
    assert _kordai_car(session, now) is None
    crowd.set_hidden(session, actor=TESTER, report_id=reports[0].id, hidden=False)
    assert _figure(session, now).reports == 3


def test_reports_are_deleted_with_the_device(session: Session) -> None:
    """By the service that deletes a device, and by the foreign key when the push worker
    deletes one whose token FCM no longer knows."""
    now = _now()
    first, second = _devices(session, 2)
    factories.crowd_report(session, first, now=now)
    factories.crowd_report(session, second, now=now)
    before = versions.current(session)
    devices.delete(session, first)
    assert versions.current(session) > before  # readers are told the figure changed
    session.execute(delete(Device).where(Device.id == second.id))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CrowdReport)) == 0


def test_the_aggregate_is_one_query_for_every_checkpoint(session: Session) -> None:
    now = _now()
    reporters = _devices(session, 3)
    ids = [factories.checkpoint(session).id for _ in range(3)]
    for checkpoint_id in ids:
        for device in reporters:
            factories.crowd_report(
                session, device, now=now, checkpoint_id=checkpoint_id, latitude=43, longitude=75
            )
    with statements_sent(session.get_bind()) as statements:
        figures = crowd.current(session, ids, now=now)
    assert len(figures) == 3
    assert len(statements) == 1


@pytest.mark.parametrize(
    ("official", "crowd_median", "disputed"),
    [
        (60, 90, False),  # 30 minutes apart: not more than 30
        (60, 91, True),
        (60, 29, True),
        (100, 150, False),  # 50 % of 100
        (100, 151, True),
        (0, 30, False),
        (0, 31, True),
    ],
)
def test_disputed_thresholds(official: int, crowd_median: int, disputed: bool) -> None:
    moment = _now()
    figure = crowd.CrowdFigure(crowd_median, 3, moment, moment)
    assert crowd.disputed(official, figure) is disputed


def test_no_crowd_figure_is_no_dispute() -> None:
    assert crowd.disputed(60, None) is None


def test_crowd_reports_never_fire_a_queue_alert(session: Session) -> None:
    """A phone waiting for Kordai's car queue to drop below 30 minutes hears nothing when
    travellers report 5 minutes: crowd data never touches the current queue."""
    now = _now()
    factories.record_queue(session, now=now, wait_minutes=90, observed_at=now)
    follower = factories.device(session)
    factories.kordai_car_alert(session, follower, below_minutes=30)
    session.execute(delete(OutboxMessage))
    for device in _devices(session, 5):
        factories.crowd_report(session, device, now=now, waited_minutes=5)
    queue = session.get(CurrentQueue, ("kz-kordai", Direction.EXIT, Lane.CAR))
    assert queue is not None
    assert queue.wait_minutes == 90
    assert _figure(session, now).median_minutes == 5
    alerts = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.QUEUE_ALERT)
    )
    assert alerts == 0
    # the same wait from the border service does fire it: the alert was armed
    factories.record_queue(session, now=now, wait_minutes=5, observed_at=now)
    assert session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.QUEUE_ALERT)
    )


# -- moderation and retention ------------------------------------------------------------


def test_moderation_is_audited(session: Session) -> None:
    device = factories.reporting_device(session)
    report = factories.crowd_report(session, device)
    crowd.set_hidden(session, actor=TESTER, report_id=report.id, hidden=True)
    assert report.hidden_by == TESTER.label
    crowd.set_hidden(session, actor=TESTER, report_id=report.id, hidden=False)
    crowd.set_blocked(session, actor=TESTER, device_id=device.id, blocked=True)
    crowd.set_blocked(session, actor=TESTER, device_id=device.id, blocked=False)
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.actor == TESTER.label).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.object_id) for e in entries[-4:]] == [
        ("hide_crowd_report", str(report.id)),
        ("unhide_crowd_report", str(report.id)),
        ("block_crowd_device", str(device.id)),
        ("unblock_crowd_device", str(device.id)),
    ]
    assert [e.after for e in entries[-2:]] == [{"blocked": True}, {"blocked": False}]


def test_moderation_lists_recent_reports_with_their_block(session: Session) -> None:
    device = factories.reporting_device(session)
    report = factories.crowd_report(session, device)
    crowd.set_blocked(session, actor=TESTER, device_id=device.id, blocked=True)
    (first, *_) = crowd.recent(session)
    assert (first.report.id, first.device_blocked) == (report.id, True)


def test_reports_are_pruned_after_30_days(session: Session) -> None:
    device = factories.reporting_device(session, age=timedelta(days=40))
    now = _now()
    old = factories.crowd_report(session, device, now=now - timedelta(days=31))
    recent = factories.crowd_report(session, device, now=now - timedelta(days=29))
    assert crowd.prune(session, now=now) == 1
    session.expire_all()
    assert session.get(CrowdReport, old.id) is None
    assert session.get(CrowdReport, recent.id) is not None
