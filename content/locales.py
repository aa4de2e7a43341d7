"""The languages the service speaks, their catalogs, and CLDR formatting.

Flask-free, so that push messages and the CLI render text the same way requests do.
English is the source language (the msgids). Numbers, units and durations come from
CLDR through Babel; UNIT_PATTERNS fills only what CLDR lacks, so that no Cyrillic
locale falls back to Latin letters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, format_timedelta, get_datetime_format
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from babel.units import format_unit

SOURCE_LOCALE = "en"
KNOWN_LOCALES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
#: the locales written in Cyrillic: none of their text may fall back to Latin letters
CYRILLIC_LOCALES = ("ru", "kk", "ky", "tg")
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
#: where a text missing in a locale is looked for next. The region's languages read
#: Russian more widely than English; Russian readers get English, English readers Russian.
_FALLBACKS = {"ru": ("en",), "en": ("ru",)}
_REGION_FALLBACK = ("ru", "en")

T = TypeVar("T")


def fallback_chain(locale: str) -> tuple[str, ...]:
    """The locale, then where its missing texts come from: kk/ky/tg/tk/uz → ru → en,
    ru → en, en → ru."""
    return (locale, *_FALLBACKS.get(locale, _REGION_FALLBACK))


def pick(texts: Mapping[str, T], locale: str, default: T) -> T:
    """A name or text in the locale, else the first along its fallback chain, else in any
    known locale (better than none), else ``default``. Empty texts count as missing."""
    for code in (*fallback_chain(locale), *KNOWN_LOCALES):
        text = texts.get(code)
        if text:
            return text
    return default


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


@lru_cache(maxsize=4096)
def label(msgid: str, locale: str) -> str:
    """A fixed text without parameters (a lane's name, a state's) in a locale, looked up
    once: a list renders hundreds of them."""
    return translations(locale).gettext(msgid)


def native_name(locale: str) -> str:
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


# Unit patterns CLDR does not have (Babel 2.18 ships CLDR 47), keyed by CLDR unit id.
# Tajik has no unit data at all, so CLDR answers «35 min», «3 l», «25 kg». The duration
# words are the ones CLDR's own Tajik relative-time fields use («пас аз {0} дақиқа»,
# «{0} соат пеш», «пас аз {0} рӯз»); Tajik has one plural form (CLDR: only "other"), and
# a noun after a numeral stays singular. The abbreviations are the Cyrillic metric ones,
# as the Tajik catalog already writes «2 МБ». Kazakh CLDR writes «MБ» with a Latin M.
UNIT_PATTERNS: dict[str, dict[str, str]] = {
    "tg": {
        "duration-day": "{0} рӯз",
        "duration-hour": "{0} соат",
        "duration-minute": "{0} дақиқа",
        "volume-liter": "{0} л",
        "volume-milliliter": "{0} мл",
        "mass-kilogram": "{0} кг",
        "mass-gram": "{0} г",
        "digital-megabyte": "{0} МБ",
        "speed-kilometer-per-hour": "{0} км/соат",
    },
    "kk": {
        "digital-megabyte": "{0} МБ",
    },
}

_DURATIONS: dict[str, Literal["day", "hour", "minute"]] = {
    "duration-day": "day",
    "duration-hour": "hour",
    "duration-minute": "minute",
}


def format_quantity(value: float, unit: str, locale: str) -> str:
    """«3 л», «25 кг», «35 дақиқа»: a number and a CLDR unit (``mass-kilogram``).

    Measures are abbreviated, durations spelled out. The number is always Babel's; the
    pattern is CLDR's unless UNIT_PATTERNS fills a gap for the locale.
    """
    pattern = UNIT_PATTERNS.get(locale, {}).get(unit)
    if pattern is not None:
        return pattern.format(format_decimal(value, locale=locale))
    name = _DURATIONS.get(unit)
    if name is not None:
        # format_timedelta falls back to a short form where a locale lacks the long one;
        # format_unit would print the unit id instead
        return format_timedelta(
            timedelta(**{f"{name}s": value}), granularity=name, threshold=1, locale=locale
        )
    return format_unit(value, unit, length="short", locale=locale)


# CLDR spells the Tajik name of the Uzbek sum with the Uzbek letter ў; Tajik writes ӯ
_CURRENCY_NAME_SPELLING = {"tg": {"сўми Ӯзбекистон": "сӯми Ӯзбекистон"}}


def format_money(value: float, currency: str, locale: str) -> str:
    """«10 000,00 $»: the CLDR symbol, or the currency's CLDR name where the symbol
    would put Latin letters into a Cyrillic text («10 000,00 доллари ИМА», not «US$»)."""
    text = format_currency(value, currency, locale=locale)
    if locale in CYRILLIC_LOCALES and has_latin(text):
        text = format_currency(value, currency, locale=locale, format_type="name")
        for wrong, right in _CURRENCY_NAME_SPELLING.get(locale, {}).items():
            text = text.replace(wrong, right)
    return text


def has_latin(text: str) -> bool:
    """Whether a text has a Latin letter (A-Z, with or without diacritics)."""
    return any(char.isalpha() and "LATIN" in unicodedata.name(char, "") for char in text)


@lru_cache(maxsize=32_768)
def format_wait(minutes: int, locale: str) -> str:
    """«1 сағат 30 минут»: days, hours and minutes in words, from CLDR unit patterns.

    Memoised: a list names the same few hundred waits over and over, and CLDR's
    formatting costs tens of microseconds a call."""
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(format_quantity(days, "duration-day", locale))
    if hours:
        parts.append(format_quantity(hours, "duration-hour", locale))
    if minutes or not parts:
        parts.append(format_quantity(minutes, "duration-minute", locale))
    try:
        return format_list(parts, style="unit", locale=locale)
    except KeyError:
        # some locales' CLDR data lack a unit-list pattern for three items
        return format_list(parts, style="standard", locale=locale)


def format_share(share: float, locale: str) -> str:
    """«85 %», «85%»: a share of 0-1 as a whole percentage, from CLDR."""
    return format_percent(share, locale=locale)


def format_moment(moment: datetime, timezone: str, locale: str) -> str:
    """«14 дек., 20:00»: a day and a time of day in a place's time zone, from CLDR."""
    zone = ZoneInfo(timezone)
    day = format_skeleton("MMMd", moment, tzinfo=zone, locale=locale)
    time = format_time(moment, "short", tzinfo=zone, locale=locale)
    return str(get_datetime_format("short", locale=locale)).format(time, day)


#: every character written for the Uzbek oʻ/gʻ sign or the tutuq belgisi (ʼ), in any data
#: or keyboard: ' ‘ ’ ` ´ ʻ ʼ
_APOSTROPHES = str.maketrans(dict.fromkeys("'\u2018\u2019`\u00b4\u02bc", "\u02bb"))


def fold_apostrophes(text: str) -> str:
    """One apostrophe for searching: «Do'stlik», «Do‘stlik» and «Doʻstlik» match alike."""
    return text.translate(_APOSTROPHES)
