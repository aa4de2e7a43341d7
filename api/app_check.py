"""Firebase App Check: does a request come from our app on a real device?

The app sends a short-lived token in ``X-Firebase-AppCheck``; firebase-admin checks its
signature against Firebase's published keys (fetched once, kept 6 hours), its issuer and
its audience (``projects/<FIREBASE_PROJECT_ID>``). No call to Google per request.

``APP_CHECK`` says what it is for:

- ``off`` (the default): the header is ignored;
- ``optional``: a valid token lifts the strict per-address limit on device registration
  to a generous one (api/limits.py); a token that is present but not valid is refused;
- ``required``: device registration and crowd reports need a valid token.

When Firebase's keys cannot be fetched the token counts as absent: the strict limit
applies, and ``required`` lets the request through rather than refuse every phone.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any, Literal

from flask import current_app, g, request
from flask_babel import gettext
from werkzeug.exceptions import Forbidden, Unauthorized

from api.config import GOOGLE_APP_CHECK_JWKS_URL, Settings
from content.errors import N_

log = logging.getLogger(__name__)

HEADER = "X-Firebase-AppCheck"
CHALLENGE = 'AppCheck realm="myborder"'
TOKEN_MISSING = N_("This request needs a Firebase App Check token in the %(header)s header.")
TOKEN_INVALID = N_("The Firebase App Check token is not valid. Get a new one and try again.")

Outcome = Literal["absent", "valid", "invalid", "unverifiable"]


class AppCheckRequired(Unauthorized):
    """401 that names the header to send (RFC 9110 §11.6.1 asks for a challenge)."""

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", CHALLENGE)]


class Verifier:
    """One firebase-admin app for App Check, shared by every Flask app of the process with
    the same settings, so that Firebase's keys are fetched once."""

    _lock = threading.Lock()
    _apps: dict[tuple[str, str, str], Any] = {}

    def __init__(self, settings: Settings) -> None:
        self.project_id = settings.firebase_project_id
        self.credentials = settings.firebase_credentials
        self.jwks_url = settings.app_check_jwks_url

    def _firebase_app(self) -> Any:
        key = (self.project_id, self.credentials, self.jwks_url)
        with self._lock:
            if key not in self._apps:
                self._apps[key] = self._new_firebase_app()
            return self._apps[key]

    def _new_firebase_app(self) -> Any:
        import firebase_admin
        from firebase_admin import app_check, credentials
        from google.auth.credentials import AnonymousCredentials

        # verifying a token needs no Google credentials (only consuming a limited-use
        # token would, which we do not); the service account, when there is one, names
        # the project
        credential: Any = AnonymousCredentials()
        if self.credentials:  # a path, or the JSON itself (as for the push worker)
            given = self.credentials.lstrip()
            credential = credentials.Certificate(
                json.loads(given) if given.startswith("{") else self.credentials
            )
        options = {"projectId": self.project_id} if self.project_id else {}
        app = firebase_admin.initialize_app(
            credential, options=options, name=f"myborder-app-check-{uuid.uuid4().hex[:8]}"
        )
        if self.jwks_url != GOOGLE_APP_CHECK_JWKS_URL:
            # only tests get here (they serve their keys on loopback). firebase-admin
            # has no option for the keys' URL, so this reaches into two private names of
            # the pinned SDK (`_get_app_check_service`, the service's `_jwks_client`) to
            # change the public `uri` of the PyJWKClient it built: its 6-hour cache and
            # headers, and the SDK's signature, header, issuer and audience checks stay
            # its own. Replacing the class attribute `_JWKS_URL` would instead change it
            # for every app in the process
            service = app_check._get_app_check_service(app)
            service._jwks_client.uri = self.jwks_url
        return app

    def check(self, token: str) -> Outcome:
        """Whether firebase-admin accepts the token."""
        from firebase_admin import app_check
        from jwt import PyJWKClientConnectionError, PyJWKClientError

        try:
            app_check.verify_token(token, app=self._firebase_app())
        except PyJWKClientConnectionError as error:
            log.warning("App Check keys could not be fetched: %s", error)
            return "unverifiable"
        except (ValueError, PyJWKClientError):
            return "invalid"
        return "valid"


def init_app(app: Any) -> None:
    settings: Settings = app.config["SETTINGS"]
    app.extensions["app_check"] = Verifier(settings) if settings.app_check != "off" else None


def outcome() -> Outcome:
    """What this request's App Check header proves, checked once per request."""
    if "app_check" not in g:
        verifier: Verifier | None = current_app.extensions["app_check"]
        token = request.headers.get(HEADER, "").strip()
        if verifier is None or not token:
            g.app_check = "absent"
        else:
            g.app_check = verifier.check(token)
    found: Outcome = g.app_check
    return found


def passed() -> bool:
    """True when the request carries a valid App Check token (and App Check is on)."""
    return outcome() == "valid"


def not_passed() -> bool:
    return not passed()


def require() -> None:
    """Refuse the request as APP_CHECK asks: 401 without a token where it is required,
    403 for a token that is present but not valid."""
    mode = current_app.config["SETTINGS"].app_check
    found = outcome()
    if found == "invalid":
        refused = Forbidden()
        refused.data = {"detail": gettext(TOKEN_INVALID)}  # type: ignore[attr-defined]  # read by ProblemApi
        raise refused
    if found == "absent" and mode == "required":
        missing = AppCheckRequired()
        missing.data = {"detail": gettext(TOKEN_MISSING, header=HEADER)}  # type: ignore[attr-defined]  # read by ProblemApi
        raise missing


def checked(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view that App Check guards (see `require`), before its body is read."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require()
        return view(*args, **kwargs)

    return wrapper
