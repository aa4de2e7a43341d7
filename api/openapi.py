"""How the OpenAPI document says what the code does: bounded ids in paths, ranges that
exclude their bounds, and the keys a mapping accepts.

Its own module because both the router (the `id` converter) and the spec generator
(apispec's marshmallow plugin) need it, and neither belongs to one blueprint.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Flask
from flask_smorest import Api
from werkzeug.routing import IntegerConverter, Map

#: the largest id a row can have: PostgreSQL's `integer`, which every id column is
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<id:device_id>``: a row id, 1 to MAX_ID. Anything else matches no route (404)
    instead of reaching the database as a number it cannot hold."""

    def __init__(self, map: Map) -> None:  # werkzeug's parameter name
        super().__init__(map, min=1, max=MAX_ID)


def exclusive_ranges(self: Any, field: ma.fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
    """apispec documents ``Range(min_inclusive=False)`` as an inclusive ``minimum``;
    OpenAPI 3.1 (JSON Schema 2020-12) says ``exclusiveMinimum: <number>``."""
    for validator in field.validators:
        if not isinstance(validator, ma.validate.Range):
            continue
        if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
            ret["exclusiveMinimum"] = ret.pop("minimum")
        if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
            ret["exclusiveMaximum"] = ret.pop("maximum")
    return {}


def key_names(self: Any, field: ma.fields.Field, ret: dict[str, Any]) -> dict[str, Any]:
    """A Dict's key field (the languages of `titles`) as JSON Schema's `propertyNames`,
    which apispec leaves out: without it, any key looks valid."""
    if isinstance(field, ma.fields.Dict) and field.key_field is not None:
        return {"propertyNames": self.field2property(field.key_field)}
    return {}


def schema_rules(converter: Any) -> None:
    """A schema's `Meta.json_schema` (rules across its fields that a `validates_schema`
    checks, such as "token or fid") joins its JSON Schema, which apispec builds from the
    fields alone: without it, the document calls requests valid that the API refuses."""
    fields_only = converter.schema2jsonschema

    def schema2jsonschema(schema: Any) -> dict[str, Any]:
        built: dict[str, Any] = fields_only(schema)
        return {**built, **getattr(getattr(schema, "Meta", None), "json_schema", {})}

    # apispec has no hook for schema-level keywords: the converter's own method, wrapped
    converter.schema2jsonschema = schema2jsonschema


def init_app(app: Flask, api: Api) -> None:
    """Before the blueprints are registered: their rules use the `id` converter."""
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, _id_schema)
    api.ma_plugin.converter.add_attribute_function(exclusive_ranges)
    api.ma_plugin.converter.add_attribute_function(key_names)
    schema_rules(api.ma_plugin.converter)


def _id_schema(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}
