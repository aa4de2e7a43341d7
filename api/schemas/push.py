"""Broadcasts as editors write them, and the push statistics."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import StrictBoolean, StrictSchema, WholeNumber
from content.locales import KNOWN_LOCALES


class BroadcastText(StrictSchema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=400))


class BroadcastIn(StrictSchema):
    texts = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(KNOWN_LOCALES)),
        values=ma.fields.Nested(BroadcastText),
        required=True,
        metadata={"description": "A title and a body in every language"},
    )
    target = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["all", "country", "checkpoint"])
    )
    target_id = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=64),
        metadata={"description": "The country code or checkpoint id; required for those targets"},
    )
    send_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "Later, not in the past; now when left out"}
    )
    dry_run = StrictBoolean(
        load_default=False, metadata={"description": "Check everything and show the audience"}
    )
    confirm_audience = WholeNumber(
        allow_none=True,
        validate=ma.validate.Range(min=0),
        metadata={"description": "Required to send: the audience total that the dry run showed"},
    )


class BroadcastOut(ma.Schema):
    id = ma.fields.Integer(allow_none=True)
    dry_run = ma.fields.Boolean()
    audience = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    audience_total = ma.fields.Integer(
        metadata={"description": "Devices reached; repeat it as confirm_audience to send"}
    )
    send_at = ma.fields.DateTime(allow_none=True)


class PushDayOut(ma.Schema):
    day = ma.fields.String()
    kind = ma.fields.String()
    queued = ma.fields.Integer()
    sent = ma.fields.Integer()
    retried = ma.fields.Integer()
    dead = ma.fields.Integer()
    pruned = ma.fields.Integer()
    capped = ma.fields.Integer(
        metadata={"description": "Queue alerts held back by the hourly cap per device"}
    )


class PushStatsOut(ma.Schema):
    days = ma.fields.List(ma.fields.Nested(PushDayOut))
    pending = ma.fields.Integer()
    held = ma.fields.Integer(
        metadata={
            "description": "Of the pending: status messages held by the hourly cap per "
            "checkpoint; each goes, with the latest state, when the hour allows"
        }
    )
    oldest_due_seconds = ma.fields.Float()
