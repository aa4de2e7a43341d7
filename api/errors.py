"""Every error is RFC 9457 problem details, titled and explained in the caller's language.

flask-smorest's own handler drops the headers an exception carries (Allow, WWW-Authenticate,
Retry-After); ``ProblemApi.handle_http_exception`` keeps them, once for every error, and
every answer gets the headers HTTP requires of its status when nothing set them
(REQUIRED_HEADERS).
"""

from __future__ import annotations

import http
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import marshmallow as ma
from babel.dates import format_date
from babel.units import format_unit
from flask import Flask, Response, json, request
from flask_babel import gettext
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from api.i18n import current_locale
from content.errors import N_, DomainError, Invalid

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    406: N_("Not acceptable"),
    409: N_("Conflict"),
    412: N_("Precondition failed"),
    413: N_("Request body too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid request"),
    428: N_("Precondition required"),
    429: N_("Too many requests"),
    500: N_("Internal server error"),
    503: N_("Service unavailable"),
}
DETAILS = {
    400: N_("The request could not be understood."),
    401: N_("Send a valid key in the Authorization header."),
    403: N_("You may not do this."),
    404: N_("There is nothing at this address."),
    405: N_("This address does not accept the %(method)s method."),
    406: N_("This resource cannot be served in the requested format."),
    409: N_("The request conflicts with the current state of the resource."),
    412: N_("The resource has changed since you last read it."),
    415: N_("Send the request body as JSON (Content-Type: application/json)."),
    422: N_("Some values in the request are not valid."),
    428: N_("This request must be conditional: send If-Match with the resource's ETag."),
    429: N_("Too many requests. Wait a little and try again."),
    500: N_("Something went wrong on our side. Please try again later."),
    503: N_("The service is briefly unavailable. Please try again shortly."),
}
BEARER_CHALLENGE = 'Bearer realm="myborder"'
#: what RFC 9110 (and RFC 6585 for 429) asks an answer to carry, when nothing set it: a
#: 401 says how to authenticate, a 429 or 503 when to come back. 405's Allow comes from
#: the router. The 429 default is 1 s so that Flask-Limiter, which keeps the later of an
#: existing Retry-After and its window's reset, still states its own.
REQUIRED_HEADERS: dict[int, dict[str, str]] = {
    401: {"WWW-Authenticate": BEARER_CHALLENGE},
    429: {"Retry-After": "1"},
    503: {"Retry-After": "5"},
}
GENERIC_TITLE = N_("Error")
INVALID_JSON = N_("The request body is not valid JSON.")
WEBARGS_INVALID_JSON = {"json": ["Invalid JSON body."]}
TOO_LARGE = N_("The request body is larger than %(limit)s.")
TOO_DEEP = N_("The request body nests more than %(limit)s levels deep.")

# marshmallow's own messages (English, already formatted) and their translatable twins
_MARSHMALLOW_MESSAGES = [
    ("Missing data for required field.", N_("This field is required.")),
    ("Field may not be null.", N_("This field may not be null.")),
    ("Unknown field.", N_("Unknown field.")),
    ("Invalid value.", N_("Invalid value.")),
    ("Invalid input type.", N_("Invalid input type.")),
    ("Not a valid string.", N_("Not a valid string.")),
    ("Not a valid integer.", N_("Not a valid integer.")),
    ("Not a valid number.", N_("Not a valid number.")),
    ("Number too large.", N_("Number too large.")),
    ("Not a valid boolean.", N_("Not a valid boolean.")),
    ("Not a valid datetime.", N_("Not a valid date and time.")),
    ("Not a valid date.", N_("Not a valid date.")),
    ("Not a valid aware datetime.", N_("The date and time must include a time zone.")),
    ("Not a valid list.", N_("Not a valid list.")),
    ("Not a valid mapping type.", N_("Not a valid object.")),
    ("Not a valid URL.", N_("Not a valid URL.")),
    ("String does not match expected pattern.", N_("The value has the wrong format.")),
    ("Must be one of: {choices}.", N_("Must be one of: %(choices)s.")),
    (
        "Must be greater than or equal to {min} and less than or equal to {max}.",
        N_("Must be between %(min)s and %(max)s."),
    ),
    ("Must be greater than or equal to {min}.", N_("Must be at least %(min)s.")),
    ("Must be greater than {min}.", N_("Must be greater than %(min)s.")),
    ("Must be less than or equal to {max}.", N_("Must be at most %(max)s.")),
    ("Length must be between {min} and {max}.", N_("Length must be between %(min)s and %(max)s.")),
    ("Shorter than minimum length {min}.", N_("Must be at least %(min)s characters long.")),
    ("Longer than maximum length {max}.", N_("Must be at most %(max)s characters long.")),
]


def _template_pattern(template: str) -> re.Pattern[str]:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>.+?)", pattern)
    return re.compile(f"^{pattern}$")


_MESSAGE_PATTERNS = [(_template_pattern(en), msgid) for en, msgid in _MARSHMALLOW_MESSAGES]


def translate_validation_message(message: str) -> str:
    """marshmallow's English message in the caller's language (unknown ones pass through)."""
    for pattern, msgid in _MESSAGE_PATTERNS:
        match = pattern.match(message)
        if match:
            return gettext(msgid, **match.groupdict())
    return message


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested {location: {field: {index: [...]}}} as {"field.index": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            name = str(key)
            path = f"{prefix}.{name}" if prefix else name
            if not prefix and name in {"json", "query", "headers", "path", "form", "files"}:
                path = ""
            for sub_path, messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(messages)
    elif isinstance(errors, list | tuple):
        flat[prefix or "_request"] = [translate_validation_message(str(m)) for m in errors]
    else:
        flat[prefix or "_request"] = [translate_validation_message(str(errors))]
    return flat


def problem(
    status: int,
    *,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": gettext(TITLES.get(status, GENERIC_TITLE)),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(
        json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE, headers=dict(headers or {})
    )
    response.headers["Content-Language"] = current_locale()
    response.vary.add("Accept-Language")
    return response


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(metadata={"description": "A URI naming the problem type"})
    title = ma.fields.String(metadata={"description": "Short summary, in the caller's language"})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong, in the caller's language"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Messages per field, by dotted path (reports.0.lane)"},
    )


class ProblemApi(Api):
    """flask-smorest's Api, answering every error as problem details."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # every view declares its own error codes

    def handle_http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("errors") or data.get("messages")
        errors = None
        if messages == WEBARGS_INVALID_JSON:
            detail = gettext(INVALID_JSON)
        else:
            errors = flatten_errors(messages) if messages else None
            detail = data.get("detail") or _detail_for(status)
        headers = {
            name: value for name, value in error.get_headers() if name.lower() != "content-type"
        }
        headers.update(data.get("headers") or {})
        return problem(status, detail=detail, errors=errors, headers=headers)

    def _register_responses(self) -> None:
        """As flask-smorest's, but error responses are application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            content_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                content_type = PROBLEM_CONTENT_TYPE
            prepare_response(response, self.spec, content_type)
            self.spec.components.response(status.name, response, lazy=True)


def _detail_for(status: int) -> str | None:
    if status == 413:
        megabytes = (request.max_content_length or 0) / (1024 * 1024)
        limit = format_unit(megabytes, "digital-megabyte", length="short", locale=current_locale())
        return gettext(TOO_LARGE, limit=limit)
    if status in DETAILS:
        return gettext(DETAILS[status], method=request.method)
    return None


def _local(params: Mapping[str, Any]) -> dict[str, Any]:
    """Dates in a message's parameters, written the caller's way."""
    return {
        name: format_date(value, "long", locale=current_locale())
        if isinstance(value, date)
        else value
        for name, value in params.items()
    }


def handle_domain_error(error: DomainError) -> Response:
    errors: dict[str, list[str]] = {}
    if isinstance(error, Invalid):
        for item in error.problems:
            errors.setdefault(item.path, []).append(gettext(item.message, **_local(item.params)))
    detail = gettext(error.message, **error.params)
    return problem(error.status, detail=detail, errors=errors or None)


def required_headers(response: Response) -> Response:
    for name, value in REQUIRED_HEADERS.get(response.status_code, {}).items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Before limits.init_app: after_request hooks run last-registered first, and this one
    must see Flask-Limiter's Retry-After."""
    app.register_error_handler(DomainError, handle_domain_error)
    app.after_request(required_headers)
