"""The audit log as administrators read it."""

from __future__ import annotations

import marshmallow as ma


class AuditEntryOut(ma.Schema):
    id = ma.fields.Integer()
    actor = ma.fields.String()
    action = ma.fields.String()
    object_type = ma.fields.String()
    object_id = ma.fields.String()
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)
    at = ma.fields.DateTime()


class AuditListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AuditEntryOut))
