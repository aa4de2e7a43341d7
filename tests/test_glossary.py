"""Every catalog and every seeded text uses the glossary's customs terms (locales/glossary.toml)."""

from __future__ import annotations

import re

import pytest

from content.glossary import Text, catalog_texts, check_glossary, load_glossary, seed_texts

SERVED = [*catalog_texts(), *seed_texts()]


def test_catalogs_and_seed_data_follow_the_glossary() -> None:
    problems = check_glossary(SERVED)
    assert not problems, "\n".join(
        f"{p.where} [{p.locale}] {p.term}: {p.message}" for p in problems
    )


def test_the_check_reads_texts_of_every_kind() -> None:
    """The data the check reads is there: rule texts, substances, campaigns, checkpoints."""
    wheres = {text.where.split(":")[0] for text in SERVED}
    assert {"customs/medicines.toml", "campaigns.toml", "checkpoints.toml"} <= wheres
    assert any(w.endswith(".po") for w in wheres)
    assert {text.locale for text in SERVED} == {"ru", "kk", "ky", "uz", "tg", "tk"}


@pytest.mark.parametrize(
    ("text", "term"),
    [
        # the tg and tk verdicts before review 2026-12 §1: "announce", not "declare"
        (Text("po", "tg", "Дар гумрук эълон кунед.", "Declare it at customs."), "declare"),
        (Text("po", "tk", "Gümrükde yglan ediň.", "Declare it at customs."), "declare"),
        (Text("seed", "tk", "Yglan edilmedik dermanlar üçin jerime"), "declare"),
        (Text("po", "tk", "%(num)s gap", "%(num)s packs"), "pack"),
        (Text("po", "tk", "Paj tölemek", "Pay duty"), "duty"),
    ],
)
def test_a_forbidden_form_is_reported(text: Text, term: str) -> None:
    problems = check_glossary([text])
    assert any(p.term == term and "forbidden" in p.message for p in problems)


def test_a_translation_without_the_term_is_reported() -> None:
    """A verdict that drops "declare" altogether fails even without a forbidden word."""
    problems = check_glossary([("po", "ru", "Сообщите на таможне.", "Declare it at customs.")])
    assert [p.term for p in problems] == ["declare"]


def test_placeholders_and_other_senses_are_not_terms() -> None:
    accepted = [
        # "%(checkpoint)s" is a placeholder, not the word checkpoint
        Text(
            "po",
            "tg",
            "%(checkpoint)s: навбат кӯтоҳтар шуд",
            "%(checkpoint)s: the queue is shorter",
        ),
        # "packaging" is not "pack"; inflected forms count
        Text(
            "po",
            "tk",
            "Resepti derman bilen bilelikde, asyl gabynda saklaň.",
            "Keep the prescription with the medicine, in its original packaging.",
        ),
        Text("po", "ru", "%(num)s пачек", "%(num)s packs"),
        # an untranslated text (no English source) is checked for forbidden forms only
        ("seed", "tk", "Gümrük düzgünleri"),
    ]
    assert check_glossary(accepted) == []


def test_every_term_has_forms_and_a_source_in_every_language() -> None:
    glossary = load_glossary()
    assert {t.key for t in glossary} >= {
        "declare",
        "customs",
        "checkpoint",
        "queue",
        "duty",
        "prohibited",
        "permit",
        "prescription",
        "pack",
    }
    for term in glossary:
        assert term.english, term.key
        for locale, forms in term.required.items():
            assert forms, f"{term.key}: no {locale} form"


# review 2026-12 §11: one spelling, one quotation style
_ONE_FORM = [
    ("uz", re.compile(r"AQSH"), "«AQSh», as in the catalog and the customs texts"),
    ("uz", re.compile(r"[“”„]"), "quotes «…»"),
    ("tk", re.compile(r"[“”„]"), "quotes «…»"),
    ("tk", re.compile(r"bileleşig", re.IGNORECASE), "«Ýewraziýa ykdysady birleşigi»"),
]


@pytest.mark.parametrize(("locale", "pattern", "wanted"), _ONE_FORM)
def test_one_spelling(locale: str, pattern: re.Pattern[str], wanted: str) -> None:
    found = [t.where for t in SERVED if t.locale == locale and pattern.search(t.text)]
    assert not found, f"{locale}: use {wanted}: {found}"


@pytest.mark.parametrize(("locale", "not_real"), [("uz", "haqiqiy emas"), ("tk", "hakyky däl")])
def test_the_demo_tag_says_not_real(locale: str, not_real: str) -> None:
    """Review 2026-12 §10: uz «namuna» (sample) and tk «synag» (test) did not say "not real"."""
    (tag,) = [t.text for t in SERVED if t.locale == locale and t.where.endswith(": 'demo'")]
    assert not_real in tag
