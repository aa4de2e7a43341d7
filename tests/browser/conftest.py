"""A live server on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api.app import create_app
from content.accounts import service as accounts
from content.accounts.models import Role
from content.accounts.service import SYSTEM

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery staple"
USERS = {
    "editor": (Role.EDITOR, None),
    "editor2": (Role.EDITOR, None),
    "publisher": (Role.PUBLISHER, None),
    "officer": (Role.BORDER_OFFICER, "KZ"),
}


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow (a live server and Chromium): `make test-fast` skips them."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def live_server(committed_database: tuple[str, Engine], tmp_path: Path) -> Iterator[str]:
    url, engine = committed_database
    with Session(engine) as session:
        for name, (role, country) in USERS.items():
            accounts.create_user(
                session,
                actor=SYSTEM,
                email=f"{name}@browser.test",
                password=PASSWORD,
                role=role,
                country=country,
            )
        session.commit()
    app = create_app({"database_url": url, "image_dir": str(tmp_path / "images")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["db"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
