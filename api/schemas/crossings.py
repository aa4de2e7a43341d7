"""The best crossing into a country, by total time."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.checkpoints import LatLon, PairedCheckpointOut
from api.schemas.common import QueryArgs
from api.schemas.customs import COUNTRIES
from content.checkpoints.models import Lane
from content.checkpoints.outlook import Basis


class BestCrossingArgs(QueryArgs):
    """Unknown parameters are refused here, unlike the other reads: a misspelt
    `depart_at` would otherwise plan the trip for now without a word."""

    class Meta:
        unknown = ma.RAISE

    from_ = LatLon(
        data_key="from",
        required=True,
        metadata={"description": "Where the trip starts, lat,lon", "example": "43.24,76.95"},
    )
    to = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(COUNTRIES),
        metadata={"description": "The country to enter", "example": "KG"},
    )
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    depart_at = ma.fields.AwareDateTime(
        metadata={"description": "When the trip starts, with its time zone (default: now)"}
    )


class ExpectedWaitOut(ma.Schema):
    at = ma.fields.DateTime(metadata={"description": "The moment the wait is expected at"})
    p50 = ma.fields.Integer(
        allow_none=True, metadata={"description": "Median expected wait, minutes; null: unknown"}
    )
    p80 = ma.fields.Integer(
        allow_none=True,
        metadata={
            "description": "80th percentile, minutes; equal to p50 when it rests on one "
            "current report"
        },
    )
    basis = ma.fields.Enum(
        Basis,
        by_value=True,
        allow_none=True,
        metadata={
            "description": "current: a report under 2 hours old, for a moment within an hour "
            "of now; forecast: a stored forecast; typical: the same hour of the week over "
            "the last 8 weeks, holidays left out; null: unknown"
        },
    )


class DriveEstimateOut(ma.Schema):
    method = ma.fields.String(
        metadata={"description": "How drive times are estimated, in the reader's language"}
    )
    detour_factor = ma.fields.Float(
        metadata={"description": "Road distance taken as the straight line times this"}
    )
    speed_kmh = ma.fields.Float(metadata={"description": "Average driving speed assumed"})


class CrossingOut(ma.Schema):
    checkpoint = ma.fields.Nested(
        PairedCheckpointOut, metadata={"description": "Where you leave, on this side"}
    )
    partner = ma.fields.Nested(
        PairedCheckpointOut, metadata={"description": "Where you enter, across the border"}
    )
    distance_km = ma.fields.Float(
        metadata={"description": "Straight-line distance from `from` to the checkpoint"}
    )
    drive_minutes = ma.fields.Integer(
        metadata={"description": "Estimated from distance, not routed: see `drive`"}
    )
    exit_wait = ma.fields.Nested(
        ExpectedWaitOut, metadata={"description": "The exit queue at the checkpoint, on arrival"}
    )
    entry_wait = ma.fields.Nested(
        ExpectedWaitOut,
        metadata={"description": "The partner's entry queue, once through the exit queue"},
    )
    total_minutes = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Drive plus both median waits; null when a wait is unknown"},
    )
    range = ma.fields.List(
        ma.fields.Integer(),
        allow_none=True,
        validate=ma.validate.Length(equal=2),
        metadata={"description": "[total with median waits, total with 80th-percentile waits]"},
    )
    basis = ma.fields.Enum(
        Basis,
        by_value=True,
        allow_none=True,
        metadata={"description": "The weaker basis of the two waits; null when one is unknown"},
    )
    open_at_arrival = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "false when either side will be closed (a closed status, or the "
            "schedule); null when nothing tells (unknown hours, or restricted)"
        },
    )


class BestCrossingsOut(ma.Schema):
    items = ma.fields.List(
        ma.fields.Nested(CrossingOut),
        metadata={
            "description": "Closed at arrival last; before them, known totals before "
            "unknown ones; within each, open at arrival before unknown, then the shortest "
            "total (unknown totals: the shortest drive)"
        },
    )
    drive = ma.fields.Nested(DriveEstimateOut)
    depart_at = ma.fields.DateTime()
    as_of = ma.fields.DateTime()
