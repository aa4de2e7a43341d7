"""Domain errors. Services raise them; the HTTP layer turns them into problem details.

Messages are gettext msgids with named placeholders, marked with ``N_`` so that
extraction finds them; the HTTP layer translates them into the caller's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:  # the conventional gettext marker name
    """Mark a message for extraction without translating it here."""
    return message


class Label(str):
    """A msgid given as a message's parameter (a status, an action): the HTTP layer
    translates it with the message, so that no English code sits in a translated text."""

    __slots__ = ()


class DomainError(Exception):
    """A rule of the domain refused the operation."""

    status = 400

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    """The caller edited an old version (If-Match no longer matches)."""

    status = 412


@dataclass(frozen=True)
class FieldProblem:
    """One invalid value: where it is (dotted path), what is wrong, and the values to name."""

    path: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class Invalid(DomainError):
    """Well-formed input that breaks a rule of the domain (422)."""

    status = 422

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(N_("Some values in the request break the rules."))
        self.problems = problems
