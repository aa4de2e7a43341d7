"""Issue #19's story in a real browser: an editor changes the Russian fine in a customs
rule's explanation; the Tajik tab shows the field outdated with the diff, the dashboard
cell turns amber, Tajik readers get the Russian (`locale: "ru"`) until the Tajik is
confirmed, and the Tajik again after."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests import factories
from tests.browser.test_console_browser import login, shot

OLD_RU = "Наличные свыше 10 000 долларов декларируются; штраф 100 000 тенге."
NEW_RU = "Наличные свыше 10 000 долларов декларируются; штраф 200 000 тенге."
TG = "Пули нақд зиёда аз 10 000 доллар эълон карда мешавад; ҷарима 100 000 тенге."
AMBER = "rgb(255, 211, 107)"


def served_in_tajik(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(  # noqa: S310  # the loopback test server
        f"{base}/v1/customs/rules?country=KZ&category=cash&lang=tg"
    ) as response:
        items = json.load(response)["items"]
    assert [r["key"] for r in items] == ["t-fine"]
    return dict(items[0])


def wait_for_locale(base: str, locale: str) -> dict[str, Any]:
    """The rule as Tajik readers get it, once it is served in `locale` (the public cache
    reads the data version at most every half second)."""
    deadline = time.monotonic() + 5
    while True:
        rule = served_in_tajik(base)
        if rule["locale"] == locale or time.monotonic() > deadline:
            return rule
        time.sleep(0.2)


def test_a_changed_russian_fine_outdates_the_tajik_until_it_is_confirmed(
    browser: Any, live_server: str, committed_database: tuple[str, Engine]
) -> None:
    _url, engine = committed_database
    with Session(engine) as session:
        factories.customs_rule(
            session,
            key="t-fine",
            category="cash",
            limit_value=10000,
            limit_currency="USD",
            explanations={"ru": OLD_RU, "tg": TG, "en": "Declare cash above USD 10,000."},
        )
        session.commit()
    before = served_in_tajik(live_server)
    assert (before["locale"], before["explanation"]) == ("tg", TG)

    editor = login(browser, live_server, "editor")
    editor.goto(f"{live_server}/console/customs/rules/t-fine")
    editor.wait_for_load_state("load")
    explanation = editor.get_by_label("Explanation (ru)")
    assert explanation.input_value() == OLD_RU
    explanation.fill(NEW_RU)
    editor.get_by_role("button", name="Save as a new version").click()
    editor.wait_for_load_state()
    assert editor.get_by_role("status").first.inner_text() == "Saved as version 2."

    # the Tajik tab: outdated, the explanation marked, and what changed in the Russian
    tabs = editor.locator("nav.tabs")
    tajik_tab = tabs.get_by_role("link", name="Тоҷикӣ")
    assert tajik_tab.locator(".ts").inner_text() == "Outdated"
    tajik_tab.click()
    panel = editor.locator("#lang-tg")
    assert panel.is_visible()
    field = panel.locator(".field.outdated")
    assert field.count() == 1
    assert field.get_attribute("data-field") == "explanation"
    assert "reference text changed" in field.locator(".outdated-note").inner_text()
    diff = field.locator(".word-diff")
    assert diff.locator("del").inner_text() == "100"
    assert diff.locator("ins").inner_text() == "200"
    assert panel.locator(".field[data-field=title]").get_attribute("class") == "field "
    shot(editor, "translation-outdated-tab")

    # the dashboard: the rule × Tajik cell is amber, and links to the Tajik tab
    editor.get_by_role("link", name="Translation status").click()
    editor.wait_for_load_state()
    cell = editor.locator('tr[data-key="t-fine"] td[data-locale="tg"]')
    badge = cell.locator(".ts")
    assert badge.inner_text() == "Outdated"
    assert badge.evaluate("e => getComputedStyle(e).backgroundColor") == AMBER
    assert cell.locator("a").get_attribute("href") == "/console/customs/rules/t-fine?tab=tg"
    kazakh = editor.locator('tr[data-key="t-fine"] td[data-locale="kk"] .ts')
    assert kazakh.inner_text() == "Missing"  # no Kazakh explanation at all: not amber, red
    assert kazakh.evaluate("e => getComputedStyle(e).backgroundColor") != AMBER
    editor.get_by_role("combobox", name="Language").select_option("tg")
    editor.get_by_role("combobox", name="Status").select_option("outdated")
    editor.get_by_role("button", name="Filter").click()
    editor.wait_for_load_state()
    assert editor.locator("tbody tr").count() == 1
    shot(editor, "translation-dashboard")

    # Tajik readers are served the Russian, and told so
    served = wait_for_locale(live_server, "ru")
    assert (served["locale"], served["explanation"]) == ("ru", NEW_RU)

    # the editor confirms the Tajik from the dashboard's link
    cell = editor.locator('tr[data-key="t-fine"] td[data-locale="tg"]')
    cell.locator("a").click()
    editor.wait_for_load_state("load")
    panel = editor.locator("#lang-tg")
    assert panel.is_visible()
    panel.get_by_role("button", name="Confirm translation").click()
    editor.wait_for_load_state()
    assert editor.get_by_role("status").first.inner_text() == "Translation confirmed."
    tajik_tab = editor.locator("nav.tabs").get_by_role("link", name="Тоҷикӣ")
    assert tajik_tab.locator(".ts").inner_text() == "Up to date"
    assert editor.locator("#lang-tg .word-diff").count() == 0
    shot(editor, "translation-confirmed")

    served = wait_for_locale(live_server, "tg")
    assert (served["locale"], served["explanation"]) == ("tg", TG)
