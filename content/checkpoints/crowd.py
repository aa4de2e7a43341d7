"""Crowd reports: travellers say how long they waited, beside the official figure.

A report is refused (422, each reason named) when the position is outside the geofence,
the crossing is more than 2 hours old (or more than 5 minutes in the future), the device
already reported that checkpoint and direction in the last 30 minutes, or the device was
registered less than 10 minutes ago; a blocked device is refused with 403. The position
is checked and dropped: only its distance bucket is stored.

The aggregate (`current`) is computed at read time, for every listed checkpoint in one
query: per lane, the newest counted report of each device whose crossing is under 2 hours
old, not hidden, from a device not blocked. Outliers are dropped by the median absolute
deviation: a report x is an outlier when

    |x - median| > 3 × max(1.4826 × MAD, 5 minutes, 10 % of the median)

(1.4826 × MAD estimates the standard deviation of normal data; the floor keeps a unanimous
crowd, whose MAD is 0, from rejecting a report a few minutes off). With at least 3
distinct devices left, the lane has a crowd figure: their median. Crowd reports never
touch the current queue, so queue alerts never fire on them.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.service import Actor, audit
from content.checkpoints.models import (
    Checkpoint,
    CrowdBlock,
    CrowdReport,
    Direction,
    DistanceBucket,
    Lane,
)
from content.checkpoints.service import distance_km, get_or_raise, lane_problems
from content.db import utcnow
from content.errors import N_, FieldProblem, Forbidden, Invalid, NotFound

#: the geofence's radius before the checkpoint's own accuracy radius is added
GEOFENCE_KM = 5.0
#: how old a crossing may be when reported, and how long a report counts
WINDOW = timedelta(hours=2)
#: how far ahead of the server's clock a crossing may be (clock skew); taken as now
FUTURE_SLACK = timedelta(minutes=5)
#: one report per device, checkpoint and direction within this
REPLAY_WINDOW = timedelta(minutes=30)
#: a device younger than this may not report
MIN_DEVICE_AGE = timedelta(minutes=10)
#: a lane shows a crowd figure from this many distinct devices (after outliers)
MIN_DEVICES = 3
#: |x - median| above this many robust standard deviations is an outlier
OUTLIER_CUTOFF = 3.0
#: the MAD of normal data times this estimates its standard deviation
MAD_TO_SIGMA = 1.4826
#: the robust deviation is at least this (a unanimous crowd has MAD 0)
MIN_SIGMA_MINUTES = 5.0
MIN_SIGMA_SHARE = 0.10
#: a dispute: crowd and official figures differ by more than max(30 min, 50 % official)
DISPUTE_MINUTES = 30
DISPUTE_SHARE = 0.5
#: how long crowd reports are kept
RETENTION = timedelta(days=30)
#: (upper bound in km, bucket); beyond the last: OVER_5_KM
BUCKETS = (
    (1.0, DistanceBucket.UNDER_1_KM),
    (2.0, DistanceBucket.UNDER_2_KM),
    (5.0, DistanceBucket.UNDER_5_KM),
)


@dataclass(frozen=True)
class Reporter:
    """The device sending a report, as the HTTP layer authenticated it."""

    device_id: int
    registered_at: datetime


@dataclass(frozen=True)
class CrowdFigure:
    """What the crowd says about one lane."""

    median_minutes: int
    #: distinct devices counted (outliers left out)
    reports: int
    newest_at: datetime
    #: when the oldest report of the lane leaves the window: the figure may change then
    valid_until: datetime


def geofence_km(checkpoint: Checkpoint) -> float:
    """5 km around the point, widened by the radius within which the post lies."""
    return GEOFENCE_KM + checkpoint.location_accuracy_m / 1000


def bucket(distance: float) -> DistanceBucket:
    for upper, name in BUCKETS:
        if distance < upper:
            return name
    return DistanceBucket.OVER_5_KM


def is_blocked(session: Session, device_id: int) -> bool:
    return session.get(CrowdBlock, device_id) is not None


def submit(
    session: Session,
    *,
    reporter: Reporter,
    checkpoint_id: str,
    direction: Direction,
    lane: Lane,
    waited_minutes: int,
    crossed_at: datetime,
    latitude: float,
    longitude: float,
    now: datetime | None = None,
) -> CrowdReport:
    """Store a traveller's report, or refuse it naming every reason. The position is
    used for the geofence and its distance bucket, then forgotten."""
    now = now or utcnow()
    checkpoint = get_or_raise(session, checkpoint_id)
    if is_blocked(session, reporter.device_id):
        raise Forbidden(N_("This device may no longer send crowd reports."))
    problems = lane_problems(checkpoint, direction=direction, lane=lane)
    distance = distance_km(latitude, longitude, checkpoint.latitude, checkpoint.longitude)
    if distance > geofence_km(checkpoint):
        problems.append(
            FieldProblem(
                "position",
                N_("You are too far from the checkpoint to report its queue."),
            )
        )
    if crossed_at > now + FUTURE_SLACK:
        problems.append(
            FieldProblem("crossed_at", N_("The crossing time is more than 5 minutes ahead."))
        )
    elif crossed_at < now - WINDOW:
        problems.append(FieldProblem("crossed_at", N_("The crossing is more than 2 hours ago.")))
    if now - reporter.registered_at < MIN_DEVICE_AGE:
        problems.append(
            FieldProblem(
                "_request",
                N_("This device was registered less than 10 minutes ago: report a little later."),
            )
        )
    replayed = session.scalar(
        select(
            exists().where(
                CrowdReport.device_id == reporter.device_id,
                CrowdReport.checkpoint_id == checkpoint.id,
                CrowdReport.direction == direction,
                CrowdReport.created_at > now - REPLAY_WINDOW,
            )
        )
    )
    if replayed:
        problems.append(
            FieldProblem(
                "direction",
                N_(
                    "This device already reported this checkpoint and direction in the "
                    "last 30 minutes."
                ),
            )
        )
    if problems:
        raise Invalid(problems)
    report = CrowdReport(
        checkpoint_id=checkpoint.id,
        direction=direction,
        lane=lane,
        waited_minutes=waited_minutes,
        crossed_at=min(crossed_at, now),
        device_id=reporter.device_id,
        distance=bucket(distance),
        created_at=now,
    )
    session.add(report)
    checkpoint.changed_version = versions.bump(session)
    session.flush()
    return report


#: the reports of some checkpoints (`ids`) of crossings after `since` that count: not
#: hidden, not from a blocked device; oldest first. Built once.
_REPORTS = (
    select(
        CrowdReport.checkpoint_id,
        CrowdReport.direction,
        CrowdReport.lane,
        CrowdReport.device_id,
        CrowdReport.waited_minutes,
        CrowdReport.crossed_at,
    )
    .where(
        CrowdReport.checkpoint_id.in_(bindparam("ids", expanding=True)),
        CrowdReport.crossed_at > bindparam("since"),
        CrowdReport.hidden_at.is_(None),
        ~exists().where(CrowdBlock.device_id == CrowdReport.device_id),
    )
    .order_by(CrowdReport.crossed_at, CrowdReport.id)
)


def current(
    session: Session, checkpoint_ids: Sequence[str], *, now: datetime | None = None
) -> dict[str, dict[tuple[Direction, Lane], CrowdFigure]]:
    """The crowd figure of every lane that has one, by checkpoint: one query for all."""
    now = now or utcnow()
    rows = session.execute(_REPORTS, {"ids": list(checkpoint_ids), "since": now - WINDOW})
    # the newest report of each device per lane: one device, one voice
    newest: dict[tuple[str, Direction, Lane], dict[int, tuple[int, datetime]]] = {}
    for checkpoint_id, direction, lane, device_id, minutes, crossed_at in rows:
        newest.setdefault((checkpoint_id, direction, lane), {})[device_id] = (minutes, crossed_at)
    figures: dict[str, dict[tuple[Direction, Lane], CrowdFigure]] = {}
    for (checkpoint_id, direction, lane), by_device in newest.items():
        figure = robust_figure(list(by_device.values()))
        if figure is not None:
            figures.setdefault(checkpoint_id, {})[(direction, lane)] = figure
    return figures


def robust_figure(reports: Sequence[tuple[int, datetime]]) -> CrowdFigure | None:
    """The median of (minutes, crossed_at) reports, one per device, outliers left out;
    None with fewer than MIN_DEVICES left."""
    if len(reports) < MIN_DEVICES:
        return None
    kept = [r for r in reports if r[0] not in outliers([m for m, _ in reports])]
    if len(kept) < MIN_DEVICES:
        return None
    return CrowdFigure(
        median_minutes=round(statistics.median(m for m, _ in kept)),
        reports=len(kept),
        newest_at=max(at for _, at in kept),
        # an outlier leaving the window changes the deviation too
        valid_until=min(at for _, at in reports) + WINDOW,
    )


def outliers(values: Iterable[int]) -> set[int]:
    """The values further from the median than OUTLIER_CUTOFF robust deviations."""
    values = list(values)
    middle = statistics.median(values)
    mad = statistics.median(abs(v - middle) for v in values)
    sigma = max(MAD_TO_SIGMA * mad, MIN_SIGMA_MINUTES, MIN_SIGMA_SHARE * middle)
    return {v for v in values if abs(v - middle) > OUTLIER_CUTOFF * sigma}


def disputed(official_minutes: int, crowd: CrowdFigure | None) -> bool | None:
    """Whether the crowd and the official figure differ by more than max(30 minutes,
    50 % of the official figure); None without a crowd figure."""
    if crowd is None:
        return None
    allowed = max(DISPUTE_MINUTES, DISPUTE_SHARE * official_minutes)
    return abs(crowd.median_minutes - official_minutes) > allowed


# -- moderation ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModeratedReport:
    report: CrowdReport
    device_blocked: bool


def recent(session: Session, *, limit: int = 200) -> list[ModeratedReport]:
    """The newest reports first, hidden ones included, each with its device's block."""
    blocked = exists().where(CrowdBlock.device_id == CrowdReport.device_id)
    rows = session.execute(
        select(CrowdReport, blocked.label("blocked"))
        .order_by(CrowdReport.created_at.desc(), CrowdReport.id.desc())
        .limit(limit)
    )
    return [ModeratedReport(report, bool(is_blocked_)) for report, is_blocked_ in rows]


def get_report_or_raise(session: Session, report_id: int) -> CrowdReport:
    report = session.get(CrowdReport, report_id)
    if report is None:
        raise NotFound(N_("No crowd report with id %(id)s."), id=report_id)
    return report


def set_hidden(
    session: Session, *, actor: Actor, report_id: int, hidden: bool, now: datetime | None = None
) -> CrowdReport:
    """Hide a report from the aggregate, or show it again; audited."""
    report = get_report_or_raise(session, report_id)
    before = {"hidden": report.hidden_at is not None}
    if hidden and report.hidden_at is None:
        report.hidden_at, report.hidden_by = now or utcnow(), actor.label
    elif not hidden:
        report.hidden_at, report.hidden_by = None, None
    audit(
        session,
        actor=actor,
        action="hide_crowd_report" if hidden else "unhide_crowd_report",
        object_type="crowd_report",
        object_id=str(report.id),
        before=before,
        after={"hidden": hidden, "device_id": report.device_id},
    )
    _changed(session, [report.checkpoint_id])
    return report


def set_blocked(
    session: Session, *, actor: Actor, device_id: int, blocked: bool, now: datetime | None = None
) -> None:
    """Block a device from reporting (its reports stop counting), or unblock it; audited.
    Only a device that has reported can be blocked: that is how a moderator knows it."""
    checkpoint_ids = list(
        session.scalars(
            select(CrowdReport.checkpoint_id).where(CrowdReport.device_id == device_id).distinct()
        )
    )
    if not checkpoint_ids:
        raise NotFound(N_("No crowd reports from device %(id)s."), id=device_id)
    block = session.get(CrowdBlock, device_id)
    before = {"blocked": block is not None}
    if blocked and block is None:
        session.add(
            CrowdBlock(device_id=device_id, blocked_at=now or utcnow(), blocked_by=actor.label)
        )
    elif not blocked and block is not None:
        session.delete(block)
    audit(
        session,
        actor=actor,
        action="block_crowd_device" if blocked else "unblock_crowd_device",
        object_type="device",
        object_id=str(device_id),
        before=before,
        after={"blocked": blocked},
    )
    _changed(session, checkpoint_ids)


def forget_device(session: Session, device_id: int) -> int:
    """Delete a device's reports (before the device goes); returns how many. The foreign
    key would cascade anyway: this also tells readers the figures changed."""
    checkpoint_ids = list(
        session.scalars(
            delete(CrowdReport)
            .where(CrowdReport.device_id == device_id)
            .returning(CrowdReport.checkpoint_id)
        )
    )
    if checkpoint_ids:
        _changed(session, checkpoint_ids)
    return len(checkpoint_ids)


def prune(
    session: Session, *, older_than: timedelta = RETENTION, now: datetime | None = None
) -> int:
    """Delete reports received longer ago than `older_than` (30 days); returns how many.
    They stopped counting after 2 hours: no reader sees a change."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(delete(CrowdReport).where(CrowdReport.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def _changed(session: Session, checkpoint_ids: Iterable[str]) -> None:
    """What travellers read changed for these checkpoints: a new data version."""
    version = versions.bump(session)
    for checkpoint in session.scalars(
        select(Checkpoint).where(Checkpoint.id.in_(sorted(set(checkpoint_ids))))
    ):
        checkpoint.changed_version = version
    session.flush()
