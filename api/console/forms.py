"""Console forms, read through the API's schemas.

A view turns ``request.form`` into the body the API's schema takes, and says which form
field each of the body's paths came from. ``load`` runs the schema; every problem, from
the schema, from a NUL character, or from a service's ``Invalid``, is put under the form
field it names, so the page shows it next to that field. A refused form is shown again,
with what the user typed, as 422.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import flash
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from api.errors import flatten_errors
from content.errors import Invalid

#: problems that name no field shown on the page
FORM = "_form"
#: a whole number as a form sends it; longer ones are refused by the schema, not parsed
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,15}")
#: what an <input type="datetime-local"> sends, without a time zone
_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")


class Refused(Exception):
    """The form's problems, by form field (``_form``: those that name no shown field), and
    the status to answer (422, or a service's refusal's own)."""

    def __init__(self, errors: dict[str, list[str]], *, status: int = 422) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def load(
    schema: ma.Schema,
    data: Mapping[str, Any],
    *,
    form: MultiDict[str, str],
    fields: Mapping[str, str] | Iterable[str],
) -> dict[str, Any]:
    """`data` loaded by `schema`; raises Refused with the problems by form field.

    `fields` maps a path of `data` to the form field it came from (a plain list: the same
    names). The form itself is checked for NUL characters, which PostgreSQL's text cannot
    hold: a value with one is refused, never stored or looked up.
    """
    by_path = _field_map(fields)
    errors: dict[str, list[str]] = {}
    for name, value in form.items(multi=True):
        if "\x00" in name or "\x00" in value:
            shown = name if name in by_path.values() else FORM
            errors.setdefault(shown, []).append(_("Invalid value."))
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ma.ValidationError as error:
        _merge(errors, by_field(flatten_errors(error.messages), by_path))
    if errors:
        raise Refused(errors)
    return loaded


def refused(error: Refused | Invalid, fields: Mapping[str, str] | Iterable[str]) -> Refused:
    """A refused form; a service's Invalid becomes one, each problem under its field."""
    if isinstance(error, Refused):
        return error
    problems: dict[str, list[str]] = {}
    for problem in error.problems:
        problems.setdefault(problem.path, []).append(_(problem.message, **problem.params))
    return Refused(by_field(problems, _field_map(fields)))


def by_field(
    problems: Mapping[str, list[str]], fields: Mapping[str, str] | Iterable[str]
) -> dict[str, list[str]]:
    """Problems by dotted path as problems by form field.

    ``countries.0`` and ``translations.ru.value.cta_url`` belong to the fields of
    ``countries`` and ``translations.ru.cta_url``; a problem whose path leads to no field
    goes under ``_form``, with the path it names."""
    by_path = _field_map(fields)
    errors: dict[str, list[str]] = {}
    for path, messages in problems.items():
        # a mapping's problems are under its key's "key" or "value": translations.ru.value
        plain = ".".join(p for p in path.split(".") if p not in {"key", "value"})
        field = _field_of(path.split("."), by_path) or _field_of(plain.split("."), by_path)
        if field is not None:
            errors.setdefault(field, []).extend(messages)
        elif path in {"_schema", "_request", FORM}:
            errors.setdefault(FORM, []).extend(messages)
        else:
            errors.setdefault(FORM, []).extend(
                _("In the field %(field)s: %(problem)s", field=plain or path, problem=message)
                for message in messages
            )
    return errors


def flash_refusal(errors: dict[str, list[str]]) -> None:
    """The page's alert for a refused form, and the problems no field shows."""
    flash(_("Some values are not valid: see the notes next to the fields."), "error")
    for message in errors.get(FORM, []):
        flash(message, "error")


def whole_number(value: str) -> int | str:
    """A form's whole number as an int for the schema; anything else as typed, for the
    schema to refuse ("Not a valid integer.")."""
    value = value.strip()
    return int(value) if _WHOLE_NUMBER.fullmatch(value) else value


def utc_datetime(value: str) -> str | None:
    """A datetime-local field, read as UTC: empty is None; a value with no time zone
    gets +00:00; anything else goes to the schema as typed, to be refused there."""
    value = value.strip()
    if not value:
        return None
    return f"{value}+00:00" if _LOCAL_DATETIME.fullmatch(value) else value


def local_datetime(value: str, timezone: str) -> str | None:
    """A datetime-local field, read in a place's time zone (a checkpoint's, for the
    officer who works there): empty is None; anything that is not a date and time goes
    to the schema as typed, to be refused there."""
    value = value.strip()
    if not value:
        return None
    if not _LOCAL_DATETIME.fullmatch(value):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # the right shape, an impossible date: 2026-02-30T10:00
        return value
    return moment.replace(tzinfo=ZoneInfo(timezone)).isoformat()


def _field_of(parts: list[str], by_path: dict[str, str]) -> str | None:
    while parts and ".".join(parts) not in by_path:
        parts = parts[:-1]
    return by_path[".".join(parts)] if parts else None


def _field_map(fields: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    if isinstance(fields, Mapping):
        return dict(fields)
    return {name: name for name in fields}


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for name, messages in more.items():
        errors.setdefault(name, []).extend(messages)
