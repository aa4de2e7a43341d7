"""The data version: one counter, bumped in the same transaction as every write that
changes what travellers see. ETags (and, later, cached bytes) derive from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, ScalarSelect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from content.db import Base, UTCDateTime, utcnow


class DataVersion(Base):
    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def bump(session: Session) -> int:
    """Mark that public data changed; returns the new version, which readers see when the
    transaction commits."""
    version = session.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, changed_at=utcnow())
        .returning(DataVersion.version)
    ).scalar_one_or_none()
    if version is None:  # a database the migrations did not seed
        session.add(DataVersion(id=1, version=1))
        session.flush()
        version = 1
    return version


#: the current version, built once (building a statement costs more than running it)
_CURRENT = select(DataVersion.version).where(DataVersion.id == 1)


def current_column() -> ScalarSelect[int]:
    """The current version as a column of another select: read in the same statement,
    so from the same snapshot, as what it is selected with."""
    return _CURRENT.scalar_subquery()


def current(session: Session) -> int:
    return session.scalar(_CURRENT) or 0
