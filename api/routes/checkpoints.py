"""Checkpoints: travellers read them; border services post status and queue times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint

from api.auth import require_poster
from api.cache import cached_read, note_valid_until
from api.db import get_session
from api.i18n import current_locale, format_wait
from api.idempotency import idempotent_write
from api.limits import AGENCY_POSTS, agency_key, limiter
from api.presenters.outlook import present_closing
from api.routes import declare_errors, declare_not_modified
from api.schemas.checkpoints import (
    BatchQueueReportsIn,
    CheckpointDetailOut,
    CheckpointListArgs,
    CheckpointListOut,
    HistoryArgs,
    HistoryOut,
    QueueReportsIn,
    QueueReportsPostedOut,
    StatusIn,
    StatusPostedOut,
)
from api.schemas.common import QueryArgs
from content import versions
from content.accounts.service import agency_actor
from content.checkpoints import history, outlook
from content.checkpoints import service as checkpoints
from content.checkpoints.labels import (
    DIRECTION_LABELS,
    LANE_LABELS,
    REASON_LABELS,
    STATE_LABELS,
)
from content.checkpoints.models import Checkpoint, CurrentQueue, CurrentStatus
from content.checkpoints.service import CheckpointFilter, CheckpointState, Near, QueueObservation
from content.db import utcnow
from content.locales import pick

blp = Blueprint(
    "checkpoints",
    __name__,
    url_prefix="/v1",
    description="Border checkpoints: status and queue times, read by travellers and posted "
    "by border services.",
)


def _name(checkpoint: Checkpoint, locale: str) -> str:
    return pick(checkpoint.names, locale, checkpoint.id)


def present_status(status: CurrentStatus | None) -> dict[str, Any] | None:
    if status is None:
        return None
    return {
        "state": status.state,
        "state_text": gettext(STATE_LABELS[status.state]),
        "reason": status.reason,
        "reason_text": gettext(REASON_LABELS[status.reason]) if status.reason else None,
        "message": status.message,
        "since": status.since,
        "updated_at": status.updated_at,
        "demo": status.demo,
    }


def present_queue(queue: CurrentQueue, *, locale: str, now: datetime) -> dict[str, Any]:
    stale_after = timedelta(minutes=current_app.config["SETTINGS"].queue_stale_after_minutes)
    stale = now - queue.observed_at > stale_after
    # the cached answer must change when this report turns stale, and when it expires
    if not stale:
        note_valid_until(queue.observed_at + stale_after)
    note_valid_until(queue.observed_at + checkpoints.QUEUE_CURRENT_FOR)
    return {
        "direction": queue.direction,
        "direction_text": gettext(DIRECTION_LABELS[queue.direction]),
        "lane": queue.lane,
        "lane_text": gettext(LANE_LABELS[queue.lane]),
        "wait_minutes": queue.wait_minutes,
        "wait_text": format_wait(queue.wait_minutes, locale),
        "vehicles_waiting": queue.vehicles_waiting,
        "lanes_open": queue.lanes_open,
        "observed_at": queue.observed_at,
        "stale": stale,
        "demo": queue.demo,
    }


def present_checkpoint(
    state: CheckpointState, *, names: dict[str, Checkpoint], locale: str, now: datetime
) -> dict[str, Any]:
    checkpoint = state.checkpoint
    paired = names.get(checkpoint.paired_id or "")
    if checkpoint.hours:
        note_valid_until(now + timedelta(minutes=1))  # open_now follows the clock
    known = checkpoint.hours_known
    item: dict[str, Any] = {
        "id": checkpoint.id,
        "name": _name(checkpoint, locale),
        "name_verified": checkpoint.name_verified,
        "country": checkpoint.country,
        "neighbor": checkpoint.neighbor,
        "kind": checkpoint.kind,
        "location": {
            "lat": checkpoint.latitude,
            "lon": checkpoint.longitude,
            "accuracy_m": checkpoint.location_accuracy_m,
        },
        "paired": (
            {
                "id": paired.id,
                "name": _name(paired, locale),
                "name_verified": paired.name_verified,
                "country": paired.country,
            }
            if paired
            else None
        ),
        "hours": {
            "timezone": checkpoint.timezone,
            "hours_known": known,
            # unknown hours are not "not 24 hours": the app must not be told either way
            "always_open": checkpoint.always_open if known else None,
            "schedule": checkpoint.hours if known else None,
            "open_now": checkpoints.is_open_at(checkpoint, now),
        },
        "lanes": checkpoint.lanes,
        "directions": checkpoint.directions,
        "status": present_status(state.status),
        "queues": [present_queue(q, locale=locale, now=now) for q in state.queues],
    }
    if state.distance_km is not None:
        item["distance_km"] = round(state.distance_km, 1)
    return item


@blp.route("/checkpoints")
class CheckpointList(MethodView):
    @cached_read
    @blp.arguments(CheckpointListArgs, location="query")
    @blp.response(200, CheckpointListOut)
    @declare_not_modified(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List checkpoints with their current status and queues

        Filter by country, neighbour, kind or state, or by distance with `near` and
        `radius_km` (then sorted by distance). Names and texts are in the reader's language.
        An app that keeps the list offline sends the `cursor` of its last answer as
        `changed_since` and gets only the checkpoints whose status or queues changed.
        """
        session = get_session()
        now = utcnow()
        cursor = versions.current(session)  # read first: a change racing the read comes again
        near = None
        if "near" in args:
            lat, lon = args["near"]
            near = Near(lat, lon, args["radius_km"])
        filters = CheckpointFilter(
            country=args.get("country"),
            neighbor=args.get("neighbor"),
            kind=args.get("kind"),
            state=args.get("state"),
            near=near,
            changed_since=args.get("changed_since"),
        )
        states = checkpoints.list_(session, filters=filters, now=now)
        names = checkpoints.get_many(session, [s.checkpoint.paired_id for s in states])
        locale = current_locale()
        return {
            "items": [present_checkpoint(s, names=names, locale=locale, now=now) for s in states],
            "as_of": now,
            "cursor": cursor,
        }


@blp.route("/checkpoints/<string:checkpoint_id>")
class CheckpointDetail(MethodView):
    @cached_read
    @blp.arguments(QueryArgs, location="query")
    @blp.response(200, CheckpointDetailOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, _args: dict[str, Any], checkpoint_id: str) -> dict[str, Any]:
        """One checkpoint, with its partner's queues across the border

        A traveller leaving Kazakhstan at Kordai also needs the entry queue at Ak-Zhol:
        `paired_queues` holds the partner's queues in the direction that continues each of
        this checkpoint's. A checkpoint that is not open 24 hours gains `closing` when it
        closes within 6 hours: whether the queue is likely to clear before it does.
        """
        session = get_session()
        now = utcnow()
        locale = current_locale()
        state = checkpoints.get_state(session, checkpoint_id, now=now)
        names = {state.checkpoint.id: state.checkpoint}
        paired_queues = None
        if state.checkpoint.paired_id:
            paired_state = checkpoints.get_state(session, state.checkpoint.paired_id, now=now)
            paired = paired_state.checkpoint
            names[paired.id] = paired
            paired_queues = {
                "id": paired.id,
                "name": _name(paired, locale),
                "name_verified": paired.name_verified,
                "country": paired.country,
                "status": present_status(paired_state.status),
                # their entry continues our exit, and the other way round
                "queues": [present_queue(q, locale=locale, now=now) for q in paired_state.queues],
            }
        item = present_checkpoint(state, names=names, locale=locale, now=now)
        item["paired_queues"] = paired_queues
        item["closing"] = present_closing(outlook.closing(session, state.checkpoint, now=now))
        return item


@blp.route("/checkpoints/<string:checkpoint_id>/history")
class CheckpointHistory(MethodView):
    @cached_read
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistoryOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, args: dict[str, Any], checkpoint_id: str) -> dict[str, Any]:
        """Queue history for one direction and lane, in hourly buckets

        Each bucket holds the minimum, median and maximum wait observed in that hour (UTC).
        The range defaults to the last 24 hours and may span at most 31 days.
        """
        now = utcnow()
        if "to" not in args:
            note_valid_until(now + timedelta(minutes=1))  # "the last 24 hours" moves on
        end = args.get("to") or now
        start = args.get("from_") or end - timedelta(hours=24)
        buckets = history.hourly_waits(
            get_session(),
            checkpoint_id=checkpoint_id,
            direction=args["direction"],
            lane=args["lane"],
            start=start,
            end=end,
        )
        return {
            "checkpoint": checkpoint_id,
            "direction": args["direction"],
            "lane": args["lane"],
            "from_": start,
            "to": end,
            "items": [
                {
                    "hour": b.start,
                    "min_wait": b.min_wait,
                    "median_wait": b.median_wait,
                    "max_wait": b.max_wait,
                    "reports": b.reports,
                }
                for b in buckets
            ],
            "as_of": now,
        }


@blp.route("/checkpoints/<string:checkpoint_id>/status")
class CheckpointStatus(MethodView):
    @limiter.limit(AGENCY_POSTS, key_func=agency_key)
    @idempotent_write
    @blp.arguments(StatusIn)
    @blp.response(201, StatusPostedOut)
    @blp.doc(security=[{"agencyKey": []}])
    @declare_errors(blp, 400, 401, 403, 404, 413, 415, 429)
    def post(self, body: dict[str, Any], checkpoint_id: str) -> Any:
        """Post a checkpoint's status (border services)

        Needs `Authorization: Bearer <agency key>`; a key posts only for its own country's
        checkpoints. Send `Idempotency-Key` to make retries safe.
        """
        poster = require_poster()
        report = checkpoints.set_status(
            get_session(),
            actor=agency_actor(poster),
            poster=poster,
            checkpoint_id=checkpoint_id,
            state=body["state"],
            reason=body.get("reason"),
            message=body.get("message"),
        )
        return report


def present_posted_queues(recorded: list[checkpoints.RecordedQueueReport]) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": r.report.id,
                "checkpoint": r.report.checkpoint_id,
                "direction": r.report.direction,
                "lane": r.report.lane,
                "wait_minutes": r.report.wait_minutes,
                "vehicles_waiting": r.report.vehicles_waiting,
                "lanes_open": r.report.lanes_open,
                "observed_at": r.report.observed_at,
                "posted_at": r.report.posted_at,
                "current": r.applied,
            }
            for r in recorded
        ]
    }


def _queue_reports(
    items: list[dict[str, Any]], checkpoint_id: str | None
) -> list[QueueObservation]:
    return [
        QueueObservation(
            checkpoint_id=checkpoint_id or item["checkpoint"],
            direction=item["direction"],
            lane=item["lane"],
            wait_minutes=item["wait_minutes"],
            observed_at=item["observed_at"],
            vehicles_waiting=item.get("vehicles_waiting"),
            lanes_open=item.get("lanes_open"),
        )
        for item in items
    ]


@blp.route("/checkpoints/<string:checkpoint_id>/queues")
class CheckpointQueues(MethodView):
    @limiter.limit(AGENCY_POSTS, key_func=agency_key)
    @idempotent_write
    @blp.arguments(QueueReportsIn)
    @blp.response(201, QueueReportsPostedOut)
    @blp.doc(security=[{"agencyKey": []}])
    @declare_errors(blp, 400, 401, 403, 404, 413, 415, 429)
    def post(self, body: dict[str, Any], checkpoint_id: str) -> Any:
        """Post queue times for one checkpoint (border services)

        All reports are stored, or none. A report older than the lane's current one is
        kept as history and answered with `current: false`.
        """
        poster = require_poster()
        recorded = checkpoints.record_queues(
            get_session(),
            actor=agency_actor(poster),
            poster=poster,
            reports=_queue_reports(body["reports"], checkpoint_id),
        )
        return present_posted_queues(recorded)


@blp.route("/queue-reports")
class QueueReportBatch(MethodView):
    @limiter.limit(AGENCY_POSTS, key_func=agency_key)
    @idempotent_write
    @blp.arguments(BatchQueueReportsIn)
    @blp.response(201, QueueReportsPostedOut)
    @blp.doc(security=[{"agencyKey": []}])
    @declare_errors(blp, 400, 401, 403, 404, 413, 415, 429)
    def post(self, body: dict[str, Any]) -> Any:
        """Post queue times for many checkpoints at once (border services)

        Each report names its checkpoint. All reports are stored, or none.
        """
        poster = require_poster()
        recorded = checkpoints.record_queues(
            get_session(),
            actor=agency_actor(poster),
            poster=poster,
            reports=_queue_reports(body["reports"], None),
        )
        return present_posted_queues(recorded)
