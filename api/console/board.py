"""Console pages: the border officers' board, where they post their country's
checkpoint statuses and queue times (admins may look), and the agencies' freshness.

Each board card shows every lane and direction of its checkpoint: the current figure,
its age, where it came from, and a highlight once it is about to go stale; one form posts
a wait for every lane filled in, all or none, through the same service as the batch API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.console import actor, blp, forms, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.i18n import current_locale
from api.schemas.checkpoints import POSTED_METHODS, PlannedIn, QueueReportsIn, StatusIn
from content.accounts.models import Role, User
from content.accounts.service import Actor, Poster
from content.checkpoints import crowd, freshness, planned
from content.checkpoints import service as checkpoints
from content.checkpoints.crowd import CrowdFigure
from content.checkpoints.labels import (
    DIRECTION_LABELS,
    LANE_LABELS,
    METHOD_LABELS,
    REASON_LABELS,
    SOURCE_LABELS,
    STATE_LABELS,
)
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    Direction,
    Lane,
    Method,
    Reason,
    State,
)
from content.checkpoints.service import CheckpointFilter, CheckpointState, QueueObservation
from content.locales import format_moment, format_share, format_wait

#: a lane's figure is about to go stale once it is this share of QUEUE_STALE_AFTER_MINUTES
#: old (60 of the default 90 minutes): time enough to post a fresh one
SOON_STALE_SHARE = 2 / 3


@dataclass(frozen=True)
class LaneRow:
    """One lane and direction of a board card: its current figure and how old it is."""

    direction: Direction
    lane: Lane
    #: the form fields of this lane (and the suffix of their ids: "exit-car")
    key: str
    queue: CurrentQueue | None
    age_minutes: int | None
    #: "fresh", "soon" (about to go stale), "stale" or "none" (no current figure)
    freshness: str
    #: what travellers report for this lane (shown even without an official figure)
    crowd: CrowdFigure | None = None
    #: the crowd and the official figure differ too much; None without both
    disputed: bool | None = None


def lane_rows(
    state: CheckpointState,
    *,
    now: datetime,
    stale_after: timedelta,
    crowds: dict[tuple[Direction, Lane], CrowdFigure] | None = None,
) -> list[LaneRow]:
    """Every direction × lane of the checkpoint, in its own order, with its current figure
    and, beside it, the travellers' figure and whether the two are disputed."""
    current = {(q.direction, q.lane): q for q in state.queues}
    crowds = crowds or {}
    rows = []
    for direction in map(Direction, state.checkpoint.directions):
        for lane in map(Lane, state.checkpoint.lanes):
            queue = current.get((direction, lane))
            age = now - queue.observed_at if queue else None
            if age is None:
                freshness_ = "none"
            elif age > stale_after:
                freshness_ = "stale"
            elif age >= stale_after * SOON_STALE_SHARE:
                freshness_ = "soon"
            else:
                freshness_ = "fresh"
            figure = crowds.get((direction, lane))
            rows.append(
                LaneRow(
                    direction,
                    lane,
                    f"{direction.value}-{lane.value}",
                    queue,
                    max(0, int(age.total_seconds() // 60)) if age is not None else None,
                    freshness_,
                    figure,
                    crowd.disputed(queue.wait_minutes, figure) if queue else None,
                )
            )
    return rows


@blp.get("/board")
@signed_in(Role.BORDER_OFFICER, Role.ADMIN)
def board() -> Any:
    return _board_page(None, None, None)


def _board_page(refusal: Refused | None, checkpoint_id: str | None, form: str | None) -> Any:
    """The board; after a refused post, that form's problems beside its fields."""
    user: User = g.console_user
    country = user.country if user.role == Role.BORDER_OFFICER else request.args.get("country")
    now = datetime.now(UTC)
    states = checkpoints.list_(get_session(), filters=CheckpointFilter(country=country), now=now)
    locale = current_locale()
    stale_after = timedelta(minutes=current_app.config["SETTINGS"].queue_stale_after_minutes)
    figures = crowd.current(get_session(), [s.checkpoint.id for s in states], now=now)
    return render_template(
        "console/board.html",
        states=states,
        lanes={
            s.checkpoint.id: lane_rows(
                s, now=now, stale_after=stale_after, crowds=figures.get(s.checkpoint.id)
            )
            for s in states
        },
        soon_stale_minutes=int(stale_after.total_seconds() * SOON_STALE_SHARE // 60),
        stale_minutes=int(stale_after.total_seconds() // 60),
        wait=lambda minutes: format_wait(minutes, locale),
        share=lambda value: format_share(value, locale),
        POSTED_METHODS=[Method(m) for m in POSTED_METHODS],
        SOURCE_LABELS=SOURCE_LABELS,
        METHOD_LABELS=METHOD_LABELS,
        plans=planned.upcoming(get_session(), [s.checkpoint.id for s in states]),
        moment=lambda when, timezone: format_moment(when, timezone, locale),
        PLANNABLE=planned.PLANNABLE,
        country=country,
        refused={"checkpoint": checkpoint_id, "form": form, "errors": refusal.errors}
        if refusal
        else None,
        values=request.form if refusal else {},
        State=State,
        Reason=Reason,
        Lane=Lane,
        Direction=Direction,
        STATE_LABELS=STATE_LABELS,
        REASON_LABELS=REASON_LABELS,
        LANE_LABELS=LANE_LABELS,
        DIRECTION_LABELS=DIRECTION_LABELS,
    ), (refusal.status if refusal else 200)


def _status_fields() -> dict[str, Any]:
    """A state, its reason and note as the status and planned-closure forms send them."""
    return {
        "state": request.form.get("state", ""),
        "reason": request.form.get("reason") or None,
        "message": request.form.get("message", "").strip() or None,
    }


@blp.post("/board/<checkpoint_id>/status")
@signed_in(Role.BORDER_OFFICER)
def board_status(checkpoint_id: str) -> Any:
    shown = ("state", "reason", "message")
    data = _status_fields()
    try:
        with saving(shown):
            status = forms.load(StatusIn(), data, form=request.form, fields=shown)
            checkpoints.set_status(
                get_session(),
                actor=actor(),
                poster=_officer_poster(),
                checkpoint_id=checkpoint_id,
                **status,
            )
    except Refused as refusal:
        if refusal.errors:
            return _board_page(refusal, checkpoint_id, "status")
        return redirect(url_for("console.board"))
    flash(_("Status posted."), "ok")
    return redirect(url_for("console.board"))


@blp.post("/board/<checkpoint_id>/queues")
@signed_in(Role.BORDER_OFFICER)
def board_queues(checkpoint_id: str) -> Any:
    """Post the wait of every lane filled in (a blank lane is left as it is), all or none:
    one bad lane refuses them all, its problems beside its fields."""
    now = datetime.now(UTC)
    try:
        with saving():
            checkpoint = checkpoints.get_or_raise(get_session(), checkpoint_id)
        reports, paths = _lane_reports(checkpoint, now=now)
        with saving(paths):
            if not reports:
                raise Refused({forms.FORM: [_("Enter the wait of at least one lane.")]})
            body = forms.load(
                QueueReportsIn(), {"reports": reports}, form=request.form, fields=paths
            )
            checkpoints.record_queues(
                get_session(),
                actor=actor(),
                poster=_officer_poster(),
                reports=[
                    QueueObservation(checkpoint_id=checkpoint.id, **report)
                    for report in body["reports"]
                ],
                now=now,
            )
    except Refused as refusal:
        if refusal.errors:
            return _board_page(refusal, checkpoint_id, "queues")
        return redirect(url_for("console.board"))
    flash(_("Queue times posted."), "ok")
    return redirect(url_for("console.board"))


def _lane_reports(
    checkpoint: Checkpoint, *, now: datetime
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The form's filled-in lanes as the API's queue reports, and which form field each
    report's problems belong beside (`reports.1.method` → `method-exit-truck`)."""
    reports: list[dict[str, Any]] = []
    paths: dict[str, str] = {}
    for direction in checkpoint.directions:
        for lane in checkpoint.lanes:
            key = f"{direction}-{lane}"
            typed = request.form.get(f"wait-{key}", "").strip()
            if not typed:
                continue
            paths[f"reports.{len(reports)}"] = f"wait-{key}"
            paths[f"reports.{len(reports)}.method"] = f"method-{key}"
            reports.append(
                {
                    "direction": direction,
                    "lane": lane,
                    "wait_minutes": forms.whole_number(typed),
                    "observed_at": now.isoformat(),
                    "method": request.form.get(f"method-{key}") or Method.OFFICER_ESTIMATE.value,
                }
            )
    return reports, paths


@blp.post("/board/<checkpoint_id>/planned")
@signed_in(Role.BORDER_OFFICER)
def board_planned(checkpoint_id: str) -> Any:
    """Announce a closure or restriction; the times are the checkpoint's local time."""
    shown = ("state", "starts_at", "ends_at", "reason", "message")
    found = checkpoints.get_many(get_session(), [checkpoint_id]).get(checkpoint_id)
    timezone = found.timezone if found else "UTC"  # an unknown checkpoint: the service says
    data = _status_fields()
    for name in ("starts_at", "ends_at"):
        moment = forms.local_datetime(request.form.get(name, ""), timezone)
        if moment is not None:
            data[name] = moment
    try:
        with saving(shown):
            body = forms.load(PlannedIn(), data, form=request.form, fields=shown)
            planned.announce(
                get_session(),
                actor=actor(),
                poster=_officer_poster(),
                checkpoint_id=checkpoint_id,
                **body,
            )
    except Refused as refusal:
        if refusal.errors:
            return _board_page(refusal, checkpoint_id, "planned")
        return redirect(url_for("console.board"))
    flash(_("Planned change announced."), "ok")
    return redirect(url_for("console.board"))


@blp.post("/board/<checkpoint_id>/planned/<int:planned_id>/cancel")
@signed_in(Role.BORDER_OFFICER)
def board_planned_cancel(checkpoint_id: str, planned_id: int) -> Any:
    try:
        with saving():
            planned.cancel(
                get_session(),
                actor=actor(),
                poster=_officer_poster(),
                checkpoint_id=checkpoint_id,
                planned_id=planned_id,
            )
    except Refused:
        return redirect(url_for("console.board"))
    flash(_("Planned change cancelled."), "ok")
    return redirect(url_for("console.board"))


@blp.get("/freshness")
@signed_in(Role.BORDER_OFFICER, Role.ADMIN)
def freshness_page() -> Any:
    """How freshly each agency reports: every agency for admins, an officer's country's."""
    db = get_session()
    agencies = freshness.visible_agencies(db, actor=Actor.for_user(g.console_user))
    report = freshness.agencies_report(db, agencies=agencies, days=7, now=datetime.now(UTC))
    locale = current_locale()
    return render_template(
        "console/freshness.html",
        report=report,
        wait=lambda minutes: format_wait(int(minutes), locale),
        share=lambda value: format_share(value, locale),
    )


def _officer_poster() -> Poster:
    user: User = g.console_user
    return Poster(agency_id=None, country=user.country or "")
