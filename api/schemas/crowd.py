"""Travellers' crowd reports: what a phone sends, and the crowd figure beside a queue."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import StrictSchema, WholeNumber
from content.checkpoints.models import Direction, DistanceBucket, Lane

#: the same bounds as an official wait
WAITED_RANGE = ma.validate.Range(min=0, max=4320)


class PositionIn(StrictSchema):
    lat = ma.fields.Float(
        required=True, allow_nan=False, validate=ma.validate.Range(min=-90, max=90)
    )
    lon = ma.fields.Float(
        required=True, allow_nan=False, validate=ma.validate.Range(min=-180, max=180)
    )


class CrowdReportIn(StrictSchema):
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    waited_minutes = WholeNumber(required=True, validate=WAITED_RANGE)
    crossed_at = ma.fields.AwareDateTime(
        required=True,
        metadata={
            "description": "When you got through: at most 2 hours ago; up to 5 minutes "
            "ahead is taken as now"
        },
    )
    position = ma.fields.Nested(
        PositionIn,
        required=True,
        metadata={
            "description": "Where the phone is: checked against the checkpoint's geofence "
            "(5 km plus its location's accuracy radius), then discarded; only the distance "
            "bucket is kept"
        },
    )


class CrowdReportOut(ma.Schema):
    id = ma.fields.Integer()
    checkpoint = ma.fields.String(attribute="checkpoint_id")
    direction = ma.fields.Enum(Direction, by_value=True)
    lane = ma.fields.Enum(Lane, by_value=True)
    waited_minutes = ma.fields.Integer()
    crossed_at = ma.fields.DateTime()
    distance = ma.fields.Enum(
        DistanceBucket,
        by_value=True,
        metadata={"description": "How far from the checkpoint you were: all that is kept"},
    )
    created_at = ma.fields.DateTime()


class CrowdOut(ma.Schema):
    median_minutes = ma.fields.Integer(
        metadata={"description": "The median of travellers' reports, outliers left out"}
    )
    reports = ma.fields.Integer(
        metadata={"description": "Distinct devices counted (at least 3), one report each"}
    )
    newest_at = ma.fields.DateTime(metadata={"description": "The newest counted crossing"})
