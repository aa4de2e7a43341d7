"""Customs rules (every edit a new version), controlled substances, exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content.db import Base, UTCDateTime, utcnow

CATEGORIES = (
    "cash",
    "alcohol",
    "tobacco",
    "goods",
    "medicines",
    "prohibited",
    "plants_animals",
    "cultural_goods",
    "vehicles",
    "weapons",
    "narcotics",
    "other",
)
#: what an item of a category may be, when its rules tell kinds apart (an item may name one)
KINDS = {
    "tobacco": ("cigarettes", "cigars", "cigarillos", "loose_tobacco"),
    "prohibited": ("vapes",),
}
#: whom a rule applies to, by the traveller's country of residence
RESIDENCY = ("any", "non_resident")
ABOVE_LIMIT = ("declare", "duty", "permit", "prohibited")
#: what a country requires of a traveller carrying a controlled substance
SUBSTANCE_ACTIONS = ("prescription", "declare", "permit", "prohibited")
#: how much of `effective_from` a source confirms: the day, only the month or year, or
#: nothing (a placeholder date, kept only so that the rule can be applied)
DATE_PRECISIONS = ("day", "month", "year", "unknown")


class CustomsRule(Base):
    """One version of a rule. Versions of the same rule share `key`."""

    __tablename__ = "customs_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    countries: Mapped[list[str]] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(String(16), default="national")  # eaeu | national
    direction: Mapped[str] = mapped_column(String(8))  # entry | exit | both
    mode: Mapped[str] = mapped_column(String(8))  # all | air | road | rail | sea
    category: Mapped[str] = mapped_column(String(32), index=True)
    limit_quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    hard_limit_quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    per: Mapped[str] = mapped_column(String(8), default="person")  # person | trip
    min_age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the item kinds of the category the rule is about (see KINDS); None: every kind
    kinds: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    #: "non_resident": only travellers not resident in the country (see RESIDENCY)
    residency: Mapped[str] = mapped_column(String(16), default="any", server_default="any")
    #: a cash rule that counts foreign currency only, not the country's own
    foreign_currency_only: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    above_limit: Mapped[str] = mapped_column(String(16), default="declare")
    titles: Mapped[dict[str, str]] = mapped_column(JSON)
    explanations: Mapped[dict[str, str]] = mapped_column(JSON)
    #: the language the others are translated from: a change to it makes them outdated
    reference_locale: Mapped[str] = mapped_column(String(8), default="ru", server_default="ru")
    source: Mapped[dict[str, Any]] = mapped_column(JSON)
    effective_from: Mapped[date] = mapped_column(Date)
    #: one of DATE_PRECISIONS; rows older than the column are "unknown" until re-seeded
    effective_from_precision: Mapped[str] = mapped_column(
        String(8), default="unknown", server_default="unknown"
    )
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: set when a newer version replaces this one, or the rule is retired
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Substance(Base):
    """A controlled substance, findable by any of its names in any language."""

    __tablename__ = "substance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    names: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    #: every name, lowercased, joined by "|", for search
    search_text: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    rules: Mapped[list[SubstanceRule]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SubstanceRule.country"
    )


class SubstanceRule(Base):
    """What a country requires of a traveller carrying a substance."""

    __tablename__ = "substance_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    substance_id: Mapped[int] = mapped_column(ForeignKey("substance.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    action: Mapped[str] = mapped_column(String(16))  # one of SUBSTANCE_ACTIONS
    max_quantity: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source: Mapped[dict[str, Any]] = mapped_column(JSON)


class ExchangeRate(Base):
    """How many units of a currency one US dollar buys, on a date."""

    __tablename__ = "exchange_rate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), index=True)
    per_usd: Mapped[float] = mapped_column(Float)
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
