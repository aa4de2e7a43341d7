"""Freshness of official queue reports: per checkpoint (`reporting`, kept on every write
so the list reads one row per checkpoint) and per agency (the admins' freshness report).

An official report is one a border service posted through `service.record_queues`: an
agency's key, a border officer on the console, or, on a demo database, the demo data.

**A fresh hour.** A checkpoint-hour is a whole UTC hour. It is fresh when an official
report observed in that hour or the hour before had been posted by the hour's end: a
report observed in hour `o` and posted in hour `p` makes the hours from `max(o, p)` to
`o + 1` fresh. Two hours is the default 90-minute staleness (`QUEUE_STALE_AFTER_MINUTES`)
rounded up to whole hours; a report posted more than an hour after its observation never
makes an hour fresh, since travellers never saw it while it was.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from content.accounts.models import Agency, Role
from content.accounts.service import Actor, Poster
from content.checkpoints.models import Checkpoint, CheckpointReporting, QueueReport
from content.db import utcnow
from content.errors import N_, FieldProblem, Forbidden, Invalid

HOUR = timedelta(hours=1)
#: a report keeps its checkpoint fresh for the hour it was observed in and the next
FRESH_FOR_HOURS = 2
#: the window of `fresh_hours_share_7d`
SHARE_HOURS = 7 * 24
#: how far back `checkpoint_reporting.fresh_hours` is kept: the window and a day of slack
KEPT_HOURS = SHARE_HOURS + 24
#: the longest window the agencies' report may cover
MAX_DAYS = 31
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class OfficialReport:
    """What freshness needs to know of one official queue report."""

    checkpoint_id: str
    observed_at: datetime
    posted_at: datetime
    demo: bool = False


@dataclass(frozen=True)
class Reporting:
    """A checkpoint's `reporting`: its newest official report and the 7-day share."""

    last_official_at: datetime
    fresh_hours_share_7d: float
    demo: bool


def hour_index(moment: datetime) -> int:
    """The whole UTC hour a moment falls in, counted from the Unix epoch."""
    return int((moment - _EPOCH) // HOUR)


def fresh_hours(observed_at: datetime, posted_at: datetime) -> range:
    """The hours one report makes fresh (see the module's docstring)."""
    observed = hour_index(observed_at)
    return range(max(observed, hour_index(posted_at)), observed + FRESH_FOR_HOURS)


def note_reports(
    session: Session, reports: Iterable[OfficialReport], *, now: datetime | None = None
) -> None:
    """Keep `checkpoint_reporting` in step with newly stored official reports.

    One row per checkpoint, locked while it is merged (PostgreSQL; SQLite has one
    writer at a time), so that two posts at once never lose each other's hours."""
    now = now or utcnow()
    oldest = hour_index(now) - KEPT_HOURS
    by_checkpoint: dict[str, list[OfficialReport]] = {}
    for report in reports:
        by_checkpoint.setdefault(report.checkpoint_id, []).append(report)
    if not by_checkpoint:
        return
    ids = sorted(by_checkpoint)  # one lock order for every writer: no deadlock
    insert = _insert_for(session)
    session.execute(
        insert.values(
            [
                {
                    "checkpoint_id": checkpoint_id,
                    "last_official_at": max(r.observed_at for r in by_checkpoint[checkpoint_id]),
                    "demo": False,
                    "fresh_hours": [],
                }
                for checkpoint_id in ids
            ]
        ).on_conflict_do_nothing(index_elements=["checkpoint_id"])
    )
    rows = session.scalars(
        select(CheckpointReporting)
        .where(CheckpointReporting.checkpoint_id.in_(ids))
        .order_by(CheckpointReporting.checkpoint_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for row in rows:
        hours = {h for h in row.fresh_hours if h >= oldest}
        for report in by_checkpoint[row.checkpoint_id]:
            hours.update(
                h for h in fresh_hours(report.observed_at, report.posted_at) if h >= oldest
            )
        newest = max(by_checkpoint[row.checkpoint_id], key=lambda r: r.observed_at)
        if not row.fresh_hours or newest.observed_at >= row.last_official_at:
            row.last_official_at = newest.observed_at
            row.demo = newest.demo
        row.fresh_hours = sorted(hours)
    session.flush()


def reporting(row: CheckpointReporting, *, now: datetime) -> Reporting:
    """What a checkpoint's reporting row says at `now`: its share of fresh hours over
    the last 7 days."""
    end = hour_index(now)
    fresh = sum(1 for h in row.fresh_hours if end - SHARE_HOURS <= h < end)
    return Reporting(
        last_official_at=row.last_official_at,
        fresh_hours_share_7d=round(fresh / SHARE_HOURS, 4),
        demo=row.demo,
    )


# -- the agencies' freshness report ----------------------------------------------------


@dataclass(frozen=True)
class CheckpointFreshness:
    checkpoint: Checkpoint
    fresh_hours: int
    fresh_share: float
    #: the agency's newest report for this checkpoint in the window (posted_at)
    last_report_at: datetime | None


@dataclass(frozen=True)
class LastReport:
    checkpoint_id: str
    observed_at: datetime
    posted_at: datetime


@dataclass(frozen=True)
class AgencyFreshness:
    agency: Agency
    checkpoints: list[CheckpointFreshness]
    hours: int
    #: fresh checkpoint-hours / (checkpoints × hours); None when it has no checkpoint
    fresh_share: float | None
    #: the median of posted_at − observed_at over its reports posted in the window
    median_report_age_minutes: float | None
    reports: int
    last_report: LastReport | None


@dataclass(frozen=True)
class FreshnessReport:
    days: int
    hours: int
    #: the window: [start, end), end the start of the current hour
    start: datetime
    end: datetime
    items: list[AgencyFreshness]


def visible_agencies(
    session: Session, *, actor: Actor | None = None, poster: Poster | None = None
) -> list[Agency]:
    """The agencies the caller may see the freshness of: every one for an admin, their
    country's for a border officer, its own for an agency key; anyone else is refused."""
    query = select(Agency).order_by(Agency.id)
    if poster is not None and poster.agency_id is not None:
        return list(session.scalars(query.where(Agency.id == poster.agency_id)))
    if actor is not None and actor.role == Role.ADMIN:
        return list(session.scalars(query))
    if actor is not None and actor.role == Role.BORDER_OFFICER and actor.country:
        return list(session.scalars(query.where(Agency.country == actor.country)))
    raise Forbidden(N_("Only admins, border officers and agencies may see reporting freshness."))


def agencies_report(
    session: Session,
    *,
    agencies: Sequence[Agency],
    days: int = 7,
    now: datetime | None = None,
) -> FreshnessReport:
    """Per agency, how steadily its own reports kept its checkpoints fresh over the last
    `days` whole days of hours (ending at the start of the current hour).

    Only the agency's own reports count (an officer's or another agency's do not), for
    the checkpoints it may post for now: its scope, or every checkpoint of its country
    that has queue lanes."""
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(
            [
                FieldProblem(
                    "days", N_("Between %(min)s and %(max)s days."), {"min": 1, "max": MAX_DAYS}
                )
            ]
        )
    now = now or utcnow()
    end_hour = hour_index(now)
    start_hour = end_hour - days * 24
    start = _EPOCH + start_hour * HOUR
    countries = sorted({a.country for a in agencies})
    by_country: dict[str, list[Checkpoint]] = {}
    for checkpoint in session.scalars(
        select(Checkpoint).where(Checkpoint.country.in_(countries)).order_by(Checkpoint.id)
    ):
        if checkpoint.lanes:
            by_country.setdefault(checkpoint.country, []).append(checkpoint)
    # a report can make an hour of the window fresh only if posted from the hour before it
    posted: dict[int | None, list[tuple[str, datetime, datetime]]] = {}
    for agency_id, checkpoint_id, observed_at, posted_at in session.execute(
        select(
            QueueReport.agency_id,
            QueueReport.checkpoint_id,
            QueueReport.observed_at,
            QueueReport.posted_at,
        ).where(
            QueueReport.agency_id.in_([a.id for a in agencies]),
            QueueReport.posted_at >= start - HOUR,
            QueueReport.posted_at < now,
        )
    ):
        posted.setdefault(agency_id, []).append((checkpoint_id, observed_at, posted_at))
    result = []
    for agency in agencies:
        own = [
            c
            for c in by_country.get(agency.country, [])
            if agency.checkpoint_ids is None or c.id in agency.checkpoint_ids
        ]
        hours: dict[str, set[int]] = {c.id: set() for c in own}
        last: dict[str, datetime] = {}
        ages = []
        reports = posted.get(agency.id, [])
        for checkpoint_id, observed_at, posted_at in reports:
            if posted_at >= start:
                ages.append((posted_at - observed_at).total_seconds() / 60)
                if checkpoint_id in hours:
                    last[checkpoint_id] = max(posted_at, last.get(checkpoint_id, posted_at))
            if checkpoint_id in hours:
                hours[checkpoint_id].update(
                    h for h in fresh_hours(observed_at, posted_at) if start_hour <= h < end_hour
                )
        fresh_total = sum(len(h) for h in hours.values())
        result.append(
            AgencyFreshness(
                agency=agency,
                checkpoints=[
                    CheckpointFreshness(
                        c,
                        len(hours[c.id]),
                        round(len(hours[c.id]) / (days * 24), 4),
                        last.get(c.id),
                    )
                    for c in own
                ],
                hours=days * 24,
                fresh_share=round(fresh_total / (len(own) * days * 24), 4) if own else None,
                median_report_age_minutes=round(statistics.median(ages), 1) if ages else None,
                reports=sum(1 for _c, _o, p in reports if p >= start),
                last_report=_last_report(session, agency.id),
            )
        )
    return FreshnessReport(days, days * 24, start, _EPOCH + end_hour * HOUR, result)


def _last_report(session: Session, agency_id: int) -> LastReport | None:
    """The agency's newest report ever (by the `(agency_id, posted_at)` index)."""
    row = session.execute(
        select(QueueReport.checkpoint_id, QueueReport.observed_at, QueueReport.posted_at)
        .where(QueueReport.agency_id == agency_id)
        .order_by(QueueReport.posted_at.desc(), QueueReport.id.desc())
        .limit(1)
    ).first()
    return LastReport(*row) if row else None


def _insert_for(session: Session) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(CheckpointReporting)
    return sqlite.insert(CheckpointReporting)
