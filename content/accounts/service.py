"""Agencies and their API keys, console users and their tokens, and the audit log."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import (
    Agency,
    ApiKey,
    AuditEntry,
    AuthToken,
    IdempotencyRecord,
    Role,
    User,
)
from content.db import utcnow
from content.errors import N_, Conflict, FieldProblem, Forbidden, Invalid, NotFound

KEY_PREFIX = "mbk"


@dataclass(frozen=True)
class Poster:
    """Who is posting a status or queue report, and for which checkpoints they may."""

    agency_id: int | None
    country: str
    checkpoint_ids: frozenset[str] | None = None

    def may_post_for(self, checkpoint_country: str, checkpoint_id: str) -> bool:
        if checkpoint_country != self.country:
            return False
        return self.checkpoint_ids is None or checkpoint_id in self.checkpoint_ids


def hash_key(raw_key: str) -> str:
    """The stored form of a key: keys are 256-bit random, so a plain SHA-256 suffices."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_agency(session: Session, *, country: str, name: str) -> Agency:
    country = country.upper()
    if session.scalar(select(Agency).where(Agency.name == name)) is not None:
        raise Conflict(N_("An agency named %(name)s already exists."), name=name)
    agency = Agency(country=country, name=name)
    session.add(agency)
    session.flush()
    return agency


def get_agency_or_raise(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("No agency with id %(id)s."), id=agency_id)
    return agency


def issue_key(
    session: Session, *, agency: Agency, checkpoint_ids: list[str] | None = None
) -> tuple[ApiKey, str]:
    """Create a key for the agency; returns the row and the raw key, shown only once."""
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        agency=agency,
        prefix=prefix,
        key_hash=hash_key(raw_key),
        checkpoint_ids=sorted(checkpoint_ids) if checkpoint_ids else None,
    )
    session.add(api_key)
    session.flush()
    return api_key, raw_key


def revoke_keys(session: Session, *, agency: Agency, now: datetime | None = None) -> int:
    """Revoke every live key of the agency; returns how many were revoked."""
    now = now or utcnow()
    live = [key for key in agency.keys if key.revoked_at is None]
    for key in live:
        key.revoked_at = now
    session.flush()
    return len(live)


def rotate_key(session: Session, *, agency: Agency) -> tuple[ApiKey, str]:
    """Revoke the agency's keys and issue a new one with the same checkpoint scope."""
    scopes = {tuple(k.checkpoint_ids or ()) for k in agency.keys if k.revoked_at is None}
    scope = list(scopes.pop()) if len(scopes) == 1 else None
    revoke_keys(session, agency=agency)
    return issue_key(session, agency=agency, checkpoint_ids=scope or None)


def poster_for_key(session: Session, raw_key: str) -> Poster | None:
    """The poster a raw key stands for, or None when it is unknown or revoked."""
    wanted = hash_key(raw_key)
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == wanted))
    if api_key is None or api_key.revoked_at is not None:
        return None
    # the lookup went by hash; compare again in constant time all the same
    if not hmac.compare_digest(api_key.key_hash, wanted):
        return None
    ids = frozenset(api_key.checkpoint_ids) if api_key.checkpoint_ids else None
    return Poster(agency_id=api_key.agency_id, country=api_key.agency.country, checkpoint_ids=ids)


def ensure_may_post(poster: Poster, *, checkpoint_id: str, country: str) -> None:
    if not poster.may_post_for(country, checkpoint_id):
        raise Forbidden(
            N_("This key may not post for checkpoint %(checkpoint)s."), checkpoint=checkpoint_id
        )


def find_idempotency_record(
    session: Session, *, agency_id: int, key: str
) -> IdempotencyRecord | None:
    return session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.agency_id == agency_id, IdempotencyRecord.key == key
        )
    )


def remember_response(
    session: Session,
    *,
    agency_id: int,
    key: str,
    fingerprint: str,
    status_code: int,
    body: Any,
) -> IdempotencyRecord:
    record = IdempotencyRecord(
        agency_id=agency_id,
        key=key,
        request_fingerprint=fingerprint,
        status_code=status_code,
        response_body=body,
    )
    session.add(record)
    session.flush()
    return record


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.id)))


# -- console users ------------------------------------------------------------------

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(hours=12)
_hasher = PasswordHasher()
# a hash to verify against when the email is unknown, so that timing does not tell
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class Actor:
    """Who is making a change, as the audit log names them."""

    label: str
    role: Role | None = None
    user_id: int | None = None
    country: str | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(f"user:{user.id} {user.email}", user.role, user.id, user.country)


SYSTEM = Actor("system")


def create_user(
    session: Session, *, email: str, password: str, role: Role, country: str | None = None
) -> User:
    email = email.strip().lower()
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(N_("A user with the email %(email)s already exists."), email=email)
    if role == Role.BORDER_OFFICER and not country:
        raise Invalid([FieldProblem("country", N_("A border officer needs a country."))])
    if len(password) < 12:
        raise Invalid(
            [FieldProblem("password", N_("Must be at least %(min)s characters long."), {"min": 12})]
        )
    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        role=role,
        country=country.upper() if country else None,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def authenticate_user(
    session: Session, *, email: str, password: str, now: datetime | None = None
) -> User | None:
    """The user when the password is right; counts failures and locks after too many.

    A locked, disabled or unknown account answers None, like a wrong password.
    """
    now = now or utcnow()
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        with contextlib.suppress(VerifyMismatchError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    if user.disabled or (user.locked_until is not None and user.locked_until > now):
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        session.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user


def issue_token(
    session: Session, *, user: User, now: datetime | None = None
) -> tuple[AuthToken, str]:
    now = now or utcnow()
    raw = f"mbt_{secrets.token_urlsafe(32)}"
    token = AuthToken(
        user_id=user.id, token_hash=hash_key(raw), created_at=now, expires_at=now + TOKEN_LIFETIME
    )
    session.add(token)
    session.flush()
    return token, raw


def user_for_token(session: Session, raw: str, *, now: datetime | None = None) -> User | None:
    now = now or utcnow()
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_key(raw)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not hmac.compare_digest(token.token_hash, hash_key(raw)) or token.user.disabled:
        return None
    return token.user


def revoke_token(session: Session, raw: str, *, now: datetime | None = None) -> None:
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_key(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.flush()


# -- audit log ----------------------------------------------------------------------


def audit(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Record a change in the caller's transaction."""
    session.add(
        AuditEntry(
            actor=actor.label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before,
            after=after,
        )
    )


def audit_log(session: Session, *, limit: int = 200) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
