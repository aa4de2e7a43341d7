"""The customs issue's acceptance case, through the public API on the real seed data: a
traveller's app shows, in Turkmen, the rules for entering Uzbekistan by road on a date,
and asks about wine, cigarettes, cash and tramadol."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.seed import loader


def test_a_traveller_entering_uzbekistan_by_road_reads_and_checks_in_turkmen(
    client: FlaskClient, session: Session
) -> None:
    """The issue's acceptance case, through the public API, on the real seed data."""
    loader.load_customs(session)
    loader.load_demo_rates(session)
    session.commit()
    seeded_titles = {rule["key"]: rule["title"]["tk"] for rule in loader.read_customs()["rule"]}

    rules = client.get(
        "/v1/customs/rules?country=UZ&direction=entry&mode=road&on=2026-12-01&lang=tk"
    )
    assert rules.status_code == 200
    assert rules.headers["Content-Language"] == "tk"
    items = rules.get_json()["items"]
    assert {"uz-alcohol-entry-road", "uz-tobacco-entry-road", "uz-cash-both"} <= {
        rule["key"] for rule in items
    }
    for rule in items:
        assert rule["title"] == seeded_titles[rule["key"]], "the Turkmen title"
        assert rule["source"]["url"].startswith("http")
        assert rule["direction"] in ("entry", "both")
        assert rule["mode"] in ("road", "all")

    answer = client.post(
        "/v1/customs/check?lang=tk",
        json={
            "country": "UZ",
            "direction": "entry",
            "mode": "road",
            "date": "2026-12-01",
            "traveller": {"age": 34},
            "items": [
                {"category": "alcohol", "quantity": 3, "unit": "l"},
                {"category": "tobacco", "quantity": 2, "unit": "cartons"},
                {"category": "cash", "value": 12000, "currency": "USD"},
                {
                    "category": "medicines",
                    "quantity": 20,
                    "unit": "pieces",
                    "substance": "tramadol",
                    "has_prescription": True,
                },
            ],
        },
    )
    assert answer.status_code == 200, answer.get_json()
    result = answer.get_json()
    by_category = {item["category"]: item for item in result["items"]}
    # 3 l is above the 2 l road allowance; 400 cigarettes above 10 packs (200): duty
    assert by_category["alcohol"]["verdict"] == "duty"
    assert [r["key"] for r in by_category["alcohol"]["rules"]] == ["uz-alcohol-entry-road"]
    assert by_category["tobacco"]["verdict"] == "duty"
    assert [r["key"] for r in by_category["tobacco"]["rules"]] == ["uz-tobacco-entry-road"]
    # 12,000 USD is more than 100 million soʻm at the (demo) rate the answer names
    assert by_category["cash"]["verdict"] == "declare"
    assert [r["key"] for r in by_category["cash"]["rules"]] == ["uz-cash-both"]
    assert {rate["currency"] for rate in result["rates"]} == {"USD", "UZS"}
    # tramadol is a controlled substance in Uzbekistan: declared, with the doctor's papers
    medicine = by_category["medicines"]
    assert (medicine["verdict"], medicine["substance"]) == ("declare", "tramadol")
    assert medicine["substance_rule"]["country"] == "UZ"
    assert medicine["substance_rule"]["source"]["url"].startswith("http")
    assert "uz-medicines-narcotic-psychotropic" in [r["key"] for r in medicine["rules"]]
    assert result["overall"] == "duty"
    for item in result["items"]:
        assert item["explanation"]
        assert item["verdict_text"]
        for rule in item["rules"]:
            assert rule["title"] == seeded_titles[rule["key"]]
            assert rule["source"]["url"].startswith("http")
