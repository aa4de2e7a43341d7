"""Devices, follows and queue alerts, as the app sends and reads them."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import StrictSchema, WholeNumber
from content.checkpoints.models import Direction, Lane
from content.locales import SERVED_LOCALES
from push.models import Platform

CLOCK = ma.validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$")


class DeviceIn(StrictSchema):
    """A token, an installation ID, or both (at least one)."""

    class Meta(StrictSchema.Meta):
        json_schema = {"anyOf": [{"required": ["token"]}, {"required": ["fid"]}]}

    token = ma.fields.String(
        validate=ma.validate.Length(min=1, max=1024),
        load_only=True,
        metadata={
            "description": "The FCM registration token; never returned. Topic messages "
            "(status changes, broadcasts) need it"
        },
    )
    fid = ma.fields.String(
        validate=ma.validate.Length(min=1, max=1024),
        load_only=True,
        metadata={
            "description": "The Firebase installation ID; never returned. Messages to this "
            "device alone (queue alerts) go to it when given"
        },
    )
    platform = ma.fields.Enum(Platform, by_value=True, required=True)
    locale = ma.fields.String(required=True, validate=ma.validate.OneOf(SERVED_LOCALES))
    app_version = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32))

    @ma.validates_schema
    def _token_or_fid(self, data: dict, **_: object) -> None:
        if not (data.get("token") or data.get("fid")):
            missing = "Missing data for required field."  # translated with marshmallow's own
            raise ma.ValidationError({"token": [missing], "fid": [missing]})


class DeviceRegisteredOut(ma.Schema):
    id = ma.fields.Integer()
    secret = ma.fields.String(
        metadata={"description": "Shown once: send it as `Authorization: Device <secret>`"}
    )


class QuietHours(StrictSchema):
    start = ma.fields.String(required=True, validate=CLOCK, metadata={"example": "22:00"})
    end = ma.fields.String(required=True, validate=CLOCK, metadata={"example": "07:00"})


class DevicePatchIn(StrictSchema):
    token = ma.fields.String(
        validate=ma.validate.Length(min=1, max=1024),
        load_only=True,
        metadata={"description": "A refreshed FCM token"},
    )
    fid = ma.fields.String(
        validate=ma.validate.Length(min=1, max=1024),
        load_only=True,
        metadata={"description": "The Firebase installation ID"},
    )
    locale = ma.fields.String(validate=ma.validate.OneOf(SERVED_LOCALES))
    app_version = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32))
    timezone = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "An IANA time zone", "example": "Asia/Almaty"},
    )
    quiet_hours = ma.fields.Nested(
        QuietHours,
        allow_none=True,
        metadata={"description": "Queue alerts wait; closures still come through"},
    )


class AlertIn(StrictSchema):
    checkpoint = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    direction = ma.fields.Enum(Direction, by_value=True, required=True)
    lane = ma.fields.Enum(Lane, by_value=True, required=True)
    below_minutes = WholeNumber(required=True, validate=ma.validate.Range(min=1, max=4320))
    expires_in_hours = WholeNumber(load_default=24, validate=ma.validate.Range(min=1, max=168))


class AlertOut(ma.Schema):
    id = ma.fields.Integer()
    checkpoint = ma.fields.String(attribute="checkpoint_id")
    direction = ma.fields.Enum(Direction, by_value=True)
    lane = ma.fields.Enum(Lane, by_value=True)
    below_minutes = ma.fields.Integer()
    armed = ma.fields.Boolean(
        metadata={"description": "False after firing, until the wait rises above it again"}
    )
    expires_at = ma.fields.DateTime()
    fired_at = ma.fields.DateTime(allow_none=True)


class DeviceOut(ma.Schema):
    id = ma.fields.Integer()
    platform = ma.fields.Enum(Platform, by_value=True)
    locale = ma.fields.String()
    app_version = ma.fields.String(allow_none=True)
    timezone = ma.fields.String(allow_none=True)
    quiet_hours = ma.fields.Nested(QuietHours, allow_none=True)
    follows = ma.fields.List(ma.fields.String())
    alerts = ma.fields.List(ma.fields.Nested(AlertOut))
    created_at = ma.fields.DateTime()
