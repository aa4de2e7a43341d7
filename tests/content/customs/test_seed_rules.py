"""The seeded customs rules: complete, sourced, valid as an editor would enter them, and
answering each case of the per-country tables in tests/content/customs/cases/ as their
sources say."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.schemas.customs import RuleCreateIn, SubstanceIn
from content.customs import checker
from content.customs.checker import Item
from content.customs.models import DATE_PRECISIONS
from content.seed import loader

LOCALES = {"en", "ru", "kk", "ky", "uz", "tg", "tk"}
SEED = loader.read_customs()
CASES_DIR = Path(__file__).parent / "cases"
CASES = [
    (path.stem, case)
    for path in sorted(CASES_DIR.glob("*.toml"))
    for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]
]
#: the day the cases are judged on unless a case names its own
CASE_DAY = date(2026, 12, 1)


def test_every_country_has_sourced_rules() -> None:
    countries = {country for rule in SEED["rule"] for country in rule["countries"]}
    assert countries == {"KZ", "KG", "UZ", "TJ", "TM"}


def test_rule_keys_are_unique() -> None:
    keys = [rule["key"] for rule in SEED["rule"]]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("entry", SEED["rule"], ids=lambda entry: entry["key"])
def test_each_rule_is_valid_localised_and_sourced(entry: dict[str, Any]) -> None:
    fields = {k: v for k, v in entry.items() if k not in ("title", "explanation", "key")}
    fields |= {"key": entry["key"], "titles": entry["title"]}
    fields["explanations"] = entry.get("explanation", {})
    fields.pop("demo", None)
    RuleCreateIn().load(fields)  # what the editors' API would accept
    assert not entry.get("demo", False), "seeded rules are real rules"
    for texts in (entry["title"], entry["explanation"]):
        assert set(texts) == LOCALES
        assert all(text.strip() for text in texts.values())
        # written in each language, not English copied
        assert all(texts[locale] != texts["en"] for locale in LOCALES - {"en"})
    source = entry["source"]
    assert source["act"].strip()
    assert source["url"].startswith(("https://", "http://"))  # tests/content/test_sources.py
    assert entry["effective_from_precision"] in DATE_PRECISIONS
    if entry.get("limit_quantity") is not None:
        assert entry.get("limit_unit"), "a quantity needs its unit"
    if entry.get("limit_value") is not None:
        assert entry.get("limit_currency"), "a value needs its currency"


@pytest.mark.parametrize("entry", SEED["substance"], ids=lambda entry: entry["key"])
def test_each_substance_is_findable_in_every_language_and_sourced(entry: dict[str, Any]) -> None:
    rules = [
        {k: v for k, v in rule.items() if k != "source"} | {"source": rule["source"]}
        for rule in entry.get("rule", [])
    ]
    SubstanceIn().load({"names": entry["names"], "rules": rules})
    assert set(entry["names"]) == LOCALES
    assert all(entry["names"][locale] for locale in LOCALES)
    for rule in entry.get("rule", []):
        assert rule["source"]["url"].startswith(("https://", "http://"))
        assert rule["source"]["act"].strip()


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Iterator[Session]:
    """The seed rules and demo rates, loaded once for the module and rolled back after."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection) as session:
            loader.load_customs(session)
            loader.load_demo_rates(session)
            session.flush()
            yield session
        transaction.rollback()


@pytest.mark.parametrize(
    ("table", "case"), CASES, ids=[f"{table}: {case['checks']}" for table, case in CASES]
)
def test_case_tables(seeded: Session, table: str, case: dict[str, Any]) -> None:
    result = checker.check(
        seeded,
        country=case["country"],
        direction=case["direction"],
        mode=case["mode"],
        on=date.fromisoformat(case["date"]) if "date" in case else CASE_DAY,
        age=case.get("age", 30),
        items=[Item(**item) for item in case["items"]],
        resident_of=case.get("resident_of"),
    )
    got = [verdict.verdict for verdict in result.items]
    assert got == case["expected"], f"{case['checks']} — because {case['why']}"
    # a row may also pin why (the reasons) and what it cites (each item's rule keys)
    if "reasons" in case:
        assert [verdict.reason for verdict in result.items] == case["reasons"], case["checks"]
    if "rules" in case:
        cited = [[rule.key for rule in verdict.rules] for verdict in result.items]
        assert cited == case["rules"], case["checks"]
    for verdict in result.items:
        if verdict.verdict == "free":
            # a duty-free answer must name the allowance it comes from
            assert verdict.rules, case["checks"]
        for rule in verdict.rules:
            assert rule.source["url"], rule.key
