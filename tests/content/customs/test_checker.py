"""The allowance checker: thresholds, combined cash, units, medicines, bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from content.customs import checker
from content.customs import service as customs
from content.customs.checker import SEVERITY, Item
from content.errors import Invalid
from tests import factories

pytestmark = pytest.mark.usefixtures("customs_data")
ON = date(2026, 6, 1)


def verdicts(session: Session, *items: Item, age: int | None = 30, mode: str = "road") -> list[str]:
    result = checker.check(
        session, country="KZ", direction="entry", mode=mode, on=ON, age=age, items=list(items)
    )
    return [v.verdict for v in result.items]


@pytest.mark.parametrize(
    ("item", "expected", "why"),
    [
        (Item("alcohol", 3, "l"), "free", "3 l is the allowance itself"),
        (Item("alcohol", 3000, "ml"), "free", "ml convert to litres"),
        (Item("alcohol", 4, "l"), "duty", "between 3 and 5 l is dutiable"),
        (Item("alcohol", 5.5, "l"), "prohibited", "over 5 l is not personal use"),
        (Item("tobacco", 1, "cartons"), "free", "a carton is 200 cigarettes"),
        (Item("tobacco", 2, "cartons"), "duty", "400 cigarettes are over 200"),
        (Item("goods", value=400, currency="EUR"), "free", "under EUR 500 by road"),
        (Item("goods", value=600, currency="EUR"), "duty", "over EUR 500 by road"),
        (Item("cash", value=9000, currency="USD"), "free", "under USD 10,000"),
        (Item("cash", value=12000, currency="USD"), "declare", "over USD 10,000"),
        (Item("prohibited"), "prohibited", "prohibited items"),
        (Item("plants_animals"), "declare", "no rule: declare when in doubt"),
    ],
)
def test_thresholds(session: Session, item: Item, expected: str, why: str) -> None:
    assert verdicts(session, item) == [expected], why


def test_goods_by_air_have_a_higher_allowance(session: Session) -> None:
    assert verdicts(session, Item("goods", value=600, currency="EUR"), mode="air") == ["free"]


def test_cash_in_several_currencies_adds_up(session: Session) -> None:
    items = [
        Item("cash", value=6000, currency="USD"),
        Item("cash", value=2_500_000, currency="KZT"),
    ]  # 6,000 + 5,000 USD
    result = checker.check(
        session, country="KZ", direction="entry", mode="road", on=ON, age=30, items=items
    )
    assert [v.verdict for v in result.items] == ["declare", "declare"]
    assert {v.reason for v in result.items} == {"combined_cash"}
    assert {r.currency for r in result.rates} == {"USD", "KZT"}


def test_quantities_of_one_category_add_up(session: Session) -> None:
    assert verdicts(session, Item("alcohol", 2, "l"), Item("alcohol", 2, "l")) == ["duty", "duty"]


def test_under_age_gets_no_alcohol_allowance(session: Session) -> None:
    assert verdicts(session, Item("alcohol", 1, "l"), age=16) == ["duty"]
    assert verdicts(session, Item("alcohol", 1, "l"), age=None) == ["declare"]


def test_medicines(session: Session) -> None:
    assert verdicts(
        session,
        Item("medicines", 20, "pieces", substance="Трамадол гидрохлорид", has_prescription=True),
    ) == ["prescription_required"]
    assert verdicts(session, Item("medicines", 80, "pieces", substance="tramadol")) == [
        "permit_required"
    ]
    unknown = checker.check(
        session,
        country="KZ",
        direction="entry",
        mode="road",
        on=ON,
        age=30,
        items=[Item("medicines", 1, "pieces", substance="zzzaxolol")],
    )
    assert (unknown.items[0].verdict, unknown.items[0].reason) == ("declare", "unknown_substance")


def test_a_substance_that_needs_a_state_permit(session: Session) -> None:
    tramadol = customs.search_substances(session, "tramadol")[0]
    customs.upsert_substance(
        session,
        actor=None,
        key="tramadol",
        names=tramadol.names,
        rules=[{"country": "KZ", "action": "permit", "source": {"url": "https://example.test"}}],
    )
    item = Item("medicines", 10, "pieces", substance="tramadol", has_prescription=True)
    result = checker.check(
        session, country="KZ", direction="entry", mode="road", on=ON, age=30, items=[item]
    )
    # a prescription is not enough where the law asks for a permit
    assert (result.items[0].verdict, result.items[0].reason) == (
        "permit_required",
        "permit_substance",
    )


@pytest.mark.parametrize("query", ["трамадол", "tramadol", "трамадол гидрохлорид", "TRAMADOL"])
def test_substance_search_in_any_language(session: Session, query: str) -> None:
    assert [s.key for s in customs.search_substances(session, query)] == ["tramadol"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        (Item("cash", value=100, currency="XAU"), "items"),
        (Item("cash", 2, "l", value=100, currency="USD"), "items.0.unit"),
        (Item("alcohol", -1, "l"), "items.0.quantity"),
        (Item("alcohol", 2_000_000, "l"), "items.0.quantity"),
        (Item("alcohol", 3), "items.0.unit"),
        (Item("alcohol", 1, "l", kind="cigars"), "items.0.kind"),
        (Item("tobacco", 2, "packs", kind="cigars"), "items.0.unit"),
        (Item("tobacco", 20, "pieces", kind="loose_tobacco"), "items.0.unit"),
    ],
)
def test_bad_input_is_refused(session: Session, item: Item, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        verdicts(session, item)
    assert field in {p.path for p in refused.value.problems}


def test_unknown_currency_is_named(session: Session) -> None:
    with pytest.raises(Invalid) as refused:
        verdicts(session, Item("cash", value=100, currency="XAU"))
    assert refused.value.problems[0].params == {"currency": "XAU"}


ITEMS = st.sampled_from(
    [
        Item("alcohol", 1, "l"),
        Item("alcohol", 2.5, "l"),
        Item("tobacco", 100, "pieces"),
        Item("cash", value=4000, currency="USD"),
        Item("cash", value=3_000_000, currency="KZT"),
        Item("goods", value=300, currency="EUR"),
        Item("medicines", 10, "pieces", substance="tramadol"),
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items=st.lists(ITEMS, min_size=1, max_size=6), seed=st.randoms())
def test_the_answer_does_not_depend_on_the_order_of_items(
    session: Session, items: list[Item], seed: Any
) -> None:
    shuffled = list(items)
    seed.shuffle(shuffled)
    first = checker.check(
        session, country="KZ", direction="entry", mode="road", on=ON, age=30, items=items
    )
    second = checker.check(
        session, country="KZ", direction="entry", mode="road", on=ON, age=30, items=shuffled
    )
    assert first.overall == second.overall
    assert sorted(v.verdict for v in first.items) == sorted(v.verdict for v in second.items)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    category=st.sampled_from(["alcohol", "tobacco", "cash", "goods"]),
    amount=st.floats(min_value=0, max_value=20_000, allow_nan=False),
    more=st.floats(min_value=0, max_value=20_000, allow_nan=False),
)
def test_more_of_an_item_is_never_more_permissive(
    session: Session, category: str, amount: float, more: float
) -> None:
    def item(size: float) -> Item:
        if category == "alcohol":
            return Item("alcohol", size / 1000, "l")
        if category == "tobacco":
            return Item("tobacco", size / 10, "pieces")
        return Item(category, value=size, currency="USD" if category == "cash" else "EUR")

    less_verdict = verdicts(session, item(amount))[0]
    more_verdict = verdicts(session, item(amount + more))[0]
    assert SEVERITY[more_verdict] >= SEVERITY[less_verdict]


#: an adult entering Kazakhstan by road, as the check API takes the trip
KZ_ROAD_ENTRY = {
    "country": "KZ",
    "direction": "entry",
    "mode": "road",
    "date": "2026-06-01",
    "traveller": {"age": 30},
}


def test_check_api_localised(client: FlaskClient) -> None:
    body = {
        **KZ_ROAD_ENTRY,
        "items": [
            {"category": "alcohol", "quantity": 4, "unit": "l"},
            {"category": "cash", "value": 12000, "currency": "USD"},
        ],
    }
    english = client.post("/v1/customs/check?lang=en", json=body).get_json()
    assert english["overall"] == "duty"
    assert [i["verdict"] for i in english["items"]] == ["duty", "declare"]
    assert english["items"][1]["rules"][0]["key"] == "t-cash"
    assert english["items"][1]["rules"][0]["source"]["url"] == "https://example.test/rule"
    turkmen = client.post("/v1/customs/check?lang=tk", json=body).get_json()
    assert turkmen["items"][0]["verdict_text"] != english["items"][0]["verdict_text"]
    assert turkmen["items"][0]["rules"][0]["title"] == "t-alcohol (tk)"


def test_check_api_refuses_bad_input(client: FlaskClient) -> None:
    base = {"country": "KZ", "direction": "entry", "mode": "road"}
    bad = [
        {**base, "items": [{"category": "cash", "value": 5, "currency": "XAU"}]},
        {**base, "items": [{"category": "cash", "value": 5, "currency": "USD", "unit": "l"}]},
        {**base, "items": [{"category": "alcohol", "quantity": -2, "unit": "l"}]},
        {**base, "items": [{"category": "alcohol", "quantity": 1e7, "unit": "l"}]},
        {**base, "items": [{"category": "alcohol", "quantity": 1, "unit": "l", "colour": 1}]},
        {**base, "country": "FR", "items": [{"category": "other"}]},
    ]
    for body in bad:
        response = client.post("/v1/customs/check", json=body)
        assert response.status_code == 422, body
    named = client.post("/v1/customs/check?lang=en", json=bad[0]).get_json()
    assert "XAU" in str(named["errors"])


@pytest.mark.parametrize("locale", ["ru", "kk", "ky", "uz", "tg", "tk"])
def test_every_verdict_is_translated(client: FlaskClient, locale: str) -> None:
    body = {
        **KZ_ROAD_ENTRY,
        "items": [
            {"category": "alcohol", "quantity": 1, "unit": "l"},
            {
                "category": "medicines",
                "quantity": 5,
                "unit": "pieces",
                "substance": "tramadol",
                "has_prescription": True,
            },
            {"category": "cash", "value": 12000, "currency": "USD"},
            {"category": "tobacco", "quantity": 2, "unit": "cartons"},
            {"category": "medicines", "quantity": 80, "unit": "pieces", "substance": "tramadol"},
            {"category": "prohibited"},
        ],
    }
    english = client.post("/v1/customs/check?lang=en", json=body).get_json()
    local = client.post(f"/v1/customs/check?lang={locale}", json=body).get_json()
    verdicts = [item["verdict"] for item in english["items"]]
    assert verdicts == [
        "free",
        "prescription_required",
        "declare",
        "duty",
        "permit_required",
        "prohibited",
    ]
    for mine, theirs in zip(local["items"], english["items"], strict=True):
        assert mine["verdict_text"] != theirs["verdict_text"]
        assert mine["explanation"] != theirs["explanation"]


def _cash_exit_body(**traveller: Any) -> dict[str, Any]:
    return {
        "country": "KZ",
        "direction": "exit",
        "mode": "road",
        "date": "2026-06-01",
        "traveller": traveller,
        "items": [{"category": "cash", "value": 8000, "currency": "USD"}],
    }


@pytest.fixture
def non_resident_cap(session: Session) -> None:
    """A USD 5,000 cap on cash taken out by non-residents, shaped like Kyrgyzstan's."""
    factories.customs_rule(
        session,
        key="t-cash-nonresident",
        category="cash",
        direction="exit",
        limit_value=5000,
        limit_currency="USD",
        residency="non_resident",
        foreign_currency_only=True,
        above_limit="prohibited",
    )
    session.commit()


@pytest.mark.usefixtures("non_resident_cap")
def test_residency_decides_a_cap_for_non_residents(client: FlaskClient) -> None:
    def answer(lang: str = "en", **traveller: Any) -> dict[str, Any]:
        response = client.post(f"/v1/customs/check?lang={lang}", json=_cash_exit_body(**traveller))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"][0]

    assert answer(resident_of="KZ")["verdict"] == "free"
    assert answer(resident_of="kz")["verdict"] == "free"
    foreigner = answer(resident_of="DE")
    assert (foreigner["verdict"], foreigner["reason"]) == ("prohibited", "above_limit")
    unknown = answer()
    assert (unknown["verdict"], unknown["reason"]) == ("prohibited", "residency_unknown")
    assert unknown["rules"][0]["key"] == "t-cash-nonresident"
    assert "$5,000" in unknown["explanation"]
    for lang in ("ru", "kk", "ky", "uz", "tg", "tk"):
        local = answer(lang)
        assert local["explanation"] != unknown["explanation"]
        assert "5" in local["explanation"]  # the limit is filled in
    bad = client.post("/v1/customs/check", json=_cash_exit_body(resident_of="Germany"))
    assert bad.status_code == 422
    assert list(bad.get_json()["errors"]) == ["traveller.resident_of"]


@pytest.mark.usefixtures("non_resident_cap")
def test_a_cap_on_foreign_currency_leaves_the_national_currency_out(session: Session) -> None:
    result = checker.check(
        session,
        country="KZ",
        direction="exit",
        mode="road",
        on=ON,
        age=30,
        resident_of="DE",
        items=[Item("cash", value=3_000_000, currency="KZT")],  # about USD 6,000
    )
    assert [(v.verdict, [r.key for r in v.rules]) for v in result.items] == [("free", ["t-cash"])]


def test_the_kind_of_an_item_is_part_of_the_api(client: FlaskClient) -> None:
    body = {
        "country": "KZ",
        "direction": "entry",
        "mode": "road",
        "date": "2026-06-01",
        "items": [{"category": "tobacco", "kind": "cigars", "quantity": 10, "unit": "pieces"}],
    }
    response = client.post("/v1/customs/check", json=body)
    assert response.status_code == 200, response.get_json()
    body["items"][0]["kind"] = "pipes"
    refused = client.post("/v1/customs/check", json=body)
    assert refused.status_code == 422
