"""Agencies and API keys: create, rotate, revoke, and resolve a presented key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import Agency, ApiKey, IdempotencyRecord
from content.db import utcnow
from content.errors import N_, Conflict, Forbidden, NotFound

KEY_PREFIX = "mbk"


@dataclass(frozen=True)
class Poster:
    """Who is posting a status or queue report, and for which checkpoints they may."""

    agency_id: int
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
