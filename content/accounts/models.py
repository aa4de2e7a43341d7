"""Who may write: agencies and their API keys, console users and their tokens, and the
audit log of every change they make."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content.db import Base, UTCDateTime, string_enum, utcnow


class Agency(Base):
    """A border or customs service allowed to post for its own country's checkpoints."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # the checkpoints its keys may post for: None means every checkpoint of the country.
    # It belongs to the agency, so issuing, rotating or revoking keys never changes it.
    checkpoint_ids: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="agency")


class ApiKey(Base):
    """A secret an agency posts with. Only its SHA-256 is stored; it is shown once."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    agency: Mapped[Agency] = relationship(back_populates="keys")


class IdempotencyRecord(Base):
    """The first answer to a write sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("agency_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Role(enum.StrEnum):
    EDITOR = "editor"
    PUBLISHER = "publisher"
    ADMIN = "admin"
    BORDER_OFFICER = "border_officer"


#: who may edit content (campaigns, customs rules, substances, rates)
EDITORS = frozenset({Role.EDITOR, Role.PUBLISHER, Role.ADMIN})
#: who may also return, approve, publish and schedule campaigns, and send broadcasts
PUBLISHERS = frozenset({Role.PUBLISHER, Role.ADMIN})


class User(Base):
    """A console user: an editor, publisher, admin or border officer."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(string_enum(Role))
    # border officers post for one country's checkpoints
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # moves on at sign-out, password change, disable, role change and "sign out
    # everywhere": console sessions and bearer tokens of an older version are refused
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuthToken(Base):
    """A bearer token for /v1/admin, issued to a user. Stored as a hash; revocable."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the user's session_version when issued; a token of an older version is refused
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class AuditEntry(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(300))  # "user:3 a@b.kz", "agency:1 KZ border"
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
