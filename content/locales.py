"""The languages the service speaks, their catalogs, and CLDR formatting.

Flask-free, so that push messages and the CLI render text the same way requests do.
English is the source language (the msgids).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_timedelta
from babel.lists import format_list
from babel.support import NullTranslations, Translations

SOURCE_LOCALE = "en"
KNOWN_LOCALES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"


def missing_catalogs() -> list[str]:
    """Known locales (other than the source) whose compiled catalog is absent."""
    return [
        locale
        for locale in KNOWN_LOCALES
        if locale != SOURCE_LOCALE and not catalog_path(locale).exists()
    ]


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a locale (the source locale translates to itself)."""
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [locale], DOMAIN)


def native_name(locale: str) -> str:
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


def format_wait(minutes: int, locale: str) -> str:
    """«1 сағат 30 минут»: days, hours and minutes in words, from CLDR unit patterns."""
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(format_timedelta(timedelta(days=days), threshold=1, locale=locale))
    if hours:
        parts.append(format_timedelta(timedelta(hours=hours), threshold=1, locale=locale))
    if minutes or not parts:
        parts.append(
            format_timedelta(
                timedelta(minutes=minutes), granularity="minute", threshold=1, locale=locale
            )
        )
    try:
        return format_list(parts, style="unit", locale=locale)
    except KeyError:
        # some locales' CLDR data lack a unit-list pattern for three items
        return format_list(parts, style="standard", locale=locale)


#: every character written for the Uzbek oʻ/gʻ sign or the tutuq belgisi (ʼ), in any data
#: or keyboard: ' ‘ ’ ` ´ ʻ ʼ
_APOSTROPHES = str.maketrans(dict.fromkeys("'\u2018\u2019`\u00b4\u02bc", "\u02bb"))


def fold_apostrophes(text: str) -> str:
    """One apostrophe for searching: «Do'stlik», «Do‘stlik» and «Doʻstlik» match alike."""
    return text.translate(_APOSTROPHES)
