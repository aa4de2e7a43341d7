"""A hostile call-to-action link in a real browser: refused beside its field, never stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from content.campaigns import service as campaigns
from tests.browser.test_console_browser import login, shot


def test_a_javascript_cta_url_is_refused_beside_its_field(
    browser: Any, live_server: str, committed_database: tuple[str, Engine]
) -> None:
    _url, engine = committed_database
    editor = login(browser, live_server, "editor")
    dialogs: list[str] = []
    editor.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    editor.get_by_role("link", name="New campaign").click()
    editor.get_by_label("Short name for the address").fill("cta-probe")
    editor.get_by_role("button", name="Create draft").click()
    editor.goto(f"{live_server}/console/campaigns/cta-probe?tab=ru")

    editor.get_by_label("Title (ru)").fill("Проверка ссылки")
    link = editor.get_by_label("Button link (https) (ru)")
    link.fill("javascript:alert(document.domain)")
    editor.get_by_role("button", name="Save", exact=True).click()
    editor.wait_for_load_state()

    # the problem is beside the field, the field points at it, and the input is kept
    link = editor.get_by_label("Button link (https) (ru)")
    problem = editor.locator("#err-ru-cta_url")
    assert problem.is_visible()
    assert problem.inner_text() == "Not a valid URL."
    assert link.get_attribute("aria-invalid") == "true"
    assert link.get_attribute("aria-describedby") == "err-ru-cta_url"
    field = editor.locator(".field", has=link)
    assert field.locator(".field-error").inner_text() == "Not a valid URL."
    assert link.input_value() == "javascript:alert(document.domain)"
    assert editor.get_by_label("Title (ru)").input_value() == "Проверка ссылки"
    assert "not valid" in editor.get_by_role("alert").first.inner_text()
    assert editor.locator("a[href^='javascript:']").count() == 0
    shot(editor, "campaign-cta-refused")
    with Session(engine) as session:
        campaign = campaigns.get_or_raise(session, "cta-probe")
        assert (campaign.version, dict(campaign.translations)) == (1, {})

    # an https link is saved, and the reviewer reads where it goes as plain text
    link.fill("https://unodc.org/LSS/Page/NPS")
    editor.get_by_role("button", name="Save", exact=True).click()
    editor.wait_for_load_state()
    assert editor.get_by_role("status").first.inner_text() == "Saved."
    publisher = login(browser, live_server, "publisher")
    publisher.goto(f"{live_server}/console/campaigns/cta-probe?tab=kk")
    links = publisher.get_by_role("region", name="Where the buttons lead")
    row = links.get_by_role("row", name="Русский")
    assert row.locator("code").inner_text() == "https://unodc.org/LSS/Page/NPS"
    assert publisher.locator("a[href*='unodc']").count() == 0  # text, not a link to click
    shot(publisher, "campaign-cta-review")
    assert dialogs == []
