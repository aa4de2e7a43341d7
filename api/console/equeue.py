"""Console page for admins: the e-queue facts of every checkpoint's lanes."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.console import actor, blp, forms, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.schemas.checkpoints import EqueueFactIn
from content.accounts.models import Role
from content.checkpoints import equeue
from content.checkpoints import service as checkpoints
from content.checkpoints.labels import DIRECTION_LABELS, DIRECTION_UNSTATED, LANE_LABELS
from content.checkpoints.models import Direction, EqueueDirection, Lane
from content.db import utcnow

#: the form's fields; the service names a problem by its place in the list it was given
FIELDS = ("checkpoint", "direction", "lane", "required", "system", "booking_url")
PATHS = {
    **{name: name for name in FIELDS},
    "vehicles_in_waiting_zone": "vehicles",
    **{f"equeues.0.{name}": name for name in FIELDS},
    "equeues.0.vehicles_in_waiting_zone": "vehicles",
}


@blp.route("/equeue", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def equeues() -> Any:
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            with saving(PATHS):
                body = forms.load(EqueueFactIn(), _form_body(), form=request.form, fields=PATHS)
                checkpoint_id = body.pop("checkpoint")
                equeue.set_(
                    get_session(),
                    actor=actor(),
                    poster=None,
                    checkpoint_id=checkpoint_id,
                    facts=[equeue.EqueueInput(**body)],
                )
            flash(_("E-queue fact saved."), "ok")
            return redirect(url_for("console.equeues"))
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
    return _page(errors, status)


@blp.post("/equeue/<checkpoint_id>/<direction>/<lane>/remove")
@signed_in(Role.ADMIN)
def equeue_remove(checkpoint_id: str, direction: str, lane: str) -> Any:
    try:
        with saving():
            equeue.remove(
                get_session(),
                actor=actor(),
                checkpoint_id=checkpoint_id,
                direction=equeue.served_direction(EqueueDirection(direction)),
                lane=Lane(lane),
            )
    except (Refused, ValueError):  # its alert is up, or the address names no lane
        return redirect(url_for("console.equeues"))
    flash(_("E-queue fact removed."), "ok")
    return redirect(url_for("console.equeues"))


def _form_body() -> dict[str, Any]:
    """The form as the schema takes it: the direction may be unstated (null)."""
    form = request.form
    direction = form.get("direction", "")
    data: dict[str, Any] = {
        "checkpoint": form.get("checkpoint", ""),
        "direction": None if direction == EqueueDirection.UNSTATED.value else direction,
        "lane": form.get("lane", ""),
        "required": form.get("required") == "yes",
        "system": form.get("system", "").strip() or None,
        "booking_url": form.get("booking_url", "").strip() or None,
    }
    if form.get("vehicles", "").strip():
        data["vehicles_in_waiting_zone"] = forms.whole_number(form["vehicles"])
    return data


def _page(errors: dict[str, list[str]], status: int) -> Any:
    session = get_session()
    now = utcnow()
    return render_template(
        "console/equeue.html",
        facts=equeue.list_(session),
        checkpoints=checkpoints.list_(session),
        count_shown=lambda fact: equeue.count_shown(fact, now),
        direction_text=lambda d: _(
            DIRECTION_LABELS[Direction(d.value)]
            if d != EqueueDirection.UNSTATED
            else DIRECTION_UNSTATED
        ),
        EqueueDirection=EqueueDirection,
        Lane=Lane,
        LANE_LABELS=LANE_LABELS,
        errors=errors,
        values=request.form if errors else {},
    ), status
