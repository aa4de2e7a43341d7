"""The edit page's phone preview in a real browser: what the editor types is shown as the
phone will show it, rendered by the server, with the image and the button."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from content.campaigns import service as campaigns
from tests import factories
from tests.browser.test_console_browser import login, shot

CTA_URL = "https://www.unodc.org/help"


def _png() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (40, 20), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.slow
def test_the_preview_shows_the_markdown_as_the_phone_does(
    browser: Any, live_server: str, committed_database: tuple[str, Engine], tmp_path: Path
) -> None:
    with Session(committed_database[1]) as session:
        # the live server keeps its images under the test's tmp_path too
        image = campaigns.store_image(
            session, actor=factories.TESTER, data=_png(), image_dir=tmp_path / "images"
        )
        texts: dict[str, Any] = factories.campaign_translations()
        texts["ru"] |= {"image_id": image.id, "cta_label": "Подробнее", "cta_url": CTA_URL}
        factories.campaign(session, slug="preview-in-browser", translations=texts)
        session.commit()
    editor = login(browser, live_server, "editor")
    refused: list[str] = []
    editor.on("console", lambda message: refused.append(message.text))
    editor.goto(f"{live_server}/console/campaigns/preview-in-browser?tab=ru")
    body = editor.locator("#preview-body strong")
    expect(body).to_have_text("ru")  # the saved text, rendered by the server on load

    editor.get_by_label("Text (Markdown) (ru)").fill("**Body** <script>x</script>")
    expect(body).to_have_text("Body", timeout=2_000)
    expect(editor.locator("#preview-body script")).to_have_count(0)
    picture = editor.locator("#preview-image")
    expect(picture).to_be_visible()
    expect(picture).to_have_attribute("alt", "Alt ru")
    assert picture.evaluate("image => image.naturalWidth") == 40
    button = editor.get_by_role("link", name="Подробнее")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", CTA_URL)
    shot(editor, "campaign-preview")
    assert not [text for text in refused if "Content Security Policy" in text]
