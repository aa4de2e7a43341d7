"""Console pages: the border officers' board, where they post their country's
checkpoint statuses and queue times (admins may look)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.console import actor, blp, forms, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.i18n import current_locale
from api.schemas.checkpoints import PlannedIn, StatusIn
from api.schemas.checkpoints import QueueReportIn as QueueReportSchema
from content.accounts.models import Role, User
from content.accounts.service import Poster
from content.checkpoints import crowd, planned
from content.checkpoints import service as checkpoints
from content.checkpoints.labels import (
    DIRECTION_LABELS,
    LANE_LABELS,
    REASON_LABELS,
    STATE_LABELS,
)
from content.checkpoints.models import Direction, Lane, Reason, State
from content.checkpoints.service import CheckpointFilter, QueueObservation
from content.locales import format_moment


@blp.get("/board")
@signed_in(Role.BORDER_OFFICER, Role.ADMIN)
def board() -> Any:
    return _board_page(None, None, None)


def _board_page(refusal: Refused | None, checkpoint_id: str | None, form: str | None) -> Any:
    """The board; after a refused post, that form's problems beside its fields."""
    user: User = g.console_user
    country = user.country if user.role == Role.BORDER_OFFICER else request.args.get("country")
    states = checkpoints.list_(get_session(), filters=CheckpointFilter(country=country))
    locale = current_locale()
    return render_template(
        "console/board.html",
        states=states,
        crowd_rows=_crowd_rows(states),
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


@blp.post("/board/<checkpoint_id>/status")
@signed_in(Role.BORDER_OFFICER)
def board_status(checkpoint_id: str) -> Any:
    shown = ("state", "reason", "message")
    data: dict[str, Any] = {"state": request.form.get("state", "")}
    data["reason"] = request.form.get("reason") or None
    data["message"] = request.form.get("message", "").strip() or None
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
def board_queue(checkpoint_id: str) -> Any:
    shown = ("direction", "lane", "wait_minutes")
    # the service names a report's problems by its place in the batch: this form sends one
    paths = {**{name: name for name in shown}, **{f"reports.0.{name}": name for name in shown}}
    data: dict[str, Any] = {name: request.form.get(name, "") for name in ("direction", "lane")}
    if request.form.get("wait_minutes", "").strip():
        data["wait_minutes"] = forms.whole_number(request.form["wait_minutes"])
    try:
        with saving(paths):
            queue = forms.load(QueueReportSchema(only=shown), data, form=request.form, fields=shown)
            report = QueueObservation(
                checkpoint_id=checkpoint_id, observed_at=datetime.now(UTC), **queue
            )
            checkpoints.record_queues(
                get_session(), actor=actor(), poster=_officer_poster(), reports=[report]
            )
    except Refused as refusal:
        if refusal.errors:
            return _board_page(refusal, checkpoint_id, "queues")
        return redirect(url_for("console.board"))
    flash(_("Queue time posted."), "ok")
    return redirect(url_for("console.board"))


@blp.post("/board/<checkpoint_id>/planned")
@signed_in(Role.BORDER_OFFICER)
def board_planned(checkpoint_id: str) -> Any:
    """Announce a closure or restriction; the times are the checkpoint's local time."""
    shown = ("state", "starts_at", "ends_at", "reason", "message")
    found = checkpoints.get_many(get_session(), [checkpoint_id]).get(checkpoint_id)
    timezone = found.timezone if found else "UTC"  # an unknown checkpoint: the service says
    data: dict[str, Any] = {"state": request.form.get("state", "")}
    for name in ("starts_at", "ends_at"):
        moment = forms.local_datetime(request.form.get(name, ""), timezone)
        if moment is not None:
            data[name] = moment
    data["reason"] = request.form.get("reason") or None
    data["message"] = request.form.get("message", "").strip() or None
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


def _crowd_rows(states: list[checkpoints.CheckpointState]) -> dict[str, list[dict[str, Any]]]:
    """Per checkpoint, each lane with a crowd figure: the crowd median beside the official
    figure (None when there is none) and whether they are disputed. One query for all."""
    figures = crowd.current(get_session(), [s.checkpoint.id for s in states])
    rows: dict[str, list[dict[str, Any]]] = {}
    for state in states:
        official = {(q.direction, q.lane): q.wait_minutes for q in state.queues}
        for (direction, lane), figure in sorted(figures.get(state.checkpoint.id, {}).items()):
            minutes = official.get((direction, lane))
            rows.setdefault(state.checkpoint.id, []).append(
                {
                    "direction": direction,
                    "lane": lane,
                    "crowd": figure,
                    "official": minutes,
                    "disputed": crowd.disputed(minutes, figure) if minutes is not None else None,
                }
            )
    return rows


def _officer_poster() -> Poster:
    user: User = g.console_user
    return Poster(agency_id=None, country=user.country or "")
