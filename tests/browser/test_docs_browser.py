"""/docs in Chromium with every request off the local server blocked, as on a machine
without internet access: Swagger UI comes from the app itself and lists the operations."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ARTIFACTS


def test_docs_lists_the_operations_with_the_network_blocked(browser: Any, live_server: str) -> None:
    context = browser.new_context(locale="en-GB")
    blocked: list[str] = []

    def only_the_local_server(route: Any) -> None:
        url = route.request.url
        if url.startswith(live_server + "/"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_the_local_server)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    response = page.goto(f"{live_server}/docs")
    assert response is not None
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "http" not in policy  # no other origin
    page.locator(".opblock").first.wait_for(timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    shown = {path.replace("\u200b", "") for path in paths}
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"), full_page=False)
    assert "/v1/checkpoints" in shown
    assert "/v1/customs/check" in shown
    assert len(paths) >= 40  # every operation of /openapi.json
    assert blocked == []  # the page asked for nothing off the server
    assert problems == []  # no script error, no CSP violation
    context.close()
