"""Safe retries for writes: the `Idempotency-Key` header.

A write sent again with the same key (by the same agency) is not stored twice; the
first answer is replayed. The key's record is written in the same transaction as the
write itself, so either both are durable or neither is.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden

from api.auth import require_poster
from api.cache import version_clock
from api.db import get_session
from content.accounts import service as accounts
from content.errors import N_, FieldProblem, Invalid

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200


def commits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Commit the request's session once, after the view succeeded and before answering:
    a 2xx means the write is durable."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        answer = view(*args, **kwargs)
        get_session().commit()
        version_clock().invalidate()
        return answer

    return wrapper


def idempotent_write(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like `commits`, and honour `Idempotency-Key` for an agency's posts.

    Put it above flask-smorest's decorators, so that it sees the finished response.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = get_session()
        key = request.headers.get(HEADER)
        if key is None:
            answer = view(*args, **kwargs)
            session.commit()
            version_clock().invalidate()
            return answer
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            raise Invalid(
                [
                    FieldProblem(
                        HEADER,
                        N_("Must be between %(min)s and %(max)s characters long."),
                        {"min": 1, "max": MAX_KEY_LENGTH},
                    )
                ]
            )
        agency_id = require_poster().agency_id
        if agency_id is None:  # only agency keys reach here; officers post in the console
            raise Forbidden()
        fingerprint = _fingerprint()
        record = accounts.find_idempotency_record(session, agency_id=agency_id, key=key)
        if record is not None:
            return _replay(record, fingerprint)
        response: Response = view(*args, **kwargs)
        if response.status_code < 300:
            accounts.remember_response(
                session,
                agency_id=agency_id,
                key=key,
                fingerprint=fingerprint,
                status_code=response.status_code,
                body=response.get_json(),
            )
        try:
            session.commit()
            version_clock().invalidate()
        except IntegrityError:
            # the same key was committed by a concurrent request a moment ago
            session.rollback()
            record = accounts.find_idempotency_record(session, agency_id=agency_id, key=key)
            if record is None:
                raise
            return _replay(record, fingerprint)
        return response

    return wrapper


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data())
    return digest.hexdigest()


def _replay(record: Any, fingerprint: str) -> Response:
    if record.request_fingerprint != fingerprint:
        raise Invalid(
            [FieldProblem(HEADER, N_("This key was already used for a different request."))]
        )
    response = jsonify(record.response_body)
    response.status_code = record.status_code
    response.headers[REPLAYED_HEADER] = "true"
    return response
