"""The customs glossary: the words each language must, and must not, use for key terms.

`locales/glossary.toml` lists, per term and language, the accepted forms (stems, since these
languages inflect), the forbidden ones, and where the term comes from. `check_glossary`
reads (where, locale, text[, english]) texts and returns a Problem for each forbidden form,
and for each translation whose English source names a term but which uses none of that
language's forms. Flask-free, so that tests and a CLI command can share it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from babel.messages.pofile import read_po

from content.locales import KNOWN_LOCALES, LOCALES_DIR, SOURCE_LOCALE

GLOSSARY_FILE = LOCALES_DIR / "glossary.toml"
SEED_DIR = Path(__file__).resolve().parent / "seed"
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


class Text(NamedTuple):
    """A served text; `english` is its source, when the text is a translation of it."""

    where: str
    locale: str
    text: str
    english: str = ""


class Problem(NamedTuple):
    where: str
    locale: str
    term: str
    message: str


@dataclass(frozen=True)
class Forms:
    """Stems match at the start of a word, words match whole words; case is ignored.

    A `*` inside a form stands for the rest of a word: «пункт* пропуск» matches
    «пунктов пропуска».
    """

    stems: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        parts = [_START + _form(stem) for stem in self.stems]
        parts += [_START + _form(word) + r"(?!\w)" for word in self.words]
        return re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> str | None:
        """The first form found in `text`, or None."""
        match = self._pattern.search(text.casefold()) if self._pattern else None
        return match.group(0) if match else None

    def __bool__(self) -> bool:
        return bool(self.stems or self.words)


_START = r"(?<!\w)"


def _form(form: str) -> str:
    return re.escape(form.casefold()).replace(r"\*", r"\w*").replace(r"\ ", r"\s+")


@dataclass(frozen=True)
class Term:
    key: str
    english: Forms
    required: Mapping[str, Forms]
    forbidden: Mapping[str, Forms]


def load_glossary(path: Path = GLOSSARY_FILE) -> list[Term]:
    with path.open("rb") as file:
        data: dict[str, Any] = tomllib.load(file)
    terms = []
    for key, entry in data.items():
        english = entry["en"]
        languages = {locale: entry[locale] for locale in KNOWN_LOCALES if locale != SOURCE_LOCALE}
        terms.append(
            Term(
                key=key,
                english=Forms(tuple(english.get("stems", ())), tuple(english.get("words", ()))),
                required={
                    locale: Forms(tuple(lang.get("stems", ())), tuple(lang.get("words", ())))
                    for locale, lang in languages.items()
                },
                forbidden={
                    locale: Forms(
                        tuple(lang.get("forbidden_stems", ())),
                        tuple(lang.get("forbidden_words", ())),
                    )
                    for locale, lang in languages.items()
                },
            )
        )
    return terms


def check_glossary(
    texts: Iterable[Text | tuple[str, str, str]], glossary: list[Term] | None = None
) -> list[Problem]:
    """Forbidden forms anywhere; and, where the English source names a term, no accepted form."""
    terms = load_glossary() if glossary is None else glossary
    problems = []
    for item in texts:
        text = Text(*item)
        if text.locale == SOURCE_LOCALE:
            continue
        for term in terms:
            forbidden = term.forbidden.get(text.locale)
            found = forbidden.find(text.text) if forbidden else None
            if found:
                problems.append(
                    Problem(
                        text.where, text.locale, term.key, f"forbidden «{found}» in «{text.text}»"
                    )
                )
            required = term.required.get(text.locale)
            english = _PLACEHOLDER.sub("", text.english)
            if (
                required
                and english
                and term.english.find(english)
                and not required.find(_PLACEHOLDER.sub("", text.text))
            ):
                wanted = ", ".join(required.stems + required.words)
                problems.append(
                    Problem(
                        text.where,
                        text.locale,
                        term.key,
                        f"«{text.text}» translates «{text.english}» without any of: {wanted}",
                    )
                )
    return problems


def catalog_texts(locales_dir: Path = LOCALES_DIR) -> Iterator[Text]:
    """Every msgstr of every catalog, with its English msgid."""
    for locale in KNOWN_LOCALES:
        if locale == SOURCE_LOCALE:
            continue
        path = locales_dir / locale / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as file:
            catalog = read_po(file, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            ids = [str(part) for part in _as_list(message.id)]
            where = f"{path.relative_to(locales_dir)}: {ids[0]!r}"
            for string in _as_list(message.string):
                yield Text(where, locale, str(string or ""), ids[-1])


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def seed_texts(seed_dir: Path = SEED_DIR) -> Iterator[Text]:
    """Every translated text in the seed files: any table keyed by "en" and other locales.

    They are checked for forbidden forms only: rule explanations and campaigns are prose
    that may rightly paraphrase a term ("duty-free" as "without paying"), so the English
    source is not attached.
    """
    for path in sorted(seed_dir.rglob("*.toml")):
        with path.open("rb") as file:
            yield from _translated(tomllib.load(file), f"{path.relative_to(seed_dir)}:")


def _translated(node: Any, where: str) -> Iterator[Text]:
    if isinstance(node, dict):
        if SOURCE_LOCALE in node:  # {en = "…", ru = "…"} or {en = {title = "…"}, ru = {…}}
            for locale in KNOWN_LOCALES:
                value = node.get(locale)
                if locale == SOURCE_LOCALE:
                    continue
                if isinstance(value, str):
                    yield Text(where, locale, value)
                elif isinstance(value, dict):
                    for field, string in value.items():
                        if isinstance(string, str):
                            yield Text(f"{where}.{locale}.{field}", locale, string)
        for key, value in node.items():
            yield from _translated(value, f"{where}{'' if where.endswith(':') else '.'}{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _translated(value, f"{where}[{index}]")
