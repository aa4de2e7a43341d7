"""Uzbek in Cyrillic and Kazakh in Latin letters, generated from the stored texts.

The service stores Uzbek in its official Latin alphabet (1995) and Kazakh in Cyrillic; the
readers' `uz-Cyrl` and `kk-Latn` are transliterated from them when read. This is our own
table-driven transliterator, written because no package passed the word tables under
tests/content/transliteration/ (official bilingual pairs; see that folder's README, which
has the figures). Our rules alone get 69 of the 71 Uzbek pairs, like alifbo; the two are
loanwords the exceptions file covers. alifbo was still not taken because it breaks what
the tables do not show but every catalog message has:

- Uzbek Latin to Cyrillic: alifbo 0.6.0 came closest (69 of 71 pairs; it also corrupts
  gettext placeholders, «%(name)s» to «%(наме)с», and writes the native conditional «ketsa»
  as «кеца»); uzbek-latin-cyrillic-converter 0.2 60, stransliterator 0.0.4 40,
  uzbek-text-tools 0.1.0 17. cyrtranslit has no Uzbek.
- Kazakh Cyrillic to the 2021 Latin alphabet: turkic-translit 0.5.9 59 of 65 (it writes
  «ch», «yu», «ya» of an older draft), qazaq-transliterator 2.0 54 (ŋ, «ch», «c»),
  stransliterator 0.0.4 26, cyrtranslit 1.2.0 (no Kazakh; Russian rules) 13.

The rules are the official ones:

- Uzbek: the Latin alphabet of 1995 (Cabinet of Ministers, 24 August 1995; UNGEGN's table):
  oʻ ў, gʻ ғ, sh ш, ch ч, ʼ ъ, h ҳ, x х, q қ, j ж; yo ё, yu ю, ya я, ye е (but «yoʻ» is
  йў); e is э at the start of a word and after a vowel, е elsewhere; ts is ц in loanwords
  («deklaratsiya» декларация) but тс where a suffix in s (-sa, -siz, -sin) follows a stem
  in t («ketsa» кетса, «retseptsiz» рецептсиз). Russian loanwords that Uzbek Latin
  spells without ь or with я/ё after a consonant («sentabr» сентябрь, «obyekt» объект)
  come from the exceptions file.
- Kazakh: the Latin alphabet presented to the National Commission on 28 January 2021:
  ә ä, ғ ğ, қ q, ң ñ, ө ö, ұ ū, ү ü, ш ş, ч ç, ы y, і ı (capital I), и and й i (capital İ),
  һ and х h, ц ts, щ ş, ю iu, я ia, ё io; ъ and ь are dropped.

Each direction has a reviewed exceptions file beside this module (`uz_cyrl_exceptions.csv`,
`kk_latn_exceptions.csv`) for names and loanwords: a `word` row replaces the whole word, a
`stem` row the start of a word (its suffixes are transliterated by the rules). Links,
Markdown link targets, e-mail addresses and placeholders (``%(name)s``, ``{name}``) are
never changed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: what is not prose and stays as written: links, Markdown link targets, e-mail addresses,
#: gettext and str.format placeholders
PROTECTED = re.compile(
    r"https?://\S+|www\.\S+|\]\([^)]*\)|[\w.+-]+@[\w-]+\.[\w.-]+|%\(\w+\)[sd]|%[sd]|\{\w*\}"
)
#: apostrophes and the like as people type them, for the Uzbek oʻ, gʻ and tutuq belgisi (ʼ)
_APOSTROPHES = "'\u2018\u2019`\u00b4\u02bb\u02bc"
_UZ_WORD = re.compile(rf"[^\W\d_](?:[^\W\d_]|[{_APOSTROPHES}](?=[^\W\d_]))*")
_KK_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Exceptions:
    """A reviewed exceptions file: whole words and word starts, keyed in lower case."""

    words: dict[str, str]
    #: (stem, its form), longest first
    stems: tuple[tuple[str, str], ...]


def load_exceptions(path: Path, fold: Callable[[str], str]) -> Exceptions:
    """The rows of an exceptions file (`source,target,kind,note`; `#` starts a comment)."""
    words: dict[str, str] = {}
    stems: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as file:
        lines = (line for line in file if line.strip() and not line.startswith("#"))
        for row in csv.DictReader(lines):
            source, target = fold(row["source"].strip()), row["target"].strip()
            if row["kind"].strip() == "stem":
                stems.append((source, target))
            else:
                words[source] = target
    stems.sort(key=lambda stem: -len(stem[0]))
    return Exceptions(words, tuple(stems))


def _segments(text: str) -> Iterator[tuple[bool, str]]:
    """The text cut into (changeable, piece): protected spans come out unchangeable."""
    start = 0
    for match in PROTECTED.finditer(text):
        if match.start() > start:
            yield True, text[start : match.start()]
        yield False, match.group()
        start = match.end()
    if start < len(text):
        yield True, text[start:]


def _convert(text: str, word: re.Pattern[str], convert_word: Callable[[str], str]) -> str:
    out = []
    for changeable, piece in _segments(text):
        out.append(word.sub(lambda m: convert_word(m.group()), piece) if changeable else piece)
    return "".join(out)


def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


# --- Uzbek: Latin (1995) to Cyrillic -------------------------------------------------

_UZ_LETTERS = {
    "a": "а", "b": "б", "c": "с", "d": "д", "f": "ф", "g": "г", "h": "ҳ", "i": "и",
    "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ",
    "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "х", "y": "й",
    "z": "з",
}  # fmt: skip
_UZ_DIGRAPHS = {"oʻ": "ў", "gʻ": "ғ", "sh": "ш", "ch": "ч", "yo": "ё", "yu": "ю", "ya": "я"}
_UZ_VOWELS = set("aeiouʻ")
#: what follows a stem in t when the s starts a suffix: the conditional -sa (ketsa кетса),
#: -siz (retseptsiz рецептсиз, ruxsatsiz рухсатсиз), the imperative -sin (ketsin кетсин);
#: loanwords with ц go on otherwise (deklaratsiya, meditsina)
_UZ_CONDITIONAL = re.compile(r"a(?:m|ng|k|ngiz|lar|ngizlar|ydi|chi)?$|iz|in(?:lar)?$")


def fold_uzbek(text: str) -> str:
    """Lower case with one apostrophe, ʻ (U+02BB), for every sign typed for oʻ, gʻ and ʼ."""
    return re.sub(f"[{_APOSTROPHES}]", "\u02bb", text).lower()


def _uz_rules(word: str, start: int = 0) -> str:
    """A Latin Uzbek word in Cyrillic by the 1995 rules, from ``start`` (a stem before)."""
    lower = fold_uzbek(word)
    caps = _is_caps(word)
    out = []
    i = start
    while i < len(lower):
        pair = lower[i : i + 2]
        if lower.startswith("yoʻ", i):
            piece, size = "й", 1
        elif pair in _UZ_DIGRAPHS:
            piece, size = _UZ_DIGRAPHS[pair], 2
        elif pair == "ye":
            piece, size = "е", 2
        elif pair == "ts":
            native = _UZ_CONDITIONAL.match(lower, i + 2) is not None
            piece, size = ("тс", 2) if native else ("ц", 2)
        elif lower[i] == "e":
            after_vowel = i > 0 and lower[i - 1] in _UZ_VOWELS
            piece, size = ("э" if i == 0 or after_vowel else "е"), 1
        elif lower[i] == "ʻ":
            piece, size = "ъ", 1
        else:
            piece, size = _UZ_LETTERS.get(lower[i], word[i]), 1
        if caps or word[i].isupper():
            piece = piece.upper() if caps else piece[:1].upper() + piece[1:]
        out.append(piece)
        i += size
    return "".join(out)


def _with_case(source: str, target: str, upper: Callable[[str], str]) -> str:
    if _is_caps(source):
        return upper(target)
    if source[:1].isupper():
        return upper(target[:1]) + target[1:]
    return target


def _uz_word(word: str) -> str:
    exceptions = _uz_exceptions()
    key = fold_uzbek(word)
    if key in exceptions.words:
        return _with_case(word, exceptions.words[key], str.upper)
    for stem, form in exceptions.stems:
        if key.startswith(stem) and len(key) > len(stem):
            # the stem's letters in the word: the key and the word have the same length
            return _with_case(word, form, str.upper) + _uz_rules(word, len(stem))
    return _uz_rules(word)


@cache
def _uz_exceptions() -> Exceptions:
    return load_exceptions(HERE / "uz_cyrl_exceptions.csv", fold_uzbek)


def uz_kept_in_latin() -> frozenset[str]:
    """What the Uzbek exceptions keep in Latin letters in Cyrillic Uzbek (UNODC, USD),
    as the Cyrillic catalogs of ru, kk, ky and tg keep them."""
    return frozenset(t for t in _uz_exceptions().words.values() if not re.search("[Ѐ-ӿ]", t))


@lru_cache(maxsize=65_536)
def uz_to_cyrillic(text: str) -> str:
    """Uzbek written in the Latin alphabet, in Cyrillic."""
    return _convert(text, _UZ_WORD, _uz_word)


# --- Kazakh: Cyrillic to Latin (2021) ------------------------------------------------

_KK_LETTERS = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ç", "ш": "ş", "щ": "ş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip
#: the 2021 alphabet's capitals follow Turkish casing: ı → I, i → İ
_KK_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def upper_kazakh(text: str) -> str:
    """Capitals in the 2021 alphabet: «i» is «İ» and «ı» is «I» (str.upper gives «I» for both)."""
    return text.translate(_KK_UPPER).upper()


def _kk_rules(word: str, start: int = 0) -> str:
    caps = _is_caps(word)
    out = []
    for char in word[start:]:
        piece = _KK_LETTERS.get(char.lower(), char)
        if char.isupper() and piece:
            piece = upper_kazakh(piece) if caps else upper_kazakh(piece[0]) + piece[1:]
        out.append(piece)
    return "".join(out)


def _kk_word(word: str) -> str:
    exceptions = _kk_exceptions()
    key = word.lower()
    if key in exceptions.words:
        return _with_case(word, exceptions.words[key], upper_kazakh)
    for stem, form in exceptions.stems:
        if key.startswith(stem) and len(key) > len(stem):
            return _with_case(word, form, upper_kazakh) + _kk_rules(word, len(stem))
    return _kk_rules(word)


@cache
def _kk_exceptions() -> Exceptions:
    return load_exceptions(HERE / "kk_latn_exceptions.csv", str.lower)


@lru_cache(maxsize=65_536)
def kk_to_latin(text: str) -> str:
    """Kazakh written in Cyrillic, in the Latin alphabet of 2021."""
    return _convert(text, _KK_WORD, _kk_word)
