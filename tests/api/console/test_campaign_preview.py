"""The edit page's phone preview: an editor's unsaved texts, rendered and sanitised exactly
as the public API serves them once saved, and never saved by previewing."""

from __future__ import annotations

from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.errors import PROBLEM_CONTENT_TYPE
from content.accounts.models import AuditEntry, Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.campaigns.models import CampaignRevision
from content.locales import translations
from tests import factories
from tests.api.console.test_console import csrf, sign_in

SLUG = "preview-me"
URL = f"/console/campaigns/{SLUG}/preview"
HOSTILE = (
    "**bold** <script>alert(1)</script>\n\n"
    "[click](javascript:alert(1)) and [UNODC](https://www.unodc.org)\n\n"
    '<a href="javascript:alert(2)">raw</a>'
)
TEXTS = {
    "title": "Не везите чужое",
    "summary": "Коротко",
    "body": HOSTILE,
    "image_alt": "Граница ночью",
    "cta_label": "Подробнее",
    "cta_url": "https://www.unodc.org/help",
}


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def token(client: FlaskClient, session: Session) -> str:
    """An editor signed in, with a campaign whose Russian text has an image: the CSRF token."""
    image = campaigns.store_image(
        session,
        actor=factories.TESTER,
        data=_png(),
        image_dir=client.application.config["SETTINGS"].image_path,
    )
    texts = factories.campaign_translations()
    texts["ru"]["image_id"] = image.id  # type: ignore[assignment]  # the factory's are texts
    factories.campaign(session, slug=SLUG, translations=texts)
    session.commit()
    sign_in(client, session, Role.EDITOR)
    return csrf(client, f"/console/campaigns/{SLUG}?tab=ru")


def preview(client: FlaskClient, token: str | None, **body: Any) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(URL, json={"locale": "ru", **body}, headers=headers)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of the HTML, with its attributes, in order."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_bold_body_is_shown_bold_with_the_image_and_the_button(
    client: FlaskClient, token: str
) -> None:
    response = preview(
        client, token, body="**bold**", cta_label="Открыть", cta_url=TEXTS["cta_url"]
    )
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    assert shown["body_html"] == "<p><strong>bold</strong></p>\n"
    # the fields not sent read as saved
    assert (shown["locale"], shown["title"], shown["image_alt"]) == ("ru", "Title ru", "Alt ru")
    assert shown["image_url"].startswith("/media/images/")
    assert shown["call_to_action"] == {"label": "Открыть", "url": TEXTS["cta_url"]}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_preview_is_what_the_public_api_serves_once_saved(
    client: FlaskClient, session: Session, token: str
) -> None:
    shown = preview(client, token, **TEXTS).get_json()
    # markdown-it leaves the javascript: link as text; the raw HTML is escaped, as text
    assert elements(shown["body_html"]) == [
        ("p", {}),
        ("strong", {}),
        ("p", {}),
        ("a", {"href": "https://www.unodc.org", "rel": "noopener noreferrer nofollow"}),
        ("p", {}),
    ]
    form = {"csrf_token": token, "version": "1", "tab": "ru"}
    form |= {f"ru-{name}": value for name, value in TEXTS.items()}
    assert client.post(f"/console/campaigns/{SLUG}", data=form).status_code == 302
    publisher = Actor("publisher@test", Role.PUBLISHER)
    campaign = campaigns.get_or_raise(session, SLUG)
    for action in ("submit", "approve", "publish"):
        # the other languages are outdated now: the Russian text is what is read
        campaigns.transition(
            session, actor=publisher, campaign=campaign, action=action, require_complete=False
        )
    session.commit()
    served = client.get(f"/v1/campaigns/{SLUG}?lang=ru").get_json()
    assert served["locale"] == "ru"
    assert {name: served[name] for name in shown} == shown


def test_previewing_saves_nothing(client: FlaskClient, session: Session, token: str) -> None:
    revisions, audited = count(session, CampaignRevision), count(session, AuditEntry)
    assert preview(client, token, **TEXTS).status_code == 200
    session.expire_all()
    campaign = campaigns.get_or_raise(session, SLUG)
    assert campaign.version == 1
    assert campaign.translations["ru"].body == "Body in **ru**."
    assert campaign.translations["ru"].cta_url is None
    assert (count(session, CampaignRevision), count(session, AuditEntry)) == (revisions, audited)


def test_the_edit_page_shows_the_sanitised_preview_without_script(
    client: FlaskClient, token: str
) -> None:
    page = client.get(f"/console/campaigns/{SLUG}?tab=ru").get_data(as_text=True)
    assert '<div id="preview-body" class="body"><p>Body in <strong>ru</strong>.</p>' in page
    assert 'src="/media/images/' in page
    assert 'alt="Alt ru"' in page
    assert f'data-preview-url="{URL}"' in page


def test_only_editors_preview(client: FlaskClient, session: Session, token: str) -> None:
    client.post("/console/logout", data={"csrf_token": token})
    signed_out = preview(client, csrf(client, "/console/login"), body="x")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/console/login")
    sign_in(client, session, Role.BORDER_OFFICER, "KZ")
    refused = preview(client, csrf(client, "/console/board"), body="x")
    assert refused.status_code == 403
    assert refused.mimetype == PROBLEM_CONTENT_TYPE


def test_a_preview_without_the_csrf_token_is_refused(client: FlaskClient, token: str) -> None:
    refused = preview(client, None, body="x")
    assert refused.status_code == 400
    assert refused.mimetype == PROBLEM_CONTENT_TYPE
    assert preview(client, "not-the-token", body="x").status_code == 400


def test_bad_input_is_a_problem_in_the_editor_s_language(client: FlaskClient, token: str) -> None:
    client.get("/console/?lang=ru")
    ru = translations("ru")
    unknown = preview(client, token, colour="red", cta_url="javascript:alert(1)")
    assert unknown.status_code == 422
    assert unknown.mimetype == PROBLEM_CONTENT_TYPE
    assert unknown.headers["Content-Language"] == "ru"
    problem = unknown.get_json()
    assert problem["detail"] == ru.gettext("Some values in the request are not valid.")
    assert problem["errors"] == {
        "colour": [ru.gettext("Unknown field.")],
        "cta_url": [ru.gettext("Not a valid URL.")],
    }
    no_language = client.post(URL, json={"title": "x"}, headers={"X-CSRFToken": token})
    assert no_language.status_code == 422
    assert set(no_language.get_json()["errors"]) == {"locale"}
    not_json = client.post(URL, data={"title": "x"}, headers={"X-CSRFToken": token})
    assert not_json.status_code == 415
    broken = client.post(
        URL, data="{", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert broken.status_code == 400
    assert broken.get_json()["detail"] == ru.gettext("The request body is not valid JSON.")


def test_an_unknown_image_is_refused_as_a_save_refuses_it(client: FlaskClient, token: str) -> None:
    refused = preview(client, token, image_id=999999)
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"translations.ru.image_id"}


def test_an_unknown_campaign_is_not_found(client: FlaskClient, token: str) -> None:
    missing = client.post(
        "/console/campaigns/nothing-here/preview",
        json={"locale": "ru"},
        headers={"X-CSRFToken": token},
    )
    assert missing.status_code == 404
    assert missing.mimetype == PROBLEM_CONTENT_TYPE
