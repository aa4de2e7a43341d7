"""Checkpoints: travellers read them; border services post status and queue times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from flask import Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api import checkpoint_list
from api.auth import require_poster
from api.cache import answer_with, cached_read, note_valid_until, own_valid_until, read_key
from api.checkpoint_list import Catalog, EntryStore, ListEntry, ListQuery, summary_of
from api.db import get_session
from api.i18n import current_locale, force_locale, format_wait, label_text
from api.idempotency import commits, idempotent_write
from api.limits import AGENCY_POSTS, agency_key, limiter
from api.presenters.outlook import present_closing
from api.routes import declare_errors, declare_not_modified
from api.schemas.checkpoints import (
    BatchQueueReportsIn,
    CheckpointDetailOut,
    CheckpointListArgs,
    CheckpointListOut,
    CheckpointOut,
    CheckpointSummaryListOut,
    CheckpointSummaryOut,
    EqueueIn,
    EqueuePostedOut,
    ForecastArgs,
    ForecastOut,
    HistoryArgs,
    HistoryOut,
    PlannedIn,
    PlannedOut,
    QueueReportsIn,
    QueueReportsPostedOut,
    StatusIn,
    StatusPostedOut,
    TypicalArgs,
    TypicalWeekOut,
)
from api.schemas.common import QueryArgs
from content import versions
from content.accounts.service import agency_actor
from content.checkpoints import crowd, equeue, forecast, history, outlook, planned, typical
from content.checkpoints import service as checkpoints
from content.checkpoints.crowd import CrowdFigure
from content.checkpoints.freshness import Reporting
from content.checkpoints.labels import (
    DIRECTION_LABELS,
    DIRECTION_UNSTATED,
    EQUEUE_LABELS,
    LANE_LABELS,
    REASON_LABELS,
    STATE_LABELS,
)
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    CurrentStatus,
    Direction,
    EqueueFact,
    Lane,
    PlannedStatus,
)
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
        "state_text": label_text(STATE_LABELS[status.state]),
        "reason": status.reason,
        "reason_text": label_text(REASON_LABELS[status.reason]) if status.reason else None,
        "message": status.message,
        "since": status.since,
        "updated_at": status.updated_at,
        "demo": status.demo,
    }


def present_planned(entry: PlannedStatus) -> dict[str, Any]:
    return {
        "id": entry.id,
        "checkpoint_id": entry.checkpoint_id,
        "state": entry.state,
        "state_text": label_text(STATE_LABELS[entry.state]),
        "reason": entry.reason,
        "reason_text": label_text(REASON_LABELS[entry.reason]) if entry.reason else None,
        "message": entry.message,
        "starts_at": entry.starts_at,
        "ends_at": entry.ends_at,
        "started": entry.started_at is not None,
        "demo": entry.demo,
    }


#: the crowd figures of some checkpoints' lanes, as crowd.current gives them
CrowdFigures = dict[str, dict[tuple[Direction, Lane], CrowdFigure]]


def present_crowd(figure: CrowdFigure | None) -> dict[str, Any] | None:
    if figure is None:
        return None
    # the figure may change when its oldest report leaves the window
    note_valid_until(figure.valid_until)
    return {
        "median_minutes": figure.median_minutes,
        "reports": figure.reports,
        "newest_at": figure.newest_at,
    }


def present_equeue(fact: EqueueFact, *, now: datetime) -> dict[str, Any]:
    """A lane's e-queue fact, with its label in the reader's language."""
    expires = equeue.count_expires_at(fact)
    if expires is not None and expires > now:
        note_valid_until(expires)  # the count turns unknown then
    label = EQUEUE_LABELS[(fact.required, bool(fact.system))]
    return {
        "required": fact.required,
        "system": fact.system,
        "booking_url": fact.booking_url,
        "vehicles_in_waiting_zone": equeue.count_shown(fact, now),
        "updated_at": fact.updated_at,
        "label": gettext(label, system=fact.system) if fact.system else gettext(label),
        "direction": equeue.served_direction(fact.direction),
    }


def present_checkpoint_equeue(fact: EqueueFact, *, now: datetime) -> dict[str, Any]:
    direction = equeue.served_direction(fact.direction)
    return {
        **present_equeue(fact, now=now),
        "direction_text": label_text(
            DIRECTION_LABELS[direction] if direction else DIRECTION_UNSTATED
        ),
        "lane": fact.lane,
        "lane_text": label_text(LANE_LABELS[fact.lane]),
    }


def present_queue(
    queue: CurrentQueue,
    *,
    locale: str,
    now: datetime,
    crowds: CrowdFigures | None = None,
    facts: Sequence[EqueueFact] = (),
) -> dict[str, Any]:
    figure = (crowds or {}).get(queue.checkpoint_id, {}).get((queue.direction, queue.lane))
    stale_after = timedelta(minutes=current_app.config["SETTINGS"].queue_stale_after_minutes)
    stale = now - queue.observed_at > stale_after
    # the cached answer must change when this report turns stale, and when it expires
    if not stale:
        note_valid_until(queue.observed_at + stale_after)
    note_valid_until(queue.observed_at + checkpoints.QUEUE_CURRENT_FOR)
    return {
        "direction": queue.direction,
        "direction_text": label_text(DIRECTION_LABELS[queue.direction]),
        "lane": queue.lane,
        "lane_text": label_text(LANE_LABELS[queue.lane]),
        "wait_minutes": queue.wait_minutes,
        "wait_text": format_wait(queue.wait_minutes, locale),
        "vehicles_waiting": queue.vehicles_waiting,
        "lanes_open": queue.lanes_open,
        "observed_at": queue.observed_at,
        "stale": stale,
        "demo": queue.demo,
        "source": queue.source,
        "method": queue.method,
        "reported_by": queue.agency.name if queue.agency else None,
        "crowd": present_crowd(figure),
        "disputed": crowd.disputed(queue.wait_minutes, figure),
        "equeue": (
            present_equeue(fact, now=now)
            if (fact := equeue.for_lane(facts, queue.direction, queue.lane))
            else None
        ),
    }


def present_reporting(reporting: Reporting | None, *, now: datetime) -> dict[str, Any] | None:
    """A checkpoint's `reporting`; its 7-day share moves on with each new hour."""
    note_valid_until(now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
    if reporting is None:
        return None
    return {
        "last_official_at": reporting.last_official_at,
        "fresh_hours_share_7d": reporting.fresh_hours_share_7d,
        "demo": reporting.demo,
    }


def present_checkpoint(
    state: CheckpointState,
    *,
    names: dict[str, Checkpoint],
    plans: dict[str, list[PlannedStatus]],
    equeues: dict[str, list[EqueueFact]],
    locale: str,
    now: datetime,
    crowds: CrowdFigures | None = None,
) -> dict[str, Any]:
    checkpoint = state.checkpoint
    facts = equeues.get(checkpoint.id, [])
    paired = names.get(checkpoint.paired_id or "")
    if (turns_at := checkpoints.next_hours_change(checkpoint, now)) is not None:
        note_valid_until(turns_at)  # open_now follows the schedule
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
        "queues": [
            present_queue(q, locale=locale, now=now, crowds=crowds, facts=facts)
            for q in state.queues
        ],
        "reporting": present_reporting(state.reporting, now=now),
        "planned": [present_planned(p) for p in plans.get(checkpoint.id, [])],
        "equeues": [present_checkpoint_equeue(f, now=now) for f in facts],
    }
    if state.distance_km is not None:
        item["distance_km"] = round(state.distance_km, 1)
    return item


#: the list's two shapes: whole by default, `fields=summary` for a list screen (anyOf: an
#: empty list is both)
LIST_SHAPES = {"anyOf": [CheckpointListOut, CheckpointSummaryListOut]}


@blp.route("/checkpoints")
class CheckpointList(MethodView):
    @cached_read
    @blp.arguments(CheckpointListArgs, location="query")
    @blp.response(200, CheckpointListOut)
    @blp.doc(
        responses={
            "200": {
                "description": "The list: whole, or with `fields=summary` what a list screen shows",
                "content": {"application/json": {"schema": LIST_SHAPES}},
            }
        }
    )
    @declare_not_modified(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any] | Response:
        """List checkpoints with their current status and queues

        Filter by country, neighbour, kind or state, or by distance with `near` and
        `radius_km` (then sorted by distance). Names and texts are in the reader's language.
        An app that keeps the list offline sends the `cursor` of its last answer as
        `changed_since` and gets only the checkpoints whose status or queues changed.
        """
        settings = current_app.config["SETTINGS"]
        if settings.public_cache_enabled:
            return _joined_list(args)
        # the reference: rendered from the database through the schema (PUBLIC_CACHE=off)
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
        names = checkpoints.partners(states)
        ids = [s.checkpoint.id for s in states]
        plans = planned.upcoming(session, ids)
        crowds = crowd.current(session, ids, now=now)  # one query for every checkpoint
        equeues = equeue.by_checkpoint(session, ids)
        locale = current_locale()
        items = [
            present_checkpoint(
                s,
                names=names,
                plans=plans,
                equeues=equeues,
                locale=locale,
                now=now,
                crowds=crowds,
            )
            for s in states
        ]
        if args["shape"] == "summary":
            summaries = []
            for item in items:
                summary = summary_of(CHECKPOINT_OUT.dump(item))
                if "distance_km" in item:
                    summary["distance_km"] = item["distance_km"]
                summaries.append(summary)
            return _plain_json(
                CheckpointSummaryListOut().dump(
                    {"items": summaries, "as_of": now, "cursor": cursor}
                )
            )
        return {"items": items, "as_of": now, "cursor": cursor}


CHECKPOINT_OUT = CheckpointOut()
SUMMARY_OUT = CheckpointSummaryOut()


def _plain_json(data: dict[str, Any]) -> Response:
    """An answer already dumped by its own schema, past the route's declared one."""
    return Response(orjson.dumps(data), content_type="application/json")


def _joined_list(args: dict[str, Any]) -> Response:
    """The list joined from each checkpoint's serialised entry (api/checkpoint_list.py):
    only the entries whose checkpoint changed since the last answer are rendered."""
    settings = current_app.config["SETTINGS"]
    store: EntryStore = current_app.extensions["checkpoint_entries"]
    now = utcnow()
    catalog = store.synced(get_session(), current_locale(), now)
    query = ListQuery.from_args(args)
    keep = not query.per_phone
    entry = catalog.answer(
        query,
        read=read_key(request.path, request.query_string.decode(), catalog.locale),
        now=now,
        compress=keep or "gzip" in request.headers.get("Accept-Encoding", "").lower(),
        max_age=settings.public_cache_seconds,
    )
    return answer_with(entry, keep=keep)


@dataclass(frozen=True)
class LoadedStates:
    """What some checkpoints' list entries show, as the database said it."""

    states: list[CheckpointState]
    names: dict[str, Checkpoint]
    plans: dict[str, list[PlannedStatus]]
    crowds: CrowdFigures
    equeues: dict[str, list[EqueueFact]]


def _load_states(session: Session, ids: list[str] | None, now: datetime) -> LoadedStates:
    """Some checkpoints' states and what their entries name (all when `ids` is None)."""
    states = checkpoints.list_(session, filters=CheckpointFilter(ids=ids), now=now)
    shown = [s.checkpoint.id for s in states]
    return LoadedStates(
        states=states,
        names=checkpoints.partners(states),
        plans=planned.upcoming(session, shown),
        crowds=crowd.current(session, shown, now=now),
        equeues=equeue.by_checkpoint(session, shown),
    )


def _render_entries(
    loaded: LoadedStates, changed: Mapping[str, int], locale: str, now: datetime
) -> dict[str, ListEntry]:
    """The list entries of the checkpoints in `changed`, each serialised once with the
    moment it would read differently."""
    entries = {}
    with own_valid_until() as valid_until:
        for state in loaded.states:
            checkpoint = state.checkpoint
            if checkpoint.id not in changed:
                continue
            item = present_checkpoint(
                state,
                names=loaded.names,
                plans=loaded.plans,
                equeues=loaded.equeues,
                locale=locale,
                now=now,
                crowds=loaded.crowds,
            )
            # through the schema, as the reference renders it: one entry costs little, and
            # what the docs promise is what is served
            dumped = CHECKPOINT_OUT.dump(item)
            entries[checkpoint.id] = ListEntry(
                id=checkpoint.id,
                country=checkpoint.country,
                neighbor=checkpoint.neighbor,
                kind=checkpoint.kind.value,
                state=state.status.state.value if state.status else None,
                latitude=checkpoint.latitude,
                longitude=checkpoint.longitude,
                changed_version=changed[checkpoint.id],
                # keys sorted, as `content_etag` hashes them (see `Catalog.answer`)
                full=orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS),
                summary=orjson.dumps(
                    SUMMARY_OUT.dump(summary_of(dumped)), option=orjson.OPT_SORT_KEYS
                ),
                valid_until=valid_until(),
            )
    return entries


@blp.record_once
def _assemble_lists_before_flask(state: BlueprintSetupState) -> None:
    """Each worker keeps the list's entries; FastReads answers per-phone lists from them."""
    app = state.app
    assert isinstance(app, Flask)  # noqa: S101  # the blueprint is registered on a Flask app
    store = app.extensions["checkpoint_entries"] = EntryStore(_load_states, _render_entries)
    path = f"{state.url_prefix or ''}/checkpoints"

    def sync(locale: str) -> Catalog | None:
        """The catalog at the database's version, in the language's own context; a
        database error is left to Flask's path, which answers it as a problem."""
        with app.app_context(), force_locale(locale):
            session = app.extensions["db"].sessionmaker()
            try:
                # a read outside any request: SQLite must not take the write lock for it
                session.connection(execution_options={"sqlite_begin": "DEFERRED"})
                return store.synced(session, locale, utcnow())
            except SQLAlchemyError:
                return None
            finally:
                session.close()

    app.extensions["assembled_reads"][path] = checkpoint_list.assembler(
        store,
        path=path,
        max_age=app.config["SETTINGS"].public_cache_seconds,
        clock=app.extensions["response_cache"].clock,
        sync=sync,
    )


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
        both = [i for i in (state.checkpoint.id, state.checkpoint.paired_id) if i]
        crowds = crowd.current(session, both, now=now)
        equeues = equeue.by_checkpoint(session, both)
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
                "queues": [
                    present_queue(
                        q,
                        locale=locale,
                        now=now,
                        crowds=crowds,
                        facts=equeues.get(paired.id, []),
                    )
                    for q in paired_state.queues
                ],
            }
        plans = planned.upcoming(session, [state.checkpoint.id])
        item = present_checkpoint(
            state,
            names=names,
            plans=plans,
            equeues=equeues,
            locale=locale,
            now=now,
            crowds=crowds,
        )
        item["paired_queues"] = paired_queues
        item["closing"] = present_closing(outlook.closing(session, state.checkpoint, now=now))
        if (closing_turns_at := outlook.next_closing_change(state.checkpoint, now=now)) is not None:
            note_valid_until(closing_turns_at)  # the warning appears, its minutes count down
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


@blp.route("/checkpoints/<string:checkpoint_id>/typical")
class CheckpointTypicalWeek(MethodView):
    @cached_read
    @blp.arguments(TypicalArgs, location="query")
    @blp.response(200, TypicalWeekOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, args: dict[str, Any], checkpoint_id: str) -> typical.TypicalWeek:
        """The typical week of one direction and lane: when to cross

        For each weekday and hour in the checkpoint's own time zone, the median and 80th
        percentile wait over the last 8 weeks. Public holidays of both countries are left
        out: they are not typical. A cell resting on fewer than 3 hours of reports has no
        figures. `best` names the three quietest cells.
        ---
        The window is the 8 whole weeks before the current hour (`as_of`, UTC), so the
        answer changes on the hour even when no report arrives; the cached copy expires
        then. Hours come from `content.checkpoints.series`: the median of each hour's
        reports, or its rolled-up aggregate once the raw reports are pruned. 422 when the
        checkpoint has no such lane or direction.
        """
        now = utcnow()
        week = typical.typical_week(
            get_session(),
            checkpoint_id=checkpoint_id,
            direction=args["direction"],
            lane=args["lane"],
            now=now,
        )
        note_valid_until(week.as_of + timedelta(hours=1))  # the window moves on the hour
        return week


@blp.route("/checkpoints/<string:checkpoint_id>/forecast")
class CheckpointForecast(MethodView):
    @cached_read
    @blp.arguments(ForecastArgs, location="query")
    @blp.response(200, ForecastOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, args: dict[str, Any], checkpoint_id: str) -> dict[str, Any]:
        """Forecast waits for one direction and lane, hour by hour, with its own error

        Each hour has `p50` (the expected wait) and `p80` (not exceeded 4 times out of 5),
        in minutes. `accuracy` gives the mean absolute error of a rolling-origin backtest
        over the last 4 weeks at 1, 6 and 24 hours ahead, for the method served and for
        persistence (the last report carried forward) and the typical week. A forecast is
        shown only where it beats the typical week by at least 5 %; otherwise `shown` is
        false, `reason` says why in your language, and the points are the typical week's.
        ---
        Computed hourly by `flask forecast refresh` (the push worker runs it); a read is a
        lookup. A lane the checkpoint does not have is a 422.
        """
        now = utcnow()
        hour = now.replace(minute=0, second=0, microsecond=0)
        note_valid_until(hour + timedelta(hours=1))  # the current hour's point drops out
        view = forecast.get(
            get_session(),
            checkpoint_id,
            direction=args["direction"],
            lane=args["lane"],
            hours=args["hours"],
            now=now,
        )
        accuracy = view.accuracy
        return {
            "checkpoint": checkpoint_id,
            "direction": view.direction,
            "lane": view.lane,
            "points": view.points,
            "method": view.method,
            "shown": view.shown,
            "reason": gettext(view.reason_text) if view.reason_text else None,
            "reason_code": view.reason,
            "basis": view.basis,
            "accuracy": (
                {"h1": accuracy["1h"], "h6": accuracy["6h"], "h24": accuracy["24h"]}
                if accuracy
                else None
            ),
            "computed_at": view.computed_at,
            "demo": view.demo,
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


@blp.route("/checkpoints/<string:checkpoint_id>/equeue")
class CheckpointEqueue(MethodView):
    @limiter.limit(AGENCY_POSTS, key_func=agency_key)
    @idempotent_write
    @blp.arguments(EqueueIn)
    @blp.response(200, EqueuePostedOut)
    @blp.alt_response(201, schema=EqueuePostedOut, description="At least one fact is new")
    @blp.doc(security=[{"agencyKey": []}])
    @declare_errors(blp, 400, 401, 403, 404, 413, 415, 429)
    def post(self, body: dict[str, Any], checkpoint_id: str) -> Any:
        """Post e-queue facts of a checkpoint's lanes (border services)

        Per direction and lane: whether a slot must be booked, in which system, where
        (`booking_url`, https), and the vehicles in the waiting zone now. Each fact replaces
        the lane's whole; all are stored or none. The same key may post as for `/status`.
        Travellers see them in the list and the detail; a waiting-zone count for 2 hours.
        ---
        201 when at least one fact is new, 200 when all replaced existing ones.
        """
        poster = require_poster()
        now = utcnow()
        stored = equeue.set_(
            get_session(),
            actor=agency_actor(poster),
            poster=poster,
            checkpoint_id=checkpoint_id,
            facts=[equeue.EqueueInput(**item) for item in body["equeues"]],
            now=now,
        )
        answer = {
            "checkpoint": checkpoint_id,
            "equeues": [present_checkpoint_equeue(s.fact, now=now) for s in stored],
        }
        return answer, 201 if any(s.created for s in stored) else 200


@blp.route("/checkpoints/<string:checkpoint_id>/planned")
class CheckpointPlanned(MethodView):
    @limiter.limit(AGENCY_POSTS, key_func=agency_key)
    @idempotent_write
    @blp.arguments(PlannedIn)
    @blp.response(201, PlannedOut)
    @blp.doc(security=[{"agencyKey": []}])
    @declare_errors(blp, 400, 401, 403, 404, 409, 413, 415, 429)
    def post(self, body: dict[str, Any], checkpoint_id: str) -> Any:
        """Announce a closure or restriction ahead (border services)

        Followers are told at once. At `starts_at` it becomes the checkpoint's status; at
        `ends_at` the status it replaced comes back, unless a newer status was posted
        meanwhile. The same key may post as for `/status`; an overlapping plan is 409.
        Travellers see it in the list and the detail as `planned`.
        """
        poster = require_poster()
        entry = planned.announce(
            get_session(),
            actor=agency_actor(poster),
            poster=poster,
            checkpoint_id=checkpoint_id,
            state=body["state"],
            starts_at=body["starts_at"],
            ends_at=body["ends_at"],
            reason=body.get("reason"),
            message=body.get("message"),
        )
        return present_planned(entry)


@blp.route("/checkpoints/<string:checkpoint_id>/planned/<id:planned_id>")
class CheckpointPlannedEntry(MethodView):
    @limiter.limit(AGENCY_POSTS, key_func=agency_key)
    @commits
    @blp.response(204)
    @blp.doc(security=[{"agencyKey": []}])
    @declare_errors(blp, 401, 403, 404, 409, 429)
    def delete(self, checkpoint_id: str, planned_id: int) -> None:
        """Cancel a planned closure or restriction (border services)

        Before it starts, followers are told it is cancelled. Once started, it ends now:
        the status it replaced comes back, unless a newer status was posted. Cancelling
        it again answers 204 and changes nothing; one that has ended is 409.
        """
        poster = require_poster()
        planned.cancel(
            get_session(),
            actor=agency_actor(poster),
            poster=poster,
            checkpoint_id=checkpoint_id,
            planned_id=planned_id,
        )


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
                "method": r.report.method,
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
            method=item["method"],
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
