"""Customs rules for the checker's tests: EAEU-shaped test data, labelled as such."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from content.accounts.service import SYSTEM, Actor
from content.customs import service as customs

TESTER = Actor("test")
LOCALES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")


def _texts(text: str) -> dict[str, str]:
    return {locale: f"{text} ({locale})" for locale in LOCALES}


def rule(**fields: Any) -> dict[str, Any]:
    base = {
        "countries": ["KZ", "KG"],
        "scope": "eaeu",
        "direction": "both",
        "mode": "all",
        "above_limit": "declare",
        "titles": _texts(fields["key"]),
        "explanations": _texts("explanation"),
        "source": {"act": "test data", "url": "https://example.test/rule"},
        "effective_from": date(2020, 1, 1),
        "effective_from_precision": "day",
        "demo": True,
    }
    return {**base, **fields}


@pytest.fixture
def test_rules(session: Session) -> None:
    for fields in (
        rule(key="t-cash", category="cash", limit_value=10000, limit_currency="USD"),
        rule(
            key="t-alcohol",
            category="alcohol",
            limit_quantity=3,
            limit_unit="l",
            hard_limit_quantity=5,
            above_limit="duty",
            min_age=18,
            direction="entry",
        ),
        rule(
            key="t-cigarettes",
            category="tobacco",
            limit_quantity=200,
            limit_unit="pieces",
            above_limit="duty",
            min_age=18,
            direction="entry",
        ),
        rule(
            key="t-goods-air",
            category="goods",
            limit_value=10000,
            limit_currency="EUR",
            above_limit="duty",
            mode="air",
            direction="entry",
        ),
        rule(
            key="t-goods-land",
            category="goods",
            limit_value=500,
            limit_currency="EUR",
            above_limit="duty",
            mode="road",
            direction="entry",
        ),
        rule(key="t-weapons", category="prohibited", above_limit="prohibited"),
    ):
        customs.create_rule(session, actor=TESTER, fields=fields)
    customs.upsert_substance(
        session,
        actor=None,
        key="tramadol",
        names={
            "en": ["tramadol", "tramadol hydrochloride"],
            "ru": ["трамадол", "трамадол гидрохлорид"],
        },
        rules=[
            {
                "country": "KZ",
                "action": "prescription",
                "max_quantity": 50,
                "unit": "pieces",
                "source": {"url": "https://example.test/tramadol"},
            }
        ],
    )
    customs.set_rate(
        session, actor=SYSTEM, currency="EUR", per_usd=0.9, as_of=date(2026, 1, 1), source="test"
    )
    customs.set_rate(
        session, actor=SYSTEM, currency="KZT", per_usd=500, as_of=date(2026, 1, 1), source="test"
    )
    session.commit()
