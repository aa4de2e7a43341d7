"""The console in the editor's language: campaign statuses, workflow actions, roles, the
demo tag and queue waits are never shown as English codes in a translated page."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.labels import ROLE_LABELS
from content.accounts.models import Role
from content.accounts.service import SYSTEM
from content.campaigns import service as campaigns
from content.campaigns.labels import ACTION_LABELS, STATUS_LABELS
from content.campaigns.models import CampaignStatus
from content.locales import CYRILLIC_LOCALES, has_latin, translations
from content.seed import loader
from tests import factories
from tests.api.console.test_console import PASSWORD, csrf, sign_in

#: what the pages used to show: enum values and the English labels
ENGLISH = re.compile(
    r"\b(draft|in[ _]review|approved|published|archived|editor|publisher|admin(istrator)?"
    r"|border[ _]officer|submit|return|approve|publish|unpublish|archive|demo)\b",
    re.IGNORECASE,
)


def visible_text(page: str) -> str:
    """The text a reader sees outside the editable texts: no tags, attributes, scripts,
    styles, text areas or the reference translation shown beside them (the English
    translation's own words, «Demo, not an official message», are content, not the
    console's labels)."""
    page = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", page, flags=re.DOTALL)
    page = re.sub(r'<p class="reference"[^>]*>.*?</p>', " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def sign_in_as(client: FlaskClient, session: Session, role: Role, locale: str) -> None:
    # a neutral address: the header shows it, and it must not look like a role
    sign_in(client, session, role, email="someone@console.test")
    client.get(f"/console/?lang={locale}")  # the session keeps the language from here on


def test_every_status_action_and_role_has_a_label() -> None:
    assert set(STATUS_LABELS) == set(CampaignStatus)
    assert set(ACTION_LABELS) == set(campaigns.TRANSITIONS)
    assert set(ROLE_LABELS) == set(Role)


@pytest.mark.parametrize("locale", CYRILLIC_LOCALES)
def test_campaign_and_user_pages_speak_the_consoles_language(
    client: FlaskClient, session: Session, locale: str
) -> None:
    loader.load_demo_campaigns(session)  # published, and labelled demo
    sign_in_as(client, session, Role.ADMIN, locale)
    for role in (Role.EDITOR, Role.PUBLISHER, Role.BORDER_OFFICER):
        accounts.create_user(
            session, actor=SYSTEM, email=f"user{len(role.value)}@console.test", password=PASSWORD,
            role=role, country="KZ",
        )  # fmt: skip
    session.commit()
    slug = "synthetic-drugs-are-not-safe"

    for path in ("/console/campaigns", f"/console/campaigns/{slug}", "/console/users"):
        page = client.get(path)
        assert page.status_code == 200, path
        text = visible_text(page.get_data(as_text=True))
        assert not ENGLISH.search(text), (path, ENGLISH.findall(text))

    gettext = translations(locale).gettext
    listed = visible_text(client.get("/console/campaigns").get_data(as_text=True))
    assert gettext(STATUS_LABELS[CampaignStatus.PUBLISHED]) in listed
    assert gettext("demo") in listed
    detail = visible_text(client.get(f"/console/campaigns/{slug}").get_data(as_text=True))
    assert gettext(ACTION_LABELS["unpublish"]) in detail
    assert gettext(ACTION_LABELS["archive"]) in detail
    people = visible_text(client.get("/console/users").get_data(as_text=True))
    for role in Role:
        assert gettext(ROLE_LABELS[role]) in people
        assert not has_latin(gettext(ROLE_LABELS[role]))

    token = csrf(client, f"/console/campaigns/{slug}")
    client.post(
        f"/console/campaigns/{slug}/actions", data={"action": "unpublish", "csrf_token": token}
    )
    flashed = visible_text(client.get(f"/console/campaigns/{slug}").get_data(as_text=True))
    assert gettext(STATUS_LABELS[CampaignStatus.APPROVED]).lower() in flashed
    assert not ENGLISH.search(flashed), ENGLISH.findall(flashed)

    # a page opened before someone else moved the campaign on: the refusal names the
    # status and the action in the console's language too
    client.post(
        f"/console/campaigns/{slug}/actions", data={"action": "approve", "csrf_token": token}
    )
    refused = visible_text(client.get(f"/console/campaigns/{slug}").get_data(as_text=True))
    assert f"«{gettext(ACTION_LABELS['approve'])}»" in refused
    assert f"«{gettext(STATUS_LABELS[CampaignStatus.APPROVED])}»" in refused
    assert not ENGLISH.search(refused), ENGLISH.findall(refused)


def test_the_board_shows_waits_in_tajik(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, wait_minutes=95)
    session.commit()
    sign_in_as(client, session, Role.ADMIN, "tg")

    board = visible_text(client.get("/console/board?country=KZ").get_data(as_text=True))

    assert "1 соат ва 35 дақиқа" in board
