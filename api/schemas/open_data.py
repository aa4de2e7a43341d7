"""What the open-data catalogue lists, and the queries of its downloads."""

from __future__ import annotations

import marshmallow as ma

from api.schemas.common import QueryArgs


class QueuesCsvArgs(QueryArgs):
    checkpoint = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"example": "kz-kordai"},
    )
    from_ = ma.fields.AwareDateTime(
        data_key="from", required=True, metadata={"description": "Start (inclusive), with offset"}
    )
    to = ma.fields.AwareDateTime(
        required=True, metadata={"description": "End (exclusive); at most 31 days after `from`"}
    )


class FieldOut(ma.Schema):
    name = ma.fields.String(metadata={"example": "median_minutes"})
    type = ma.fields.String(
        validate=ma.validate.OneOf(["string", "integer", "number", "boolean", "datetime"])
    )
    unit = ma.fields.String(allow_none=True, metadata={"example": "minutes"})


class DatasetOut(ma.Schema):
    id = ma.fields.String(metadata={"example": "queues"})
    title = ma.fields.String(metadata={"description": "In the reader's language"})
    description = ma.fields.String(metadata={"description": "In the reader's language"})
    format = ma.fields.String(metadata={"example": "text/csv"})
    url_template = ma.fields.String(
        metadata={
            "description": "RFC 6570 URI template of a download",
            "example": "/v1/open-data/queues.csv{?checkpoint,from,to}",
        }
    )
    parameters = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"description": "What each template variable takes"},
    )
    max_range_days = ma.fields.Integer(metadata={"example": 31})
    # `fields` would shadow the schema's own attribute
    columns = ma.fields.List(
        ma.fields.Nested(FieldOut), data_key="fields", metadata={"description": "The columns"}
    )


class LicenceOut(ma.Schema):
    id = ma.fields.String(metadata={"example": "CC-BY-4.0"})
    name = ma.fields.String()
    url = ma.fields.String(metadata={"example": "https://creativecommons.org/licenses/by/4.0/"})


class OpenDataOut(ma.Schema):
    datasets = ma.fields.List(ma.fields.Nested(DatasetOut))
    licence = ma.fields.Nested(LicenceOut)
    attribution = ma.fields.String(
        metadata={"description": "How to credit the data, in the reader's language"}
    )
