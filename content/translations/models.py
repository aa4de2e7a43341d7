"""Where each translated field of a campaign or customs rule stands against its reference
language: one row per item kind, item key, language and field."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from content.db import Base, UTCDateTime, string_enum, utcnow


class TranslationStatus(enum.StrEnum):
    MISSING = "missing"
    DRAFT = "draft"
    UP_TO_DATE = "up_to_date"
    OUTDATED = "outdated"
    REVIEWED = "reviewed"


class TranslationState(Base):
    """A field's status in one language. No row: `draft` when the field has text (never
    confirmed), `missing` when it has none."""

    __tablename__ = "translation_state"

    #: "campaign" (keyed by slug) or "customs_rule" (keyed by the rule's key: every
    #: version of a rule shares its states)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[TranslationStatus] = mapped_column(string_enum(TranslationStatus, 16))
    #: the reference text this field was last written or confirmed against (what the word
    #: diff starts from); None for the reference language itself
    confirmed_reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: who last wrote, confirmed or reviewed it (an audit actor's label)
    changed_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_translation_state_kind_locale_status", "kind", "locale", "status"),)
