"""Translation status on the console: each language tab's status, outdated fields with a
word diff, "Confirm translation", the minor edit box, and the dashboard."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.campaigns import service as campaigns
from content.translations import service as translations
from content.translations.labels import STATUS_LABELS
from content.translations.models import TranslationStatus
from tests import factories
from tests.api.console.test_console import csrf, sign_in
from tests.api.console.test_customs_console import rule_form

EDIT = "/console/campaigns/fines"
RULE = "/console/customs/rules/t-cash"


def _campaign(session: Session) -> None:
    factories.campaign(session, slug="fines")
    session.commit()


def _save_ru(client: FlaskClient, session: Session, body: str, **extra: str) -> None:
    campaign = campaigns.get_or_raise(session, "fines")
    session.refresh(campaign)
    token = csrf(client, EDIT)
    form = {
        "csrf_token": token,
        "version": str(campaign.version),
        "tab": "ru",
        "ru-body": body,
        "reference_locale": "ru",
        **extra,
    }
    assert client.post(EDIT, data=form).status_code == 302


def _tab_status(page: str, locale: str) -> str:
    match = re.search(rf'data-locale="{locale}"[^>]*>[^<]*<span class="ts ts-(\w+)"', page)
    assert match, f"no status on the {locale} tab"
    return match.group(1)


def test_a_changed_reference_shows_outdated_fields_with_their_diff(
    client: FlaskClient, session: Session
) -> None:
    _campaign(session)
    sign_in(client, session, Role.EDITOR)
    _save_ru(client, session, "Body in **ru**, with a fine of 200.")
    page = client.get(f"{EDIT}?tab=tg").get_data(as_text=True)
    assert _tab_status(page, "tg") == "outdated"
    assert _tab_status(page, "ru") == "draft"
    assert 'class="field outdated" data-field="body"' in page
    assert 'class="field " data-field="title"' in page
    diff = re.search(r'<p class="word-diff" data-field="body" lang="ru">(.*?)</p>', page)
    assert diff
    assert diff.group(1) == "Body in **ru<del>**.</del><ins>**, with a fine of 200.</ins>"
    assert 'data-confirm="tg"' in page
    # the reference's own tab offers the minor edit box, and no confirmation of itself
    ru = client.get(f"{EDIT}?tab=ru").get_data(as_text=True)
    assert 'name="minor_edit"' in ru
    assert "data-confirm=" not in ru
    assert 'name="minor_edit"' not in page


def test_the_diff_is_escaped(client: FlaskClient, session: Session) -> None:
    _campaign(session)
    sign_in(client, session, Role.EDITOR)
    _save_ru(client, session, "<script>alert(1)</script>")
    page = client.get(f"{EDIT}?tab=kk").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins>" in page


def test_confirm_translation_clears_the_mark(client: FlaskClient, session: Session) -> None:
    _campaign(session)
    sign_in(client, session, Role.EDITOR)
    _save_ru(client, session, "Новый текст")
    campaign = campaigns.get_or_raise(session, "fines")
    session.refresh(campaign)
    token = csrf(client, f"{EDIT}?tab=tg")
    stale = client.post(
        f"{EDIT}/translations/tg/confirm",
        data={"csrf_token": token, "version": str(campaign.version - 1)},
    )
    assert stale.status_code == 302
    assert 'class="flash error"' in client.get(f"{EDIT}?tab=tg").get_data(as_text=True)
    done = client.post(
        f"{EDIT}/translations/tg/confirm",
        data={"csrf_token": token, "version": str(campaign.version)},
    )
    assert done.headers["Location"].endswith("tab=tg")
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Перевод подтверждён." in page  # the console speaks Russian by default
    assert _tab_status(page, "tg") == "up_to_date"
    assert "word-diff" not in page
    assert (
        client.post(f"{EDIT}/translations/fr/confirm", data={"csrf_token": token}).status_code
        == 404
    )


def test_a_minor_edit_outdates_nothing(client: FlaskClient, session: Session) -> None:
    _campaign(session)
    sign_in(client, session, Role.EDITOR)
    _save_ru(client, session, "Body in **ru**!", minor_edit="1")
    campaign = campaigns.get_or_raise(session, "fines")
    assert translations.outdated(session, translations.CAMPAIGN, ["fines"]) == {}
    assert campaign.translations["ru"].body == "Body in **ru**!"


def test_the_customs_rule_page_marks_outdated_fields_and_confirms(
    client: FlaskClient, session: Session
) -> None:
    factories.customs_rule(
        session, key="t-cash", category="cash", limit_value=10000, limit_currency="USD"
    )
    session.commit()
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, RULE)
    form = rule_form(token, version="1")
    form["explanations.ru"] = "Декларируйте наличные свыше 20 000 долларов."
    for locale in ("en", "kk", "ky", "uz", "tg", "tk"):
        form[f"titles.{locale}"] = f"t-cash ({locale})"
        form[f"explanations.{locale}"] = f"explanation ({locale})"
    form["titles.ru"] = "t-cash (ru)"
    assert client.post(RULE, data=form).status_code == 302
    page = client.get(f"{RULE}?tab=tg").get_data(as_text=True)
    assert _tab_status(page, "tg") == "outdated"
    assert '<section class="tab-panel" id="lang-tg"' in page
    panel = page[page.index('id="lang-tg"') : page.index('id="lang-tk"')]
    assert 'class="field outdated" data-field="explanation"' in panel
    assert "<del>explanation</del>" in panel or "<del>" in panel
    assert 'form="translation-form"' in panel
    confirm = re.search(r'formaction="([^"]+/tg/confirm)"', panel)
    assert confirm
    token = csrf(client, RULE)
    done = client.post(confirm.group(1), data={"csrf_token": token, "version": "2"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert _tab_status(page, "tg") == "up_to_date"
    # a minor edit of the reference outdates nothing
    form = rule_form(csrf(client, RULE), version="2", minor_edit="1")
    for locale in ("en", "kk", "ky", "uz", "tg", "tk"):
        form[f"titles.{locale}"] = f"t-cash ({locale})"
        form[f"explanations.{locale}"] = f"explanation ({locale})"
    form["titles.ru"] = "t-cash (ru)"
    form["explanations.ru"] = "Декларируйте наличные свыше 20 000 долларов!"
    assert client.post(RULE, data=form).status_code == 302
    page = client.get(f"{RULE}?tab=tg").get_data(as_text=True)
    assert _tab_status(page, "tg") == "up_to_date"


def test_the_dashboard_filters_to_one_language_and_status(
    client: FlaskClient, session: Session
) -> None:
    _campaign(session)
    factories.customs_rule(session, key="t-goods", category="goods")
    session.commit()
    sign_in(client, session, Role.EDITOR)
    _save_ru(client, session, "Новый текст")
    home = client.get("/console/campaigns").get_data(as_text=True)
    assert 'href="/console/translations"' in home
    page = client.get("/console/translations").get_data(as_text=True)
    row = re.search(r'<tr data-kind="campaign" data-key="fines">(.*?)</tr>', page, re.S)
    assert row
    cell = re.search(
        r'<td class="ts-cell" data-locale="tk"><a href="([^"]+)">(.*?)</a>', row.group(1)
    )
    assert cell
    assert cell.group(1) == "/console/campaigns/fines?tab=tk"
    assert 'class="ts ts-outdated"' in cell.group(2)
    todo = client.get("/console/translations?locale=tk&status=outdated").get_data(as_text=True)
    assert 'data-key="fines"' in todo
    assert 'data-key="t-goods"' not in todo
    assert todo.count('class="ts-cell"') == 1
    drafts = client.get("/console/translations?locale=tk&status=draft").get_data(as_text=True)
    assert 'data-key="t-goods"' in drafts
    assert 'href="/console/customs/rules/t-goods?tab=tk"' in drafts
    assert 'data-key="fines"' not in drafts
    none = client.get("/console/translations?status=reviewed").get_data(as_text=True)
    assert "По этому фильтру ничего не найдено." in none


def test_the_dashboard_speaks_every_language(client: FlaskClient, session: Session) -> None:
    _campaign(session)
    sign_in(client, session, Role.EDITOR)
    from flask_babel import force_locale

    for locale in ("ru", "kk", "ky", "uz", "tg", "tk"):
        page = client.get(f"/console/translations?lang={locale}").get_data(as_text=True)
        with client.application.test_request_context(), force_locale(locale):
            from flask_babel import gettext

            assert gettext(STATUS_LABELS[TranslationStatus.DRAFT]) in page
            heading = gettext("Translation status")
        assert heading != "Translation status"
        assert f"<h1>{heading}</h1>" in page


def test_border_officers_do_not_see_the_dashboard(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, "KZ")
    assert client.get("/console/translations").status_code == 403
