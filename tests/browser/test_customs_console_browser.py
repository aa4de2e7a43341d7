"""The customs console in a real browser: an editor fixes a rule's Turkmen title."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests import factories
from tests.browser.test_console_browser import login, shot


def test_an_editor_revises_a_turkmen_title(
    browser: Any, live_server: str, committed_database: tuple[str, Engine]
) -> None:
    _url, engine = committed_database
    with Session(engine) as session:
        factories.customs_rule(
            session,
            key="t-alcohol",
            category="alcohol",
            limit_quantity=3,
            limit_unit="l",
            min_age=18,
        )
        session.commit()

    editor = login(browser, live_server, "editor")
    editor.get_by_role("link", name="Customs", exact=True).click()
    editor.get_by_role("link", name="t-alcohol (en)").click()
    # loaded: the deferred tab script has run and hidden the other languages
    editor.wait_for_url("**/console/customs/rules/t-alcohol", wait_until="load")
    tabs = editor.locator("nav.tabs")
    assert editor.get_by_label("Title (ru)").is_visible()  # the Russian tab first
    assert not editor.get_by_label("Title (tk)").is_visible()
    tabs.get_by_role("link", name="Türkmen dili").click()
    assert not editor.get_by_label("Title (ru)").is_visible()
    # the Russian text is beside the Turkmen field, for reference
    assert "t-alcohol (ru)" in editor.locator("#lang-tk .reference").first.inner_text()
    editor.get_by_label("Title (tk)").fill("Alkogol içgileri")
    editor.get_by_role("button", name="Save as a new version").click()
    editor.wait_for_load_state()
    assert editor.get_by_role("status").first.inner_text() == "Saved as version 2."
    assert editor.get_by_label("Title (tk)").is_visible()  # back on the tab it was saved from
    assert editor.get_by_label("Title (tk)").input_value() == "Alkogol içgileri"
    shot(editor, "customs-rule-edit")

    editor.goto(f"{live_server}/console/customs?lang=tk")
    row = editor.locator("tr", has=editor.get_by_role("link", name="Alkogol içgileri"))
    assert row.locator("td").nth(6).inner_text() == "2"  # the version column
    shot(editor, "customs-rules")

    with urllib.request.urlopen(  # noqa: S310  # the loopback test server
        f"{live_server}/v1/customs/rules?country=KZ&lang=tk"
    ) as response:
        items = json.load(response)["items"]
    assert [(r["key"], r["version"], r["title"]) for r in items] == [
        ("t-alcohol", 2, "Alkogol içgileri")
    ]
