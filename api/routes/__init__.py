"""One flask-smorest Blueprint per resource, its admin routes included; what route modules
share lives here, since they never import each other (tests/test_layers.py)."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from flask import Response
from flask_babel import gettext
from flask_smorest import Blueprint

from api.i18n import localized
from content.translations import exchange


def declare_errors(blp: Blueprint, *codes: int) -> Callable[[Any], Any]:
    """Document each error status a view can answer, as problem details."""

    def decorator(view: Any) -> Any:
        for code in codes:
            view = blp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorator


#: the OpenAPI security of the views for console users (editors, publishers, admins)
USER_SECURITY: list[dict[str, list[str]]] = [{"userToken": []}]

IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "description": "The ETag you read: 428 without it, 412 when it is no longer current",
}


def declare_if_match(blp: Blueprint, *, required: bool = True) -> Callable[[Any], Any]:
    """Document the If-Match an editor's update must send (answered 428 without it);
    `required=False` where a create-or-replace needs it only to replace."""
    return blp.doc(parameters=[{**IF_MATCH, "required": required}])


def declare_not_modified(blp: Blueprint) -> Callable[[Any], Any]:
    """Document the 304 a conditional GET answers."""
    return blp.alt_response(
        304,
        description="Not modified: the ETag in If-None-Match still matches. Public ETags are "
        'weak (W/"…"): they name the content, leaving out `as_of`, so an answer rendered '
        "later or by another server keeps its ETag while it reads the same",
        success=True,
    )


#: the OpenAPI answer of a translation exchange file's download
PO_RESPONSE = {
    "description": "A gettext PO file: one unit per text, msgctxt kind/key/field, msgid the "
    "reference text, msgstr the translation",
    "content": {exchange.CONTENT_TYPE: {"schema": {"type": "string"}}},
    "headers": {
        "Content-Disposition": {
            "description": "attachment, with a file name naming the items and the language",
            "schema": {"type": "string"},
        }
    },
}


def po_download(data: bytes, name: str) -> Response:
    """An exchange file as a download named `name`.po."""
    response = Response(data, mimetype=exchange.CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.po"'
    return response


def rules_file_name(locale: str, *, country: str | None, keys: list[str]) -> str:
    """A customs rules exchange file's name: the rule's key when there is one, else the
    country's code, else "all" (several keys: "rules")."""
    selection = keys[0] if len(keys) == 1 else country or ("rules" if keys else "all")
    return f"customs-{selection.lower()}-{locale}"


def present_import(result: exchange.Imported) -> dict[str, Any]:
    """What an import did, its rejections explained in the caller's language."""
    return {
        "locale": result.locale,
        "imported": result.imported,
        "unchanged": result.unchanged,
        "rejected": [
            {"unit": r.unit, "reason": gettext(r.reason, **localized(r.params))}
            for r in result.rejected
        ],
        "versions": exchange.versions(result),
    }
