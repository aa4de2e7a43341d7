"""Users of each role, signed in through the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Role
from content.locales import KNOWN_LOCALES

PASSWORD = "correct horse battery staple"


@pytest.fixture
def login(client: FlaskClient, session: Session) -> Callable[..., dict[str, str]]:
    """Create a user of the role and return Authorization headers for them."""

    def make(role: Role, country: str | None = None) -> dict[str, str]:
        email = f"{role.value}-{country or 'x'}@myborder.test"
        accounts.create_user(session, email=email, password=PASSWORD, role=role, country=country)
        session.commit()
        response = client.post("/v1/auth/tokens", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return make


def full_translations(prefix: str = "") -> dict[str, dict[str, str]]:
    return {
        locale: {
            "title": f"{prefix}Title {locale}",
            "summary": f"Summary {locale}",
            "body": f"Body in **{locale}**.",
            "image_alt": f"Alt {locale}",
        }
        for locale in KNOWN_LOCALES
    }
