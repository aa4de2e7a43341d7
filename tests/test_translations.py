"""The catalogs are current and complete in every language, with matching placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from api.i18n import KNOWN_LOCALES, LOCALES_DIR, SOURCE_LOCALE

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TRANSLATED = [locale for locale in KNOWN_LOCALES if locale != SOURCE_LOCALE]


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def test_template_matches_the_code(tmp_path: Path) -> None:
    """`make translations` was run after the last change to a message."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603  # fixed arguments, our own venv's pybabel
        [
            Path(sys.executable).with_name("pybabel"),
            "extract",
            "--mapping-file",
            "babel.cfg",
            "--keyword",
            "N_",
            "--keyword",
            "ngettext:1,2",
            "--no-location",
            "--sort-output",
            "--output-file",
            str(fresh),
            ".",
        ],
        check=True,
        capture_output=True,
        cwd=LOCALES_DIR.parent,
    )
    committed = {m.id for m in _read(LOCALES_DIR / "messages.pot") if m.id}
    extracted = {m.id for m in _read(fresh) if m.id}
    assert extracted == committed


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_is_complete(locale: str) -> None:
    template = {m.id for m in _read(LOCALES_DIR / "messages.pot") if m.id}
    catalog = _read(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po")
    messages = [m for m in catalog if m.id]
    assert {m.id for m in messages} == template
    for message in messages:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        assert all(strings), f"{locale}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{locale}: fuzzy {message.id!r}"
        wanted = sorted(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == wanted, f"{locale}: {message.id!r}"
        if len(ids[0]) > 12:
            assert strings[0] != ids[0], f"{locale}: left in English: {message.id!r}"


@pytest.mark.parametrize(
    ("locale", "label"), [("uz", "demo (haqiqiy emas)"), ("tk", "demo (hakyky däl)")]
)
def test_the_demo_tag_says_demo_not_sample_or_test(locale: str, label: str) -> None:
    """uz «namuna» reads "sample" and tk «synag» "test"; the tag says demo, not real."""
    catalog = _read(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po")
    assert catalog["demo"].string == label
