"""One flask-smorest Blueprint per resource, its admin routes included; what route modules
share lives here, since they never import each other (tests/test_layers.py)."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint


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
