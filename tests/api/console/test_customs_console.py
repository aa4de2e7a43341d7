"""The console's customs pages: rules and their versions, substances, exchange rates."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.accounts.service import SYSTEM
from content.customs import service as customs
from content.customs.labels import SUBSTANCE_ACTION_LABELS
from content.customs.models import SUBSTANCE_ACTIONS, CustomsRule, ExchangeRate, Substance
from tests import factories
from tests.api.console.test_console import csrf, sign_in

LOCALES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
PAGES = [
    "/console/customs",
    "/console/customs/new-rule",
    "/console/customs/rules/t-cash",
    "/console/customs/substances",
    "/console/customs/new-substance",
    "/console/customs/substances/tramadol",
    "/console/customs/rates",
]
POSTS = [
    "/console/customs/new-rule",
    "/console/customs/rules/t-cash",
    "/console/customs/rules/t-cash/retire",
    "/console/customs/new-substance",
    "/console/customs/substances/tramadol",
    "/console/customs/rates",
]


@pytest.fixture
def cash_rule(session: Session) -> CustomsRule:
    made = factories.customs_rule(
        session, key="t-cash", category="cash", limit_value=10000, limit_currency="USD"
    )
    customs.upsert_substance(
        session,
        actor=None,
        key="tramadol",
        names={"en": ["tramadol"], "ru": ["трамадол"]},
        rules=[{"country": "KZ", "action": "prescription", "max_quantity": 50, "unit": "pieces"}],
    )
    session.commit()
    return made


def rule_form(token: str, **changes: Any) -> dict[str, Any]:
    """Every field of the rule form, as a browser would post it."""
    form: dict[str, Any] = {
        "csrf_token": token,
        "countries": ["KZ", "KG"],
        "scope": "eaeu",
        "direction": "both",
        "mode": "all",
        "category": "cash",
        "limit_quantity": "",
        "limit_unit": "",
        "hard_limit_quantity": "",
        "limit_value": "10000",
        "limit_currency": "usd",
        "per": "person",
        "min_age": "",
        "above_limit": "declare",
        "effective_from": "2020-01-01",
        "effective_from_precision": "day",
        "effective_to": "",
        "source.act": "EAEU Customs Code",
        "source.article": "260",
        "source.url": "https://example.test/eaeu-code",
        "source.note": "",
        "tab": "ru",
    }
    for locale in LOCALES:
        form[f"titles.{locale}"] = f"Cash ({locale})"
        form[f"explanations.{locale}"] = f"Declare cash above the limit ({locale})"
    form.update(changes)
    return form


def last_audit(session: Session) -> AuditEntry:
    session.expire_all()
    entry = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry is not None
    return entry


def field_error(page: str, field: str) -> str:
    """The problem shown next to a field (its id is the field's name with dashes)."""
    match = re.search(rf'<p class="field-error" id="err-{re.escape(field)}">([^<]*)</p>', page)
    assert match, f"no problem shown next to {field}"
    return match.group(1)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.PUBLISHER, Role.ADMIN])
def test_every_page_renders_for_editors(
    client: FlaskClient, session: Session, cash_rule: CustomsRule, role: Role
) -> None:
    sign_in(client, session, role)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'href="/console/customs">' in page.get_data(as_text=True), path  # navigation


def test_border_officers_are_refused(
    client: FlaskClient, session: Session, cash_rule: CustomsRule
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    assert 'href="/console/customs"' not in client.get("/console/board").get_data(as_text=True)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert session.scalar(select(CustomsRule).where(CustomsRule.version > 1)) is None


def test_anonymous_visitors_are_sent_to_sign_in(
    client: FlaskClient, cash_rule: CustomsRule
) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/console/login?next="), path


def test_rules_in_force_by_country_category_and_day(
    client: FlaskClient, session: Session, cash_rule: CustomsRule
) -> None:
    factories.customs_rule(
        session,
        key="t-tj-alcohol",
        countries=["TJ"],
        category="alcohol",
        direction="entry",
        limit_quantity=2,
        limit_unit="l",
        effective_from=date(2025, 6, 1),
    )
    session.commit()
    sign_in(client, session, Role.EDITOR)
    everything = client.get("/console/customs?lang=tk").get_data(as_text=True)
    assert "t-cash (tk)" in everything  # the title in the console's language
    assert "t-tj-alcohol (tk)" in everything
    assert "https://example.test/rule" in everything  # the source link
    tajik = client.get("/console/customs?country=TJ&direction=entry").get_data(as_text=True)
    assert "t-tj-alcohol" in tajik
    assert "t-cash" not in tajik
    cash = client.get("/console/customs?category=cash").get_data(as_text=True)
    assert ("t-cash" in cash, "t-tj-alcohol" in cash) == (True, False)
    before = client.get("/console/customs?on=2025-01-01").get_data(as_text=True)
    assert ("t-cash" in before, "t-tj-alcohol" in before) == (True, False)
    wrong = client.get("/console/customs?category=spaceships&lang=en")
    assert wrong.status_code == 400
    assert field_error(wrong.get_data(as_text=True), "category").startswith("Must be one of")


def test_creating_a_rule(client: FlaskClient, session: Session) -> None:
    email = sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/new-rule")
    response = client.post(
        "/console/customs/new-rule", data=rule_form(token, key="kz-cash-declaration")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/customs/rules/kz-cash-declaration"
    created = customs.latest(session, "kz-cash-declaration")
    assert (created.version, created.countries, created.limit_currency) == (1, ["KG", "KZ"], "USD")
    assert created.titles["tk"] == "Cash (tk)"
    assert created.source == {
        "act": "EAEU Customs Code",
        "article": "260",
        "url": "https://example.test/eaeu-code",
    }
    entry = last_audit(session)
    assert (entry.action, entry.object_id) == ("create", "kz-cash-declaration")
    assert entry.actor.endswith(email)


def test_saving_makes_a_new_version_and_keeps_the_old_one(
    client: FlaskClient, session: Session, cash_rule: CustomsRule
) -> None:
    email = sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash")
    response = client.post(
        "/console/customs/rules/t-cash",
        data=rule_form(
            token,
            version="1",
            tab="tk",
            limit_value="5000",
            effective_from="2026-03-01",
            **{"titles.tk": "Nagt pul"},
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/customs/rules/t-cash?tab=tk"
    session.expire_all()  # the app wrote through its own session
    new = customs.latest(session, "t-cash")
    assert (new.version, new.limit_value, new.titles["tk"]) == (2, 5000, "Nagt pul")
    old = customs.get_or_raise(session, cash_rule.id)
    assert (old.version, old.limit_value) == (1, 10000)
    assert old.effective_to == date(2026, 2, 28)
    entry = last_audit(session)
    assert (entry.action, entry.object_id, entry.before["limit_value"]) == (
        "revise",
        "t-cash",
        10000,
    )
    assert entry.after["limit_value"] == 5000
    assert entry.actor.endswith(email)
    page = client.get("/console/customs/rules/t-cash?lang=en").get_data(as_text=True)
    assert "version 2" in page
    assert "replaced by the next version" in page  # version 1, in the history
    assert "Jan 1, 2020 – Feb 28, 2026" in page  # with its end date


def test_a_stale_save_is_refused_and_keeps_the_input(
    client: FlaskClient, session: Session, cash_rule: CustomsRule
) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash")
    first = rule_form(token, version="1", **{"titles.ru": "Наличные деньги"})
    assert client.post("/console/customs/rules/t-cash", data=first).status_code == 302
    stale = rule_form(token, version="1", **{"titles.ru": "Валюта и чеки"}, limit_value="777")
    refused = client.post("/console/customs/rules/t-cash?lang=en", data=stale)
    assert refused.status_code == 409
    session.expire_all()
    page = refused.get_data(as_text=True)
    assert 'role="alert">Someone else saved a newer version of this rule' in page
    assert 'value="Валюта и чеки"' in page  # the editor's input is still on the page
    assert 'value="777"' in page
    assert '<input type="hidden" name="version" value="1">' in page  # a second try is stale too
    latest = customs.latest(session, "t-cash")
    assert (latest.version, latest.titles["ru"], latest.limit_value) == (
        2,
        "Наличные деньги",
        10000,
    )
    assert session.scalar(select(CustomsRule).where(CustomsRule.version == 3)) is None


def test_a_validation_error_is_shown_next_to_its_field(
    client: FlaskClient, session: Session, cash_rule: CustomsRule
) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash?lang=ru")
    bad = rule_form(
        token, version="1", **{"source.url": "not a link", "titles.tk": "x" * 2001}, min_age="old"
    )
    refused = client.post("/console/customs/rules/t-cash", data=bad)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error(page, "source-url") == "Некорректный URL-адрес."  # in Russian
    assert field_error(page, "min_age") == "Значение должно быть целым числом."
    assert field_error(page, "titles-tk").startswith("Длина")
    assert 'id="f-source-url" name="source.url" aria-invalid="true"' in page
    assert 'value="not a link"' in page
    assert '<input type="hidden" name="tab" value="tk">' in page  # the tab with the problem
    assert customs.latest(session, "t-cash").version == 1

    # a fact the service checks, next to its field too
    token = csrf(client, "/console/customs/new-rule")
    taken = client.post("/console/customs/new-rule?lang=en", data=rule_form(token, key="t-cash"))
    assert taken.status_code == 422
    assert field_error(taken.get_data(as_text=True), "key") == (
        "A rule with this key exists: edit it instead."
    )


def test_retiring_a_rule(client: FlaskClient, session: Session, cash_rule: CustomsRule) -> None:
    email = sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash")
    on = date.today() + timedelta(days=10)
    response = client.post(
        "/console/customs/rules/t-cash/retire", data={"csrf_token": token, "on": on.isoformat()}
    )
    assert response.status_code == 302
    session.expire_all()
    retired = customs.latest(session, "t-cash")
    assert retired.effective_to == on - timedelta(days=1)
    entry = last_audit(session)
    assert (entry.action, entry.object_id, entry.actor.endswith(email)) == (
        "retire",
        "t-cash",
        True,
    )
    later = client.get(f"/console/customs?on={on.isoformat()}").get_data(as_text=True)
    assert "t-cash" not in later
    assert "t-cash" in client.get("/console/customs").get_data(as_text=True)
    without = client.post("/console/customs/rules/t-cash/retire", data={"csrf_token": token})
    assert without.status_code == 422  # the date is asked for beside its field
    assert 'id="err-on"' in without.get_data(as_text=True)
    assert customs.latest(session, "t-cash").effective_to == on - timedelta(days=1)


def test_editing_a_substance(client: FlaskClient, session: Session, cash_rule: CustomsRule) -> None:
    email = sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/substances/tramadol")
    form = {
        "csrf_token": token,
        "names.en": "tramadol\ntramadol hydrochloride",
        "names.ru": "трамадол",
        "names.tk": "tramadol\n",
        "rules.KZ.action": "prescription",
        "rules.KZ.max_quantity": "30",
        "rules.KZ.unit": "pieces",
        "rules.KZ.source.url": "https://example.test/kz-tramadol",
        "rules.UZ.action": "prohibited",
    }
    response = client.post("/console/customs/substances/tramadol", data=form)
    assert response.status_code == 302
    session.expire_all()
    substance = session.scalar(select(Substance).where(Substance.key == "tramadol"))
    assert substance is not None
    assert substance.names == {
        "en": ["tramadol", "tramadol hydrochloride"],
        "ru": ["трамадол"],
        "tk": ["tramadol"],
    }
    assert [(r.country, r.action, r.max_quantity) for r in substance.rules] == [
        ("KZ", "prescription", 30),
        ("UZ", "prohibited", None),
    ]
    assert substance.rules[0].source == {"url": "https://example.test/kz-tramadol"}
    assert substance.version == 2
    entry = last_audit(session)
    assert (entry.action, entry.object_id, entry.actor.endswith(email)) == (
        "upsert",
        "tramadol",
        True,
    )
    listed = client.get("/console/customs/substances?lang=ru").get_data(as_text=True)
    assert "трамадол" in listed

    refused = client.post(
        "/console/customs/substances/tramadol?lang=en", data={**form, "rules.UZ.max_quantity": "-1"}
    )
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), "rules-UZ-max_quantity") == (
        "Must be at least 0."
    )

    created = client.post(
        "/console/customs/new-substance",
        data={"csrf_token": token, "key": "codeine", "names.en": "codeine", "names.ru": "кодеин"},
    )
    assert created.headers["Location"] == "/console/customs/substances/codeine"
    assert customs.find_substance(session, "codeine") is not None
    again = client.post(
        "/console/customs/new-substance?lang=en",
        data={"csrf_token": token, "key": "codeine", "names.en": "other"},
    )
    assert again.status_code == 422
    assert field_error(again.get_data(as_text=True), "key").startswith("A substance with this key")
    session.expire_all()
    kept = customs.find_substance(session, "codeine")
    assert kept is not None
    assert kept.names["en"] == ["codeine"]


def test_recording_a_rate(client: FlaskClient, session: Session) -> None:
    customs.set_rate(
        session, actor=SYSTEM, currency="KZT", per_usd=500, as_of=date(2026, 1, 1), source="old"
    )
    session.commit()
    email = sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rates")
    response = client.post(
        "/console/customs/rates",
        data={
            "csrf_token": token,
            "currency": "kzt",
            "per_usd": "512,5",
            "as_of": "2026-02-01",
            "source": "National Bank of Kazakhstan",
        },
    )
    assert response.status_code == 302
    rate = session.scalar(select(ExchangeRate).order_by(ExchangeRate.id.desc()))
    assert rate is not None
    assert (rate.currency, rate.per_usd, rate.as_of) == ("KZT", 512.5, date(2026, 2, 1))
    entry = last_audit(session)
    assert (entry.action, entry.object_id, entry.actor.endswith(email)) == ("set_rate", "KZT", True)
    assert entry.after == {
        "per_usd": 512.5,
        "as_of": "2026-02-01",
        "source": "National Bank of Kazakhstan",
    }
    page = client.get("/console/customs/rates?lang=en").get_data(as_text=True)
    assert "National Bank of Kazakhstan" in page
    assert ">old<" not in page  # only the latest rate of each currency

    refused = client.post(
        "/console/customs/rates?lang=en",
        data={
            "csrf_token": token,
            "currency": "KZTX",
            "per_usd": "0",
            "as_of": "2026-02-02",
            "source": "x",
        },
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert field_error(page, "per_usd").startswith("Must be greater than 0")
    assert field_error(page, "currency") == "The value has the wrong format."
    assert field_error(page, "source").startswith("Length must be")
    assert (
        session.scalar(select(ExchangeRate).where(ExchangeRate.as_of == date(2026, 2, 2))) is None
    )


def test_every_substance_action_has_a_label() -> None:
    assert set(SUBSTANCE_ACTION_LABELS) == set(SUBSTANCE_ACTIONS)
