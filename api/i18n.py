"""Which languages are served, how the caller's is chosen, and formatting helpers.

English is the source language (the msgids); every other known locale must have a
compiled catalog under locales/, or the app refuses to start.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from babel.support import NullTranslations
from flask import Flask, Response, g, request
from flask_babel import Babel, Domain, get_locale, gettext
from flask_babel import force_locale as babel_force_locale

from content.errors import Label
from content.locales import (
    KNOWN_LOCALES,
    LOCALES_DIR,
    SERVED_LOCALES,
    SOURCE_LOCALE,
    canonical,
    cldr_locale,
    format_day,
    label,
    missing_catalogs,
    pick,
    translations,
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
    babel = Babel(app, locale_selector=select_locale)
    # Flask-Babel's gettext reads the catalogs through this domain
    babel.domain_instance = ServedDomain()
    app.add_template_filter(pick_text, "pick")
    for locale in SERVED_LOCALES:
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

    Region and script subtags are understood, in any case and with ``-`` or ``_``:
    ``kk-KZ`` is ``kk``, ``uz-Latn-UZ`` is ``uz``, ``uz-Cyrl-UZ`` and ``uz_cyrl`` are
    ``uz-Cyrl``, ``kk-Latn`` is ``kk-Latn``.
    """
    if lang_param:
        served = _served(lang_param)
        if served:
            return served
    for tag, quality in sorted(accept_language, key=lambda item: -item[1]):
        if quality <= 0:
            continue
        served = _served(tag)
        if served:
            return served
    return default


def _served(tag: str) -> str | None:
    """The served locale a language tag asks for: its language and script if served as
    such (``uz-Cyrl``), else its language (``uz``), else None."""
    parts = tag.strip().replace("_", "-").split("-")
    if len(parts) > 1:
        with_script = canonical(f"{parts[0]}-{parts[1]}")
        if with_script:
            return with_script
    primary = parts[0].lower()
    return primary if primary in KNOWN_LOCALES else None


def select_locale() -> str:
    """Flask-Babel's locale selector: the CLDR locale of the one negotiated for this
    request (Flask-Babel's own formatting; its messages come from ServedDomain)."""
    return cldr_locale(str(g.get("forced_locale") or g.get("request_locale", SOURCE_LOCALE)))


class ServedDomain(Domain):
    """Flask-Babel's messages from content.locales.translations, the catalogs push
    messages use too: a derived locale (uz-Cyrl) has no compiled catalog of its own."""

    def get_translations(self) -> NullTranslations:
        return translations(current_locale())


@contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """Flask-Babel's force_locale for a served locale, derived ones included."""
    previous = g.get("forced_locale")
    g.forced_locale = locale
    try:
        with babel_force_locale(cldr_locale(locale)):
            yield
    finally:
        if previous is None:
            g.pop("forced_locale", None)
        else:
            g.forced_locale = previous


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
        return format_day(value, current_locale())
    return value


def label_text(msgid: str) -> str:
    """A fixed label (no parameters) in the request's language, as gettext gives it but
    memoised per language (content.locales.label)."""
    return label(msgid, current_locale())


def current_locale() -> str:
    """The request's negotiated locale; the forced one inside force_locale()."""
    if "forced_locale" in g:
        return str(g.forced_locale)
    if "request_locale" in g and "forced_babel_locale" not in g:
        return str(g.request_locale)
    return str(get_locale() or SOURCE_LOCALE)
