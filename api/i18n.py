"""Which languages are served, how the caller's is chosen, and formatting helpers.

English is the source language (the msgids); every other known locale must have a
compiled catalog under locales/, or the app refuses to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_date
from flask import Flask, Response, g, request
from flask_babel import Babel, get_locale, gettext
from flask_babel import force_locale as force_locale

from content.errors import Label
from content.locales import (
    KNOWN_LOCALES,
    LOCALES_DIR,
    SOURCE_LOCALE,
    label,
    missing_catalogs,
    pick,
)
from content.locales import format_wait as format_wait
from content.locales import native_name as native_name


def init_app(app: Flask) -> None:
    missing = missing_catalogs()
    if missing:
        raise RuntimeError(
            f"no compiled catalog for {', '.join(missing)} under {LOCALES_DIR}: "
            "run `make translations` (pybabel compile)"
        )
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["SETTINGS"].default_locale
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(LOCALES_DIR)
    Babel(app, locale_selector=select_locale)
    app.add_template_filter(pick_text, "pick")
    for locale in KNOWN_LOCALES:
        # load CLDR data and catalogs now, in gunicorn's master (preload_app), not in
        # every worker's first request
        format_wait(95, locale)
        native_name(locale)

    @app.before_request
    def _negotiate() -> None:
        settings = app.config["SETTINGS"]
        g.request_locale = negotiate(
            request.args.get("lang"), list(request.accept_languages), settings.default_locale
        )

    @app.after_request
    def _content_language(response: Response) -> Response:
        response.headers["Content-Language"] = current_locale()
        response.vary.add("Accept-Language")
        return response


def negotiate(
    lang_param: str | None, accept_language: list[tuple[str, float]], default: str
) -> str:
    """The `lang` parameter wins, then Accept-Language by quality, then the default.

    Region and script subtags are understood: ``kk-KZ`` is ``kk``, ``uz-Latn-UZ`` is ``uz``.
    """
    if lang_param:
        primary = _primary(lang_param)
        if primary in KNOWN_LOCALES:
            return primary
    for tag, quality in sorted(accept_language, key=lambda item: -item[1]):
        if quality <= 0:
            continue
        primary = _primary(tag)
        if primary in KNOWN_LOCALES:
            return primary
    return default


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-", 1)[0].strip().lower()


def select_locale() -> str:
    """Flask-Babel's locale selector: the locale negotiated for this request."""
    return str(g.get("request_locale", SOURCE_LOCALE))


def pick_text(texts: Mapping[str, Any], default: Any = "") -> Any:
    """Template filter ``pick``: a name or text in the request's language, along the one
    fallback chain (``{{ checkpoint.names|pick(checkpoint.id) }}``)."""
    return pick(texts, current_locale(), default)


def localized(params: Mapping[str, Any]) -> dict[str, Any]:
    """A domain message's parameters in the caller's language: Label values translated,
    dates written by Babel (long format)."""
    return {name: _localized(value) for name, value in params.items()}


def _localized(value: Any) -> Any:
    if isinstance(value, Label):
        return gettext(value)
    if isinstance(value, date):
        return format_date(value, "long", locale=current_locale())
    return value


def label_text(msgid: str) -> str:
    """A fixed label (no parameters) in the request's language, as gettext gives it but
    memoised per language (content.locales.label)."""
    return label(msgid, current_locale())


def current_locale() -> str:
    """The request's negotiated locale; Flask-Babel's own inside force_locale()."""
    if "request_locale" in g and "forced_babel_locale" not in g:
        return str(g.request_locale)
    return str(get_locale() or SOURCE_LOCALE)
