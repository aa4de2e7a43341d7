"""Every console form goes through the API's schemas: a bad value is shown beside its field
(422), never a 500, never a stored row. Run on PostgreSQL too: NUL characters and
over-long values are what fail its queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Agency, AuditEntry, Role, User
from content.accounts.service import SYSTEM
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign, CampaignRevision
from content.checkpoints.models import QueueReport, StatusReport
from content.customs.models import CustomsRule, ExchangeRate, Substance
from tests.api.console.test_console import PASSWORD, csrf, sign_in
from tests.api.console.test_customs_console import cash_rule, rule_form  # noqa: F401  # fixture

BAD_CTA_URLS = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://example.org/",
    "https://evil.example@ok.example/",
    "https://" + "a" * 600 + ".example/",
]


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def field_error(page: str, field_id: str) -> bool:
    """The problem is shown beside the field, and the field points at it."""
    return f'id="err-{field_id}"' in page and f'aria-describedby="err-{field_id}"' in page


@pytest.fixture
def draft(client: FlaskClient, session: Session) -> str:
    sign_in(client, session, Role.PUBLISHER)
    token = csrf(client, "/console/campaigns/new")
    created = client.post(
        "/console/campaigns/new", data={"slug": "draft", "countries": "KZ", "csrf_token": token}
    )
    assert created.status_code == 302
    return token


def edit_form(token: str, **changes: str) -> dict[str, str]:
    return {"csrf_token": token, "version": "1", "tab": "ru", "ru-title": "Заголовок", **changes}


# -- sign-in --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["a\x00@b.test", "x" * 300 + "@b.test", ""], ids=["nul", "long", "empty"]
)
def test_sign_in_refuses_bad_input_beside_the_field(
    client: FlaskClient, session: Session, email: str
) -> None:
    token = csrf(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "email")


def test_sign_in_refuses_a_nul_in_the_password(client: FlaskClient, session: Session) -> None:
    accounts.create_user(
        session, actor=SYSTEM, email="n@b.test", password=PASSWORD, role=Role.EDITOR
    )
    session.commit()
    token = csrf(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": "n@b.test", "password": "x\x00y", "csrf_token": token}
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "password")


# -- campaigns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"slug": "a/b"}, "slug"),
        ({"slug": "{{7*7}}"}, "slug"),
        ({"slug": "s" * 150}, "slug"),
        ({"slug": "nul\x00"}, "slug"),
        ({"slug": "ok", "countries": "KZ, <b>, XYZW"}, "countries"),
        ({"slug": "ok", "countries": "K\x00"}, "countries"),
    ],
)
def test_new_campaign_refuses_bad_input(
    client: FlaskClient, session: Session, form: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/campaigns/new")
    response = client.post("/console/campaigns/new", data={**form, "csrf_token": token})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert count(session, Campaign) == 0


@pytest.mark.parametrize("url", BAD_CTA_URLS)
def test_edit_refuses_a_cta_url_that_is_not_https(
    client: FlaskClient, session: Session, draft: str, url: str
) -> None:
    response = client.post("/console/campaigns/draft", data=edit_form(draft, **{"ru-cta_url": url}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "ru-cta_url")
    assert 'role="alert"' in page
    session.expire_all()
    campaign = campaigns.get_or_raise(session, "draft")
    assert campaign.version == 1
    assert "ru" not in campaign.translations


def test_edit_keeps_an_https_cta_url(client: FlaskClient, session: Session, draft: str) -> None:
    form = edit_form(draft, **{"ru-cta_label": "Открыть", "ru-cta_url": " https://ok.example/a "})
    assert client.post("/console/campaigns/draft", data=form).status_code == 302
    session.expire_all()
    stored = campaigns.get_or_raise(session, "draft").translations["ru"]
    assert stored.cta_url == "https://ok.example/a"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"priority": "1000000"}, "priority"),
        ({"priority": "abc"}, "priority"),
        ({"priority": "9" * 5000}, "priority"),
        ({"countries": "KZ, XYZW"}, "countries"),
        ({"ru-title": "T" * 5000}, "ru-title"),
        ({"ru-title": "nul\x00"}, "ru-title"),
        ({"ru-summary": "S" * 501}, "ru-summary"),
        ({"ru-cta_label": "L" * 101}, "ru-cta_label"),
    ],
)
def test_edit_refuses_bad_values_beside_their_field(
    client: FlaskClient, session: Session, draft: str, changes: dict[str, str], field: str
) -> None:
    response = client.post("/console/campaigns/draft", data=edit_form(draft, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field)
    assert "Заголовок" in page  # the editor's input is kept
    session.expire_all()
    assert campaigns.get_or_raise(session, "draft").version == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"version": "abc"},
        {"version": "9" * 50},
        {"starts_at": "not-a-date"},
        {"kk-title": "T" * 300},  # another language's field: named in the alert
        {"is_admin": "1"},  # unknown fields are refused, as in the API
    ],
)
def test_edit_refuses_hidden_or_unknown_fields_in_the_alert(
    client: FlaskClient, session: Session, draft: str, changes: dict[str, str]
) -> None:
    response = client.post("/console/campaigns/draft", data=edit_form(draft, **changes))
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('role="alert"') >= 2
    session.expire_all()
    assert campaigns.get_or_raise(session, "draft").version == 1


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"publish_at": "not-a-date", "unpublish_at": ""}, "publish_at"),
        ({"publish_at": "2026-01-01T10:00\x00", "unpublish_at": ""}, "publish_at"),
        ({"publish_at": "2026-02-01T10:00", "unpublish_at": "2026-01-01T10:00"}, "unpublish_at"),
    ],
)
def test_schedule_refuses_bad_dates_beside_their_field(
    client: FlaskClient, session: Session, draft: str, form: dict[str, str], field: str
) -> None:
    response = client.post("/console/campaigns/draft/schedule", data={**form, "csrf_token": draft})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    session.expire_all()
    assert campaigns.get_or_raise(session, "draft").publish_at is None


def test_schedule_reads_the_local_time_as_utc(
    client: FlaskClient, session: Session, draft: str
) -> None:
    form = {"publish_at": "2026-12-24T09:30", "unpublish_at": "", "csrf_token": draft}
    assert client.post("/console/campaigns/draft/schedule", data=form).status_code == 302
    session.expire_all()
    published = campaigns.get_or_raise(session, "draft").publish_at
    assert published is not None
    assert published.isoformat().startswith("2026-12-24T09:30:00")


@pytest.mark.parametrize("version", ["abc", "", "1\x00"])
def test_restore_refuses_a_bad_version(
    client: FlaskClient, session: Session, draft: str, version: str
) -> None:
    response = client.post(
        "/console/campaigns/draft/revisions/1/restore",
        data={"version": version, "csrf_token": draft},
    )
    assert response.status_code == 422
    assert count(session, CampaignRevision) == 1


def test_restore_refuses_a_revision_with_a_javascript_link(
    client: FlaskClient, session: Session, draft: str
) -> None:
    # a revision stored before links were checked
    revision = session.scalar(select(CampaignRevision))
    assert revision is not None
    revision.snapshot = {
        **revision.snapshot,
        "translations": {"ru": {"title": "x", "cta_url": "javascript:alert(1)"}},
    }
    session.commit()
    response = client.post(
        "/console/campaigns/draft/revisions/1/restore", data={"version": "1", "csrf_token": draft}
    )
    assert response.status_code == 422
    session.expire_all()
    assert "ru" not in campaigns.get_or_raise(session, "draft").translations


def test_the_reviewer_sees_every_language_s_cta_url_as_text(
    client: FlaskClient, session: Session, draft: str
) -> None:
    for locale, url in (("ru", "https://ru.example/x"), ("kk", "https://kk.example/y")):
        campaign = campaigns.get_or_raise(session, "draft")
        form = {
            "csrf_token": draft,
            "version": str(campaign.version),
            "tab": locale,
            f"{locale}-cta_url": url,
        }
        assert client.post("/console/campaigns/draft", data=form).status_code == 302
        session.expire_all()
    page = client.get("/console/campaigns/draft?tab=uz").get_data(as_text=True)
    assert '<code class="cta-url" data-locale="ru">https://ru.example/x</code>' in page
    assert '<code class="cta-url" data-locale="kk">https://kk.example/y</code>' in page


# -- the officer's board ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"state": "exploded"}, "state"),
        ({"state": ""}, "state"),
        ({"state": "closed", "reason": "aliens"}, "reason"),
        ({"state": "closed", "message": "m" * 501}, "message"),
        ({"state": "closed", "message": "nul\x00"}, "message"),
    ],
)
def test_board_status_refuses_bad_input_beside_the_field(
    client: FlaskClient, session: Session, form: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    response = client.post("/console/board/kz-kordai/status", data={**form, "csrf_token": token})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), f"{field}-kz-kordai")
    assert count(session, StatusReport) == 0


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"wait-exit-car": "99999"}, "wait-exit-car"),
        ({"wait-exit-car": "-1"}, "wait-exit-car"),
        ({"wait-exit-car": "abc"}, "wait-exit-car"),
        ({"wait-exit-car": "4\x00"}, "wait-exit-car"),
        ({"wait-exit-car": "10", "method-exit-car": "crowd_median"}, "method-exit-car"),
        ({"wait-exit-car": "10", "method-exit-car": "rocket"}, "method-exit-car"),
    ],
)
def test_board_queues_refuse_bad_input_beside_the_field(
    client: FlaskClient, session: Session, form: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    response = client.post("/console/board/kz-kordai/queues", data={**form, "csrf_token": token})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), f"{field}-kz-kordai")
    assert count(session, QueueReport) == 0


def test_board_audits_the_validated_values_not_the_form(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    queue = {"wait-exit-car": "42", "csrf_token": token}
    assert client.post("/console/board/kz-kordai/queues", data=queue).status_code == 302
    status = {"state": "closed", "reason": "weather", "message": " snow ", "csrf_token": token}
    assert client.post("/console/board/kz-kordai/status", data=status).status_code == 302
    entries = {
        e.action: e.after
        for e in session.scalars(select(AuditEntry).where(AuditEntry.object_id == "kz-kordai"))
    }
    assert entries["record_queue"] == {
        "direction": "exit",
        "lane": "car",
        "wait_minutes": 42,
        "method": "officer_estimate",
    }
    assert entries["set_status"] == {"state": "closed", "reason": "weather", "message": "snow"}


# -- users and agencies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "new\x00@b.test"}, "email"),
        ({"email": "x" * 300 + "@b.test"}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"country": "KZZ"}, "country"),
        ({"country": "XX"}, "country"),
        ({"role": "superuser"}, "role"),
        ({"password": "short"}, "password"),
        ({"password": "p" * 501}, "password"),
        ({"role": "border_officer", "country": ""}, "country"),
    ],
)
def test_new_user_refuses_bad_input_beside_the_field(
    client: FlaskClient, session: Session, changes: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.ADMIN)
    before = count(session, User)
    token = csrf(client, "/console/users")
    form = {
        "email": "new@b.test",
        "password": PASSWORD,
        "role": "editor",
        "country": "",
        **changes,
        "csrf_token": token,
    }
    response = client.post("/console/users", data=form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert count(session, User) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"country": "XYZ"}, "country"),
        ({"country": "RU"}, "country"),
        ({"name": "n" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"name": "nul\x00"}, "name"),
    ],
)
def test_new_agency_refuses_bad_input_beside_the_field(
    client: FlaskClient, session: Session, changes: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.ADMIN)
    before = count(session, Agency)
    token = csrf(client, "/console/agencies")
    form = {"name": "Probe agency", "country": "kz", **changes, "csrf_token": token}
    response = client.post("/console/agencies", data=form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert count(session, Agency) == before


def test_new_agency_is_stored_trimmed_with_an_upper_case_country(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/agencies")
    form = {"name": " Probe agency ", "country": "kg", "csrf_token": token}
    assert client.post("/console/agencies", data=form).status_code == 200
    agency = session.scalar(select(Agency).where(Agency.name == "Probe agency"))
    assert agency is not None
    assert agency.country == "KG"


@pytest.mark.parametrize("revoke", ["abc", "0", "9" * 40, "1\x00"])
def test_revoke_refuses_a_bad_agency_id(client: FlaskClient, session: Session, revoke: str) -> None:
    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/agencies")
    response = client.post("/console/agencies", data={"revoke": revoke, "csrf_token": token})
    assert response.status_code == 422


# -- customs ------------------------------------------------------------------------


@pytest.mark.usefixtures("cash_rule")
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"titles.ru": "Наличные\x00"}, "titles-ru"),
        ({"min_age": "²"}, "min_age"),
        ({"min_age": "9" * 5000}, "min_age"),
        ({"source.act": "x" * 501}, "source-act"),
        ({"effective_from": "not-a-date"}, "effective_from"),
    ],
)
def test_customs_rule_refuses_bad_input_beside_the_field(
    client: FlaskClient, session: Session, changes: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash")
    form = rule_form(token, version="1", **changes)
    response = client.post("/console/customs/rules/t-cash", data=form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert count(session, CustomsRule) == 1


@pytest.mark.usefixtures("cash_rule")
@pytest.mark.parametrize("version", ["abc", "9" * 50])
def test_customs_rule_refuses_a_bad_version(
    client: FlaskClient, session: Session, version: str
) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash")
    response = client.post("/console/customs/rules/t-cash", data=rule_form(token, version=version))
    assert response.status_code == 422
    assert count(session, CustomsRule) == 1


@pytest.mark.usefixtures("cash_rule")
@pytest.mark.parametrize("on", ["0001-01-01", "garbage", "2027-01-01\x00"])
def test_retiring_refuses_a_bad_date(client: FlaskClient, session: Session, on: str) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rules/t-cash")
    response = client.post(
        "/console/customs/rules/t-cash/retire", data={"on": on, "csrf_token": token}
    )
    assert response.status_code == 422
    assert 'id="err-on"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(CustomsRule)).one().effective_to is None


@pytest.mark.usefixtures("cash_rule")
def test_customs_substance_refuses_a_nul(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/new-substance")
    form = {"key": "codeine", "names.en": "codeine\x00", "csrf_token": token}
    response = client.post("/console/customs/new-substance", data=form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "names-en")
    assert count(session, Substance) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"source": "Central bank\x00"}, "source"), ({"per_usd": "abc"}, "per_usd")],
)
def test_customs_rate_refuses_bad_input(
    client: FlaskClient, session: Session, changes: dict[str, str], field: str
) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/customs/rates")
    form = {
        "currency": "EUR",
        "per_usd": "0.9",
        "as_of": "2026-01-02",
        "source": "ECB",
        **changes,
        "csrf_token": token,
    }
    response = client.post("/console/customs/rates", data=form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field)
    assert session.scalar(select(ExchangeRate).where(ExchangeRate.currency == "EUR")) is None


# -- the audit log -----------------------------------------------------------------


def test_no_console_audit_entry_holds_the_csrf_token(
    client: FlaskClient, session: Session, draft: str
) -> None:
    """Every kind of console change, then the whole audit log searched for the token."""
    campaign = campaigns.get_or_raise(session, "draft")
    form = edit_form(draft, version=str(campaign.version))
    assert client.post("/console/campaigns/draft", data=form).status_code == 302
    schedule = {"publish_at": "2027-01-01T10:00", "unpublish_at": "", "csrf_token": draft}
    assert client.post("/console/campaigns/draft/schedule", data=schedule).status_code == 302
    restore = {"version": str(campaign.version + 2), "csrf_token": draft}
    client.post("/console/campaigns/draft/revisions/1/restore", data=restore)
    client.post("/console/campaigns/draft/actions", data={"action": "submit", "csrf_token": draft})
    client.post("/console/logout", data={"csrf_token": draft})

    sign_in(client, session, Role.ADMIN)
    token = csrf(client, "/console/users")
    user = {"email": "o@b.test", "password": PASSWORD, "role": "border_officer", "country": "kz"}
    assert client.post("/console/users", data={**user, "csrf_token": token}).status_code == 200
    agency = {"name": "Audit agency", "country": "KZ", "csrf_token": token}
    assert client.post("/console/agencies", data=agency).status_code == 200
    client.post("/console/logout", data={"csrf_token": token})

    token = csrf(client, "/console/login")
    client.post(
        "/console/login", data={"email": "o@b.test", "password": PASSWORD, "csrf_token": token}
    )
    token = csrf(client, "/console/board")
    status = {"state": "closed", "csrf_token": token}
    assert client.post("/console/board/kz-kordai/status", data=status).status_code == 302
    queue = {"wait-exit-car": "42", "csrf_token": token}
    assert client.post("/console/board/kz-kordai/queues", data=queue).status_code == 302

    entries = list(session.scalars(select(AuditEntry)))
    assert {e.action for e in entries} >= {
        "create",
        "update",
        "schedule",
        "create_user",
        "create_agency",
        "set_status",
        "record_queue",
    }
    for entry in entries:
        stored = json.dumps([entry.before, entry.after], ensure_ascii=False)
        assert "csrf_token" not in stored, entry.action
        assert token not in stored, entry.action
        assert draft not in stored, entry.action
