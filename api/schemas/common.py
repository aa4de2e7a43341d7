"""Pieces every schema uses."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from api.openapi import MAX_ID
from content.locales import SERVED_LOCALES, canonical

COUNTRY_CODE = ma.validate.Regexp(r"^[A-Za-z]{2}$")
# A web address, by one pattern that validates it and documents it (as `pattern`): a
# format the document cannot state exactly ("url") would let it promise what is refused.
_HOST_PATH = r"://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?::\d{1,5})?(?:[/?#]\S*)?$"
WEB_URL = ma.validate.Regexp(rf"^https?{_HOST_PATH}", error="Not a valid URL.")
HTTPS_URL = ma.validate.Regexp(rf"^https{_HOST_PATH}", error="Not a valid URL.")


class WholeNumber(ma.fields.Integer):
    """An integer in a JSON body, as JSON Schema's `integer` means it: 12 and 12.0 are
    the same number; 12.5, "12" and true are refused, never truncated or parsed."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return int(value)


class StrictBoolean(ma.fields.Boolean):
    """true or false in a JSON body, as JSON Schema's `boolean` means it: 1, "true" and
    "yes" are refused, never read as true."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def RowId(**kwargs: Any) -> WholeNumber:  # reads as a field class
    """A reference to a row in a JSON body: 1 to MAX_ID, as the `id` path converter."""
    return WholeNumber(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)


class StrictSchema(ma.Schema):
    """An input schema: an unknown field is an error, not silently dropped."""

    class Meta:
        unknown = ma.RAISE


class VersionIn(StrictSchema):
    """The version a console editor read (the API takes it from If-Match)."""

    version = WholeNumber(required=True, validate=ma.validate.Range(min=1, max=MAX_ID))


class ServedLocale(ma.validate.OneOf):
    """One of the served locales, in any case and with `-` or `_` (``uz_cyrl``), as
    negotiation reads it."""

    def __init__(self) -> None:
        super().__init__(SERVED_LOCALES)

    def __call__(self, value: Any) -> Any:
        super().__call__(canonical(value) or value if isinstance(value, str) else value)
        return value


class QueryArgs(ma.Schema):
    """Query arguments. `lang` is read by locale negotiation; other unknown ones are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    lang = ma.fields.String(
        validate=ServedLocale(),
        metadata={
            "description": "Answer in this language (any case, `-` or `_`: `uz-Cyrl`, "
            "`kk_latn`); wins over Accept-Language"
        },
    )


class LocaleOut(ma.Schema):
    code = ma.fields.String(metadata={"example": "kk"})
    name = ma.fields.String(metadata={"description": "The language's name in itself"})


class LocaleListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LocaleOut))
    default = ma.fields.String()


class HealthOut(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})


class ReadyOut(HealthOut):
    database = ma.fields.String(metadata={"example": "ok"})
    redis = ma.fields.String(metadata={"description": "Only when REDIS_URL is set"})
