"""Translation status as editors read it, and the options that set it (shared by the
campaign and customs rule schemas)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload

from api.schemas.common import COUNTRY_CODE, QueryArgs
from content.translations.models import TranslationStatus
from content.translations.service import SEVERITY, TRACKED_LOCALES

STATUSES = [status.value for status in TranslationStatus]
#: the options of an item's writable `reference_locale`
REFERENCE_LOCALE: dict[str, Any] = {
    "validate": ma.validate.OneOf(TRACKED_LOCALES),
    "metadata": {
        "description": "The language the others are translated from (default ru): a change "
        "to its text marks that field outdated in every other language that has it"
    },
}
#: the options of an update's `minor_edit`
MINOR_EDIT: dict[str, Any] = {
    "metadata": {
        "description": "A minor edit, no change of meaning: a changed reference text marks "
        "no other language outdated, and counts as what they were confirmed against"
    },
}
#: the options of a list's `outdated_in` filter
OUTDATED_IN: dict[str, Any] = {
    "validate": ma.validate.OneOf(TRACKED_LOCALES),
    "metadata": {"description": "Only items with an outdated field in this language"},
}


class TranslationStatusOut(ma.Schema):
    status = ma.fields.String(
        metadata={
            "enum": STATUSES,
            "description": "The worst of its fields' statuses, worst first: "
            + ", ".join(s.value for s in SEVERITY),
        }
    )
    reference = ma.fields.Boolean(metadata={"description": "Whether it is the reference"})
    by_field = ma.fields.Dict(
        data_key="fields",
        attribute="fields",
        keys=ma.fields.String(),
        values=ma.fields.String(metadata={"enum": STATUSES}),
        metadata={
            "description": "Each field that applies (required, or in the reference): "
            "missing, draft, up_to_date, outdated (the reference changed since it was "
            "confirmed) or reviewed"
        },
    )


class ExchangeFileIn(ma.Schema):
    """A translator's PO file, as the multipart form field `file` (other fields are
    ignored: only files are read)."""

    class Meta:
        unknown = ma.EXCLUDE

    file = Upload(
        required=True,
        metadata={"description": "The PO file exported for this language, translated"},
    )


class RejectedUnitOut(ma.Schema):
    unit = ma.fields.String(metadata={"description": "The unit's msgctxt: kind/key/field"})
    reason = ma.fields.String(metadata={"description": "Why, in the caller's language"})


class ImportOut(ma.Schema):
    locale = ma.fields.String(metadata={"description": "The language imported into"})
    imported = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "The units written (msgctxt), now draft in that language"},
    )
    unchanged = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Units whose text was already the current one: left as they are"},
    )
    rejected = ma.fields.List(
        ma.fields.Nested(RejectedUnitOut),
        metadata={
            "description": "Units not imported: fuzzy, their reference text changed since "
            "export, too long, or naming no text of the file's items"
        },
    )
    versions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Each saved item's new version, as in its ETag, by key"},
    )


class RuleExportArgs(QueryArgs):
    country = ma.fields.String(
        validate=COUNTRY_CODE, metadata={"description": "Only this country's rules"}
    )
    key = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100)),
        metadata={"description": "Only these rules (repeat: ?key=a&key=b)"},
    )
