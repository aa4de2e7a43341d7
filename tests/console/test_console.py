"""The console through Flask's test client: sign-in, CSRF, roles, the officer's board."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Role
from content.checkpoints.models import CurrentStatus

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, session: Session, role: Role, country: str | None = None) -> str:
    email = f"{role.value}@console.test"
    accounts.create_user(session, email=email, password=PASSWORD, role=role, country=country)
    session.commit()
    token = csrf(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return email


def test_sign_in_page_and_security_headers(client: FlaskClient) -> None:
    page = client.get("/console/login")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert client.get("/console/campaigns").status_code == 302


def test_forms_without_csrf_token_are_refused(client: FlaskClient, session: Session) -> None:
    accounts.create_user(session, email="a@b.test", password=PASSWORD, role=Role.EDITOR)
    session.commit()
    response = client.post("/console/login", data={"email": "a@b.test", "password": PASSWORD})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient, session: Session) -> None:
    accounts.create_user(session, email="c@b.test", password=PASSWORD, role=Role.EDITOR)
    session.commit()
    token = csrf(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": "c@b.test", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_wrong_passwords_lock_the_account(client: FlaskClient, session: Session) -> None:
    accounts.create_user(session, email="d@b.test", password=PASSWORD, role=Role.EDITOR)
    session.commit()
    for _ in range(5):
        token = csrf(client, "/console/login")
        bad = client.post(
            "/console/login", data={"email": "d@b.test", "password": "wrong", "csrf_token": token}
        )
        assert bad.status_code == 401
    token = csrf(client, "/console/login")
    locked = client.post(
        "/console/login", data={"email": "d@b.test", "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 401


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            Role.EDITOR,
            ["/console/campaigns"],
            ["/console/review", "/console/users", "/console/board"],
        ),
        (Role.PUBLISHER, ["/console/campaigns", "/console/review"], ["/console/users"]),
        (Role.ADMIN, ["/console/users", "/console/agencies", "/console/audit"], []),
    ],
)
def test_pages_by_role(
    client: FlaskClient, session: Session, role: Role, allowed: list[str], refused: list[str]
) -> None:
    sign_in(client, session, role)
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        assert client.get(path).status_code == 403, path


def test_officer_posts_for_own_country_only(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.BORDER_OFFICER, country="KZ")
    board = client.get("/console/board").get_data(as_text=True)
    assert "kz-kordai" in board
    assert "kg-ak-zhol" not in board
    token = csrf(client, "/console/board")
    own = client.post(
        "/console/board/kz-kordai/status",
        data={"state": "closed", "reason": "weather", "csrf_token": token},
    )
    assert own.status_code == 302
    assert session.get(CurrentStatus, "kz-kordai").state.value == "closed"
    client.post("/console/board/kg-ak-zhol/status", data={"state": "closed", "csrf_token": token})
    assert (
        session.scalar(select(CurrentStatus).where(CurrentStatus.checkpoint_id == "kg-ak-zhol"))
        is None
    )


def test_stale_edit_warns_instead_of_overwriting(client: FlaskClient, session: Session) -> None:
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, "/console/campaigns/new")
    client.post(
        "/console/campaigns/new",
        data={"slug": "stale-test", "countries": "KZ", "csrf_token": token},
    )
    form = {"csrf_token": token, "version": "1", "tab": "ru", "ru-title": "Первый"}
    assert client.post("/console/campaigns/stale-test", data=form).status_code == 302
    second = client.post("/console/campaigns/stale-test", data={**form, "ru-title": "Второй"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Второй" in page  # the editor's text is kept on the page
    assert 'role="alert"' in page
    from content.campaigns import service as campaigns

    assert campaigns.get_or_raise(session, "stale-test").translations["ru"].title == "Первый"
