"""Campaigns: workflow by role, If-Match, revisions, sanitising, the public API."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.locales import SERVED_LOCALES
from tests import factories
from tests.factories import USER_PASSWORD

Login = Callable[..., dict[str, str]]


def create(client: FlaskClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"slug": "synthetic-drugs", "countries": ["KZ", "UZ"], **fields}
    response = client.post("/v1/admin/campaigns", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def act(client: FlaskClient, headers: dict[str, str], action: str, slug: str = "synthetic-drugs"):
    return client.post(f"/v1/admin/campaigns/{slug}/actions/{action}", headers=headers)


def test_the_whole_workflow(client: FlaskClient, login: Login) -> None:
    editor, publisher = login(Role.EDITOR), login(Role.PUBLISHER)
    create(client, editor, translations=factories.campaign_translations())
    assert client.get("/v1/campaigns/synthetic-drugs").status_code == 404
    assert act(client, editor, "submit").status_code == 200
    assert act(client, editor, "approve").status_code == 403
    assert act(client, publisher, "approve").status_code == 200
    assert client.get("/v1/campaigns/synthetic-drugs").status_code == 404
    published = act(client, publisher, "publish")
    assert published.status_code == 200
    assert published.get_json()["status"] == "published"
    body = client.get("/v1/campaigns/synthetic-drugs?lang=tg").get_json()
    assert (body["locale"], body["title"]) == ("tg", "Title tg")
    assert body["body_html"] == "<p>Body in <strong>tg</strong>.</p>\n"
    listed = client.get("/v1/campaigns?country=KZ&lang=kk").get_json()["items"]
    assert [c["slug"] for c in listed] == ["synthetic-drugs"]
    assert client.get("/v1/campaigns?country=TM").get_json()["items"] == []
    assert act(client, publisher, "archive").status_code == 200
    assert client.get("/v1/campaigns/synthetic-drugs").status_code == 404


def test_publishing_needs_all_six_languages(client: FlaskClient, login: Login) -> None:
    editor, publisher = login(Role.EDITOR), login(Role.PUBLISHER)
    texts = factories.campaign_translations()
    del texts["tk"]
    create(client, editor, translations=texts)
    act(client, editor, "submit")
    act(client, publisher, "approve")
    refused = act(client, publisher, "publish")
    assert refused.status_code == 422
    assert "translations.tk" in refused.get_json()["errors"]
    campaign = client.get("/v1/admin/campaigns/synthetic-drugs", headers=editor).get_json()
    assert campaign["missing"]["tk"] == ["title", "summary", "body"]
    assert campaign["missing"]["kk"] == []


def test_a_demo_campaign_is_published_only_with_its_visible_label(
    client: FlaskClient, login: Login, session: Session
) -> None:
    publisher = login(Role.PUBLISHER)
    seed = Actor("system:seed", Role.ADMIN)  # only the seed makes demo campaigns
    campaign = factories.campaign(session, actor=seed, slug="synthetic-drugs", demo=True)
    for action in ("submit", "approve"):
        campaigns.transition(session, actor=seed, campaign=campaign, action=action)
    session.flush()
    refused = client.post(
        "/v1/admin/campaigns/synthetic-drugs/actions/publish",
        headers={**publisher, "Accept-Language": "ru"},
    )
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert sorted(errors) == sorted(f"translations.{locale}" for locale in campaigns.DEMO_LABELS)
    assert errors["translations.uz"] == [
        "В демо-кампании заголовок или краткое описание, а также текст должны содержать "
        "пометку «Demo, rasmiy xabar emas»."
    ]
    assert client.get("/v1/campaigns/synthetic-drugs").status_code == 404


def test_fallback_says_which_locale_it_served(client: FlaskClient, login: Login, app: Any) -> None:
    app.config["SETTINGS"].campaigns_require_all_locales = False
    editor, publisher = login(Role.EDITOR), login(Role.PUBLISHER)
    texts = factories.campaign_translations()
    del texts["tk"]
    create(client, editor, translations=texts)
    for headers, action in ((editor, "submit"), (publisher, "approve"), (publisher, "publish")):
        assert act(client, headers, action).status_code == 200
    body = client.get("/v1/campaigns/synthetic-drugs?lang=tk").get_json()
    assert (body["locale"], body["title"]) == ("ru", "Title ru")


def test_if_match_is_required_and_checked(client: FlaskClient, login: Login) -> None:
    editor = login(Role.EDITOR)
    create(client, editor, translations=factories.campaign_translations())
    url = "/v1/admin/campaigns/synthetic-drugs"
    etag = client.get(url, headers=editor).headers["ETag"]
    change = {"priority": 5}
    assert client.patch(url, json=change, headers=editor).status_code == 428
    first = client.patch(url, json=change, headers={**editor, "If-Match": etag})
    assert first.status_code == 200
    stale = client.patch(url, json={"priority": 7}, headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(url, headers=editor).get_json()["priority"] == 5


def test_revisions_diff_and_restore(client: FlaskClient, login: Login) -> None:
    editor = login(Role.EDITOR)
    create(client, editor, translations=factories.campaign_translations())
    url = "/v1/admin/campaigns/synthetic-drugs"
    etag = client.get(url, headers=editor).headers["ETag"]
    changed = {"translations": {"ru": {"title": "Новый заголовок"}}}
    etag = client.patch(url, json=changed, headers={**editor, "If-Match": etag}).headers["ETag"]
    revisions = client.get(f"{url}/revisions", headers=editor).get_json()["items"]
    assert [r["number"] for r in revisions] == [1, 2]
    lines = client.get(f"{url}/revisions/diff?from=1&to=2", headers=editor).get_json()["lines"]
    assert "-Title ru" in lines
    assert "+Новый заголовок" in lines
    restored = client.post(f"{url}/revisions/1/restore", headers={**editor, "If-Match": etag})
    assert restored.status_code == 200
    assert restored.get_json()["translations"]["ru"]["title"] == "Title ru"
    assert len(client.get(f"{url}/revisions", headers=editor).get_json()["items"]) == 3


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<p onclick="steal()">hi</p>',
    ],
)
def test_markdown_is_sanitised(markdown: str) -> None:
    elements = _elements(campaigns.render_markdown(markdown))
    assert all(tag not in {"script", "iframe", "img"} for tag, _ in elements)
    for _, attributes in elements:
        assert not any(name.startswith("on") for name in attributes)
        assert not attributes.get("href", "").lower().startswith("javascript:")


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every element the browser would build from the HTML, with its attributes."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {k: v or "" for k, v in attrs}))

    Collector().feed(html)
    return found


def test_links_survive_with_safe_rel() -> None:
    html = campaigns.render_markdown("[UNODC](https://www.unodc.org)")
    assert 'href="https://www.unodc.org"' in html
    assert "noopener" in html


def _png(size: tuple[int, int] = (4, 4)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def test_images_are_checked_by_content(client: FlaskClient, login: Login) -> None:
    editor = login(Role.EDITOR)
    good = client.post(
        "/v1/admin/images",
        data={"file": (BytesIO(_png()), "photo.txt")},
        headers=editor,
        content_type="multipart/form-data",
    )
    assert good.status_code == 201, good.get_json()
    served = client.get(good.get_json()["url"])
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    served.close()
    fake = client.post(
        "/v1/admin/images",
        data={"file": (BytesIO(b"<svg onload=alert(1)>"), "image.png")},
        headers=editor,
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422


def _png_header(width: int, height: int, mode: int = 0) -> bytes:
    """A PNG that claims `width` × `height` (grey, 1 bit) with one tiny IDAT: what an image
    bomb looks like to a server that reads headers only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, mode, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height"), [(4097, 16), (16, 9000), (9000, 9000), (20000, 20000), (65535, 65535)]
)
def test_images_over_the_pixel_limit_are_refused(
    client: FlaskClient, login: Login, width: int, height: int
) -> None:
    """Review §4e: a 9000² PNG was stored and sent to phones; 20000² was a 500."""
    response = client.post(
        "/v1/admin/images",
        data={"file": (BytesIO(_png_header(width, height)), "bomb.png")},
        headers={**login(Role.EDITOR), "Accept-Language": "ru"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    assert "4096" in response.get_json()["errors"]["file"][0]
    assert response.headers["Content-Language"] == "ru"


def test_an_image_at_the_pixel_limit_is_kept(client: FlaskClient, login: Login) -> None:
    response = client.post(
        "/v1/admin/images",
        data={"file": (BytesIO(_png((4096, 8))), "wide.png")},
        headers=login(Role.EDITOR),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["width"], response.get_json()["height"]) == (4096, 8)


def test_each_role_is_refused_what_it_may_not_do(client: FlaskClient, login: Login) -> None:
    editor = login(Role.EDITOR)
    officer = login(Role.BORDER_OFFICER, country="KZ")
    create(client, editor, translations=factories.campaign_translations())
    assert client.get("/v1/admin/campaigns", headers=officer).status_code == 403
    assert (
        client.post("/v1/admin/campaigns", json={"slug": "x"}, headers=officer).status_code == 403
    )
    for action in ("approve", "publish", "archive"):
        assert act(client, editor, action).status_code == 403
    assert client.get("/v1/admin/push/stats", headers=editor).status_code == 403
    assert client.get("/v1/admin/audit", headers=editor).status_code == 403
    assert client.get("/v1/admin/campaigns").status_code == 401


def test_every_change_is_audited(client: FlaskClient, login: Login, session: Session) -> None:
    editor = login(Role.EDITOR)
    admin = login(Role.ADMIN)
    create(client, editor, translations=factories.campaign_translations())
    act(client, editor, "submit")
    entries = client.get("/v1/admin/audit", headers=admin).get_json()["items"]
    assert [(e["action"], e["object_id"]) for e in entries[:2]] == [
        ("submit", "synthetic-drugs"),
        ("create", "synthetic-drugs"),
    ]
    assert entries[0]["before"]["status"] == "draft"
    assert entries[0]["after"]["status"] == "in_review"
    assert "editor-x@myborder.test" in entries[0]["actor"]
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "create")) is not None


def test_tokens_expire_revoke_and_logins_lock(
    client: FlaskClient, login: Login, session: Session
) -> None:
    editor = login(Role.EDITOR)
    assert client.get("/v1/admin/campaigns", headers=editor).status_code == 200
    assert client.delete("/v1/auth/tokens/current", headers=editor).status_code == 204
    assert client.get("/v1/admin/campaigns", headers=editor).status_code == 401
    email = "editor-x@myborder.test"
    client.application.extensions["sign_in_guard"].enabled = True
    for _ in range(5):
        wrong = client.post("/v1/auth/tokens", json={"email": email, "password": "nope"})
        assert wrong.status_code == 401
    locked = client.post("/v1/auth/tokens", json={"email": email, "password": USER_PASSWORD})
    assert locked.status_code == 429


def test_broadcast_dry_run_and_send(client: FlaskClient, login: Login) -> None:
    publisher = login(Role.PUBLISHER)
    texts = {loc: {"title": "t", "body": "b"} for loc in factories.campaign_translations()}
    dry = client.post(
        "/v1/admin/push/broadcasts",
        json={"texts": texts, "target": "all", "dry_run": True},
        headers=publisher,
    )
    assert dry.status_code == 201
    assert dry.get_json()["id"] is None
    sent = client.post(
        "/v1/admin/push/broadcasts",
        json={"texts": texts, "target": "all", "confirm_audience": 0},
        headers=publisher,
    )
    assert sent.status_code == 201
    assert sent.get_json()["id"] is not None
    stats = client.get("/v1/admin/push/stats", headers=publisher).get_json()
    # one message per served language: uz-Cyrl and kk-Latn read uz and kk transliterated
    assert stats["pending"] == len(SERVED_LOCALES)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "data:text/html,x",
        "http://ok.example/",
        "https://evil.example@ok.example/",
        "https://ok.example/" + "a" * 600,  # longer than the column: a 500 on PostgreSQL
    ],
)
def test_the_api_refuses_a_cta_url_that_is_not_a_short_https_link(
    client: FlaskClient, login: Login, url: str
) -> None:
    editor = login(Role.EDITOR)
    texts = factories.campaign_translations()
    texts["ru"]["cta_url"] = url
    body = {"slug": "cta-api", "translations": texts}
    response = client.post("/v1/admin/campaigns", json=body, headers=editor)
    assert response.status_code == 422
    # the API names a mapping's value as marshmallow does: translations.ru.value.cta_url
    assert [*response.get_json()["errors"]] == ["translations.ru.value.cta_url"]
