"""The console in a real browser: write, review, publish, post a closure, edit conflicts."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PASSWORD

LOCALES = ["kk", "ru", "uz", "ky", "tg", "tk", "en"]


def login(browser: Any, base: str, name: str) -> Any:
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{base}/console/login?lang=en")
    page.get_by_label("Email").fill(f"{name}@browser.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_write_review_publish_and_read_in_tajik(browser: Any, live_server: str) -> None:
    editor = login(browser, live_server, "editor")
    editor.get_by_role("link", name="New campaign").click()
    editor.get_by_label("Short name for the address").fill("do-not-carry-for-strangers")
    editor.get_by_role("button", name="Create draft").click()
    for locale in LOCALES:
        editor.goto(f"{live_server}/console/campaigns/do-not-carry-for-strangers?tab={locale}")
        editor.get_by_label(f"Title ({locale})").fill(f"Title in {locale}")
        editor.get_by_label(f"Summary ({locale})").fill(f"Summary in {locale}")
        editor.get_by_label(f"Text (Markdown) ({locale})").fill(f"**Body** in {locale}")
        # the preview follows the typing, as the phone would show it
        expect(editor.locator("#preview-title")).to_have_text(f"Title in {locale}")
        editor.get_by_role("button", name="Save", exact=True).click()
        editor.wait_for_load_state()
        assert editor.get_by_role("status").first.inner_text() == "Saved."
    shot(editor, "campaign-edit")
    editor.get_by_role("button", name="Submit for review").click()
    assert "In review" in editor.locator("h1").inner_text()
    editor.goto(f"{live_server}/console/campaigns")
    shot(editor, "campaign-list")

    publisher = login(browser, live_server, "publisher")
    publisher.goto(f"{live_server}/console/review")
    shot(publisher, "review-queue")
    publisher.get_by_role("link", name="do-not-carry-for-strangers").click()
    publisher.get_by_role("button", name="Approve").click()
    publisher.get_by_role("button", name="Publish").click()
    assert "Published" in publisher.locator("h1").inner_text()

    with urllib.request.urlopen(  # noqa: S310  # the loopback test server
        f"{live_server}/v1/campaigns/do-not-carry-for-strangers?lang=tg"
    ) as response:
        body = json.load(response)
    assert (body["locale"], body["title"]) == ("tg", "Title in tg")
    assert body["body_html"] == "<p><strong>Body</strong> in tg</p>\n"


def test_officer_posts_a_closure_for_own_country_only(browser: Any, live_server: str) -> None:
    officer = login(browser, live_server, "officer")
    assert officer.url.endswith("/console/board")
    assert officer.locator("#cp-kz-kordai").count() == 1
    assert officer.locator("#cp-kg-ak-zhol").count() == 0
    card = officer.locator("section", has=officer.locator("#cp-kz-kordai"))
    # the card also holds the planned-closure form, with its own State and Reason
    form = card.locator("form", has=officer.get_by_role("button", name="Post status"))
    form.get_by_label("State").select_option("closed")
    form.get_by_label("Reason").select_option("weather")
    form.get_by_role("button", name="Post status").click()
    officer.wait_for_load_state()
    assert officer.get_by_role("status").first.inner_text() == "Status posted."
    shot(officer, "officer-board")
    url = f"{live_server}/v1/checkpoints/kz-kordai"
    with urllib.request.urlopen(url) as response:  # noqa: S310  # the loopback test server
        assert json.load(response)["status"]["state"] == "closed"


def test_a_stale_edit_is_shown_to_the_second_editor(browser: Any, live_server: str) -> None:
    first = login(browser, live_server, "editor")
    first.get_by_role("link", name="New campaign").click()
    first.get_by_label("Short name for the address").fill("shared-draft")
    first.get_by_role("button", name="Create draft").click()
    second = login(browser, live_server, "editor2")
    second.goto(f"{live_server}/console/campaigns/shared-draft?tab=ru")
    first.goto(f"{live_server}/console/campaigns/shared-draft?tab=ru")

    first.get_by_label("Title (ru)").fill("Версия первого редактора")
    first.get_by_role("button", name="Save", exact=True).click()
    second.get_by_label("Title (ru)").fill("Версия второго редактора")
    second.get_by_role("button", name="Save", exact=True).click()
    alert = second.get_by_role("alert")
    assert "Someone else saved this campaign" in alert.inner_text()
    assert second.get_by_label("Title (ru)").input_value() == "Версия второго редактора"
    shot(second, "stale-edit")
    second.goto(f"{live_server}/console/campaigns/shared-draft?tab=ru")
    assert second.get_by_label("Title (ru)").input_value() == "Версия первого редактора"
