"""Agencies and their API keys, console users and their tokens, and the audit log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
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
class Actor:
    """Who is making a change, as the audit log names them: ``user:3 a@b.kz``,
    ``agency:1 KZ border``, ``cli:alice`` (the operating-system user), ``system:seed``."""

    label: str
    role: Role | None = None
    user_id: int | None = None
    country: str | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(f"user:{user.id} {user.email}", user.role, user.id, user.country)


SYSTEM = Actor("system")


@dataclass(frozen=True)
class Poster:
    """Who is posting a status or queue report, and for which checkpoints they may."""

    agency_id: int | None
    country: str
    checkpoint_ids: frozenset[str] | None = None
    agency_name: str | None = None

    def may_post_for(self, checkpoint_country: str, checkpoint_id: str) -> bool:
        if checkpoint_country != self.country:
            return False
        return self.checkpoint_ids is None or checkpoint_id in self.checkpoint_ids


def hash_key(raw_key: str) -> str:
    """The stored form of a key: keys are 256-bit random, so a plain SHA-256 suffices."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_agency(
    session: Session,
    *,
    actor: Actor,
    country: str,
    name: str,
    checkpoint_ids: list[str] | None = None,
) -> Agency:
    """An agency for a country; `checkpoint_ids` narrows it to those checkpoints. Audited."""
    country = country.upper()
    if session.scalar(select(Agency).where(Agency.name == name)) is not None:
        raise Conflict(N_("An agency named %(name)s already exists."), name=name)
    agency = Agency(country=country, name=name)
    session.add(agency)
    _narrow(session, agency=agency, checkpoint_ids=checkpoint_ids)
    _audit_row(
        session,
        agency,
        actor=actor,
        action="create_agency",
        after={"name": agency.name, "country": agency.country, "scope": agency.checkpoint_ids},
    )
    return agency


def set_scope(
    session: Session, *, actor: Actor, agency: Agency, checkpoint_ids: list[str] | None
) -> None:
    """Narrow the agency to these checkpoints of its country; None or [] is all of them.
    Audited."""
    before = agency.checkpoint_ids
    _narrow(session, agency=agency, checkpoint_ids=checkpoint_ids)
    _audit_row(
        session,
        agency,
        actor=actor,
        action="set_agency_scope",
        before={"country": agency.country, "scope": before},
        after={"country": agency.country, "scope": agency.checkpoint_ids},
    )


#: how the audit log names the kind of each account row it records a change to
_OBJECT_TYPES: dict[type, str] = {Agency: "agency", User: "user", AuthToken: "auth_token"}


def _audit_row(
    session: Session,
    row: Agency | User | AuthToken,
    *,
    actor: Actor,
    action: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Audit a change to one agency, user or token, named by its kind and id."""
    audit(
        session,
        actor=actor,
        action=action,
        object_type=_OBJECT_TYPES[type(row)],
        object_id=str(row.id),
        before=before,
        after=after,
    )


def _narrow(session: Session, *, agency: Agency, checkpoint_ids: list[str] | None) -> None:
    from content.checkpoints.models import Checkpoint  # models only: no import cycle

    wanted = sorted(set(checkpoint_ids or ()))
    if wanted:
        known = set(
            session.scalars(
                select(Checkpoint.id).where(
                    Checkpoint.id.in_(wanted), Checkpoint.country == agency.country
                )
            )
        )
        for checkpoint_id in wanted:
            if checkpoint_id not in known:
                raise Invalid(
                    [
                        FieldProblem(
                            "checkpoint_ids",
                            N_("No checkpoint %(checkpoint)s in %(country)s."),
                            {"checkpoint": checkpoint_id, "country": agency.country},
                        )
                    ]
                )
    agency.checkpoint_ids = wanted or None
    session.flush()


def scope_label(agency: Agency) -> str:
    """The agency's scope as operators read it (CLI, audit)."""
    if agency.checkpoint_ids is None:
        return f"all of {agency.country}"
    return ", ".join(agency.checkpoint_ids) or "none"


def get_agency_or_raise(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("No agency with id %(id)s."), id=agency_id)
    return agency


def issue_key(session: Session, *, actor: Actor, agency: Agency) -> tuple[ApiKey, str]:
    """Create a key for the agency; returns the row and the raw key, shown only once.

    The key posts within the agency's scope, whatever it is when the key is used. Audited
    with the key's prefix, never the key."""
    api_key, raw_key = _new_key(session, agency)
    _audit_row(session, agency, actor=actor, action="issue_key", after=_issued(api_key, agency))
    return api_key, raw_key


def revoke_keys(
    session: Session, *, actor: Actor, agency: Agency, now: datetime | None = None
) -> int:
    """Revoke every live key of the agency; returns how many were revoked. Audited."""
    revoked = _revoke(session, agency, now or utcnow())
    _audit_row(session, agency, actor=actor, action="revoke_keys", before={"key_prefixes": revoked})
    return len(revoked)


def rotate_key(session: Session, *, actor: Actor, agency: Agency) -> tuple[ApiKey, str]:
    """Revoke the agency's keys and issue a new one; the agency's scope stays as it is.
    Audited as one change."""
    revoked = _revoke(session, agency, utcnow())
    api_key, raw_key = _new_key(session, agency)
    _audit_row(
        session,
        agency,
        actor=actor,
        action="rotate_key",
        before={"key_prefixes": revoked},
        after=_issued(api_key, agency),
    )
    return api_key, raw_key


def _issued(api_key: ApiKey, agency: Agency) -> dict[str, Any]:
    """What the audit log keeps of a new key: its prefix (never the key) and what it may post."""
    return {"key_prefix": api_key.prefix, "country": agency.country, "scope": agency.checkpoint_ids}


def _new_key(session: Session, agency: Agency) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(agency=agency, prefix=prefix, key_hash=hash_key(raw_key))
    session.add(api_key)
    session.flush()
    return api_key, raw_key


def _revoke(session: Session, agency: Agency, now: datetime) -> list[str]:
    """Revoke the agency's live keys; their prefixes."""
    live = [key for key in agency.keys if key.revoked_at is None]
    for key in live:
        key.revoked_at = now
    session.flush()
    return [key.prefix for key in live]


def agency_actor(poster: Poster) -> Actor:
    """Who an agency key's posts are audited as: ``agency:1 KZ border``."""
    return Actor(f"agency:{poster.agency_id} {poster.agency_name or ''}".strip())


def poster_for_key(session: Session, raw_key: str) -> Poster | None:
    """The poster a raw key stands for, or None when it is unknown or revoked."""
    wanted = hash_key(raw_key)
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == wanted))
    if api_key is None or api_key.revoked_at is not None:
        return None
    # the lookup went by hash; compare again in constant time all the same
    if not hmac.compare_digest(api_key.key_hash, wanted):
        return None
    agency = api_key.agency
    ids = frozenset(agency.checkpoint_ids) if agency.checkpoint_ids is not None else None
    return Poster(
        agency_id=agency.id, country=agency.country, checkpoint_ids=ids, agency_name=agency.name
    )


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

TOKEN_LIFETIME = timedelta(hours=12)
_hasher = PasswordHasher()
# a hash to verify against when the email is unknown, so that timing does not tell
_DUMMY_HASH = _hasher.hash("not a real password")


def create_user(
    session: Session,
    *,
    actor: Actor,
    email: str,
    password: str,
    role: Role,
    country: str | None = None,
) -> User:
    """A console user; the password is stored as an argon2 hash. Audited (never the password)."""
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
    _audit_row(
        session,
        user,
        actor=actor,
        action="create_user",
        after={"email": user.email, "role": user.role.value},
    )
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every session and token of the user ends."""
    user.password_hash = _hasher.hash(password)
    end_sessions(session, user)


def end_sessions(session: Session, user: User) -> None:
    """End every console session and bearer token of the user at once."""
    user.session_version += 1
    session.flush()


def sign_out(session: Session, *, user: User) -> None:
    """The user signs out: here and everywhere else, every session and token ends. Audited."""
    end_sessions(session, user)
    _audit_row(session, user, actor=Actor.for_user(user), action="sign_out")


def _find_user_by_email(session: Session, email: str) -> User | None:
    """Emails are stored trimmed and lower-cased; look them up the same way."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user_by_email_or_raise(session: Session, email: str) -> User:
    user = _find_user_by_email(session, email)
    if user is None:
        raise NotFound(N_("No user with the email %(email)s."), email=email)
    return user


def get_user_or_raise(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No user with id %(id)s."), id=user_id)
    return user


def _ensure_an_admin_remains(session: Session, user: User) -> None:
    """Refuse to take the last enabled admin away: nobody could manage users any more."""
    if user.role != Role.ADMIN or user.disabled:
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.disabled.is_(False), User.id != user.id)
    )
    if not others:
        raise Conflict(N_("This is the last admin: make another admin first."))


def set_disabled(session: Session, *, actor: Actor, user: User, disabled: bool) -> None:
    """Disable (or enable again) a user; disabling ends their sessions and tokens. Audited."""
    if disabled:
        _ensure_an_admin_remains(session, user)
    before = {"disabled": user.disabled}
    user.disabled = disabled
    end_sessions(session, user)
    _audit_row(
        session,
        user,
        actor=actor,
        action="disable_user" if disabled else "enable_user",
        before=before,
        after={"disabled": disabled, "email": user.email},
    )


def set_role(
    session: Session, *, actor: Actor, user: User, role: Role, country: str | None = None
) -> None:
    """Give the user another role; their sessions and tokens end. Audited."""
    if role == Role.BORDER_OFFICER and not country:
        raise Invalid([FieldProblem("country", N_("A border officer needs a country."))])
    if role != Role.ADMIN:
        _ensure_an_admin_remains(session, user)
    before = {"role": user.role.value, "country": user.country}
    user.role = role
    user.country = country.upper() if role == Role.BORDER_OFFICER and country else None
    end_sessions(session, user)
    _audit_row(
        session,
        user,
        actor=actor,
        action="set_role",
        before=before,
        after={"role": role.value, "country": user.country, "email": user.email},
    )


def sign_out_everywhere(session: Session, *, actor: Actor, user: User) -> None:
    """End every session and token of the user, as an admin's incident response. Audited."""
    end_sessions(session, user)
    _audit_row(
        session, user, actor=actor, action="sign_out_everywhere", after={"email": user.email}
    )


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def authenticate_user(session: Session, *, email: str, password: str) -> User | None:
    """The user when the password is right and the account enabled; None otherwise.

    Every path, unknown and disabled accounts included, runs exactly one argon2 verify,
    so that the answer's timing does not tell whether an account exists. Repeated
    failures are throttled per client IP and per account + IP by the caller (api.limits).
    Writes an audit entry for the sign-in or the failure (never the password).
    """
    user = _find_user_by_email(session, email)
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
        verified = user is not None
    except (VerifyMismatchError, InvalidHashError):
        verified = False
    if user is None or not verified or user.disabled:
        reason = "unknown_account" if user is None else "disabled" if verified else "wrong_password"
        _audit_sign_in_attempt(session, user, "sign_in_failed", after={"reason": reason})
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    _audit_row(session, user, actor=Actor.for_user(user), action="sign_in")
    session.flush()
    return user


def record_lockout(session: Session, *, email: str) -> None:
    """Audit that an account's sign-ins from one client IP are now refused for a while."""
    user = _find_user_by_email(session, email)
    _audit_sign_in_attempt(session, user, "sign_in_locked")


def _audit_sign_in_attempt(
    session: Session, user: User | None, action: str, *, after: Any = None
) -> None:
    """Audit a refused sign-in as the account it named, or as anonymous when none matched."""
    audit(
        session,
        actor=Actor(f"user:{user.id} {user.email}" if user else "anonymous"),
        action=action,
        object_type="user",
        object_id=str(user.id) if user else "-",
        after=after,
    )
    session.flush()


def issue_token(
    session: Session, *, user: User, now: datetime | None = None
) -> tuple[AuthToken, str]:
    """A bearer token for the user (12 hours), valid while their session version holds."""
    now = now or utcnow()
    raw = f"mbt_{secrets.token_urlsafe(32)}"
    token = AuthToken(
        user_id=user.id,
        token_hash=hash_key(raw),
        session_version=user.session_version,
        created_at=now,
        expires_at=now + TOKEN_LIFETIME,
    )
    session.add(token)
    session.flush()
    _audit_row(
        session,
        token,
        actor=Actor.for_user(user),
        action="issue_token",
        after={"expires_at": token.expires_at.isoformat()},
    )
    return token, raw


def user_for_token(session: Session, raw: str, *, now: datetime | None = None) -> User | None:
    """The user a live token stands for: not revoked, expired, disabled or signed out."""
    now = now or utcnow()
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_key(raw)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not hmac.compare_digest(token.token_hash, hash_key(raw)):
        return None
    user = token.user
    if user.disabled or token.session_version != user.session_version:
        return None
    return user


def revoke_token(session: Session, raw: str, *, now: datetime | None = None) -> None:
    """Its user signs a bearer token out. Audited as the user."""
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == hash_key(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now or utcnow()
        _audit_row(session, token, actor=Actor.for_user(token.user), action="revoke_token")
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
