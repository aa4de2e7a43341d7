"""What the seeded demo campaigns say: labelled as demo, true to their sources (review §5, §8)."""

from __future__ import annotations

import re
import tomllib

import pytest

from content.campaigns import service as campaigns
from content.locales import KNOWN_LOCALES
from content.seed import loader

with loader.CAMPAIGNS_FILE.open("rb") as _file:
    CAMPAIGNS = {entry["slug"]: entry for entry in tomllib.load(_file)["campaign"]}
with (loader.CUSTOMS_DIR / "medicines.toml").open("rb") as _file:
    TM_PERMIT_RULE = next(
        rule
        for rule in tomllib.load(_file)["rule"]
        if rule["key"] == "tm-medicines-narcotic-psychotropic-permit"
    )


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", text)


@pytest.mark.parametrize("slug", sorted(CAMPAIGNS))
def test_every_seeded_demo_campaign_says_so_in_every_language(slug: str) -> None:
    entry = CAMPAIGNS[slug]
    assert entry["demo"] is True
    assert set(entry["translations"]) == set(KNOWN_LOCALES)
    assert campaigns.demo_label_missing(entry["translations"]) == []


# the number is Kyrgyzstan's: its nearly 800 kg was more than twenty times the year before
TWENTY = {
    "en": "twenty",
    "ru": "двадцать",
    "kk": "жиырма",
    "ky": "жыйырма",
    "uz": "yigirma",
    "tg": "бист",
    "tk": "ýigrimi",
}


@pytest.mark.parametrize("locale", sorted(TWENTY))
def test_the_twentyfold_increase_is_told_of_kyrgyzstan_only(locale: str) -> None:
    body = CAMPAIGNS["synthetic-drugs-are-not-safe"]["translations"][locale]["body"]
    [sentence] = [s for s in _sentences(body) if TWENTY[locale] in s]
    # one sentence names both figures, and the increase follows Kyrgyzstan's 800 kg
    assert "1,5" in sentence or "1.5" in sentence
    assert sentence.index("800") < sentence.index(TWENTY[locale])


# "They can cause psychosis, seizures and addiction": a possibility, not a certainty
CAN_CAUSE = {
    "en": "can cause",
    "ru": "могут вызывать",
    "kk": "тудыруы мүмкін",
    "ky": "алып келиши мүмкүн",
    "uz": "olib kelishi mumkin",
    "tg": "метавонанд боиси",
    "tk": "getirip biler",
}


@pytest.mark.parametrize("locale", sorted(CAN_CAUSE))
def test_the_summary_says_synthetic_drugs_can_cause_harm(locale: str) -> None:
    summary = CAMPAIGNS["synthetic-drugs-are-not-safe"]["translations"][locale]["summary"]
    assert CAN_CAUSE[locale] in summary


# Turkmenistan: a permit of a state body, not a declaration (the words of the rule texts)
TURKMENISTAN = {
    "en": ("Turkmenistan", "declaration is not enough", "permit"),
    "ru": ("Туркменистан", "декларации недостаточно", "разрешени"),
    "kk": ("Түрікменстан", "декларация жеткіліксіз", "рұқсат"),
    "ky": ("Түркмөнстан", "декларация жетишсиз", "уруксат"),
    "uz": ("Turkmaniston", "deklaratsiya yetarli emas", "ruxsatnoma"),
    "tg": ("Туркманистон", "эъломия кифоя нест", "иҷозатнома"),
    "tk": ("Türkmenistan", "deklarasiýa ýeterlik däl", "ygtyýarnama"),
}


@pytest.mark.parametrize("locale", sorted(TURKMENISTAN))
def test_the_medicines_campaign_warns_that_turkmenistan_needs_a_permit(locale: str) -> None:
    body = CAMPAIGNS["medicines-at-the-border"]["translations"][locale]["body"]
    country, not_enough, permit = TURKMENISTAN[locale]
    bullets = [line for line in body.splitlines() if line.startswith("- ") and country in line]
    assert len(bullets) == 1
    assert not_enough in bullets[0]
    assert permit in bullets[0]
    assert "tramadol" in bullets[0].lower() or "трамадол" in bullets[0].lower()


def test_the_turkmenistan_warning_cites_the_rules_source() -> None:
    entry = CAMPAIGNS["medicines-at-the-border"]
    assert "TM" in entry["countries"]
    urls = {source["url"] for source in entry["source"]}
    assert TM_PERMIT_RULE["source"]["url"] in urls


@pytest.mark.parametrize("locale", sorted(TURKMENISTAN))
def test_the_turkmenistan_warning_uses_the_rules_word_for_permit(locale: str) -> None:
    permit = TURKMENISTAN[locale][2]
    assert permit in TM_PERMIT_RULE["title"][locale]
