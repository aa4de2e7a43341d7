"""Staff sign-in: an email and a password for a bearer token."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import StrictSchema


class TokenIn(StrictSchema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=254))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=1, max=500)
    )


class TokenOut(ma.Schema):
    token = ma.fields.String()
    expires_at = ma.fields.DateTime()
    role = ma.fields.String()
