"""Staff users and agencies as administrators create them in the console."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import RowId, StrictSchema
from api.schemas.customs import COUNTRIES
from content.accounts.models import Role

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
