"""Translation status in the admin API (statuses, the outdated_in filter, confirm, review,
If-Match) and what readers are served (the fallback for an outdated language, caches)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts.models import Role
from tests import factories

Login = Callable[..., dict[str, str]]
CAMPAIGN = "/v1/admin/campaigns/fines"
RULE = "/v1/admin/customs/rules/t-fine"


def _published_campaign(client: FlaskClient, login: Login) -> dict[str, str]:
    editor, publisher = login(Role.EDITOR), login(Role.PUBLISHER, "KZ")
    created = client.post(
        "/v1/admin/campaigns",
        json={"slug": "fines", "translations": factories.campaign_translations()},
        headers=editor,
    )
    assert created.status_code == 201, created.get_json()
    for who, action in ((editor, "submit"), (publisher, "approve"), (publisher, "publish")):
        assert client.post(f"{CAMPAIGN}/actions/{action}", headers=who).status_code == 200
    return editor


def _patch(client: FlaskClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    etag = client.get(CAMPAIGN, headers=headers).headers["ETag"]
    response = client.patch(CAMPAIGN, json=body, headers={**headers, "If-Match": etag})
    assert response.status_code == 200, response.get_json()
    return response


def test_a_campaign_carries_its_statuses_and_reference(client: FlaskClient, login: Login) -> None:
    editor = _published_campaign(client, login)
    body = client.get(CAMPAIGN, headers=editor).get_json()
    assert body["reference_locale"] == "ru"
    assert body["translation_status"]["tg"] == {
        "status": "draft",
        "reference": False,
        "fields": dict.fromkeys(("title", "summary", "body", "image_alt"), "draft"),
    }
    assert body["translation_status"]["ru"]["reference"] is True
    changed = _patch(client, editor, {"translations": {"ru": {"body": "Новый текст"}}}).get_json()
    assert changed["translation_status"]["tg"]["status"] == "outdated"
    assert changed["translation_status"]["tg"]["fields"]["body"] == "outdated"
    assert changed["translation_status"]["ru"]["status"] == "draft"


def test_outdated_in_filters_the_admin_lists(
    client: FlaskClient, login: Login, session: Session
) -> None:
    editor = _published_campaign(client, login)
    factories.customs_rule(session, key="t-other", category="goods")
    factories.customs_rule(session, key="t-fine", category="cash")
    session.commit()
    assert client.get("/v1/admin/campaigns?outdated_in=tg", headers=editor).get_json() == {
        "items": []
    }
    _patch(client, editor, {"translations": {"ru": {"title": "Новый"}, "tg": {"title": "Нав"}}})
    listed = client.get("/v1/admin/campaigns?outdated_in=kk", headers=editor).get_json()
    assert [c["slug"] for c in listed["items"]] == ["fines"]
    assert client.get("/v1/admin/campaigns?outdated_in=tg", headers=editor).get_json() == {
        "items": []
    }
    everything = client.get("/v1/admin/campaigns", headers=editor).get_json()["items"]
    assert [c["slug"] for c in everything] == ["fines"]
    refused = client.get("/v1/admin/campaigns?outdated_in=fr", headers=editor)
    assert refused.status_code == 422
    rules = client.get("/v1/admin/customs/rules", headers=editor).get_json()["items"]
    assert {r["key"] for r in rules} >= {"t-other", "t-fine"}
    etag = client.get(RULE, headers=editor).headers["ETag"]
    revised = client.put(
        RULE,
        json={"explanations": {"ru": "Штраф 200", "tg": "explanation (tg)"}},
        headers={**editor, "If-Match": etag},
    )
    assert revised.status_code == 200, revised.get_json()
    assert revised.get_json()["translation_status"]["tg"]["fields"] == {
        "title": "draft",
        "explanation": "outdated",
    }
    outdated = client.get("/v1/admin/customs/rules?outdated_in=tg", headers=editor).get_json()
    assert [r["key"] for r in outdated["items"]] == ["t-fine"]
    assert outdated["items"][0]["titles"]["tg"] == "t-fine (tg)"
    assert (
        client.get("/v1/admin/customs/rules", headers=login(Role.BORDER_OFFICER, "KZ")).status_code
        == 403
    )


def test_confirm_and_review_need_if_match(client: FlaskClient, login: Login) -> None:
    editor = _published_campaign(client, login)
    stale = client.get(CAMPAIGN, headers=editor).headers["ETag"]
    _patch(client, editor, {"translations": {"ru": {"title": "Новый"}}})
    confirm = f"{CAMPAIGN}/translations/tg/confirm"
    assert client.post(confirm, headers=editor).status_code == 428
    assert client.post(confirm, headers={**editor, "If-Match": stale}).status_code == 412
    etag = client.get(CAMPAIGN, headers=editor).headers["ETag"]
    confirmed = client.post(confirm, headers={**editor, "If-Match": etag})
    assert confirmed.status_code == 200
    assert confirmed.get_json()["translation_status"]["tg"]["status"] == "up_to_date"
    assert confirmed.headers["ETag"] != etag
    etag = confirmed.headers["ETag"]
    reference = client.post(
        f"{CAMPAIGN}/translations/ru/confirm", headers={**editor, "If-Match": etag}
    )
    assert reference.status_code == 409
    unknown = client.post(
        f"{CAMPAIGN}/translations/fr/confirm", headers={**editor, "If-Match": etag}
    )
    assert unknown.status_code == 404
    review = f"{CAMPAIGN}/translations/tg/review"
    assert client.post(review, headers={**editor, "If-Match": etag}).status_code == 403
    publisher = login(Role.PUBLISHER, "KG")
    reviewed = client.post(review, headers={**publisher, "If-Match": etag})
    assert reviewed.status_code == 200
    assert reviewed.get_json()["translation_status"]["tg"]["status"] == "reviewed"


def test_unknown_fields_and_a_bad_reference_are_refused(client: FlaskClient, login: Login) -> None:
    editor = _published_campaign(client, login)
    etag = client.get(CAMPAIGN, headers=editor).headers["ETag"]
    for body in ({"minor_edit": "yes"}, {"reference_locale": "fr"}, {"translation_status": {}}):
        refused = client.patch(CAMPAIGN, json=body, headers={**editor, "If-Match": etag})
        assert refused.status_code == 422, body
    new = client.post(
        "/v1/admin/campaigns", json={"slug": "other", "minor_edit": True}, headers=editor
    )
    assert new.status_code == 422
    moved = client.patch(
        CAMPAIGN, json={"reference_locale": "en"}, headers={**editor, "If-Match": etag}
    )
    assert moved.get_json()["reference_locale"] == "en"
    assert moved.get_json()["translation_status"]["en"]["reference"] is True


def test_readers_get_the_fallback_until_the_translation_is_confirmed(
    client: FlaskClient, login: Login
) -> None:
    editor = _published_campaign(client, login)
    before = client.get("/v1/campaigns/fines?lang=tg")
    assert (before.get_json()["locale"], before.get_json()["title"]) == ("tg", "Title tg")
    _patch(client, editor, {"translations": {"ru": {"summary": "Штраф вырос."}}})
    outdated = client.get("/v1/campaigns/fines?lang=tg")
    assert outdated.get_json()["locale"] == "ru"
    assert outdated.get_json()["summary"] == "Штраф вырос."
    assert outdated.headers["ETag"] != before.headers["ETag"]
    listed = client.get("/v1/campaigns?lang=tg").get_json()["items"]
    assert [c["locale"] for c in listed] == ["ru"]
    etag = client.get(CAMPAIGN, headers=editor).headers["ETag"]
    client.post(f"{CAMPAIGN}/translations/tg/confirm", headers={**editor, "If-Match": etag})
    again = client.get(
        "/v1/campaigns/fines?lang=tg", headers={"If-None-Match": outdated.headers["ETag"]}
    )
    assert again.status_code == 200
    assert again.get_json()["locale"] == "tg"


def test_serving_outdated_translations_can_be_turned_on(
    app: Flask, client: FlaskClient, login: Login, session: Session
) -> None:
    app.config["SETTINGS"].translations_serve_outdated = True
    editor = _published_campaign(client, login)
    _patch(client, editor, {"translations": {"ru": {"summary": "Штраф вырос."}}})
    assert client.get("/v1/campaigns/fines?lang=tg").get_json()["locale"] == "tg"
    factories.customs_rule(session, key="t-fine", category="cash")
    session.commit()
    etag = client.get(RULE, headers=editor).headers["ETag"]
    client.put(
        RULE,
        json={"titles": {"ru": "Новое", "tg": "t-fine (tg)"}},
        headers={**editor, "If-Match": etag},
    )
    rules = client.get("/v1/customs/rules?country=KZ&category=cash&lang=tg").get_json()["items"]
    assert [(r["key"], r["locale"], r["title"]) for r in rules] == [("t-fine", "tg", "t-fine (tg)")]


def test_a_customs_rule_is_served_in_russian_while_its_tajik_is_outdated(
    client: FlaskClient, login: Login, session: Session
) -> None:
    editor = login(Role.EDITOR)
    rule = factories.customs_rule(
        session,
        key="t-fine",
        category="cash",
        explanations={"ru": "Штраф 100 000 тенге.", "tg": "Ҷарима 100 000 тенге."},
    )
    session.commit()
    public = f"/v1/customs/rules/{rule.id}?lang=tg"
    first = client.get(public).get_json()
    assert (first["locale"], first["explanation"]) == ("tg", "Ҷарима 100 000 тенге.")
    etag = client.get(RULE, headers=editor).headers["ETag"]
    revised = client.put(
        RULE,
        json={"explanations": {"ru": "Штраф 200 000 тенге.", "tg": "Ҷарима 100 000 тенге."}},
        headers={**editor, "If-Match": etag},
    ).get_json()
    listed = client.get("/v1/customs/rules?country=KZ&category=cash&lang=tg").get_json()["items"]
    served = [r for r in listed if r["key"] == "t-fine"][0]
    assert (served["locale"], served["title"], served["explanation"]) == (
        "ru",
        "t-fine (ru)",
        "Штраф 200 000 тенге.",
    )
    # Kazakh has a title and no explanation: a Kazakh reader gets the rule whole, in
    # Russian, rather than a Kazakh title over a Russian explanation said to be Kazakh
    in_kazakh = client.get("/v1/customs/rules?country=KZ&category=cash&lang=kk").get_json()
    served = [r for r in in_kazakh["items"] if r["key"] == "t-fine"][0]
    assert (served["locale"], served["title"]) == ("ru", "t-fine (ru)")
    etag = client.get(RULE, headers=editor).headers["ETag"]
    assert client.post(f"{RULE}/translations/tg/confirm", headers=editor).status_code == 428
    confirmed = client.post(f"{RULE}/translations/tg/confirm", headers={**editor, "If-Match": etag})
    assert confirmed.status_code == 200
    assert confirmed.headers["ETag"] == etag  # the rule's version stays
    served = client.get(f"/v1/customs/rules/{revised['id']}?lang=tg").get_json()
    assert (served["locale"], served["explanation"]) == ("tg", "Ҷарима 100 000 тенге.")
    assert (
        client.post(
            f"{RULE}/translations/tg/review", headers={**editor, "If-Match": '"v1"'}
        ).status_code
        == 412
    )


def test_the_openapi_document_describes_the_translation_endpoints(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    confirm = paths["/v1/admin/campaigns/{slug}/translations/{locale}/confirm"]["post"]
    assert {"412", "428", "409"} <= set(confirm["responses"])
    assert "/v1/admin/customs/rules/{key}/translations/{locale}/review" in paths
    listed = paths["/v1/admin/customs/rules"]["get"]
    assert "outdated_in" in {p["name"] for p in listed["parameters"]}
    schemas = spec["components"]["schemas"]
    assert "translation_status" in schemas["CampaignAdminOut"]["properties"]
    assert "minor_edit" in schemas["CampaignIn"]["properties"]
    assert "minor_edit" not in schemas["CampaignCreateIn"]["properties"]
    assert "locale" in schemas["RuleOut"]["properties"]
