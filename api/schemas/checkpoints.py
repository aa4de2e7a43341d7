"""What travellers read about checkpoints, and what border services post."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

import marshmallow as ma

from api.openapi import MAX_ID
from api.schemas.common import (
    COUNTRY_CODE,
    QueryArgs,
    StrictBoolean,
    StrictSchema,
    WholeNumber,
)
from api.schemas.crowd import CrowdOut
from content.checkpoints.models import Direction, Kind, Lane, Method, Reason, Source, State
from content.checkpoints.outlook import Basis
from content.checkpoints.service import POSTABLE_METHODS

WAIT_RANGE = ma.validate.Range(min=0, max=4320)
#: the methods a border service may post, in the enum's order
POSTED_METHODS = [m.value for m in Method if m in POSTABLE_METHODS]
#: Sanity bounds, not facts: no source gives the booth count of any checkpoint here, so
#: one bound holds everywhere. They refuse typos (500 lanes, 100,000 vehicles) and leave
#: wide room above what one crossing's queue can hold; per-checkpoint bounds come when
#: lane counts are sourced (content/seed/checkpoints.toml).
LANES_OPEN_RANGE = ma.validate.Range(min=0, max=60)
VEHICLES_WAITING_RANGE = ma.validate.Range(min=0, max=10_000)


_LAT = r"[+-]?(?:90(?:\.0+)?|[1-8]?\d(?:\.\d+)?)"
_LON = r"[+-]?(?:180(?:\.0+)?|(?:1[0-7]\d|[1-9]?\d)(?:\.\d+)?)"
LAT_LON = re.compile(rf"^{_LAT},{_LON}$")


class LatLon(ma.fields.Field):
    """``lat,lon`` in decimal degrees; the pattern alone keeps both in range."""

    default_error_messages = {"invalid": "Invalid value."}

    def __init__(self, *, metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        documented = {**(metadata or {}), "type": "string", "pattern": LAT_LON.pattern}
        super().__init__(metadata=documented, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[float, float]:
        if not isinstance(value, str) or not LAT_LON.match(value):
            raise self.make_error("invalid")
        lat_text, lon_text = value.split(",")
        return float(lat_text), float(lon_text)


class CheckpointListArgs(QueryArgs):
    country = ma.fields.String(validate=COUNTRY_CODE, metadata={"example": "KZ"})
    neighbor = ma.fields.String(validate=COUNTRY_CODE, metadata={"example": "KG"})
    kind = ma.fields.Enum(Kind, by_value=True)
    state = ma.fields.Enum(State, by_value=True)
    near = LatLon(metadata={"description": "lat,lon; sorts by distance", "example": "43.2,74.7"})
    changed_since = ma.fields.Integer(
        validate=ma.validate.Range(min=0, max=MAX_ID),  # data versions are integers
        metadata={"description": "A `cursor` from an earlier answer: only what changed since"},
    )
    radius_km = ma.fields.Float(
        load_default=100.0, validate=ma.validate.Range(min=0, max=5000, min_inclusive=False)
    )
    shape = ma.fields.String(
        data_key="fields",  # `fields` is the schema's own attribute
        validate=ma.validate.OneOf(["full", "summary"]),
        load_default="full",
        metadata={
            "description": "`summary`: only what a list screen shows (CheckpointSummary): "
            "name, place, open now, state and each lane's wait; about a quarter of the bytes"
        },
    )


class HistoryArgs(QueryArgs):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    from_ = ma.fields.AwareDateTime(
        data_key="from", metadata={"description": "Start (default: 24 hours before `to`)"}
    )
    to = ma.fields.AwareDateTime(metadata={"description": "End, exclusive (default: now)"})


class TypicalArgs(QueryArgs):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)


class LocationOut(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    accuracy_m = ma.fields.Integer(
        metadata={
            "description": "Radius in metres around lat/lon within which the post lies, as far "
            "as the sources tell (a town centre gets the distance to wherever the post can be). "
            "Draw it; do not route to the point as if it were the post.",
            "example": 3000,
        }
    )


class OpeningWindowOut(ma.Schema):
    days = ma.fields.List(ma.fields.Integer(), metadata={"description": "ISO weekdays, 1 = Monday"})
    opens = ma.fields.String(metadata={"example": "08:00"})
    closes = ma.fields.String(metadata={"example": "20:00"})


class HoursOut(ma.Schema):
    timezone = ma.fields.String(metadata={"example": "Asia/Almaty"})
    hours_known = ma.fields.Boolean(
        metadata={"description": "False when no source confirmed the opening hours"}
    )
    always_open = ma.fields.Boolean(
        allow_none=True,
        metadata={"description": "Open 24 hours every day; null when hours are unknown"},
    )
    schedule = ma.fields.List(
        ma.fields.Nested(OpeningWindowOut),
        allow_none=True,
        metadata={"description": "Opening windows; null when hours are unknown or always open"},
    )
    open_now = ma.fields.Boolean(
        allow_none=True, metadata={"description": "By the schedule; null when hours are unknown"}
    )


class StatusOut(ma.Schema):
    state = ma.fields.Enum(State, by_value=True)
    state_text = ma.fields.String(metadata={"description": "The state, in the reader's language"})
    reason = ma.fields.Enum(Reason, by_value=True, allow_none=True)
    reason_text = ma.fields.String(allow_none=True)
    message = ma.fields.String(
        allow_none=True, metadata={"description": "Free text as the border service posted it"}
    )
    since = ma.fields.DateTime(metadata={"description": "When the checkpoint entered this state"})
    updated_at = ma.fields.DateTime()
    demo = ma.fields.Boolean(metadata={"description": "True for demonstration data"})


class EqueueOut(ma.Schema):
    required = ma.fields.Boolean(
        metadata={"description": "A slot must be booked to cross (false: booking is optional)"}
    )
    system = ma.fields.String(
        allow_none=True, metadata={"description": "The e-queue's name", "example": "CarGoRuqsat"}
    )
    booking_url = ma.fields.String(
        allow_none=True, metadata={"description": "Where to book (https), the system's own site"}
    )
    vehicles_in_waiting_zone = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "Vehicles in the waiting zone as posted at `updated_at`; null when "
            "none was posted or it is over 2 hours old"
        },
    )
    updated_at = ma.fields.DateTime(metadata={"description": "When this fact was last set"})
    label = ma.fields.String(
        metadata={"description": "The fact in the reader's language: «Booking required in …»"}
    )
    direction = ma.fields.Enum(
        Direction,
        by_value=True,
        allow_none=True,
        metadata={"description": "null: its source names no direction (it may not apply to both)"},
    )


class CheckpointEqueueOut(EqueueOut):
    direction_text = ma.fields.String(
        metadata={"description": "The direction, or that none is stated, in the reader's language"}
    )
    lane = ma.fields.Enum(Lane, by_value=True)
    lane_text = ma.fields.String()


class QueueOut(ma.Schema):
    direction = ma.fields.Enum(Direction, by_value=True)
    direction_text = ma.fields.String()
    lane = ma.fields.Enum(Lane, by_value=True)
    lane_text = ma.fields.String()
    wait_minutes = ma.fields.Integer()
    wait_text = ma.fields.String(metadata={"example": "35 минут"})
    vehicles_waiting = ma.fields.Integer(allow_none=True)
    lanes_open = ma.fields.Integer(allow_none=True)
    observed_at = ma.fields.DateTime()
    stale = ma.fields.Boolean(
        metadata={"description": "Older than QUEUE_STALE_AFTER_MINUTES; shown, never re-stamped"}
    )
    demo = ma.fields.Boolean()
    source = ma.fields.Enum(
        Source,
        by_value=True,
        metadata={
            "description": "Who supplied the figure: `agency` (the border service: its key or "
            "an officer on the console), `crowd` (travellers), `equeue` (an e-queue system)"
        },
    )
    method = ma.fields.Enum(
        Method,
        by_value=True,
        metadata={
            "description": "How it was obtained: `officer_estimate`, `sensor`, `equeue` (read "
            "off an e-queue), `crowd_median` (the robust median of travellers' reports)"
        },
    )
    reported_by = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The posting agency's name; null for demo data and for a border "
            "officer on the console (whose service the console does not name)",
            "example": "State Border Service of Kazakhstan",
        },
    )

    crowd = ma.fields.Nested(
        CrowdOut,
        allow_none=True,
        metadata={
            "description": "What travellers report, beside the official figure (never "
            "instead of it): once at least 3 distinct devices reported a crossing in the "
            "last 2 hours; null otherwise"
        },
    )
    disputed = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "The crowd median and the official figure differ by more than "
            "max(30 minutes, 50 % of the official figure); null without a crowd figure"
        },
    )

    equeue = ma.fields.Nested(
        EqueueOut,
        allow_none=True,
        metadata={
            "description": "This lane's e-queue: whether a slot must be booked; null: none known"
        },
    )


class ReportingOut(ma.Schema):
    last_official_at = ma.fields.DateTime(
        metadata={"description": "When the newest official queue report was observed"}
    )
    fresh_hours_share_7d = ma.fields.Float(
        metadata={
            "description": "Share (0-1) of the last 168 whole UTC hours before the current "
            "one that were fresh: an official report observed in that hour or the hour "
            "before had been posted by the hour's end",
            "example": 0.8512,
        }
    )
    demo = ma.fields.Boolean(
        metadata={
            "description": "The newest official report was demo data: on a demo database the "
            "demo history counts as official"
        }
    )


NAME_VERIFIED = {
    "description": "False when no source confirms the name: show it as unverified, not as fact"
}


class PairedCheckpointOut(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    name_verified = ma.fields.Boolean(metadata=NAME_VERIFIED)
    country = ma.fields.String()


class PlannedOut(ma.Schema):
    id = ma.fields.Integer()
    checkpoint = ma.fields.String(attribute="checkpoint_id")
    state = ma.fields.Enum(State, by_value=True)
    state_text = ma.fields.String(metadata={"description": "The state, in the reader's language"})
    reason = ma.fields.Enum(Reason, by_value=True, allow_none=True)
    reason_text = ma.fields.String(allow_none=True)
    message = ma.fields.String(
        allow_none=True, metadata={"description": "Free text as the border service posted it"}
    )
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    started = ma.fields.Boolean(
        metadata={"description": "True once it is the checkpoint's status (until ends_at)"}
    )
    demo = ma.fields.Boolean(metadata={"description": "True for demonstration data"})


class CheckpointOut(ma.Schema):
    id = ma.fields.String(metadata={"example": "kz-kordai"})
    name = ma.fields.String()
    name_verified = ma.fields.Boolean(metadata=NAME_VERIFIED)
    country = ma.fields.String()
    neighbor = ma.fields.String(allow_none=True)
    kind = ma.fields.Enum(Kind, by_value=True)
    location = ma.fields.Nested(LocationOut)
    paired = ma.fields.Nested(PairedCheckpointOut, allow_none=True)
    hours = ma.fields.Nested(HoursOut)
    lanes = ma.fields.List(
        ma.fields.String(), metadata={"description": "Lanes: car, truck, bus, pedestrian"}
    )
    directions = ma.fields.List(
        ma.fields.String(), metadata={"description": "Directions: exit, entry"}
    )
    status = ma.fields.Nested(StatusOut, allow_none=True)
    queues = ma.fields.List(ma.fields.Nested(QueueOut))
    reporting = ma.fields.Nested(
        ReportingOut,
        allow_none=True,
        metadata={
            "description": "How steadily official queue reports arrive; null when none ever did"
        },
    )
    planned = ma.fields.List(
        ma.fields.Nested(PlannedOut),
        metadata={
            "description": "Closures and restrictions announced ahead that have not ended, "
            "the one in progress (started) first"
        },
    )
    equeues = ma.fields.List(
        ma.fields.Nested(CheckpointEqueueOut),
        metadata={
            "description": "Every e-queue fact of its lanes, with or without a current queue"
        },
    )
    distance_km = ma.fields.Float(
        metadata={"description": "Only with `near`: distance from that point"}
    )


class PairedQueuesOut(PairedCheckpointOut):
    status = ma.fields.Nested(StatusOut, allow_none=True)
    queues = ma.fields.List(
        ma.fields.Nested(QueueOut),
        metadata={"description": "The partner's queues in the direction that continues yours"},
    )


class ClosingOut(ma.Schema):
    closes_at = ma.fields.DateTime(metadata={"description": "When the schedule closes it"})
    minutes_left = ma.fields.Integer()
    wait_minutes = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The longest median wait expected now among its lanes"},
    )
    likely_to_clear = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "Whether that wait fits in the time left; null when no lane's wait "
            "is known"
        },
    )
    basis = ma.fields.Enum(
        Basis,
        by_value=True,
        allow_none=True,
        metadata={"description": "What the wait rests on (as in /v1/crossings/best)"},
    )


class CheckpointDetailOut(CheckpointOut):
    paired_queues = ma.fields.Nested(PairedQueuesOut, allow_none=True)
    closing = ma.fields.Nested(
        ClosingOut,
        allow_none=True,
        metadata={
            "description": "Only for a checkpoint with limited, known hours that closes within "
            "6 hours; null otherwise"
        },
    )


def _codes(enum: type[Enum]) -> ma.validate.OneOf:
    """An enum's codes, documented as the field's `enum`: the summary is cut from the full
    item once dumped, so it holds the codes, not the members."""
    return ma.validate.OneOf([member.value for member in enum])


class PlaceOut(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class SummaryStatusOut(ma.Schema):
    state = ma.fields.String(validate=_codes(State))
    state_text = ma.fields.String()


class SummaryQueueOut(ma.Schema):
    direction = ma.fields.String(validate=_codes(Direction))
    lane = ma.fields.String(validate=_codes(Lane))
    wait_minutes = ma.fields.Integer()
    wait_text = ma.fields.String(metadata={"example": "1 сағат 30 минут"})
    stale = ma.fields.Boolean()


class CheckpointSummaryOut(ma.Schema):
    """A list item with `fields=summary`: what a list screen shows, for slow networks."""

    id = ma.fields.String(metadata={"example": "kz-kordai"})
    name = ma.fields.String()
    country = ma.fields.String()
    kind = ma.fields.String(validate=_codes(Kind))
    location = ma.fields.Nested(PlaceOut)
    open_now = ma.fields.Boolean(
        allow_none=True, metadata={"description": "As hours.open_now of the full item"}
    )
    status = ma.fields.Nested(SummaryStatusOut, allow_none=True)
    queues = ma.fields.List(ma.fields.Nested(SummaryQueueOut))
    distance_km = ma.fields.Float()


class CheckpointSummaryListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CheckpointSummaryOut))
    as_of = ma.fields.DateTime()
    cursor = ma.fields.Integer()


class CheckpointListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CheckpointOut))
    as_of = ma.fields.DateTime(metadata={"description": "When this answer's data was current"})
    cursor = ma.fields.Integer(
        metadata={"description": "Send as `changed_since` to get only what changes after this"}
    )


class HourBucketOut(ma.Schema):
    hour = ma.fields.DateTime()
    min_wait = ma.fields.Integer()
    median_wait = ma.fields.Float()
    max_wait = ma.fields.Integer()
    reports = ma.fields.Integer()


class HistoryOut(ma.Schema):
    checkpoint = ma.fields.String()
    direction = ma.fields.Enum(Direction, by_value=True)
    lane = ma.fields.Enum(Lane, by_value=True)
    from_ = ma.fields.DateTime(data_key="from")
    to = ma.fields.DateTime()
    items = ma.fields.List(ma.fields.Nested(HourBucketOut))
    as_of = ma.fields.DateTime()


MINUTES_OR_NULL = "Minutes; null when the cell has fewer than 3 samples"


class TypicalCellOut(ma.Schema):
    weekday = ma.fields.Integer(
        metadata={"description": "0 = Monday … 6 = Sunday, in the checkpoint's time zone"}
    )
    hour = ma.fields.Integer(
        metadata={"description": "0-23: the hour starting then, in the checkpoint's time zone"}
    )
    p50 = ma.fields.Float(
        allow_none=True, metadata={"description": f"Median wait. {MINUTES_OR_NULL}"}
    )
    p80 = ma.fields.Float(
        allow_none=True,
        metadata={"description": f"80th percentile: 4 waits in 5 were shorter. {MINUTES_OR_NULL}"},
    )
    samples = ma.fields.Integer(
        metadata={"description": "Hours in the window with a reported wait, holidays left out"}
    )


class TypicalBestOut(ma.Schema):
    weekday = ma.fields.Integer()
    hour = ma.fields.Integer()
    p50 = ma.fields.Float(metadata={"description": "Median wait in minutes"})


class TypicalWeekOut(ma.Schema):
    checkpoint = ma.fields.String(metadata={"example": "kz-kordai"})
    direction = ma.fields.Enum(Direction, by_value=True)
    lane = ma.fields.Enum(Lane, by_value=True)
    timezone = ma.fields.String(
        metadata={"description": "IANA time zone of `weekday` and `hour`", "example": "Asia/Almaty"}
    )
    weeks = ma.fields.Integer(metadata={"description": "Weeks the window spans", "example": 8})
    cells = ma.fields.List(
        ma.fields.Nested(TypicalCellOut),
        metadata={"description": "168 cells, Monday 00:00 first"},
    )
    best = ma.fields.List(
        ma.fields.Nested(TypicalBestOut),
        metadata={"description": "Up to 3 cells with the lowest median wait, lowest first"},
    )
    as_of = ma.fields.DateTime(
        metadata={
            "description": "End of the window (exclusive, UTC): the start of the current hour; "
            "the window is the `weeks` whole weeks before it"
        }
    )


class StatusIn(StrictSchema):
    state = ma.fields.Enum(State, by_value=True, required=True)
    reason = ma.fields.Enum(Reason, by_value=True, allow_none=True)
    message = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=500))


class PlannedIn(StrictSchema):
    state = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([State.CLOSED.value, State.RESTRICTED.value]),
        metadata={"description": "closed or restricted: reopening is posted, not planned"},
    )
    starts_at = ma.fields.AwareDateTime(
        required=True,
        metadata={"description": "Not in the past (5 minutes' grace), at most a year ahead"},
    )
    ends_at = ma.fields.AwareDateTime(
        required=True,
        metadata={
            "description": "After starts_at, at most a year later; then the status "
            "it replaced comes back"
        },
    )
    reason = ma.fields.Enum(Reason, by_value=True, allow_none=True)
    message = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=500))

    @ma.post_load
    def _as_state(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Documented as the two plannable states, handed on as a State."""
        data["state"] = State(data["state"])
        return data


class StatusPostedOut(ma.Schema):
    id = ma.fields.Integer()
    checkpoint = ma.fields.String(attribute="checkpoint_id")
    state = ma.fields.Enum(State, by_value=True)
    reason = ma.fields.Enum(Reason, by_value=True, allow_none=True)
    message = ma.fields.String(allow_none=True)
    posted_at = ma.fields.DateTime()


class QueueReportIn(StrictSchema):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    wait_minutes = WholeNumber(required=True, validate=WAIT_RANGE)
    vehicles_waiting = WholeNumber(allow_none=True, validate=VEHICLES_WAITING_RANGE)
    lanes_open = WholeNumber(allow_none=True, validate=LANES_OPEN_RANGE)
    observed_at = ma.fields.AwareDateTime(
        required=True,
        metadata={"description": "Up to 5 minutes ahead is taken as now; later: 422"},
    )
    method = ma.fields.String(
        load_default=Method.OFFICER_ESTIMATE.value,
        validate=ma.validate.OneOf(POSTED_METHODS),
        metadata={
            "description": "How the wait was obtained: an officer's estimate (the default), "
            "a sensor, or read off an e-queue. `crowd_median` is what travellers' reports "
            "make, never posted"
        },
    )

    @ma.post_load
    def _as_method(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Documented as the methods a border service may post, handed on as a Method."""
        data["method"] = Method(data["method"])
        return data


class QueueReportsIn(StrictSchema):
    reports = ma.fields.List(
        ma.fields.Nested(QueueReportIn), required=True, validate=ma.validate.Length(min=1, max=100)
    )


class BatchQueueReportIn(QueueReportIn):
    checkpoint = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))


class BatchQueueReportsIn(StrictSchema):
    reports = ma.fields.List(
        ma.fields.Nested(BatchQueueReportIn),
        required=True,
        validate=ma.validate.Length(min=1, max=1000),
    )


class QueueReportPostedOut(ma.Schema):
    id = ma.fields.Integer()
    checkpoint = ma.fields.String()
    direction = ma.fields.Enum(Direction, by_value=True)
    lane = ma.fields.Enum(Lane, by_value=True)
    wait_minutes = ma.fields.Integer()
    vehicles_waiting = ma.fields.Integer(allow_none=True)
    lanes_open = ma.fields.Integer(allow_none=True)
    observed_at = ma.fields.DateTime()
    posted_at = ma.fields.DateTime()
    method = ma.fields.Enum(Method, by_value=True)
    current = ma.fields.Boolean(
        metadata={
            "description": "False when a newer report for this lane was already current: "
            "this one is kept as history only"
        }
    )


class QueueReportsPostedOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(QueueReportPostedOut))


#: an https address in printable ASCII: `\S` would mean other characters in Python than in
#: the document's (ECMA) pattern (\x1c-\x1f are whitespace to one, not to the other)
BOOKING_URL = ma.validate.Regexp(
    r"^https://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?::\d{1,5})?(?:[/?#][!-~]*)?$",
    error="Not a valid URL.",
)


class EqueueItemIn(StrictSchema):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    required = StrictBoolean(
        required=True, metadata={"description": "A slot must be booked to cross"}
    )
    system = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"example": "CarGoRuqsat"},
    )
    booking_url = ma.fields.String(
        allow_none=True,
        validate=[ma.validate.Length(max=500), BOOKING_URL],
        metadata={
            "description": "https only; the system's own site, never a mirror or a proxy",
            "example": "https://cgr.qoldau.kz/",
        },
    )
    vehicles_in_waiting_zone = WholeNumber(
        allow_none=True,
        validate=VEHICLES_WAITING_RANGE,
        metadata={"description": "Counted now; shown to travellers for 2 hours"},
    )


class EqueueIn(StrictSchema):
    equeues = ma.fields.List(
        ma.fields.Nested(EqueueItemIn),
        required=True,
        validate=ma.validate.Length(min=1, max=20),
        metadata={"description": "One fact per direction and lane, each replaced whole"},
    )


class EqueuePostedOut(ma.Schema):
    checkpoint = ma.fields.String()
    equeues = ma.fields.List(ma.fields.Nested(CheckpointEqueueOut))


class EqueueFactIn(EqueueItemIn):
    """An admin's fact in the console: for any checkpoint, and the direction may be
    unstated (null) when the source names none."""

    checkpoint = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    direction = ma.fields.Enum(Direction, by_value=True, required=True, allow_none=True)


class ForecastArgs(QueryArgs):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    hours = ma.fields.Integer(
        load_default=24,
        validate=ma.validate.Range(min=1, max=24),
        metadata={"description": "How many hours ahead, from the current hour"},
    )


FORECAST_METHODS = ("persistence", "seasonal", "blend", "model")


class ForecastPointOut(ma.Schema):
    at = ma.fields.DateTime(metadata={"description": "The start of the hour (UTC)"})
    p50 = ma.fields.Float(
        allow_none=True, metadata={"description": "Expected wait, minutes; null when unknown"}
    )
    p80 = ma.fields.Float(
        allow_none=True,
        metadata={"description": "The wait not exceeded 4 times out of 5, minutes"},
    )
    method = ma.fields.String(
        validate=ma.validate.OneOf(FORECAST_METHODS),
        metadata={"description": "What computed this hour; `seasonal` is the typical week"},
    )


class HorizonAccuracyOut(ma.Schema):
    mae_minutes = ma.fields.Float(
        allow_none=True, metadata={"description": "Backtest MAE of the method served"}
    )
    persistence_mae = ma.fields.Float(allow_none=True)
    seasonal_mae = ma.fields.Float(allow_none=True)
    blend_mae = ma.fields.Float(allow_none=True)
    model_mae = ma.fields.Float(allow_none=True)
    evaluated_hours = ma.fields.Integer(
        metadata={"description": "Backtest origins scored at this horizon (last 4 weeks)"}
    )
    method = ma.fields.String(
        validate=ma.validate.OneOf(FORECAST_METHODS),
        metadata={"description": "The method with the lowest MAE at this horizon"},
    )
    earned = ma.fields.Boolean(
        metadata={"description": "It beats the typical week by at least 5 % here"}
    )


class ForecastAccuracyOut(ma.Schema):
    h1 = ma.fields.Nested(HorizonAccuracyOut, data_key="1h")
    h6 = ma.fields.Nested(HorizonAccuracyOut, data_key="6h")
    h24 = ma.fields.Nested(HorizonAccuracyOut, data_key="24h")


class ForecastOut(ma.Schema):
    checkpoint = ma.fields.String()
    direction = ma.fields.Enum(Direction, by_value=True)
    lane = ma.fields.Enum(Lane, by_value=True)
    points = ma.fields.List(ma.fields.Nested(ForecastPointOut))
    method = ma.fields.String(
        validate=ma.validate.OneOf(FORECAST_METHODS),
        metadata={"description": "The method of the first point"},
    )
    shown = ma.fields.Boolean(
        metadata={"description": "False: no method earned it, and the points are the typical week"}
    )
    reason = ma.fields.String(
        allow_none=True, metadata={"description": "Why it is not (wholly) shown, in your language"}
    )
    reason_code = ma.fields.String(
        allow_none=True,
        validate=ma.validate.OneOf(
            ["not_enough_history", "no_method_beats_typical", "partial", "not_current"]
        ),
    )
    basis = ma.fields.String(
        validate=ma.validate.OneOf(["forecast", "typical"]),
        metadata={"description": "`typical` when the points are the typical week's"},
    )
    accuracy = ma.fields.Nested(
        ForecastAccuracyOut,
        allow_none=True,
        metadata={"description": "Rolling-origin backtest over the last 4 weeks; null when none"},
    )
    computed_at = ma.fields.DateTime(allow_none=True)
    demo = ma.fields.Boolean(metadata={"description": "Computed from demo data"})
    as_of = ma.fields.DateTime()
