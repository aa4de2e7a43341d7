"""Customs rules for the checker's tests: EAEU-shaped test data, labelled as such."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from content.customs import service as customs
from tests import factories


@pytest.fixture
def customs_data(session: Session) -> None:
    """EAEU-shaped rules, a medicine and two exchange rates, for the checker's tests."""
    factories.customs_rule(
        session, key="t-cash", category="cash", limit_value=10000, limit_currency="USD"
    )
    factories.customs_rule(
        session,
        key="t-alcohol",
        category="alcohol",
        limit_quantity=3,
        limit_unit="l",
        hard_limit_quantity=5,
        above_limit="duty",
        min_age=18,
        direction="entry",
    )
    factories.customs_rule(
        session,
        key="t-cigarettes",
        category="tobacco",
        limit_quantity=200,
        limit_unit="pieces",
        above_limit="duty",
        min_age=18,
        direction="entry",
    )
    factories.customs_rule(
        session,
        key="t-goods-air",
        category="goods",
        limit_value=10000,
        limit_currency="EUR",
        above_limit="duty",
        mode="air",
        direction="entry",
    )
    factories.customs_rule(
        session,
        key="t-goods-land",
        category="goods",
        limit_value=500,
        limit_currency="EUR",
        above_limit="duty",
        mode="road",
        direction="entry",
    )
    factories.customs_rule(
        session, key="t-weapons", category="prohibited", above_limit="prohibited"
    )
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
    customs.set_rate(session, currency="EUR", per_usd=0.9, as_of=date(2026, 1, 1), source="test")
    customs.set_rate(session, currency="KZT", per_usd=500, as_of=date(2026, 1, 1), source="test")
    session.commit()
