"""What travellers read about checkpoints, and what border services post."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma

from api.openapi import MAX_ID
from api.schemas.common import COUNTRY_CODE, QueryArgs, StrictSchema, WholeNumber
from content.checkpoints.models import Direction, Kind, Lane, Reason, State
from content.checkpoints.outlook import Basis

WAIT_RANGE = ma.validate.Range(min=0, max=4320)
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


class HistoryArgs(QueryArgs):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    from_ = ma.fields.AwareDateTime(
        data_key="from", metadata={"description": "Start (default: 24 hours before `to`)"}
    )
    to = ma.fields.AwareDateTime(metadata={"description": "End, exclusive (default: now)"})


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


NAME_VERIFIED = {
    "description": "False when no source confirms the name: show it as unverified, not as fact"
}


class PairedCheckpointOut(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    name_verified = ma.fields.Boolean(metadata=NAME_VERIFIED)
    country = ma.fields.String()


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


class StatusIn(StrictSchema):
    state = ma.fields.Enum(State, by_value=True, required=True)
    reason = ma.fields.Enum(Reason, by_value=True, allow_none=True)
    message = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=500))


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
    current = ma.fields.Boolean(
        metadata={
            "description": "False when a newer report for this lane was already current: "
            "this one is kept as history only"
        }
    )


class QueueReportsPostedOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(QueueReportPostedOut))
