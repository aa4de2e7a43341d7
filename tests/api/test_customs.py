"""Rules as data: in force on a date, versions, editors' changes, medicines search."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from content.accounts.models import Role

pytestmark = pytest.mark.usefixtures("customs_data")
Login = Callable[..., dict[str, str]]


def keys(client: FlaskClient, query: str) -> list[str]:
    response = client.get(f"/v1/customs/rules?{query}")
    assert response.status_code == 200, response.get_json()
    return [r["key"] for r in response.get_json()["items"]]


def test_filters_and_dates(client: FlaskClient) -> None:
    assert "t-cash" in keys(client, "country=KZ&on=2026-06-01")
    assert keys(client, "country=UZ&on=2026-06-01") == []
    assert keys(client, "country=KG&category=alcohol&on=2026-06-01") == ["t-alcohol"]
    assert "t-alcohol" not in keys(client, "country=KZ&direction=exit&on=2026-06-01")
    assert "t-goods-air" not in keys(client, "country=KZ&mode=road&on=2026-06-01")
    assert keys(client, "country=KZ&on=2019-12-31") == []
    # without a country: every country's rules, a rule shared by KZ and KG listed once
    every = keys(client, "on=2026-06-01")
    assert every.count("t-cash") == 1
    assert set(every) == {
        "t-cash",
        "t-alcohol",
        "t-cigarettes",
        "t-goods-air",
        "t-goods-land",
        "t-weapons",
    }


def test_rules_are_localised_and_sourced(client: FlaskClient) -> None:
    items = client.get("/v1/customs/rules?country=KZ&category=alcohol&lang=uz").get_json()["items"]
    assert items[0]["title"] == "t-alcohol (uz)"
    assert items[0]["source"]["url"].startswith("https://")
    assert items[0]["limit"]["quantity"] == 3
    assert items[0]["limit"]["text"]


def test_an_edit_is_a_new_version_and_the_old_stays_readable(
    client: FlaskClient,
    login: Login,
) -> None:
    editor = login(Role.EDITOR)
    url = "/v1/admin/customs/rules/t-alcohol"
    etag = client.get(url, headers=editor).headers["ETag"]
    assert client.put(url, json={"limit_quantity": 2}, headers=editor).status_code == 428
    revised = client.put(
        url,
        json={
            "limit_quantity": 2,
            "effective_from": "2026-07-01",
            "effective_from_precision": "day",
        },
        headers={**editor, "If-Match": etag},
    )
    assert revised.status_code == 200, revised.get_json()
    assert revised.get_json()["version"] == 2
    stale = client.put(url, json={"limit_quantity": 1}, headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    before = client.get("/v1/customs/rules?country=KZ&category=alcohol&on=2026-06-30").get_json()
    after = client.get("/v1/customs/rules?country=KZ&category=alcohol&on=2026-07-01").get_json()
    assert before["items"][0]["limit"]["quantity"] == 3
    assert after["items"][0]["limit"]["quantity"] == 2
    detail = client.get(f"/v1/customs/rules/{after['items'][0]['id']}").get_json()
    assert [(v["version"], v["effective_to"]) for v in detail["versions"]] == [
        (1, "2026-06-30"),
        (2, None),
    ]
    audit = [
        entry
        for entry in client.get("/v1/admin/audit", headers=login(Role.ADMIN)).get_json()["items"]
        if entry["action"] not in {"create_user", "sign_in", "issue_token"}  # the admin now
    ]
    assert audit[0]["action"] == "revise"


def test_every_rule_answer_says_how_exact_its_start_date_is(
    client: FlaskClient, login: Login
) -> None:
    """Review §10: a placeholder start date is served as one, next to the date, in the
    rule list, in a rule's versions and in a verdict that cites the rule."""
    editor = login(Role.EDITOR)
    url = "/v1/admin/customs/rules/t-cash"
    etag = client.get(url, headers=editor).headers["ETag"]
    revised = client.put(
        url,
        json={"effective_from": "2020-01-01", "effective_from_precision": "unknown"},
        headers={**editor, "If-Match": etag},
    )
    assert revised.status_code == 200, revised.get_json()
    assert revised.get_json()["effective_from_precision"] == "unknown"

    items = client.get("/v1/customs/rules?country=KZ&category=cash").get_json()["items"]
    assert [(r["effective_from"], r["effective_from_precision"]) for r in items] == [
        ("2020-01-01", "unknown")
    ]
    detail = client.get(f"/v1/customs/rules/{items[0]['id']}").get_json()
    assert [(v["version"], v["effective_from_precision"]) for v in detail["versions"]] == [
        (1, "day"),
        (2, "unknown"),
    ]
    verdict = client.post(
        "/v1/customs/check",
        json={
            "country": "KZ",
            "direction": "exit",
            "mode": "road",
            "items": [{"category": "cash", "value": 20000, "currency": "USD"}],
        },
    ).get_json()["items"][0]
    assert [
        (r["key"], r["effective_from"], r["effective_from_precision"]) for r in verdict["rules"]
    ] == [("t-cash", "2020-01-01", "unknown")]


@pytest.mark.parametrize(
    "body",
    [
        {"effective_from": "2026-07-01"},  # a new date, its precision left to chance
        {"effective_from": "2026-07-01", "effective_from_precision": "roughly"},
    ],
)
def test_a_start_date_comes_with_a_valid_precision(
    client: FlaskClient, login: Login, body: dict[str, str]
) -> None:
    editor = login(Role.EDITOR)
    url = "/v1/admin/customs/rules/t-cash"
    etag = client.get(url, headers=editor).headers["ETag"]
    response = client.put(url, json=body, headers={**editor, "If-Match": etag})
    assert response.status_code == 422
    assert "effective_from_precision" in str(response.get_json())


def test_a_new_rule_needs_its_date_precision(client: FlaskClient, login: Login) -> None:
    new = {
        "key": "t-new",
        "countries": ["KZ"],
        "direction": "entry",
        "mode": "all",
        "category": "other",
        "titles": {"en": "New"},
        "source": {"act": "test data", "url": "https://example.test/new"},
        "effective_from": "2026-01-01",
    }
    editor = login(Role.EDITOR)
    refused = client.post("/v1/admin/customs/rules", json=new, headers=editor)
    assert refused.status_code == 422
    assert "effective_from_precision" in str(refused.get_json())
    created = client.post(
        "/v1/admin/customs/rules", json={**new, "effective_from_precision": "year"}, headers=editor
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["effective_from_precision"] == "year"


def test_an_editor_records_a_dated_rate_and_it_is_audited(
    client: FlaskClient, login: Login
) -> None:
    editor = login(Role.EDITOR)
    body = {"per_usd": 12650.5, "as_of": "2026-11-30", "source": "Central Bank of Uzbekistan"}
    recorded = client.put("/v1/admin/customs/rates/UZS", json=body, headers=editor)
    assert recorded.status_code == 200, recorded.get_json()
    assert recorded.get_json() == {
        "currency": "UZS",
        "per_usd": 12650.5,
        "as_of": "2026-11-30",
        "demo": False,
    }
    audit = [
        entry
        for entry in client.get("/v1/admin/audit", headers=login(Role.ADMIN)).get_json()["items"]
        if entry["action"] not in {"create_user", "sign_in", "issue_token"}  # the admin now
    ]
    assert (audit[0]["action"], audit[0]["object_id"]) == ("set_rate", "UZS")
    bad = client.put("/v1/admin/customs/rates/U-D", json=body, headers=editor)
    assert bad.status_code == 422
    assert "currency" in bad.get_json()["errors"]


def test_travellers_cannot_edit(client: FlaskClient, login: Login) -> None:
    officer = login(Role.BORDER_OFFICER, country="KZ")
    response = client.delete("/v1/admin/customs/rules/t-cash", headers=officer)
    assert response.status_code == 403
    assert client.delete("/v1/admin/customs/rules/t-cash").status_code == 401


@pytest.mark.parametrize("query", ["трамадол", "Tramadol", "трамадол гидрохлорид"])
def test_medicines_search(client: FlaskClient, query: str) -> None:
    body = client.get(f"/v1/customs/medicines?q={query}&lang=ru").get_json()
    assert [s["key"] for s in body["items"]] == ["tramadol"]
    assert body["items"][0]["name"] == "трамадол"
    assert body["items"][0]["rules"][0]["action"] == "prescription"


def test_absurd_limits_and_rates_are_refused_not_a_500(client: FlaskClient, login: Login) -> None:
    """Found by the contract fuzzer: 1.66e308 litres could not be formatted (500)."""
    editor = login(Role.EDITOR)
    url = "/v1/admin/customs/rules/t-alcohol"
    etag = client.get(url, headers=editor).headers["ETag"]
    refused = client.put(
        url, json={"limit_quantity": 1.66e308}, headers={**editor, "If-Match": etag}
    )
    assert refused.status_code == 422
    assert "limit_quantity" in refused.get_json()["errors"]
    rate = {"per_usd": 1e300, "as_of": "2026-11-30", "source": "Central Bank"}
    refused = client.put("/v1/admin/customs/rates/UZS", json=rate, headers=editor)
    assert refused.status_code == 422
    assert "per_usd" in refused.get_json()["errors"]


def test_a_rule_cannot_be_retired_before_it_starts(client: FlaskClient, login: Login) -> None:
    editor = login(Role.EDITOR)
    early = client.delete("/v1/admin/customs/rules/t-alcohol?on=2020-01-01&lang=en", headers=editor)
    assert early.status_code == 422
    assert list(early.get_json()["errors"]) == ["on"]
    assert "January 1, 2020" in early.get_json()["errors"]["on"][0]  # a date, written by Babel
    assert (
        client.get("/v1/admin/customs/rules/t-alcohol", headers=editor).get_json()["effective_to"]
        is None
    )
    retired = client.delete("/v1/admin/customs/rules/t-alcohol?on=2026-07-01", headers=editor)
    assert retired.status_code == 200, retired.get_json()
    assert retired.get_json()["effective_to"] == "2026-06-30"
    # a rule that starts in the future cannot be retired from today either
    future = {
        "key": "t-future",
        "countries": ["KZ"],
        "direction": "entry",
        "mode": "all",
        "category": "other",
        "titles": {"en": "Future"},
        "source": {"act": "test data", "url": "https://example.test/rule"},
        "effective_from": "2099-01-01",
        "effective_from_precision": "day",
    }
    assert client.post("/v1/admin/customs/rules", json=future, headers=editor).status_code == 201
    refused = client.delete("/v1/admin/customs/rules/t-future", headers=editor)
    assert refused.status_code == 422
    assert "on" in refused.get_json()["errors"]


def test_a_substance_edit_needs_the_version_it_was_read_at(
    client: FlaskClient, login: Login
) -> None:
    editor = login(Role.EDITOR)
    url = "/v1/admin/customs/substances/tramadol"
    body = {
        "names": {"en": ["tramadol"], "ru": ["трамадол"]},
        "rules": [{"country": "KZ", "action": "permit", "source": {"url": "https://example.test"}}],
    }
    assert client.put(url, json=body, headers=editor).status_code == 428
    read = client.get(url, headers=editor)
    assert read.status_code == 200
    etag = read.headers["ETag"]
    saved = client.put(url, json=body, headers={**editor, "If-Match": etag})
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["ETag"] != etag
    stale = client.put(url, json=body, headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    rules = client.get("/v1/customs/medicines?q=tramadol").get_json()["items"][0]["rules"]
    assert [r["action"] for r in rules] == ["permit"]  # the stale write changed nothing
    # a new substance has no version to name: naming one is 412, an empty one 428
    for if_match, status in (('"v1"', 412), ("", 428)):
        named = client.put(
            "/v1/admin/customs/substances/t-new",
            json=body,
            headers={**editor, "If-Match": if_match},
        )
        assert named.status_code == status, if_match
    created = client.put("/v1/admin/customs/substances/t-new", json=body, headers=editor)
    assert created.status_code == 200, created.get_json()
    assert client.get("/v1/admin/customs/substances/t-missing", headers=editor).status_code == 404


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_a_yes_or_no_field_takes_only_true_or_false(
    client: FlaskClient, login: Login, value: object
) -> None:
    """Found by the contract fuzzer: "yes" and 1 were read as true."""
    editor = login(Role.EDITOR)
    url = "/v1/admin/customs/rules/t-alcohol"
    etag = client.get(url, headers=editor).headers["ETag"]
    refused = client.put(
        url, json={"foreign_currency_only": value}, headers={**editor, "If-Match": etag}
    )
    assert refused.status_code == 422
    assert "foreign_currency_only" in refused.get_json()["errors"]
