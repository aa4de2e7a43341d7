"""Sign-in runs the same argon2 work on every path, so timing tells nothing (review 2b)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Role
from content.accounts.service import SYSTEM

PASSWORD = "correct horse battery staple"


class CountingHasher:
    """The real hasher, counting its verify calls."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.verified: list[str] = []

    def verify(self, hash: str, password: str) -> bool:
        self.verified.append(hash)
        return bool(self.real.verify(hash, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize(
    ("email", "password", "disabled"),
    [
        ("known@x.test", PASSWORD, False),  # the right password
        ("known@x.test", "wrong password", False),
        ("nobody@x.test", PASSWORD, False),  # an unknown account: the dummy hash
        ("known@x.test", PASSWORD, True),  # disabled, right password
        ("known@x.test", "wrong password", True),  # disabled, wrong password
    ],
)
def test_every_sign_in_path_runs_one_argon2_verify(
    session: Session, monkeypatch: pytest.MonkeyPatch, email: str, password: str, disabled: bool
) -> None:
    user = accounts.create_user(
        session, actor=SYSTEM, email="known@x.test", password=PASSWORD, role=Role.EDITOR
    )
    user.disabled = disabled
    hasher = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    found = accounts.authenticate_user(session, email=email, password=password)
    assert len(hasher.verified) == 1
    assert (found is user) == (email == "known@x.test" and password == PASSWORD and not disabled)


def test_session_version_moves_on_every_ending(session: Session) -> None:
    admin = accounts.create_user(
        session, actor=SYSTEM, email="a@x.test", password=PASSWORD, role=Role.ADMIN
    )
    user = accounts.create_user(
        session, actor=SYSTEM, email="u@x.test", password=PASSWORD, role=Role.EDITOR
    )
    actor = accounts.Actor.for_user(admin)
    versions = [user.session_version]
    accounts.set_password(session, user, "another long passphrase")
    versions.append(user.session_version)
    accounts.set_disabled(session, actor=actor, user=user, disabled=True)
    versions.append(user.session_version)
    accounts.set_disabled(session, actor=actor, user=user, disabled=False)
    accounts.set_role(session, actor=actor, user=user, role=Role.PUBLISHER)
    versions.append(user.session_version)
    accounts.sign_out_everywhere(session, actor=actor, user=user)
    versions.append(user.session_version)
    assert versions == sorted(set(versions))
