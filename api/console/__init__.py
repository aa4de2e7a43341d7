"""The web console for editors, publishers, admins and border officers (server-rendered).

What every page shares is here: the blueprint, its sessions, CSRF and headers, the
language, `signed_in`, `actor` and `saving`, the one way a page saves. The pages are
`auth` (sign-in), `campaigns`, `board` (the border officers' board), `admin` (users,
agencies, the audit log), `customs`, `moderation` (travellers' crowd reports) and
`equeue` (e-queue facts) and `translations` (every item's translation status by
language); each imports from here, never from another page. Every form is
CSRF-protected; every change goes through the same services as the API, which write the
audit log with the signed-in user as the actor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import ngettext, refresh
from flask_wtf.csrf import CSRFProtect

from api.cache import version_clock
from api.console import forms
from api.console.forms import Refused
from api.db import get_session
from api.i18n import KNOWN_LOCALES, current_locale, format_wait, localized, native_name
from content.accounts.labels import ROLE_LABELS
from content.accounts.models import Role, User
from content.accounts.service import Actor
from content.campaigns.labels import ACTION_LABELS, STATUS_LABELS
from content.errors import DomainError, Invalid, PreconditionFailed
from content.translations import exchange
from content.translations.labels import FIELD_LABELS as TS_FIELD_LABELS
from content.translations.labels import LANGUAGE_NAMES
from content.translations.labels import STATUS_LABELS as TS_LABELS

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()
SESSION_LIFETIME = timedelta(hours=8)
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class ConsoleOnlySessions(SecureCookieSessionInterface):
    """Only the console has sessions: API requests skip the signed cookie altogether."""

    def open_session(self, app: Any, request: Any) -> Any:
        if not request.path.startswith(blp.url_prefix or "/console"):
            return None  # Flask then uses a null session, which is never saved
        return super().open_session(app, request)


def init_app(app: Any) -> None:
    app.session_interface = ConsoleOnlySessions()
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only console forms, not the API
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["SETTINGS"].is_production
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    csrf.init_app(app)
    # the pages add their routes to the blueprint when imported: before it is registered.
    # Imported here, not at the top, since each of them imports this module.
    from api.console import (  # noqa: F401
        admin,
        auth,
        board,
        campaigns,
        customs,
        equeue,
        moderation,
        translations,
    )

    app.register_blueprint(blp)


@blp.before_request
def _load_user() -> None:
    if request.method == "POST":
        csrf.protect()
    # the console remembers the language chosen with ?lang= for the rest of the session
    if request.args.get("lang") in KNOWN_LOCALES:
        session["lang"] = request.args["lang"]
    elif session.get("lang") in KNOWN_LOCALES:
        g.request_locale = session["lang"]
        refresh()
    g.console_user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = get_session().get(User, user_id)
        # a cookie from before a sign-out, password change, disable or role change is
        # refused: its session version is no longer the user's
        if (
            user is not None
            and not user.disabled
            and session.get("session_version") == user.session_version
        ):
            g.console_user = user
        else:
            session.clear()


@blp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONSOLE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.cache_control.no_store = True
    return response


@blp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "user": g.get("console_user"),
        "current_lang": current_locale(),
        "locales": [(code, native_name(code)) for code in KNOWN_LOCALES],
        "Role": Role,
        "ROLE_LABELS": ROLE_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "TS_LABELS": TS_LABELS,
        "TS_FIELD_LABELS": TS_FIELD_LABELS,
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "format_wait": lambda minutes: format_wait(minutes, current_locale()),
    }


def signed_in(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Send a visitor to sign in; refuse a user whose role is not among `roles` (403)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.console_user
            if user is None:
                return redirect(url_for("console.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def actor() -> Actor:
    """The signed-in user, as the services write them in the audit log."""
    return Actor.for_user(g.console_user)


@contextmanager
def saving(
    fields: Mapping[str, str] | Iterable[str] = (), *, stale: str | None = None
) -> Iterator[None]:
    """Commit what the block changes, and let this worker's readers see it at once.

    When the form or a service refuses, roll back, put up the page's alert and raise
    Refused, with the problems by form field (`fields` maps the body's paths to the form's
    fields) and the status to answer: 422 for values, the error's own otherwise (409 for
    a version someone else saved first, announced by `stale` when given)."""
    db = get_session()
    try:
        yield
        db.commit()
    except (Refused, DomainError) as error:
        db.rollback()
        raise _refusal(error, fields, stale) from None
    version_clock().invalidate()


def _refusal(
    error: Refused | DomainError, fields: Mapping[str, str] | Iterable[str], stale: str | None
) -> Refused:
    if isinstance(error, Refused | Invalid):
        refusal = forms.refused(error, fields)
        forms.flash_refusal(refusal.errors)
        return refusal
    if stale and isinstance(error, PreconditionFailed):
        flash(stale, "error")
        return Refused({}, status=409)
    flash(error_text(error), "error")
    return Refused({}, status=error.status)


def import_exchange_file(run: Callable[[bytes], exchange.Imported]) -> None:
    """Import the uploaded translator's file (form field `file`) through `run`, and say
    what came of it: how many texts were imported, and each unit that was not, so the
    translator learns which to redo. A refused file puts up its alert."""
    upload = request.files.get("file")
    try:
        with saving():
            result = run(upload.read() if upload else b"")
    except Refused:
        return  # its alert is up
    language = _(LANGUAGE_NAMES[result.locale])
    if result.imported:
        count = len(result.imported)
        flash(
            ngettext(
                "Imported %(num)s text into %(language)s: it is a draft now, ready for review.",
                "Imported %(num)s texts into %(language)s: they are drafts now, ready for review.",
                count,
                language=language,
            ),
            "ok",
        )
    else:
        flash(_("Nothing to import: the file has no new translations."), "ok")
    for rejected in result.rejected:
        reason = _(rejected.reason, **localized(rejected.params))
        flash(_("Not imported, %(unit)s: %(reason)s", unit=rejected.unit, reason=reason), "error")


def error_text(error: DomainError) -> str:
    """A service's refusal in the console's language, with an Invalid's problems."""
    text = _(error.message, **localized(error.params))
    if isinstance(error, Invalid):
        details = "; ".join(_(p.message, **localized(p.params)) for p in error.problems)
        text = f"{text} {details}".strip()
    return text
