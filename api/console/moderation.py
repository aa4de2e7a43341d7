"""Console page for publishers and admins: travellers' crowd reports, hidden one by one,
and devices blocked from reporting. Every action is audited by the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from api.console import actor, blp, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.i18n import current_locale
from content.accounts.models import PUBLISHERS
from content.checkpoints import crowd
from content.checkpoints import service as checkpoints
from content.checkpoints.labels import DIRECTION_LABELS, LANE_LABELS
from content.locales import format_moment


@blp.get("/crowd-reports")
@signed_in(*PUBLISHERS)
def crowd_reports() -> Any:
    db = get_session()
    reports = crowd.recent(db)
    places = checkpoints.get_many(db, [r.report.checkpoint_id for r in reports])
    locale = current_locale()
    return render_template(
        "console/crowd_reports.html",
        reports=reports,
        places=places,
        moment=lambda when, timezone: format_moment(when, timezone, locale),
        DIRECTION_LABELS=DIRECTION_LABELS,
        LANE_LABELS=LANE_LABELS,
    )


@blp.post("/crowd-reports/<id:report_id>/hide")
@signed_in(*PUBLISHERS)
def crowd_report_hide(report_id: int) -> Any:
    def hide() -> None:
        crowd.set_hidden(get_session(), actor=actor(), report_id=report_id, hidden=True)

    return _moderate(hide, _("Report hidden: it no longer counts."))


@blp.post("/crowd-reports/<id:report_id>/show")
@signed_in(*PUBLISHERS)
def crowd_report_show(report_id: int) -> Any:
    def show() -> None:
        crowd.set_hidden(get_session(), actor=actor(), report_id=report_id, hidden=False)

    return _moderate(show, _("Report shown again."))


@blp.post("/crowd-devices/<id:device_id>/block")
@signed_in(*PUBLISHERS)
def crowd_device_block(device_id: int) -> Any:
    def block() -> None:
        crowd.set_blocked(get_session(), actor=actor(), device_id=device_id, blocked=True)

    return _moderate(
        block, _("Device blocked: its reports no longer count, and it may send no more.")
    )


@blp.post("/crowd-devices/<id:device_id>/unblock")
@signed_in(*PUBLISHERS)
def crowd_device_unblock(device_id: int) -> Any:
    def unblock() -> None:
        crowd.set_blocked(get_session(), actor=actor(), device_id=device_id, blocked=False)

    return _moderate(unblock, _("Device unblocked."))


def _moderate(action: Callable[[], None], done: str) -> Any:
    """Do it and commit (audited by the service), then back to the list with a notice."""
    try:
        with saving():
            action()
        flash(done, "ok")
    except Refused:
        pass  # its alert is up
    return redirect(url_for("console.crowd_reports"))
