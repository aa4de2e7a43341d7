"""The console saves one way (`api.console.saving`): a saved change reaches this worker's
readers at once, as an API write does; a refused one invalidates nothing.
And its page modules share only what `api.console` holds: none imports another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.config import PROJECT_ROOT
from content.accounts.models import Role
from content.checkpoints.models import State
from content.checkpoints.service import get_state
from tests.api.console.test_console import csrf, sign_in

CONSOLE = PROJECT_ROOT / "api" / "console"
PAGES = ("auth", "campaigns", "board", "admin", "customs")


@pytest.fixture
def invalidations(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the version clock's invalidations."""
    clock = app.extensions["version_clock"]
    calls: list[int] = []
    invalidate = clock.invalidate

    def counted() -> None:
        calls.append(1)
        invalidate()

    monkeypatch.setattr(clock, "invalidate", counted)
    return calls


def test_a_saved_change_invalidates_the_version_clock(
    client: FlaskClient, session: Session, invalidations: list[int]
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    before = len(invalidations)
    status = {"state": "closed", "csrf_token": token}
    assert client.post("/console/board/kz-kordai/status", data=status).status_code == 302
    assert len(invalidations) == before + 1
    assert get_state(session, "kz-kordai").status.state == State.CLOSED


def test_a_refused_change_invalidates_nothing(
    client: FlaskClient, session: Session, invalidations: list[int]
) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    token = csrf(client, "/console/board")
    before = len(invalidations)
    # another country's checkpoint: the service refuses (403), after the form was read
    refused = {"state": "closed", "csrf_token": token}
    assert client.post("/console/board/kg-ak-zhol/status", data=refused).status_code == 302
    assert len(invalidations) == before
    # the service's refusal is the page's alert
    assert "kg-ak-zhol" in client.get("/console/board").get_data(as_text=True)


def _console_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "api.console":
                names.update(f"api.console.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("page", PAGES)
def test_a_page_imports_no_other_page(page: str) -> None:
    imported = _console_imports(CONSOLE / f"{page}.py")
    others = {f"api.console.{other}" for other in PAGES if other != page}
    assert not imported & others
