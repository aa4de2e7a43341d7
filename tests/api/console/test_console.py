"""The console through Flask's test client: sign-in, CSRF, roles, the officer's board."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import AuditEntry, Role
from content.accounts.service import SYSTEM
from content.checkpoints.models import CurrentStatus

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(
    client: FlaskClient,
    session: Session,
    role: Role,
    country: str | None = None,
    *,
    email: str | None = None,
) -> str:
    """A new console user with `role` (by default at <role>@console.test), signed in."""
    email = email or f"{role.value}@console.test"
    accounts.create_user(
        session, actor=SYSTEM, email=email, password=PASSWORD, role=role, country=country
    )
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
    accounts.create_user(
        session, actor=SYSTEM, email="a@b.test", password=PASSWORD, role=Role.EDITOR
    )
    session.commit()
    response = client.post("/console/login", data={"email": "a@b.test", "password": PASSWORD})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_samesite(client: FlaskClient, session: Session) -> None:
    accounts.create_user(
        session, actor=SYSTEM, email="c@b.test", password=PASSWORD, role=Role.EDITOR
    )
    session.commit()
    token = csrf(client, "/console/login")
    response = client.post(
        "/console/login", data={"email": "c@b.test", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_wrong_passwords_lock_the_account(client: FlaskClient, session: Session) -> None:
    accounts.create_user(
        session, actor=SYSTEM, email="d@b.test", password=PASSWORD, role=Role.EDITOR
    )
    session.commit()
    client.application.extensions["sign_in_guard"].enabled = True
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
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # from another address the real user still signs in: the lockout is no weapon
    token = csrf(client, "/console/login")
    elsewhere = client.post(
        "/console/login",
        data={"email": "d@b.test", "password": PASSWORD, "csrf_token": token},
        environ_overrides={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert elsewhere.status_code == 302


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


def test_a_cookie_saved_before_sign_out_is_refused_after(
    client: FlaskClient, session: Session
) -> None:
    """Review 2e: the signed cookie used to work for 8 hours after sign-out."""
    sign_in(client, session, Role.EDITOR)
    saved = client.get_cookie("session")
    assert saved is not None
    assert client.get("/console/campaigns").status_code == 200
    token = csrf(client, "/console/campaigns")
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    client.set_cookie("session", saved.value, path=saved.path or "/")
    replayed = client.get("/console/campaigns")
    assert replayed.status_code == 302
    assert "/console/login" in replayed.headers["Location"]


def test_a_disabled_users_cookie_and_token_are_refused(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.EDITOR)
    token_answer = client.post(
        "/v1/auth/tokens", json={"email": "editor@console.test", "password": PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {token_answer.get_json()['token']}"}
    editor_cookie = client.get_cookie("session")
    assert editor_cookie is not None
    admin_client = client.application.test_client()
    sign_in(admin_client, session, Role.ADMIN)
    editor = accounts.get_user_by_email_or_raise(session, "editor@console.test")
    token = csrf(admin_client, "/console/users")
    done = admin_client.post(f"/console/users/{editor.id}/disable", data={"csrf_token": token})
    assert done.status_code == 302
    assert client.get("/console/campaigns").status_code == 302
    assert client.get("/v1/admin/campaigns", headers=bearer).status_code == 401
    session.expire_all()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "disable_user"))
    assert entry is not None
    assert entry.actor.endswith("admin@console.test")


def test_admins_change_roles_and_sign_users_out_everywhere(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.EDITOR)
    admin_client = client.application.test_client()
    sign_in(admin_client, session, Role.ADMIN)
    editor = accounts.get_user_by_email_or_raise(session, "editor@console.test")
    page = admin_client.get("/console/users").get_data(as_text=True)
    assert f"/console/users/{editor.id}/sign-out" in page
    token = csrf(admin_client, "/console/users")
    admin_client.post(
        f"/console/users/{editor.id}/role",
        data={"csrf_token": token, "role": "border_officer", "country": "kz"},
    )
    session.expire_all()
    assert (editor.role, editor.country) == (Role.BORDER_OFFICER, "KZ")
    assert client.get("/console/board").status_code == 302  # signed out by the change
    sign_in_again = csrf(client, "/console/login")
    client.post(
        "/console/login",
        data={"email": "editor@console.test", "password": PASSWORD, "csrf_token": sign_in_again},
    )
    assert client.get("/console/board").status_code == 200
    admin_client.post(f"/console/users/{editor.id}/sign-out", data={"csrf_token": token})
    assert client.get("/console/board").status_code == 302
    session.expire_all()
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"set_role", "sign_out_everywhere", "sign_in"} <= actions


def test_user_admin_actions_need_an_admin_and_a_csrf_token(
    client: FlaskClient, session: Session
) -> None:
    sign_in(client, session, Role.PUBLISHER)
    me = accounts.get_user_by_email_or_raise(session, "publisher@console.test")
    token = csrf(client, "/console/campaigns")
    refused = client.post(f"/console/users/{me.id}/sign-out", data={"csrf_token": token})
    assert refused.status_code == 403
    admin_client = client.application.test_client()
    sign_in(admin_client, session, Role.ADMIN)
    assert admin_client.post(f"/console/users/{me.id}/disable").status_code == 400
