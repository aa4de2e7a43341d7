"""Who is calling: a border-service agency (API key), a traveller's device (its secret),
or a console user (a bearer token from POST /v1/auth/tokens)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Forbidden, Unauthorized

from api.db import READ_METHODS, get_session
from api.errors import BEARER_CHALLENGE
from content.accounts import service as accounts
from content.accounts.models import Role, User
from content.accounts.service import Actor, Poster
from push import devices
from push.models import Device


class KeyRequired(Unauthorized):
    """401 that tells the client how to authenticate (RFC 9110 §11.6.1)."""

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", BEARER_CHALLENGE)]


def _credentials(scheme: str) -> str | None:
    """What follows `scheme` (lower case) in the request's Authorization header; None when
    the header is missing, names another scheme, or carries nothing."""
    given, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if given.lower() != scheme or not credentials.strip():
        return None
    return credentials.strip()


def require_poster() -> Poster:
    """The agency behind the request's ``Authorization: Bearer <key>``, or 401."""
    key = _credentials("bearer")
    poster = accounts.poster_for_key(get_session(), key) if key else None
    if poster is None:
        raise KeyRequired()
    return poster


DEVICE_CHALLENGE = 'Device realm="myborder"'


class DeviceSecretRequired(Unauthorized):
    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", DEVICE_CHALLENGE)]


def require_device(device_id: int) -> Device:
    """The device named in the path, proven by ``Authorization: Device <secret>``, or 401.

    A secret opens only its own device: another device's id answers 401, as an unknown one.
    """
    secret = _credentials("device")
    device = devices.authenticate(get_session(), device_id, secret) if secret else None
    if device is None:
        raise DeviceSecretRequired()
    _seen(device)
    return device


def require_device_secret() -> Device:
    """The device whose secret is in ``Authorization: Device <secret>``, or 401: for calls
    whose path names no device (a crowd report)."""
    secret = _credentials("device")
    device = devices.authenticate_secret(get_session(), secret) if secret else None
    if device is None:
        raise DeviceSecretRequired()
    _seen(device)
    return device


def _seen(device: Device) -> None:
    """Note the device as seen (at most hourly). A write commits it with its request; a
    read commits it here, and on SQLite gives up if the write lock is taken (next time)."""
    session = get_session()
    if request.method not in READ_METHODS:
        devices.seen(session, device)
        return
    try:
        if devices.seen(session, device):
            session.commit()
    except OperationalError:
        session.rollback()


class UserTokenRequired(Unauthorized):
    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", BEARER_CHALLENGE)]


def current_user() -> User:
    """The console user behind ``Authorization: Bearer <token>`` (from POST /v1/auth/tokens)."""
    if "user" in g:
        user: User = g.user
        return user
    token = _credentials("bearer")
    found = accounts.user_for_token(get_session(), token) if token else None
    if found is None:
        raise UserTokenRequired()
    g.user = found
    return found


def require_role(*roles: Role) -> Actor:
    """The calling user as an audit actor, or 403 when their role is not among `roles`."""
    user = current_user()
    if user.role not in roles:
        raise Forbidden()
    return Actor.for_user(user)


def require_staff_or_agency() -> tuple[Actor | None, Poster | None]:
    """Whoever is behind ``Authorization: Bearer``: a console user's token (the actor) or
    an agency's key (the poster); 401 when it is neither. The caller decides what each may
    see."""
    credentials = _credentials("bearer")
    if credentials:
        user = accounts.user_for_token(get_session(), credentials)
        if user is not None:
            g.user = user
            return Actor.for_user(user), None
        poster = accounts.poster_for_key(get_session(), credentials)
        if poster is not None:
            return None, poster
    raise UserTokenRequired()


def staff_or_agency(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse a caller who is neither an agency nor a console user of one of `roles`
    (401, 403) before the arguments are parsed; put it above flask-smorest's decorators."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor, _poster = require_staff_or_agency()
            if actor is not None and actor.role not in roles:
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def authorize(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse the wrong caller (401/403) before the body is even parsed; put it above
    flask-smorest's decorators. The view may call require_role again for its actor."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_role(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorator
