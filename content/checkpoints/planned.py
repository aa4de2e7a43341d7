"""Planned closures and restrictions: announced ahead, applied on time.

A border service (an agency key, or a border officer in the console) announces that a
checkpoint will be closed or restricted from ``starts_at`` to ``ends_at``. Followers are
told when it is announced and when it is cancelled. ``apply_planned`` (the push worker
runs it every 30 seconds; `flask --app wsgi apply-planned` runs it once) makes it the
checkpoint's status at the start, through ``set_status`` like any post, so history, the
data version and the status push stay right; the status push is the "it has started"
message. At the end it posts the status it replaced, unless someone posted a newer
status meanwhile: a person's later word wins over the plan, and the plan then ends
without touching the status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.models import Role
from content.accounts.service import Actor, Poster, audit, ensure_may_post
from content.checkpoints.models import (
    Checkpoint,
    CurrentStatus,
    PlannedStatus,
    Reason,
    State,
    StatusReport,
)
from content.checkpoints.service import get_or_raise, set_status
from content.db import utcnow
from content.errors import N_, Conflict, FieldProblem, Invalid, NotFound
from push import outbox

#: a start this close to now counts as now (clocks differ; forms take whole minutes)
START_GRACE = timedelta(minutes=5)
#: how far ahead a closure may be announced, and how long one may last
HORIZON = timedelta(days=365)
#: the states a plan may set: reopening is posted, not planned
PLANNABLE = (State.CLOSED, State.RESTRICTED)
#: who the audit log names for what the scheduler does
SCHEDULER = Actor("system:scheduler", Role.ADMIN)


def _active() -> ColumnElement[bool]:
    """Neither cancelled nor ended, and, once started, still the checkpoint's status
    (a newer post has taken over from a started plan: it is over, whatever its end)."""
    still_current = select(CurrentStatus.report_id).where(
        CurrentStatus.checkpoint_id == PlannedStatus.checkpoint_id
    )
    return and_(
        PlannedStatus.cancelled_at.is_(None),
        PlannedStatus.ended_at.is_(None),
        or_(
            PlannedStatus.started_at.is_(None),
            PlannedStatus.started_report_id == still_current.scalar_subquery(),
        ),
    )


@cache
def _upcoming_statement() -> Select[PlannedStatus]:
    """What is planned for some checkpoints (`ids`): built once, on first use."""
    return (
        select(PlannedStatus)
        .where(PlannedStatus.checkpoint_id.in_(bindparam("ids", expanding=True)), _active())
        .order_by(PlannedStatus.checkpoint_id, PlannedStatus.starts_at)
    )


def upcoming(session: Session, checkpoint_ids: Sequence[str]) -> dict[str, list[PlannedStatus]]:
    """What is planned for each checkpoint and has not ended: started first, then by start."""
    rows = session.scalars(_upcoming_statement(), {"ids": list(checkpoint_ids)})
    found: dict[str, list[PlannedStatus]] = {}
    for row in rows:
        found.setdefault(row.checkpoint_id, []).append(row)
    return found


def get_or_raise_planned(session: Session, checkpoint_id: str, planned_id: int) -> PlannedStatus:
    planned = session.get(PlannedStatus, planned_id)
    if planned is None or planned.checkpoint_id != checkpoint_id:
        raise NotFound(
            N_("Checkpoint %(checkpoint)s has no planned change %(id)s."),
            checkpoint=checkpoint_id,
            id=planned_id,
        )
    return planned


def announce(
    session: Session,
    *,
    actor: Actor,
    poster: Poster,
    checkpoint_id: str,
    state: State,
    starts_at: datetime,
    ends_at: datetime,
    reason: Reason | None = None,
    message: str | None = None,
    now: datetime | None = None,
    demo: bool = False,
) -> PlannedStatus:
    """Plan a closure or restriction and tell the checkpoint's followers.

    The poster must be allowed to post the checkpoint's status. The start may not be in
    the past (5 minutes' grace) nor more than a year ahead; the end comes after the
    start, at most a year later; and no other plan of the checkpoint may overlap (409).
    Audited as `actor`."""
    checkpoint = get_or_raise(session, checkpoint_id)
    ensure_may_post(poster, checkpoint_id=checkpoint.id, country=checkpoint.country)
    now = now or utcnow()
    _check(state=state, starts_at=starts_at, ends_at=ends_at, now=now)
    overlapping = session.scalar(
        select(PlannedStatus.id).where(
            PlannedStatus.checkpoint_id == checkpoint.id,
            _active(),
            PlannedStatus.starts_at < ends_at,
            PlannedStatus.ends_at > starts_at,
        )
    )
    if overlapping is not None:
        raise Conflict(
            N_(
                "It overlaps planned change %(id)s of checkpoint %(checkpoint)s: "
                "cancel that one first."
            ),
            id=overlapping,
            checkpoint=checkpoint.id,
        )
    planned = PlannedStatus(
        checkpoint_id=checkpoint.id,
        state=state,
        reason=reason,
        message=message,
        starts_at=starts_at,
        ends_at=ends_at,
        agency_id=poster.agency_id,
        created_by=actor.label,
        created_at=now,
        demo=demo,
    )
    session.add(planned)
    session.flush()
    if not demo:
        _tell(session, checkpoint, planned, cancelled=False, now=now)
    audit(
        session,
        actor=actor,
        action="announce_planned",
        object_type="checkpoint",
        object_id=checkpoint.id,
        after=_described(planned),
    )
    _changed(session, checkpoint)
    return planned


def cancel(
    session: Session,
    *,
    actor: Actor,
    poster: Poster,
    checkpoint_id: str,
    planned_id: int,
    now: datetime | None = None,
) -> PlannedStatus:
    """Call a plan off, with the same right as posting the checkpoint's status.

    Before its start, followers are told it is cancelled. After its start it ends now:
    the status it replaced comes back (and the status push tells followers), unless a
    newer post has taken over. Cancelling a cancelled plan again changes nothing; one
    that has ended cannot be cancelled (409). Audited as `actor`."""
    checkpoint = get_or_raise(session, checkpoint_id)
    ensure_may_post(poster, checkpoint_id=checkpoint.id, country=checkpoint.country)
    planned = get_or_raise_planned(session, checkpoint.id, planned_id)
    if planned.cancelled_at is not None:
        return planned
    if planned.ended_at is not None:
        raise Conflict(N_("This planned change has already ended."))
    now = now or utcnow()
    planned.cancelled_at = now
    if planned.started_at is None:
        if not planned.demo:
            _tell(session, checkpoint, planned, cancelled=True, now=now)
    else:
        _end(session, planned, now=now)
    audit(
        session,
        actor=actor,
        action="cancel_planned",
        object_type="checkpoint",
        object_id=checkpoint.id,
        before=_described(planned),
    )
    _changed(session, checkpoint)
    return planned


def apply_planned(session: Session, *, now: datetime | None = None) -> list[str]:
    """End the plans whose time is up, then start those whose time has come; returns
    what was done, one line each. Flushes; the caller commits.

    Ends go first, so that one plan ending when the next begins hands over cleanly. A
    plan whose whole span passed while nothing applied it (the worker was down) ends
    without ever setting the status: a closure announced for yesterday is not news."""
    now = now or utcnow()
    done = []
    for planned in _locked(
        session,
        PlannedStatus.started_at.is_not(None),
        PlannedStatus.ended_at.is_(None),
        PlannedStatus.cancelled_at.is_(None),
        PlannedStatus.ends_at <= now,
    ):
        restored = _end(session, planned, now=now)
        done.append(
            f"end {planned.id} {planned.checkpoint_id}" + ("" if restored else " (superseded)")
        )
    for planned in _locked(
        session,
        PlannedStatus.started_at.is_(None),
        PlannedStatus.cancelled_at.is_(None),
        PlannedStatus.starts_at <= now,
    ):
        checkpoint = get_or_raise(session, planned.checkpoint_id)
        planned.started_at = now
        if planned.ends_at <= now:
            planned.ended_at = now
            _changed(session, checkpoint)
            done.append(f"missed {planned.id} {planned.checkpoint_id}")
            continue
        current = session.get(CurrentStatus, checkpoint.id)
        planned.replaced_report_id = current.report_id if current is not None else None
        report = set_status(
            session,
            actor=SCHEDULER,
            poster=_poster(planned, checkpoint),
            checkpoint_id=checkpoint.id,
            state=planned.state,
            reason=planned.reason,
            message=planned.message,
            now=now,
            demo=planned.demo,
            until=planned.ends_at,
        )
        planned.started_report_id = report.id
        done.append(f"start {planned.id} {planned.checkpoint_id}")
    # a started plan a newer post took over from: over already (reads leave it out)
    for planned in _locked(
        session,
        PlannedStatus.started_at.is_not(None),
        PlannedStatus.ended_at.is_(None),
        PlannedStatus.cancelled_at.is_(None),
        ~_active(),
    ):
        planned.ended_at = now
        done.append(f"superseded {planned.id} {planned.checkpoint_id}")
    session.flush()
    return done


def _locked(session: Session, *conditions: Any) -> list[PlannedStatus]:
    """The plans that meet the conditions, locked against a second worker doing the same
    (PostgreSQL; SQLite has one writer at a time anyway)."""
    query = select(PlannedStatus).where(*conditions).order_by(PlannedStatus.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _end(session: Session, planned: PlannedStatus, *, now: datetime) -> bool:
    """End a started plan: bring back the status it replaced if its own post is still
    the current status (True), else leave the newer post alone (False)."""
    planned.ended_at = now
    current = session.get(CurrentStatus, planned.checkpoint_id)
    if current is None or current.report_id != planned.started_report_id:
        return False
    replaced = (
        session.get(StatusReport, planned.replaced_report_id)
        if planned.replaced_report_id is not None
        else None
    )
    checkpoint = get_or_raise(session, planned.checkpoint_id)
    set_status(
        session,
        actor=SCHEDULER,
        poster=_poster(planned, checkpoint),
        checkpoint_id=checkpoint.id,
        # no status before the plan: the plan's end means open
        state=replaced.state if replaced is not None else State.OPEN,
        reason=replaced.reason if replaced is not None else None,
        message=replaced.message if replaced is not None else None,
        now=now,
        demo=planned.demo,
    )
    return True


def _poster(planned: PlannedStatus, checkpoint: Checkpoint) -> Poster | None:
    """Who the history names for the scheduler's posts: the announcing agency, if any."""
    if planned.agency_id is None:
        return None
    return Poster(agency_id=planned.agency_id, country=checkpoint.country)


def _check(*, state: State, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    problems = []
    if state not in PLANNABLE:
        problems.append(
            FieldProblem("state", N_("Only a closure or a restriction can be planned."))
        )
    if starts_at < now - START_GRACE:
        problems.append(FieldProblem("starts_at", N_("This time is in the past.")))
    elif starts_at > now + HORIZON:
        problems.append(FieldProblem("starts_at", N_("The start may be at most a year from now.")))
    if ends_at <= starts_at:
        problems.append(FieldProblem("ends_at", N_("The end must come after the start.")))
    elif ends_at > starts_at + HORIZON:
        problems.append(FieldProblem("ends_at", N_("A planned change may last at most a year.")))
    if problems:
        raise Invalid(problems)


def _tell(
    session: Session,
    checkpoint: Checkpoint,
    planned: PlannedStatus,
    *,
    cancelled: bool,
    now: datetime,
) -> None:
    outbox.on_planned(
        session,
        checkpoint,
        planned_id=planned.id,
        cancelled=cancelled,
        state=planned.state,
        reason=planned.reason,
        starts_at=planned.starts_at,
        ends_at=planned.ends_at,
        now=now,
    )


def _changed(session: Session, checkpoint: Checkpoint) -> None:
    """Readers see the change: a new data version, and the checkpoint in delta syncs."""
    checkpoint.changed_version = versions.bump(session)
    session.flush()


def _described(planned: PlannedStatus) -> dict[str, Any]:
    return {
        "id": planned.id,
        "state": planned.state.value,
        "reason": planned.reason.value if planned.reason else None,
        "message": planned.message,
        "starts_at": planned.starts_at.isoformat(),
        "ends_at": planned.ends_at.isoformat(),
    }
