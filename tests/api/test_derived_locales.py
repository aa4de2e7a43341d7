"""Uzbek in Cyrillic and Kazakh in Latin letters: negotiated, listed, served in every read
a traveller makes and in push messages, never mixed with the other script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.i18n import negotiate
from content.accounts.models import Role
from content.checkpoints.models import Reason, State
from content.locales import has_latin, translations
from content.scripts import PROTECTED, uz_kept_in_latin
from content.seed import loader
from push import messages
from tests import factories

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
#: what a reader reads: names, titles, texts; not ids, codes, enums, links or times
_PROSE_KEYS = re.compile(
    r"(name|title|summary|text|body_html|body_markdown|image_alt|label|explanation|detail)$"
)
_TAG = re.compile(r"<[^>]+>")
#: what stays as written in any script: the e-queue systems' own names (CarGoRuqsat), as
#: the Russian and Kazakh texts write them too, and the international abbreviations the
#: reviewed Uzbek exceptions keep in Latin letters (UNODC, USD), as the Cyrillic catalogs do
_OWN_NAMES = sorted(
    uz_kept_in_latin()
    | {
        equeue["system"]
        for entry in loader.read_checkpoints()
        for equeue in entry.get("equeue", [])
        if equeue.get("system")
    }
)


def _prose(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name not in ("source", "sources"):  # a cited document keeps its own title
                yield from _prose(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _prose(item, key)
    elif isinstance(value, str) and _PROSE_KEYS.search(key):
        text = PROTECTED.sub("", _TAG.sub("", value))
        for name in _OWN_NAMES:
            text = re.sub(rf"\b{re.escape(name)}\b", "", text, flags=re.IGNORECASE)
        yield text


def assert_one_script(answer: Any, locale: str) -> None:
    """No Latin letter in an uz-Cyrl text, no Cyrillic one in a kk-Latn text; links,
    e-mail addresses and placeholders aside."""
    texts = list(_prose(answer))
    assert texts, "nothing to read"
    for text in texts:
        if locale == "uz-Cyrl":
            assert not has_latin(text), text
        else:
            assert not _CYRILLIC.search(text), text


@pytest.mark.parametrize(("locale", "base"), [("uz-Cyrl", "uz"), ("kk-Latn", "kk")])
def test_every_catalog_message_is_in_one_script(locale: str, base: str) -> None:
    """Errors, labels, push sentences: every message of the base catalog, as the derived
    locale serves it."""
    catalog = translations(base)._catalog  # type: ignore[attr-defined]
    derived = translations(locale)
    texts = []
    for msgid in catalog:
        if not msgid or isinstance(msgid, tuple):
            continue
        texts.append(derived.gettext(msgid))
    assert len(texts) > 400
    assert_one_script({"text": texts}, locale)


@pytest.mark.parametrize(
    ("lang", "accept", "served"),
    [
        ("uz-Cyrl", None, "uz-Cyrl"),
        ("uz_cyrl", None, "uz-Cyrl"),
        ("KK-LATN", None, "kk-Latn"),
        (None, [("uz-Cyrl-UZ", 1.0)], "uz-Cyrl"),
        (None, [("kk-latn", 0.9), ("ru", 0.5)], "kk-Latn"),
        (None, [("uz-Latn-UZ", 1.0)], "uz"),
        (None, [("kk-Arab", 1.0)], "kk"),
    ],
)
def test_negotiation_understands_the_script(
    lang: str | None, accept: list[tuple[str, float]] | None, served: str
) -> None:
    assert negotiate(lang, accept or [], "ru") == served


def test_the_locales_list_names_each_in_itself(client: FlaskClient) -> None:
    answer = client.get("/v1/locales").get_json()
    names = {item["code"]: item["name"] for item in answer["items"]}
    assert names["uz-Cyrl"] == "Ўзбекча (Кирил)"  # CLDR's uz_Cyrl
    assert names["kk-Latn"] == "Qazaq tılı (latyn jazuy)"
    assert names["uz"] == "O‘zbek"
    assert names["kk"] == "Қазақ тілі"


@pytest.mark.parametrize(("locale", "base"), [("uz-Cyrl", "uz"), ("kk-Latn", "kk")])
def test_checkpoints_read_in_the_other_script(
    client: FlaskClient, session: Session, locale: str, base: str
) -> None:
    loader.load_checkpoints(session)
    session.commit()
    listed = client.get(f"/v1/checkpoints?lang={locale}")
    assert listed.status_code == 200
    assert listed.headers["Content-Language"] == locale
    items = {item["id"]: item for item in listed.get_json()["items"]}
    if locale == "uz-Cyrl":
        assert items["uz-dustlik"]["name"] == "Дўстлик"
        assert items["uz-gisht-kuprik"]["name"] == "Ғишткўприк"
    else:
        assert items["kz-zhibek-zholy"]["name"] == "Jıbek joly"
        assert items["kz-kuryk-seaport"]["name"] == "Qūryq teñız porty"
    assert_one_script(listed.get_json(), locale)
    # the same list through the worker's per-language catalog: again, same bytes
    assert client.get(f"/v1/checkpoints?lang={locale}").data == listed.data
    base_list = client.get(f"/v1/checkpoints?lang={base}").get_json()["items"]
    assert {i["id"] for i in base_list} == set(items)
    detail = client.get(f"/v1/checkpoints/uz-dustlik?lang={locale}")
    assert detail.status_code == 200
    assert_one_script(detail.get_json(), locale)


@pytest.mark.parametrize("locale", ["uz-Cyrl", "kk-Latn"])
def test_customs_rules_and_a_verdict_in_the_other_script(
    client: FlaskClient, session: Session, locale: str
) -> None:
    loader.load_customs(session)
    loader.load_demo_rates(session)
    session.commit()
    rules = client.get(f"/v1/customs/rules?country=UZ&on=2026-12-01&lang={locale}")
    assert rules.status_code == 200
    assert_one_script(rules.get_json(), locale)
    answer = client.post(
        f"/v1/customs/check?lang={locale}",
        json={
            "country": "UZ",
            "direction": "entry",
            "mode": "road",
            "date": "2026-12-01",
            "traveller": {"age": 34},
            "items": [
                {"category": "alcohol", "quantity": 3, "unit": "l"},
                {"category": "cash", "value": 12000, "currency": "USD"},
            ],
        },
    )
    assert answer.status_code == 200, answer.get_json()
    assert_one_script(answer.get_json(), locale)


@pytest.mark.parametrize("locale", ["uz-Cyrl", "kk-Latn"])
def test_campaigns_in_the_other_script(client: FlaskClient, session: Session, locale: str) -> None:
    loader.load_demo_campaigns(session)
    session.commit()
    listed = client.get(f"/v1/campaigns?lang={locale}").get_json()["items"]
    assert listed
    assert {c["locale"] for c in listed} == {locale}
    full = client.get(f"/v1/campaigns/{listed[0]['slug']}?lang={locale}").get_json()
    assert full["locale"] == locale
    assert_one_script({"items": listed, "full": full}, locale)


def test_errors_in_the_other_script(client: FlaskClient) -> None:
    for locale in ("uz-Cyrl", "kk-Latn"):
        missing = client.get(f"/v1/checkpoints/nowhere?lang={locale}").get_json()
        assert missing["status"] == 404
        # the id the caller asked for is echoed as typed
        assert_one_script({"detail": missing["detail"].replace("nowhere", "")}, locale)
        assert_one_script({"title": missing["title"]}, locale)
        invalid = client.post(f"/v1/devices?lang={locale}", json={"platform": "fax"})
        assert invalid.status_code == 422
        assert_one_script({"title": invalid.get_json()["title"]}, locale)


@pytest.mark.parametrize("locale", ["uz-Cyrl", "kk-Latn"])
def test_push_messages_in_the_other_script(locale: str) -> None:
    checkpoint = factories.checkpoint(
        id="uz-dustlik", names={"uz": "Doʻstlik", "kk": "Дустлик", "ru": "Дустлик"}
    )
    notification = messages.status_change(
        checkpoint,
        state=State.CLOSED,
        reason=Reason.WEATHER,
        since=datetime(2026, 12, 2, 6, 30, tzinfo=UTC),
        until=datetime(2026, 12, 3, 6, 30, tzinfo=UTC),
        locale=locale,
    )
    assert notification.title == {"uz-Cyrl": "Дўстлик", "kk-Latn": "Dustlik"}[locale]
    assert_one_script({"title": notification.title, "text": notification.body}, locale)


def test_a_device_chooses_uzbek_in_cyrillic(client: FlaskClient) -> None:
    body = {"token": "token-cyrl", "platform": "android", "locale": "uz-Cyrl"}
    created = client.post("/v1/devices", json=body)
    assert created.status_code == 201, created.get_json()
    device = created.get_json()
    headers = {"Authorization": f"Device {device['secret']}"}
    read = client.get(f"/v1/devices/{device['id']}", headers=headers).get_json()
    assert read["locale"] == "uz-Cyrl"
    changed = client.patch(
        f"/v1/devices/{device['id']}", json={"locale": "kk-Latn"}, headers=headers
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["locale"] == "kk-Latn"


def test_editors_write_the_stored_languages_only(client: FlaskClient, login: Any) -> None:
    """uz-Cyrl and kk-Latn are generated: an editor's text for them is refused."""
    translations = {
        **factories.campaign_translations(),
        "uz-Cyrl": {"title": "Сарлавҳа", "summary": "Қисқача", "body": "Матн"},
    }
    response = client.post(
        "/v1/admin/campaigns",
        json={"slug": "derived", "countries": ["UZ"], "translations": translations},
        headers=login(Role.EDITOR),
    )
    assert response.status_code == 422
    assert "uz-Cyrl" in str(response.get_json()["errors"])
