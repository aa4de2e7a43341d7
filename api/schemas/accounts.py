"""Staff users and agencies as administrators create them in the console, and how
freshly each agency reports."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import QueryArgs, RowId, StrictSchema
from api.schemas.customs import COUNTRIES
from content.accounts.models import Role
from content.checkpoints.freshness import MAX_DAYS

#: an address with one @ and no spaces; the mail server is the real check
EMAIL = [ma.validate.Length(min=3, max=254), ma.validate.Regexp(r"^[^@\s]+@[^@\s]+$")]


class UserCreateIn(StrictSchema):
    email = ma.fields.String(required=True, validate=EMAIL)
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=12, max=500)
    )
    role = ma.fields.Enum(Role, by_value=True, required=True)
    country = ma.fields.String(
        allow_none=True,
        validate=ma.validate.OneOf(COUNTRIES),
        metadata={"description": "Required for border officers"},
    )


class AgencyCreateIn(StrictSchema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    country = ma.fields.String(required=True, validate=ma.validate.OneOf(COUNTRIES))


class AgencyRevokeIn(StrictSchema):
    revoke = RowId(required=True, metadata={"description": "The agency whose keys end now"})


class FreshnessArgs(QueryArgs):
    days = ma.fields.Integer(
        load_default=7,
        validate=ma.validate.Range(min=1, max=MAX_DAYS),
        metadata={"description": "The window: this many days of whole hours before the current"},
    )


class CheckpointFreshnessOut(ma.Schema):
    id = ma.fields.String(metadata={"example": "kz-kordai"})
    name = ma.fields.String(metadata={"description": "In the reader's language"})
    fresh_hours = ma.fields.Integer(
        metadata={"description": "Hours of the window the agency's own reports kept fresh"}
    )
    fresh_share = ma.fields.Float(metadata={"description": "fresh_hours / hours", "example": 0.75})
    last_report_at = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "When its newest report in the window was posted"},
    )


class LastReportOut(ma.Schema):
    checkpoint = ma.fields.String(attribute="checkpoint_id")
    observed_at = ma.fields.DateTime()
    posted_at = ma.fields.DateTime()


class AgencyFreshnessOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    country = ma.fields.String(metadata={"example": "KZ"})
    checkpoints = ma.fields.List(
        ma.fields.Nested(CheckpointFreshnessOut),
        metadata={
            "description": "The checkpoints it may post for (its scope, or every checkpoint of "
            "its country with queue lanes)"
        },
    )
    fresh_share = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Share (0-1) of its checkpoint-hours that its own reports kept fresh "
            "(an hour is fresh when a report observed in it or the hour before was posted by "
            "its end); null when it has no checkpoint"
        },
    )
    median_report_age_minutes = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Median of posted_at − observed_at over its reports posted in the "
            "window: how old a figure is when it arrives; null without reports"
        },
    )
    reports = ma.fields.Integer(metadata={"description": "Its reports posted in the window"})
    last_report = ma.fields.Nested(
        LastReportOut,
        allow_none=True,
        metadata={"description": "Its newest report ever; null when it never posted one"},
    )


class FreshnessOut(ma.Schema):
    days = ma.fields.Integer()
    hours = ma.fields.Integer(metadata={"description": "Hours in the window (days × 24)"})
    start = ma.fields.DateTime(metadata={"description": "The window's start (UTC, inclusive)"})
    end = ma.fields.DateTime(
        metadata={"description": "The window's end (exclusive): the start of the current hour"}
    )
    items = ma.fields.List(ma.fields.Nested(AgencyFreshnessOut))
