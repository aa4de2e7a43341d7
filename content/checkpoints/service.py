"""Checkpoint rules: what is true now, who may post, and how posts change it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, joinedload

from content import versions
from content.accounts.service import Actor, Poster, audit, ensure_may_post
from content.checkpoints import freshness
from content.checkpoints.freshness import OfficialReport, Reporting
from content.checkpoints.models import (
    Checkpoint,
    CheckpointReporting,
    CurrentQueue,
    CurrentStatus,
    Direction,
    Kind,
    Lane,
    Method,
    QueueReport,
    Reason,
    Source,
    State,
    StatusReport,
)
from content.db import utcnow
from content.errors import N_, FieldProblem, Invalid, NotFound
from push import outbox

#: a queue report is no longer current after this long, whatever its lane
QUEUE_CURRENT_FOR = timedelta(hours=24)
#: how far ahead of the server's clock an observation may be (clock skew)
OBSERVED_AT_FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class CheckpointState:
    """A checkpoint with its current status and current queues, as a reader sees it."""

    checkpoint: Checkpoint
    status: CurrentStatus | None
    queues: list[CurrentQueue]
    distance_km: float | None = None
    #: how steadily official reports arrive; None when none ever did
    reporting: Reporting | None = None
    #: the paired checkpoint across the border, read in the same statement
    partner: Checkpoint | None = None


@dataclass(frozen=True)
class QueueObservation:
    """A border service's observation of one lane's queue, before it is recorded."""

    checkpoint_id: str
    direction: Direction
    lane: Lane
    wait_minutes: int
    observed_at: datetime
    vehicles_waiting: int | None = None
    lanes_open: int | None = None
    #: how the border service obtained the figure (never crowd_median: that is the crowd's)
    method: Method = Method.OFFICER_ESTIMATE


#: what a border service may say it measured a queue by
POSTABLE_METHODS = frozenset({Method.OFFICER_ESTIMATE, Method.SENSOR, Method.EQUEUE})


@dataclass(frozen=True)
class RecordedQueueReport:
    report: QueueReport
    #: False when a newer report for the lane was already current: kept only as history
    applied: bool


@dataclass(frozen=True)
class Near:
    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class CheckpointFilter:
    country: str | None = None
    neighbor: str | None = None
    kind: Kind | None = None
    state: State | None = None
    near: Near | None = None
    ids: Sequence[str] | None = field(default=None)
    #: only checkpoints whose status or queues changed after this data version
    changed_since: int | None = None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) on a spherical Earth."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def get_or_raise(session: Session, checkpoint_id: str) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None:
        raise NotFound(N_("No checkpoint with id %(id)s."), id=checkpoint_id)
    return checkpoint


def lane_problems(
    checkpoint: Checkpoint, *, direction: Direction, lane: Lane, path: str = ""
) -> list[FieldProblem]:
    """What is wrong with naming this lane and direction of the checkpoint (nothing when it
    has both), as problems under `path` (a queue report's place in a batch, say)."""
    prefix = f"{path}." if path else ""
    checks = (
        ("lane", lane, checkpoint.lanes, N_("Checkpoint %(checkpoint)s has no lane %(lane)s.")),
        (
            "direction",
            direction,
            checkpoint.directions,
            N_("Checkpoint %(checkpoint)s has no direction %(direction)s."),
        ),
    )
    problems = []
    for name, named, offered, message in checks:
        if named.value not in offered:
            params = {"checkpoint": checkpoint.id, name: named.value}
            problems.append(FieldProblem(f"{prefix}{name}", message, params))
    return problems


_CHECKPOINTS = select(Checkpoint).where(Checkpoint.id.in_(bindparam("ids", expanding=True)))


def get_many(session: Session, ids: Iterable[str | None]) -> dict[str, Checkpoint]:
    """The checkpoints with these ids, by id (absent ids and None are left out)."""
    wanted = sorted({i for i in ids if i is not None})
    return {c.id: c for c in session.scalars(_CHECKPOINTS, {"ids": wanted})}


@cache
def _states_statement(
    filtered_by: frozenset[str],
) -> Select[Checkpoint, CurrentStatus, CheckpointReporting, Checkpoint]:
    """Checkpoints with their status, reporting and partner rows (one to one), in one
    statement, filtered by the named parameters. Built once per set of filters: building a
    statement costs more than SQLite takes to run it."""
    partner = aliased(Checkpoint, name="partner")
    query = select(Checkpoint, CurrentStatus, CheckpointReporting, partner).order_by(Checkpoint.id)
    for name, column in (
        ("country", Checkpoint.country),
        ("neighbor", Checkpoint.neighbor),
        ("kind", Checkpoint.kind),
    ):
        if name in filtered_by:
            query = query.where(column == bindparam(name))
    if "ids" in filtered_by:
        query = query.where(Checkpoint.id.in_(bindparam("ids", expanding=True)))
    if "changed_since" in filtered_by:
        query = query.where(Checkpoint.changed_version > bindparam("changed_since"))
    return (
        query.outerjoin(CurrentStatus, CurrentStatus.checkpoint_id == Checkpoint.id)
        .outerjoin(CheckpointReporting, CheckpointReporting.checkpoint_id == Checkpoint.id)
        .outerjoin(partner, partner.id == Checkpoint.paired_id)
    )


#: the current queues of some checkpoints (`ids`) observed after `since`
_QUEUES = (
    select(CurrentQueue)
    .options(joinedload(CurrentQueue.agency))  # reported_by, in the same statement
    .where(CurrentQueue.checkpoint_id.in_(bindparam("ids", expanding=True)))
    .where(CurrentQueue.observed_at > bindparam("since"))
    .order_by(CurrentQueue.checkpoint_id, CurrentQueue.direction, CurrentQueue.lane)
)


def list_(
    session: Session, *, filters: CheckpointFilter | None = None, now: datetime | None = None
) -> list[CheckpointState]:
    """Checkpoints with what is true now. Reads only the current-state tables."""
    filters = filters or CheckpointFilter()
    now = now or utcnow()
    given = {
        "country": filters.country.upper() if filters.country else None,
        "neighbor": filters.neighbor.upper() if filters.neighbor else None,
        "kind": filters.kind,
        "ids": filters.ids,
        "changed_since": filters.changed_since,
    }
    params = {name: value for name, value in given.items() if value is not None}
    rows = session.execute(_states_statement(frozenset(params)), params).all()
    checkpoints = [checkpoint for checkpoint, *_ in rows]
    ids = [c.id for c in checkpoints]
    statuses = {c.id: status for c, status, _, _ in rows if status is not None}
    reporting = {
        c.id: freshness.reporting(row, now=now) for c, _, row, _ in rows if row is not None
    }
    partners = {c.id: partner for c, _, _, partner in rows}
    queues: dict[str, list[CurrentQueue]] = {}
    for queue in session.scalars(_QUEUES, {"ids": ids, "since": now - QUEUE_CURRENT_FOR}):
        queues.setdefault(queue.checkpoint_id, []).append(queue)

    result = []
    for checkpoint in checkpoints:
        status = statuses.get(checkpoint.id)
        if filters.state and (status is None or status.state != filters.state):
            continue
        distance = None
        if filters.near:
            distance = distance_km(
                filters.near.latitude,
                filters.near.longitude,
                checkpoint.latitude,
                checkpoint.longitude,
            )
            if distance > filters.near.radius_km:
                continue
        result.append(
            CheckpointState(
                checkpoint,
                status,
                queues.get(checkpoint.id, []),
                distance,
                reporting.get(checkpoint.id),
                partners[checkpoint.id],
            )
        )
    if filters.near:
        result.sort(key=lambda item: item.distance_km or 0.0)
    return result


def partners(states: Iterable[CheckpointState]) -> dict[str, Checkpoint]:
    """The paired checkpoints of some states, by id, as they were read with them."""
    return {s.partner.id: s.partner for s in states if s.partner is not None}


def get_state(
    session: Session, checkpoint_id: str, *, now: datetime | None = None
) -> CheckpointState:
    get_or_raise(session, checkpoint_id)
    (state,) = list_(session, filters=CheckpointFilter(ids=[checkpoint_id]), now=now)
    return state


def _ensure_named(actor: Actor | None, poster: Poster | None) -> None:
    """A post with a poster (an agency key, an officer) is always audited: it names who."""
    if poster is not None and actor is None:
        raise TypeError("a post by an agency or an officer names its actor for the audit log")


def set_status(
    session: Session,
    *,
    actor: Actor | None = None,
    poster: Poster | None,
    checkpoint_id: str,
    state: State,
    reason: Reason | None = None,
    message: str | None = None,
    now: datetime | None = None,
    demo: bool = False,
    until: datetime | None = None,
) -> StatusReport:
    """Append a status post and make it the checkpoint's current status.

    Audited as `actor` (an agency or an officer). A post by a poster must name its actor;
    only demo data and tests post as nobody. `until`: the end of the planned closure or
    restriction this post starts, told to followers."""
    _ensure_named(actor, poster)
    checkpoint = get_or_raise(session, checkpoint_id)
    if poster is not None:
        ensure_may_post(poster, checkpoint_id=checkpoint.id, country=checkpoint.country)
    now = now or utcnow()
    previous = session.get(CurrentStatus, checkpoint.id)
    changed = previous is None or previous.state != state
    before = {"state": previous.state.value} if previous is not None else None
    report = StatusReport(
        checkpoint_id=checkpoint.id,
        state=state,
        reason=reason,
        message=message,
        agency_id=poster.agency_id if poster else None,
        posted_at=now,
        demo=demo,
    )
    session.add(report)
    session.flush()
    values = {
        "checkpoint_id": checkpoint.id,
        "report_id": report.id,
        "state": state,
        "reason": reason,
        "message": message,
        "since": now,
        "updated_at": now,
        "demo": demo,
    }
    insert = _insert_for(session, CurrentStatus)
    stmt = insert.values(**values)
    table = CurrentStatus.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.checkpoint_id],
        set_={
            "report_id": stmt.excluded.report_id,
            "since": case(
                (table.c.state == stmt.excluded.state, table.c.since), else_=stmt.excluded.since
            ),
            "state": stmt.excluded.state,
            "reason": stmt.excluded.reason,
            "message": stmt.excluded.message,
            "updated_at": stmt.excluded.updated_at,
            "demo": stmt.excluded.demo,
        },
    )
    session.execute(stmt)
    if changed and not demo:
        outbox.on_status_change(
            session, checkpoint, state=state, reason=reason, since=now, until=until
        )
    if actor is not None:
        audit(
            session,
            actor=actor,
            action="set_status",
            object_type="checkpoint",
            object_id=checkpoint.id,
            before=before,
            after={
                "state": state.value,
                "reason": reason.value if reason else None,
                "message": message,
            },
        )
    checkpoint.changed_version = versions.bump(session)
    session.flush()
    session.expire_all()
    return report


def record_queues(
    session: Session,
    *,
    actor: Actor | None = None,
    poster: Poster | None,
    reports: Sequence[QueueObservation],
    now: datetime | None = None,
    demo: bool = False,
    check_age: bool = True,
) -> list[RecordedQueueReport]:
    """Append queue reports, all or none, and make each current unless a newer one is.

    Every report is checked before any is stored; one bad report refuses the batch.
    An agency's reports are not audited one by one (the busiest write there is): each row
    keeps its agency_id and posted_at, which is the trail. An officer's row names no
    agency, so each of their reports is audited as `actor`. A post by a poster must name
    its actor; only demo data and tests post as nobody.
    """
    _ensure_named(actor, poster)
    now = now or utcnow()
    checkpoints = get_many(session, [r.checkpoint_id for r in reports])
    problems: list[FieldProblem] = []
    for index, item in enumerate(reports):
        checkpoint = checkpoints.get(item.checkpoint_id)
        if checkpoint is None:
            raise NotFound(N_("No checkpoint with id %(id)s."), id=item.checkpoint_id)
        if poster is not None:
            ensure_may_post(poster, checkpoint_id=checkpoint.id, country=checkpoint.country)
        problems.extend(_check_report(index, item, checkpoint, now, check_age=check_age))
    if problems:
        raise Invalid(problems)

    rows = [
        QueueReport(
            checkpoint_id=item.checkpoint_id,
            direction=item.direction,
            lane=item.lane,
            wait_minutes=item.wait_minutes,
            vehicles_waiting=item.vehicles_waiting,
            lanes_open=item.lanes_open,
            # a clock a little ahead must not pin the lane against the next true report
            observed_at=min(item.observed_at, now),
            agency_id=poster.agency_id if poster else None,
            posted_at=now,
            demo=demo,
            source=Source.AGENCY,
            method=item.method,
        )
        for item in reports
    ]
    session.add_all(rows)
    session.flush()
    freshness.note_reports(
        session,
        [OfficialReport(r.checkpoint_id, r.observed_at, r.posted_at, r.demo) for r in rows],
        now=now,
    )
    applied_ids = set()
    # oldest first, so that within one batch the newest observation ends up current
    for row in sorted(rows, key=lambda r: r.observed_at):
        if _make_current(session, row):
            applied_ids.add(row.id)
    # a later row of the same batch may have replaced an earlier one
    current_ids = set(
        session.scalars(
            select(CurrentQueue.report_id).where(CurrentQueue.report_id.in_(applied_ids))
        )
    )
    for row in rows:
        if row.id in current_ids and not demo:
            outbox.queue_report_job(
                session,
                checkpoints[row.checkpoint_id],
                direction=row.direction,
                lane=row.lane,
                wait_minutes=row.wait_minutes,
                now=now,
            )
    if actor is not None and (poster is None or poster.agency_id is None):
        for row in rows:
            audit(
                session,
                actor=actor,
                action="record_queue",
                object_type="checkpoint",
                object_id=row.checkpoint_id,
                after={
                    "direction": row.direction.value,
                    "lane": row.lane.value,
                    "wait_minutes": row.wait_minutes,
                    "method": row.method.value,
                },
            )
    version = versions.bump(session)
    for checkpoint_id in {row.checkpoint_id for row in rows if row.id in current_ids}:
        checkpoints[checkpoint_id].changed_version = version
    session.flush()
    session.expire_all()
    return [RecordedQueueReport(row, row.id in current_ids) for row in rows]


def is_open_at(checkpoint: Checkpoint, moment: datetime) -> bool | None:
    """Whether the schedule says the checkpoint is open; None when hours are unknown."""
    if not checkpoint.hours_known:
        return None
    if checkpoint.always_open:
        return True
    if not checkpoint.hours:
        return None
    local = moment.astimezone(ZoneInfo(checkpoint.timezone))
    clock = local.strftime("%H:%M")
    yesterday = (local.isoweekday() - 2) % 7 + 1
    for window in checkpoint.hours:
        opens, closes, days = window["opens"], window["closes"], window["days"]
        if opens <= closes:
            if local.isoweekday() in days and opens <= clock < closes:
                return True
        elif (local.isoweekday() in days and clock >= opens) or (
            yesterday in days and clock < closes
        ):
            # a window past midnight, e.g. 20:00-02:00
            return True
    return False


def next_close(checkpoint: Checkpoint, after: datetime) -> datetime | None:
    """When the opening window that `after` falls in ends (a window running on into the
    next one does not end); None when the schedule says closed at `after`, always open,
    or unknown."""
    if not is_open_at(checkpoint, after):
        return None
    return next_hours_change(checkpoint, after)


def next_hours_change(checkpoint: Checkpoint, after: datetime) -> datetime | None:
    """The first moment after `after` at which `is_open_at` answers differently: when an
    answer that shows `open_now` reads differently with the same data. None when the hours
    are unknown or always open, and when the schedule never turns."""
    if not checkpoint.hours_known or checkpoint.always_open or not checkpoint.hours:
        return None
    open_then = is_open_at(checkpoint, after)
    for moment in _edges(checkpoint.hours, ZoneInfo(checkpoint.timezone), after):
        if is_open_at(checkpoint, moment) != open_then:
            return moment.astimezone(after.tzinfo)
    return None


def _edges(hours: list[dict[str, Any]], zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """The moments the schedule's windows open and close after `after`, earliest first,
    from the window of the day before (it may run past midnight) to a week ahead. Made a
    day at a time: the next change is nearly always within the day."""
    first_day = after.astimezone(zone).date() - timedelta(days=1)
    pending: list[datetime] = []
    for offset in range(9):  # a week of windows, and the night into the day after
        day = first_day + timedelta(days=offset)
        for window in hours:
            if day.isoweekday() in window["days"]:
                end_day = day if window["opens"] <= window["closes"] else day + timedelta(days=1)
                pending += [_on(day, window["opens"], zone), _on(end_day, window["closes"], zone)]
        pending.sort()
        day_ends = _on(day, "24:00", zone)  # no later day's window opens before
        while pending and pending[0] < day_ends:
            moment = pending.pop(0)
            if moment > after:
                yield moment
    yield from (moment for moment in pending if moment > after)


def _on(day: date, clock: str, zone: ZoneInfo) -> datetime:
    """The moment a schedule's "HH:MM" falls on `day`; "24:00" is the next midnight."""
    minutes = int(clock[:2]) * 60 + int(clock[3:])
    return datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=minutes)


def _check_report(
    index: int, item: QueueObservation, checkpoint: Checkpoint, now: datetime, *, check_age: bool
) -> list[FieldProblem]:
    path = f"reports.{index}"
    problems = lane_problems(checkpoint, direction=item.direction, lane=item.lane, path=path)
    if item.method not in POSTABLE_METHODS:
        problems.append(
            FieldProblem(
                f"{path}.method",
                N_("A border service may not post the method %(method)s."),
                {"method": item.method.value},
            )
        )
    if item.observed_at > now + OBSERVED_AT_FUTURE_SLACK:
        problems.append(
            FieldProblem(
                f"{path}.observed_at",
                N_("The observation time is more than 5 minutes in the future."),
            )
        )
    elif check_age and item.observed_at < now - QUEUE_CURRENT_FOR:
        problems.append(
            FieldProblem(
                f"{path}.observed_at", N_("The observation time is more than 24 hours old.")
            )
        )
    return problems


def _make_current(session: Session, row: QueueReport) -> bool:
    """Make the report current for its lane unless a newer observation is; True if it did."""
    insert = _insert_for(session, CurrentQueue)
    table = CurrentQueue.__table__
    stmt = insert.values(
        checkpoint_id=row.checkpoint_id,
        direction=row.direction,
        lane=row.lane,
        report_id=row.id,
        wait_minutes=row.wait_minutes,
        vehicles_waiting=row.vehicles_waiting,
        lanes_open=row.lanes_open,
        observed_at=row.observed_at,
        demo=row.demo,
        source=row.source,
        method=row.method,
        agency_id=row.agency_id,
    )
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.checkpoint_id, table.c.direction, table.c.lane],
        set_={
            "report_id": excluded.report_id,
            "wait_minutes": excluded.wait_minutes,
            "vehicles_waiting": excluded.vehicles_waiting,
            "lanes_open": excluded.lanes_open,
            "observed_at": excluded.observed_at,
            "demo": excluded.demo,
            "source": excluded.source,
            "method": excluded.method,
            "agency_id": excluded.agency_id,
        },
        where=and_(table.c.observed_at <= excluded.observed_at),
    ).returning(table.c.report_id)
    return session.execute(stmt).scalar_one_or_none() is not None


def _insert_for(session: Session, model: Any) -> Any:
    """INSERT … ON CONFLICT for the session's engine (both engines speak it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"unsupported database engine: {dialect}")
