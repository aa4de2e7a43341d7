"""The languages the service speaks, their catalogs, and CLDR formatting.

Flask-free, so that push messages and the CLI render text the same way requests do.
English is the source language (the msgids). Numbers, units and durations come from
CLDR through Babel; UNIT_PATTERNS fills only what CLDR lacks, so that no Cyrillic
locale falls back to Latin letters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    format_timedelta,
    get_datetime_format,
)
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations
from babel.units import format_unit

SOURCE_LOCALE = "en"
#: the languages whose texts are stored (catalogs, seed files, editors' fields)
KNOWN_LOCALES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
#: languages served in another script, generated from a stored one by transliteration
#: (content.scripts): their texts are never stored, and editors do not write them
DERIVED_LOCALES = {"uz-Cyrl": "uz", "kk-Latn": "kk"}
#: every language a reader may ask for: the stored ones, then the derived ones
SERVED_LOCALES = (*KNOWN_LOCALES, *DERIVED_LOCALES)
#: the stored locales written in Cyrillic: none of their text may fall back to Latin
#: letters (uz-Cyrl is served in Cyrillic too; it formats as CLDR's uz_Cyrl)
CYRILLIC_LOCALES = ("ru", "kk", "ky", "tg")
#: the CLDR locale each derived language formats dates and numbers in: CLDR has Uzbek in
#: Cyrillic (uz_Cyrl) but no Kazakh in Latin letters, so kk-Latn formats as kk and
#: transliterates the result («14 жел., 20:00» → «14 jel., 20:00»)
_CLDR = {"uz-Cyrl": "uz_Cyrl", "kk-Latn": "kk"}
#: the Babel locales whose money is written in words where the symbol has Latin letters
_CYRILLIC_CLDR = frozenset({*CYRILLIC_LOCALES, "uz_Cyrl"})
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
#: where a text missing in a locale is looked for next. The region's languages read
#: Russian more widely than English; Russian readers get English, English readers Russian.
_FALLBACKS = {
    "ru": ("en",),
    "en": ("ru",),
    "uz-Cyrl": ("uz", "ru", "en"),
    "kk-Latn": ("kk", "en", "ru"),
}
_REGION_FALLBACK = ("ru", "en")

T = TypeVar("T")


def fallback_chain(locale: str) -> tuple[str, ...]:
    """The locale, then where its missing texts come from: kk/ky/tg/tk/uz → ru → en,
    ru → en, en → ru; a derived language first its base (uz-Cyrl → uz → ru → en), and
    kk-Latn English before Russian, which is in the other script."""
    return (locale, *_FALLBACKS.get(locale, _REGION_FALLBACK))


def canonical(tag: str) -> str | None:
    """The served locale a language tag names, whatever its case or separator
    (``uz-cyrl``, ``uz_Cyrl`` → ``uz-Cyrl``; ``KK`` → ``kk``), else None."""
    wanted = tag.strip().replace("_", "-").casefold()
    for code in SERVED_LOCALES:
        if code.casefold() == wanted:
            return code
    return None


def base_locale(locale: str) -> str:
    """The stored language a served one is read from (uz-Cyrl → uz), else itself."""
    return DERIVED_LOCALES.get(locale, locale)


def cldr_locale(locale: str) -> str:
    """The CLDR (Babel) locale that formats a served language's dates and numbers."""
    return _CLDR.get(locale, locale)


def derive(text: str, locale: str) -> str:
    """A text of the locale's base language in the locale's own script (unchanged for a
    stored language)."""
    from content import scripts

    if locale == "uz-Cyrl":
        return scripts.uz_to_cyrillic(text)
    if locale == "kk-Latn":
        return scripts.kk_to_latin(text)
    return text


def _derived(value: T, locale: str) -> T:
    if isinstance(value, str):
        return derive(value, locale)  # type: ignore[return-value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [derive(item, locale) for item in value]  # type: ignore[return-value]
    return value


def served_language(
    locale: str, complete: Collection[str], *, outdated: Collection[str] = ()
) -> str | None:
    """The language a reader of `locale` reads an item in, given the stored languages the
    item is complete in: the first along the locale's fallback chain that is complete and
    not `outdated` (an outdated translation counts as missing), else None. A derived locale
    read from its base comes back as itself: its text is the base's, through `derive`."""
    base = DERIVED_LOCALES.get(locale)
    for code in fallback_chain(locale):
        if code in complete and code not in outdated:
            return locale if code == base else code
    return None


def pick(texts: Mapping[str, T], locale: str, default: T) -> T:
    """A name or text in the locale, else the first along its fallback chain, else in any
    known locale (better than none), else ``default``. Empty texts count as missing.
    A derived locale reads its base language's text in its own script."""
    base = DERIVED_LOCALES.get(locale)
    for code in (*fallback_chain(locale), *KNOWN_LOCALES):
        text = texts.get(code)
        if text:
            return _derived(text, locale) if code == base else text
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


class DerivedTranslations(NullTranslations):
    """A derived language's catalog: its base language's, transliterated message by
    message when first asked for (placeholders are left alone), then remembered."""

    def __init__(self, base: NullTranslations, locale: str) -> None:
        super().__init__()
        self.base = base
        self.locale = locale
        self.plural = getattr(base, "plural", self.plural)

    def gettext(self, message: str) -> str:
        return derive(self.base.gettext(message), self.locale)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return derive(self.base.ngettext(msgid1, msgid2, n), self.locale)

    def pgettext(self, context: str, message: str) -> str:
        return derive(str(self.base.pgettext(context, message)), self.locale)

    def npgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        return derive(self.base.npgettext(context, singular, plural, num), self.locale)

    # Flask-Babel's names
    ugettext = gettext
    ungettext = ngettext
    upgettext = pgettext
    unpgettext = npgettext


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a locale (the source locale translates to itself); a
    derived locale's is its base's, transliterated."""
    if locale in DERIVED_LOCALES:
        return DerivedTranslations(translations(DERIVED_LOCALES[locale]), locale)
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [locale], DOMAIN)


@lru_cache(maxsize=4096)
def label(msgid: str, locale: str) -> str:
    """A fixed text without parameters (a lane's name, a state's) in a locale, looked up
    once: a list renders hundreds of them."""
    return translations(locale).gettext(msgid)


def native_name(locale: str) -> str:
    """The language's name in itself, from CLDR: «Ўзбекча (Кирил)» is CLDR's uz_Cyrl.
    CLDR has no Kazakh in Latin letters (Babel answers kk_Latn with kk_Cyrl), so kk-Latn
    is Kazakh's CLDR name and its CLDR word for the Latin script, transliterated:
    «қазақ тілі (латын жазуы)» → «Qazaq tılı (latyn jazuy)»."""
    if locale == "kk-Latn":
        kazakh = Locale.parse("kk")
        name = derive(f"{kazakh.languages['kk']} ({kazakh.scripts['Latn']})", locale)
    else:
        cldr = cldr_locale(locale)
        name = Locale.parse(cldr).get_display_name(cldr) or locale
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
    if locale in DERIVED_LOCALES:
        return derive(format_quantity(value, unit, cldr_locale(locale)), locale)
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
    if locale in DERIVED_LOCALES:
        return derive(format_money(value, currency, cldr_locale(locale)), locale)
    text = format_currency(value, currency, locale=locale)
    if locale in _CYRILLIC_CLDR and has_latin(text):
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
    if locale in DERIVED_LOCALES:
        return derive(format_wait(minutes, cldr_locale(locale)), locale)
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


def format_number(value: float, locale: str) -> str:
    """«1 234,5»: a number, from CLDR."""
    if locale in DERIVED_LOCALES:
        return derive(format_number(value, cldr_locale(locale)), locale)
    return format_decimal(value, locale=locale)


def format_day(day: date, locale: str) -> str:
    """«14 декабря 2026 г.»: a date written out, from CLDR."""
    if locale in DERIVED_LOCALES:
        return derive(format_day(day, cldr_locale(locale)), locale)
    return format_date(day, "long", locale=locale)


def format_clock(moment: datetime, timezone: str, locale: str) -> str:
    """«20:00»: a time of day in a place's time zone, from CLDR."""
    if locale in DERIVED_LOCALES:
        return derive(format_clock(moment, timezone, cldr_locale(locale)), locale)
    return format_time(moment, "short", tzinfo=ZoneInfo(timezone), locale=locale)


def format_share(share: float, locale: str) -> str:
    """«85 %», «85%»: a share of 0-1 as a whole percentage, from CLDR."""
    if locale in DERIVED_LOCALES:
        return derive(format_share(share, cldr_locale(locale)), locale)
    return format_percent(share, locale=locale)


def format_moment(moment: datetime, timezone: str, locale: str) -> str:
    """«14 дек., 20:00»: a day and a time of day in a place's time zone, from CLDR."""
    if locale in DERIVED_LOCALES:
        return derive(format_moment(moment, timezone, cldr_locale(locale)), locale)
    day = format_skeleton("MMMd", moment, tzinfo=ZoneInfo(timezone), locale=locale)
    time = format_clock(moment, timezone, locale)
    return str(get_datetime_format("short", locale=locale)).format(time, day)


#: every character written for the Uzbek oʻ/gʻ sign or the tutuq belgisi (ʼ), in any data
#: or keyboard: ' ‘ ’ ` ´ ʻ ʼ
_APOSTROPHES = str.maketrans(dict.fromkeys("'\u2018\u2019`\u00b4\u02bc", "\u02bb"))


def fold_apostrophes(text: str) -> str:
    """One apostrophe for searching: «Do'stlik», «Do‘stlik» and «Doʻstlik» match alike."""
    return text.translate(_APOSTROPHES)
