"""Customs rules, controlled medicines and the allowance check."""

from __future__ import annotations

from datetime import date

import marshmallow as ma

from api.schemas.common import (
    COUNTRY_CODE,
    WEB_URL,
    QueryArgs,
    StrictBoolean,
    StrictSchema,
    WholeNumber,
)
from api.schemas.translations import MINOR_EDIT, OUTDATED_IN, REFERENCE_LOCALE, TranslationStatusOut
from content.customs.checker import UNITS, VERDICTS
from content.customs.models import (
    ABOVE_LIMIT,
    CATEGORIES,
    DATE_PRECISIONS,
    KINDS,
    RESIDENCY,
    SUBSTANCE_ACTIONS,
)
from content.locales import KNOWN_LOCALES
from content.translations import service as translations

DIRECTIONS = ("entry", "exit")
MODES = ("air", "road", "rail", "sea")
COUNTRIES = ("KZ", "KG", "TJ", "TM", "UZ")
#: a quantity or amount in a rule: no allowance comes near it, and every value in the
#: range can be formatted (1e308 could not be, and gave 500)
LIMIT_RANGE = ma.validate.Range(min=0, max=1e12)
#: a rule's or substance's key: lowercase latin letters and digits, joined by hyphens
KEY = [ma.validate.Length(max=100), ma.validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$")]
ALL_KINDS = sorted({kind for kinds in KINDS.values() for kind in kinds})


class RuleListArgs(QueryArgs):
    country = ma.fields.String(validate=COUNTRY_CODE, metadata={"example": "UZ"})
    direction = ma.fields.String(validate=ma.validate.OneOf(DIRECTIONS))
    mode = ma.fields.String(validate=ma.validate.OneOf(MODES))
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    on = ma.fields.Date(metadata={"description": "Rules in force on this day (default: today)"})


class SourceOut(ma.Schema):
    act = ma.fields.String()
    article = ma.fields.String()
    url = ma.fields.String()
    note = ma.fields.String()


class LimitOut(ma.Schema):
    quantity = ma.fields.Float(allow_none=True)
    unit = ma.fields.String(allow_none=True)
    hard_quantity = ma.fields.Float(allow_none=True)
    value = ma.fields.Float(allow_none=True)
    currency = ma.fields.String(allow_none=True)
    per = ma.fields.String()
    min_age = ma.fields.Integer(allow_none=True)
    kinds = ma.fields.List(
        ma.fields.String(),
        allow_none=True,
        metadata={"description": "The kinds of the category it is about; null: every kind"},
    )
    residency = ma.fields.String(
        metadata={"enum": list(RESIDENCY), "description": "non_resident: only non-residents"}
    )
    foreign_currency_only = ma.fields.Boolean(
        metadata={"description": "Cash: counts foreign currency only, not the country's own"}
    )
    text = ma.fields.String(allow_none=True, metadata={"description": "The limit, in words"})


class RuleOut(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "This version's id"})
    key = ma.fields.String(metadata={"description": "The rule's id across versions"})
    version = ma.fields.Integer()
    countries = ma.fields.List(ma.fields.String())
    scope = ma.fields.String()
    direction = ma.fields.String()
    mode = ma.fields.String()
    category = ma.fields.String()
    limit = ma.fields.Nested(LimitOut)
    above_limit = ma.fields.String()
    title = ma.fields.String()
    explanation = ma.fields.String()
    locale = ma.fields.String(
        metadata={
            "description": "The language of title and explanation: the reader's, or the "
            "fallback when that translation is missing or outdated"
        }
    )
    source = ma.fields.Nested(SourceOut)
    effective_from = ma.fields.Date()
    effective_from_precision = ma.fields.String(
        metadata={
            "enum": list(DATE_PRECISIONS),
            "description": "How much of effective_from a source confirms: the day, only the "
            "month or the year, or nothing (`unknown`: a placeholder date)",
        }
    )
    effective_to = ma.fields.Date(allow_none=True)
    demo = ma.fields.Boolean()


class RuleListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RuleOut))
    on = ma.fields.Date()
    as_of = ma.fields.DateTime()


class RuleDetailOut(RuleOut):
    versions = ma.fields.List(ma.fields.Nested(RuleOut))


class RuleAdminOut(RuleOut):
    titles = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    explanations = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    reference_locale = ma.fields.String(
        metadata={"description": "The language the others are translated from"}
    )
    translation_status = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(TranslationStatusOut),
        metadata={"description": "Per language, its translation status, overall and by field"},
    )


class RuleAdminListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RuleAdminOut))


class RuleAdminListArgs(QueryArgs):
    outdated_in = ma.fields.String(**OUTDATED_IN)


class MedicineArgs(QueryArgs):
    q = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=100))


class SubstanceRuleOut(ma.Schema):
    country = ma.fields.String()
    action = ma.fields.String(metadata={"enum": list(SUBSTANCE_ACTIONS)})
    max_quantity = ma.fields.Float(allow_none=True)
    unit = ma.fields.String(allow_none=True)
    source = ma.fields.Nested(SourceOut)


class SubstanceOut(ma.Schema):
    key = ma.fields.String()
    name = ma.fields.String(metadata={"description": "Its name in the reader's language"})
    names = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))
    rules = ma.fields.List(ma.fields.Nested(SubstanceRuleOut))


class SubstanceListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SubstanceOut))


class TravellerIn(StrictSchema):
    age = WholeNumber(validate=ma.validate.Range(min=0, max=130))
    resident_of = ma.fields.String(
        validate=COUNTRY_CODE,
        metadata={
            "example": "DE",
            "description": "The country the traveller lives in (ISO 3166 code). Some limits "
            "are for non-residents only; without it, they are applied.",
        },
    )


class CheckItemIn(StrictSchema):
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    quantity = ma.fields.Float(allow_nan=False)
    unit = ma.fields.String(validate=ma.validate.OneOf(list(UNITS)))
    value = ma.fields.Float(allow_nan=False)
    currency = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z]{3}$"))
    substance = ma.fields.String(validate=ma.validate.Length(min=2, max=100))
    has_prescription = StrictBoolean(load_default=False)
    kind = ma.fields.String(
        validate=ma.validate.OneOf(ALL_KINDS),
        metadata={
            "description": "What it is within its category: "
            + "; ".join(f"{category}: {', '.join(kinds)}" for category, kinds in KINDS.items())
            + ". Without it, the strictest allowance of the category applies."
        },
    )


class CheckIn(StrictSchema):
    country = ma.fields.String(required=True, validate=ma.validate.OneOf(COUNTRIES))
    direction = ma.fields.String(required=True, validate=ma.validate.OneOf(DIRECTIONS))
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(MODES))
    date = ma.fields.Date()
    traveller = ma.fields.Nested(TravellerIn, load_default=dict)
    items = ma.fields.List(
        ma.fields.Nested(CheckItemIn), required=True, validate=ma.validate.Length(min=1, max=50)
    )


class RuleRefOut(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String()
    title = ma.fields.String()
    source = ma.fields.Nested(SourceOut)
    effective_from = ma.fields.Date()
    effective_from_precision = ma.fields.String(metadata={"enum": list(DATE_PRECISIONS)})


class CheckItemOut(ma.Schema):
    index = ma.fields.Integer()
    category = ma.fields.String()
    verdict = ma.fields.String(metadata={"enum": list(VERDICTS)})
    verdict_text = ma.fields.String()
    reason = ma.fields.String()
    explanation = ma.fields.String()
    rules = ma.fields.List(ma.fields.Nested(RuleRefOut))
    substance = ma.fields.String(allow_none=True)
    substance_rule = ma.fields.Nested(
        SubstanceRuleOut,
        allow_none=True,
        metadata={"description": "What the country requires of the substance, and why"},
    )


class RateOut(ma.Schema):
    currency = ma.fields.String()
    per_usd = ma.fields.Float()
    as_of = ma.fields.Date()
    demo = ma.fields.Boolean()


class CheckOut(ma.Schema):
    country = ma.fields.String()
    direction = ma.fields.String()
    mode = ma.fields.String()
    date = ma.fields.Date()
    overall = ma.fields.String()
    overall_text = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(CheckItemOut))
    rates = ma.fields.List(ma.fields.Nested(RateOut))


#: the longest text of each translated field of a rule
_LIMITS = translations.LENGTH_LIMITS[translations.CUSTOMS_RULE]


class LocalizedText(ma.fields.Dict):
    """A rule's field in each language: {locale: text}, no text longer than `max_length`."""

    def __init__(self, *, max_length: int, **kwargs: object) -> None:
        super().__init__(
            keys=ma.fields.String(validate=ma.validate.OneOf(KNOWN_LOCALES)),
            values=ma.fields.String(validate=ma.validate.Length(min=1, max=max_length)),
            **kwargs,  # type: ignore[arg-type]  # marshmallow's field options
        )


class SourceIn(StrictSchema):
    act = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=500))
    article = ma.fields.String(validate=ma.validate.Length(max=300))
    url = ma.fields.String(required=True, validate=WEB_URL)
    note = ma.fields.String(validate=ma.validate.Length(max=2000))


class RuleIn(StrictSchema):
    countries = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(COUNTRIES)), validate=ma.validate.Length(min=1)
    )
    scope = ma.fields.String(validate=ma.validate.OneOf(["eaeu", "national"]))
    direction = ma.fields.String(validate=ma.validate.OneOf(["entry", "exit", "both"]))
    mode = ma.fields.String(validate=ma.validate.OneOf(["all", *MODES]))
    category = ma.fields.String(validate=ma.validate.OneOf(CATEGORIES))
    limit_quantity = ma.fields.Float(allow_none=True, validate=LIMIT_RANGE)
    limit_unit = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(list(UNITS)))
    hard_limit_quantity = ma.fields.Float(allow_none=True, validate=LIMIT_RANGE)
    limit_value = ma.fields.Float(allow_none=True, validate=LIMIT_RANGE)
    limit_currency = ma.fields.String(allow_none=True, validate=ma.validate.Regexp(r"^[A-Z]{3}$"))
    per = ma.fields.String(validate=ma.validate.OneOf(["person", "trip"]))
    min_age = WholeNumber(allow_none=True, validate=ma.validate.Range(0, 100))
    kinds = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(ALL_KINDS)),
        allow_none=True,
        validate=ma.validate.Length(min=1),
    )
    residency = ma.fields.String(validate=ma.validate.OneOf(RESIDENCY))
    foreign_currency_only = StrictBoolean()
    above_limit = ma.fields.String(validate=ma.validate.OneOf(ABOVE_LIMIT))
    titles = LocalizedText(max_length=_LIMITS["title"])
    explanations = LocalizedText(max_length=_LIMITS["explanation"])
    source = ma.fields.Nested(SourceIn)
    effective_from = ma.fields.Date()
    effective_from_precision = ma.fields.String(validate=ma.validate.OneOf(DATE_PRECISIONS))
    effective_to = ma.fields.Date(allow_none=True)
    reference_locale = ma.fields.String(**REFERENCE_LOCALE)
    minor_edit = StrictBoolean(**MINOR_EDIT)


class RuleCreateIn(RuleIn):
    class Meta(StrictSchema.Meta):
        exclude = ("minor_edit",)  # a new rule has no earlier text to be minor about

    key = ma.fields.String(required=True, validate=KEY)
    countries = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(COUNTRIES)),
        required=True,
        validate=ma.validate.Length(min=1),
    )
    direction = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["entry", "exit", "both"])
    )
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(["all", *MODES]))
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(CATEGORIES))
    titles = LocalizedText(max_length=_LIMITS["title"], required=True)
    source = ma.fields.Nested(SourceIn, required=True)
    effective_from = ma.fields.Date(required=True)
    effective_from_precision = ma.fields.String(
        required=True, validate=ma.validate.OneOf(DATE_PRECISIONS)
    )


class SubstanceRuleIn(StrictSchema):
    country = ma.fields.String(required=True, validate=ma.validate.OneOf(COUNTRIES))
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(SUBSTANCE_ACTIONS))
    max_quantity = ma.fields.Float(allow_none=True, validate=ma.validate.Range(min=0))
    unit = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(list(UNITS)))
    source = ma.fields.Dict()


class SubstanceIn(StrictSchema):
    names = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(KNOWN_LOCALES)),
        values=ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=2, max=100))),
        required=True,
    )
    rules = ma.fields.List(ma.fields.Nested(SubstanceRuleIn), load_default=list)


class RetireIn(StrictSchema):
    on = ma.fields.Date(
        required=True,
        validate=ma.validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31)),
        metadata={"description": "The first day on which the rule no longer applies"},
    )


class RetireArgs(QueryArgs):
    on = ma.fields.Date(
        metadata={
            "description": "The first day on which the rule no longer applies (today); "
            "after the day the rule starts (422 otherwise)"
        },
    )


class RateIn(StrictSchema):
    per_usd = ma.fields.Float(
        required=True, validate=ma.validate.Range(min=0, max=1e9, min_inclusive=False)
    )
    as_of = ma.fields.Date(required=True)
    source = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=300))
