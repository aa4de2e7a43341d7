"""Pieces every schema uses."""

from __future__ import annotations

import marshmallow as ma

from api.i18n import KNOWN_LOCALES

COUNTRY_CODE = ma.validate.Regexp(r"^[A-Za-z]{2}$")


class StrictSchema(ma.Schema):
    """An input schema: an unknown field is an error, not silently dropped."""

    class Meta:
        unknown = ma.RAISE


class QueryArgs(ma.Schema):
    """Query arguments. `lang` is read by locale negotiation; other unknown ones are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    lang = ma.fields.String(
        validate=ma.validate.OneOf(KNOWN_LOCALES),
        metadata={"description": "Answer in this language; wins over Accept-Language"},
    )


class LocaleOut(ma.Schema):
    code = ma.fields.String(metadata={"example": "kk"})
    name = ma.fields.String(metadata={"description": "The language's name in itself"})


class LocaleListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LocaleOut))
    default = ma.fields.String()
