"""Campaigns as travellers read them and as editors write them."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from api.openapi import MAX_ID
from api.schemas.common import (
    COUNTRY_CODE,
    HTTPS_URL,
    QueryArgs,
    RowId,
    StrictBoolean,
    StrictSchema,
    WholeNumber,
)
from api.schemas.translations import MINOR_EDIT, OUTDATED_IN, REFERENCE_LOCALE, TranslationStatusOut
from content.campaigns.models import CampaignStatus
from content.locales import KNOWN_LOCALES
from content.translations import service as translations

REVISION_NUMBER = ma.validate.Range(min=1, max=MAX_ID)


class CampaignListArgs(QueryArgs):
    country = ma.fields.String(validate=COUNTRY_CODE)
    checkpoint = ma.fields.String(validate=ma.validate.Length(max=64))


class CallToAction(ma.Schema):
    label = ma.fields.String()
    url = ma.fields.String()


class CampaignSummaryOut(ma.Schema):
    slug = ma.fields.String()
    locale = ma.fields.String(metadata={"description": "The language actually served"})
    title = ma.fields.String()
    summary = ma.fields.String()
    image_url = ma.fields.String(allow_none=True)
    image_alt = ma.fields.String()
    call_to_action = ma.fields.Nested(CallToAction, allow_none=True)
    priority = ma.fields.Integer()
    countries = ma.fields.List(ma.fields.String())
    checkpoints = ma.fields.List(ma.fields.String())
    starts_at = ma.fields.DateTime(allow_none=True)
    ends_at = ma.fields.DateTime(allow_none=True)
    demo = ma.fields.Boolean()


class CampaignOut(CampaignSummaryOut):
    body_html = ma.fields.String(metadata={"description": "Sanitised HTML, safe to show"})
    body_markdown = ma.fields.String()
    sources = ma.fields.List(ma.fields.Dict())


#: what the console's phone preview shows: a campaign's texts as the public API serves them
PREVIEW_OUT = CampaignOut(
    only=("locale", "title", "summary", "image_url", "image_alt", "call_to_action", "body_html")
)


class CampaignListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CampaignSummaryOut))
    as_of = ma.fields.DateTime()


#: the longest text of each translated field of a campaign
_LIMITS = translations.LENGTH_LIMITS[translations.CAMPAIGN]


class TranslationIn(StrictSchema):
    title = ma.fields.String(validate=ma.validate.Length(max=_LIMITS["title"]))
    summary = ma.fields.String(validate=ma.validate.Length(max=_LIMITS["summary"]))
    body = ma.fields.String(validate=ma.validate.Length(max=_LIMITS["body"]))
    image_id = RowId(allow_none=True)
    image_alt = ma.fields.String(validate=ma.validate.Length(max=_LIMITS["image_alt"]))
    cta_label = ma.fields.String(
        allow_none=True, validate=ma.validate.Length(max=_LIMITS["cta_label"])
    )
    cta_url = ma.fields.String(allow_none=True, validate=[ma.validate.Length(max=500), HTTPS_URL])


class CampaignPreviewIn(TranslationIn):
    """One language's texts as the editor typed them; a field left out reads as saved."""

    locale = ma.fields.String(required=True, validate=ma.validate.OneOf(KNOWN_LOCALES))


class CampaignIn(StrictSchema):
    priority = WholeNumber(validate=ma.validate.Range(min=-1000, max=1000))
    countries = ma.fields.List(ma.fields.String(validate=COUNTRY_CODE))
    checkpoints = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=64)))
    starts_at = ma.fields.AwareDateTime(allow_none=True)
    ends_at = ma.fields.AwareDateTime(allow_none=True)
    translations = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(KNOWN_LOCALES)),
        values=ma.fields.Nested(TranslationIn),
    )
    reference_locale = ma.fields.String(**REFERENCE_LOCALE)
    minor_edit = StrictBoolean(**MINOR_EDIT)


class CampaignCreateIn(CampaignIn):
    class Meta(StrictSchema.Meta):
        exclude = ("minor_edit",)  # a new campaign has no earlier text to be minor about

    slug = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(max=100), ma.validate.Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$")],
    )


class TranslationOut(ma.Schema):
    title = ma.fields.String()
    summary = ma.fields.String()
    body = ma.fields.String()
    image_id = ma.fields.Integer(allow_none=True)
    image_alt = ma.fields.String()
    cta_label = ma.fields.String(allow_none=True)
    cta_url = ma.fields.String(allow_none=True)


class CampaignAdminOut(ma.Schema):
    slug = ma.fields.String()
    status = ma.fields.Enum(CampaignStatus, by_value=True)
    version = ma.fields.Integer()
    priority = ma.fields.Integer()
    countries = ma.fields.List(ma.fields.String())
    checkpoints = ma.fields.List(ma.fields.String())
    starts_at = ma.fields.DateTime(allow_none=True)
    ends_at = ma.fields.DateTime(allow_none=True)
    publish_at = ma.fields.DateTime(allow_none=True)
    unpublish_at = ma.fields.DateTime(allow_none=True)
    demo = ma.fields.Boolean()
    translations = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(TranslationOut))
    missing = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Per language, the required fields still empty"},
    )
    reference_locale = ma.fields.String(
        metadata={"description": "The language the others are translated from"}
    )
    translation_status = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(TranslationStatusOut),
        metadata={"description": "Per language, its translation status, overall and by field"},
    )


class CampaignAdminListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CampaignAdminOut))


class CampaignAdminListArgs(QueryArgs):
    outdated_in = ma.fields.String(**OUTDATED_IN)


class ScheduleIn(StrictSchema):
    publish_at = ma.fields.AwareDateTime(allow_none=True, required=True)
    unpublish_at = ma.fields.AwareDateTime(allow_none=True, required=True)


class RevisionOut(ma.Schema):
    number = ma.fields.Integer()
    author = ma.fields.String()
    created_at = ma.fields.DateTime()


class RevisionListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RevisionOut))


class DiffArgs(QueryArgs):
    from_ = ma.fields.Integer(data_key="from", required=True, validate=REVISION_NUMBER)
    to = ma.fields.Integer(required=True, validate=REVISION_NUMBER)


class DiffOut(ma.Schema):
    lines = ma.fields.List(ma.fields.String())


class ImageIn(ma.Schema):
    """Other form fields are ignored: only files are read."""

    class Meta:
        unknown = ma.EXCLUDE

    file = Upload(required=True, metadata={"description": "PNG, JPEG or WebP, at most 2 MB"})


class ImageOut(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.String()
    content_type = ma.fields.String()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
