"""The transliterator against official word pairs (uz_pairs.csv, kk_pairs.csv: each row
names its source), and the rules the tables do not show: placeholders, links, the native
-tsa, capitals."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from content.locales import has_latin
from content.scripts import kk_to_latin, upper_kazakh, uz_to_cyrillic

HERE = Path(__file__).resolve().parent


def _pairs(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8") as file:
        return list(csv.DictReader(line for line in file if not line.startswith("#")))


def test_uzbek_latin_to_cyrillic_matches_every_official_pair() -> None:
    pairs = _pairs("uz_pairs.csv")
    assert len(pairs) >= 50
    wrong = [(p["latin"], uz_to_cyrillic(p["latin"]), p["cyrillic"]) for p in pairs]
    assert [w for w in wrong if w[1] != w[2]] == []


def test_kazakh_cyrillic_to_the_2021_latin_matches_every_pair() -> None:
    pairs = _pairs("kk_pairs.csv")
    assert len(pairs) >= 50
    wrong = [(p["cyrillic"], kk_to_latin(p["cyrillic"]), p["latin"]) for p in pairs]
    assert [w for w in wrong if w[1] != w[2]] == []


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        # the conditional -sa after a stem in t is тс, a loanword's ts is ц
        ("Agar navbat oʻtsa yoki ketsa", "Агар навбат ўтса ёки кетса"),
        ("deklaratsiya, retsept, meditsina", "декларация, рецепт, медицина"),
        ("Retseptsiz, ruxsatsiz; ketsin", "Рецептсиз, рухсатсиз; кетсин"),
        # yoʻ is йў, not ёʻ; e after a vowel is э
        ("Yoʻl yopiq, aeroport", "Йўл ёпиқ, аэропорт"),
        # any apostrophe typed for oʻ, gʻ and the tutuq belgisi
        ("Do'stlik, G‘ishtko‘prik, ma’lumot", "Дўстлик, Ғишткўприк, маълумот"),
        ("OʻZBEKISTON SHAHRI", "ЎЗБЕКИСТОН ШАҲРИ"),
        # placeholders, links and link targets stay as written
        (
            "%(name)s: {count} ta. [Batafsil](https://example.uz/yangi) https://gov.uz/x",
            "%(name)s: {count} та. [Батафсил](https://example.uz/yangi) https://gov.uz/x",
        ),
        # a reviewed exception, and its stem before a suffix
        ("1-sentabr, sentabrda", "1-сентябрь, сентябрда"),
    ],
)
def test_uzbek_rules(latin: str, cyrillic: str) -> None:
    assert uz_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ішкі істер, ИӘ", "Işkı ıster, İÄ"),
        ("%(checkpoint)s бекеті: кезек {count}", "%(checkpoint)s beketı: kezek {count}"),
        ("ЮНЕСКО", "İUNESKO"),
    ],
)
def test_kazakh_rules(cyrillic: str, latin: str) -> None:
    assert kk_to_latin(cyrillic) == latin


def test_kazakh_capitals_keep_the_dot() -> None:
    assert upper_kazakh("iı") == "İI"


def test_the_whole_uzbek_alphabet_leaves_no_latin_letter() -> None:
    alphabet = "a b d e f g h i j k l m n o p q r s t u v x y z oʻ gʻ sh ch ng ʼ"
    assert not has_latin(uz_to_cyrillic(alphabet + " " + alphabet.upper()))
