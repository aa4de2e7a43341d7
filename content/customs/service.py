"""Customs rules in force and their versions, substances and their search, and exchange
rates. The allowance checker that reads them is in content.customs.checker.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.service import Actor, audit
from content.customs.models import CustomsRule, ExchangeRate, Substance, SubstanceRule
from content.db import utcnow
from content.errors import N_, FieldProblem, Invalid, NotFound, PreconditionFailed
from content.locales import (
    KNOWN_LOCALES,
    base_locale,
    derive,
    fallback_chain,
    fold_apostrophes,
    served_language,
)
from content.translations import service as translations

#: what a rule holds besides its dates: copied into snapshots and new versions
RULE_FIELDS = (
    "key",
    "countries",
    "scope",
    "direction",
    "mode",
    "category",
    "limit_quantity",
    "limit_unit",
    "hard_limit_quantity",
    "limit_value",
    "limit_currency",
    "per",
    "min_age",
    "kinds",
    "residency",
    "foreign_currency_only",
    "above_limit",
    "titles",
    "explanations",
    "reference_locale",
    "source",
    "effective_from_precision",
    "demo",
)


def in_force(
    session: Session,
    *,
    country: str | None,
    on: date,
    direction: str | None = None,
    mode: str | None = None,
    category: str | None = None,
) -> list[CustomsRule]:
    """The rules of a country (or of every country) in force on a date, for a direction
    and mode of travel, by category and key."""
    query = select(CustomsRule).where(
        CustomsRule.retired.is_(False),
        CustomsRule.effective_from <= on,
        or_(CustomsRule.effective_to.is_(None), CustomsRule.effective_to >= on),
    )
    if category:
        query = query.where(CustomsRule.category == category)
    rules = []
    for rule in session.scalars(query.order_by(CustomsRule.category, CustomsRule.key)):
        if country and country.upper() not in rule.countries:
            continue
        if direction and rule.direction not in ("both", direction):
            continue
        if mode and rule.mode not in ("all", mode):
            continue
        rules.append(rule)
    return rules


def rules_in_force(
    session: Session, *, filters: Mapping[str, Any]
) -> tuple[date, list[CustomsRule]]:
    """The day a rule query names (today when it names none) and the rules in force then,
    for its country, direction, mode and category, each optional."""
    on = filters.get("on") or date.today()
    rules = in_force(
        session,
        country=filters.get("country"),
        on=on,
        direction=filters.get("direction"),
        mode=filters.get("mode"),
        category=filters.get("category"),
    )
    return on, rules


def get_or_raise(session: Session, rule_id: int) -> CustomsRule:
    rule = session.get(CustomsRule, rule_id)
    if rule is None:
        raise NotFound(N_("No customs rule with id %(id)s."), id=rule_id)
    return rule


def rule_versions(session: Session, rule: CustomsRule) -> list[CustomsRule]:
    """Every version of the rule, oldest first (the current one included)."""
    return list(
        session.scalars(
            select(CustomsRule).where(CustomsRule.key == rule.key).order_by(CustomsRule.version)
        )
    )


def latest(session: Session, key: str) -> CustomsRule:
    rule = session.scalar(
        select(CustomsRule)
        .where(CustomsRule.key == key, CustomsRule.superseded_at.is_(None))
        .order_by(CustomsRule.version.desc())
    )
    if rule is None:
        raise NotFound(N_("No customs rule %(key)s."), key=key)
    return rule


def latest_rules(session: Session, *, outdated_in: str | None = None) -> list[CustomsRule]:
    """The current version of every rule (retired ones too), by key; only those with an
    outdated translation in a language, when `outdated_in` names one."""
    query = select(CustomsRule).where(CustomsRule.superseded_at.is_(None)).order_by(CustomsRule.key)
    if outdated_in is not None:
        query = query.where(
            CustomsRule.key.in_(
                translations.keys_outdated_in(translations.CUSTOMS_RULE, outdated_in)
            )
        )
    return list(session.scalars(query))


def localize_rule(
    rule: CustomsRule, locale: str, *, outdated: Collection[str] = ()
) -> tuple[str, str, str]:
    """A rule's title and explanation for a reader, both from one language, and that
    language: the reader's, else the next along its fallback chain (`served_language`) in
    which the rule is complete (a title, and an explanation when the reference language
    has one) and not in `outdated`; else any other language so; else the same, outdated
    or not; else the first language with a title: a verdict needs one."""
    titles, explanations = rule.titles or {}, rule.explanations or {}
    needs_explanation = bool(explanations.get(rule.reference_locale))
    complete = [
        code
        for code, title in titles.items()
        if title and (explanations.get(code) or not needs_explanation)
    ]
    served = (
        served_language(locale, complete, outdated=outdated)
        # off the chain, any language complete and current: better than a wrong fine
        or next((code for code in KNOWN_LOCALES if code in complete and code not in outdated), None)
        or served_language(locale, complete)
        or next(
            (
                code
                for code in (*fallback_chain(locale), *KNOWN_LOCALES)
                if titles.get(base_locale(code))
            ),
            rule.reference_locale,
        )
    )
    stored = base_locale(served)
    return (
        derive(titles.get(stored, ""), served),
        derive(explanations.get(stored, ""), served),
        served,
    )


def create_rule(session: Session, *, actor: Actor, fields: dict[str, Any]) -> CustomsRule:
    if session.scalar(select(CustomsRule).where(CustomsRule.key == fields["key"])) is not None:
        raise Invalid([FieldProblem("key", N_("A rule with this key exists: edit it instead."))])
    fields = {name: value for name, value in fields.items() if name != "minor_edit"}
    rule = CustomsRule(**rule_fields(fields), version=1)
    translations.check_reference_locale(rule.reference_locale)
    session.add(rule)
    session.flush()
    translations.record_save(session, rule, None, actor=actor)
    _rule_changed(session, actor=actor, action="create", before=None, rule=rule)
    return rule


def revise_rule(
    session: Session, *, actor: Actor, key: str, expected_version: int, fields: dict[str, Any]
) -> CustomsRule:
    """A new version of a rule. The old one stays readable, ending the day before the new
    one starts (or superseded outright when both start on the same day).

    Translation statuses follow, as for a campaign (`minor_edit` in `fields`: a change of
    the reference text that outdates nothing)."""
    current = latest(session, key)
    if current.version != expected_version:
        raise PreconditionFailed(N_("The resource has changed since you last read it."))
    fields = dict(fields)
    minor_edit = bool(fields.pop("minor_edit", False))
    if "effective_from" in fields and "effective_from_precision" not in fields:
        # a new start date says how exact it is: the old precision need not fit it
        raise Invalid([FieldProblem("effective_from_precision", N_("This field is required."))])
    merged = {**rule_snapshot(current), **fields, "key": key}
    new = CustomsRule(**rule_fields(merged), version=current.version + 1)
    if new.effective_from > current.effective_from:
        current.effective_to = new.effective_from - timedelta(days=1)
    else:
        current.retired = True
    current.superseded_at = utcnow()
    translations.check_reference_locale(new.reference_locale)
    session.add(new)
    session.flush()
    translations.record_save(
        session,
        new,
        translations.texts(current),
        actor=actor,
        minor_edit=minor_edit,
        before_reference=current.reference_locale,
    )
    _rule_changed(session, actor=actor, action="revise", before=rule_snapshot(current), rule=new)
    return new


def confirm_translation(
    session: Session, *, actor: Actor, key: str, locale: str, expected_version: int
) -> CustomsRule:
    """Confirm a language's translation of a rule against its reference text as it is now
    (the rule's version stays: only its translation status changes)."""
    return _settle_translation(
        session, actor, key, locale, expected_version, action="confirm_translation"
    )


def review_translation(
    session: Session, *, actor: Actor, key: str, locale: str, expected_version: int
) -> CustomsRule:
    """Mark a language's translation of a rule reviewed."""
    return _settle_translation(
        session, actor, key, locale, expected_version, action="review_translation"
    )


def _settle_translation(
    session: Session, actor: Actor, key: str, locale: str, expected_version: int, *, action: str
) -> CustomsRule:
    current = latest(session, key)
    if current.version != expected_version:
        raise PreconditionFailed(N_("The resource has changed since you last read it."))
    settle = translations.confirm if action == "confirm_translation" else translations.review
    fields = settle(session, current, locale, actor=actor)
    audit(
        session,
        actor=actor,
        action=action,
        object_type="customs_rule",
        object_id=key,
        after={"locale": locale, "fields": fields},
    )
    versions.bump(session)  # readers of that language may be served it again
    return current


def retire_rule(session: Session, *, actor: Actor, key: str, on: date | None = None) -> CustomsRule:
    """Stop a rule from a date (today by default); its versions stay readable."""
    current = latest(session, key)
    on = on or date.today()
    if on <= current.effective_from:
        # it would end before it starts: a rule that never applied is revised, not retired
        raise Invalid(
            [
                FieldProblem(
                    "on",
                    N_("The rule starts on %(date)s: it can only be retired after that day."),
                    {"date": current.effective_from},
                )
            ]
        )
    before = rule_snapshot(current)
    current.effective_to = on - timedelta(days=1)
    _rule_changed(session, actor=actor, action="retire", before=before, rule=current)
    return current


def _rule_changed(
    session: Session, *, actor: Actor, action: str, before: dict[str, Any] | None, rule: CustomsRule
) -> None:
    """Write a rule change out, audit it (the rule as it now is after `before`) and tell
    polling clients that customs content changed."""
    session.flush()
    audit(
        session,
        actor=actor,
        action=action,
        object_type="customs_rule",
        object_id=rule.key,
        before=before,
        after=rule_snapshot(rule),
    )
    versions.bump(session)


def rule_snapshot(rule: CustomsRule) -> dict[str, Any]:
    data = {name: getattr(rule, name) for name in RULE_FIELDS}
    data["effective_from"] = rule.effective_from.isoformat()
    data["effective_to"] = rule.effective_to.isoformat() if rule.effective_to else None
    return data


def withdraw_rule(session: Session, *, actor: Actor, key: str) -> CustomsRule:
    """Take back a rule that should never have been served (its source did not stand
    up): its current version stops applying at all, not from a date, and stays readable
    in the rule's history. Audited."""
    current = latest(session, key)
    before = rule_snapshot(current)
    current.retired = True
    current.superseded_at = utcnow()
    _rule_changed(session, actor=actor, action="withdraw", before=before, rule=current)
    return current


def search_substances(session: Session, query: str, *, limit: int = 20) -> list[Substance]:
    """Substances any of whose names, in any language, contain the query or are contained
    in it («трамадол гидрохлорид» finds tramadol)."""
    needle = _normalise(query)
    if not needle:
        return []
    found = []
    for substance in session.scalars(
        select(Substance).where(Substance.retired.is_(False)).order_by(Substance.key)
    ):
        # stored names are normalised again: rows written before a normalisation change
        names = [_normalise(name) for name in substance.search_text.split("|")]
        if any(needle in name or (len(name) >= 4 and name in needle) for name in names):
            found.append(substance)
    return found[:limit]


def upsert_substance(
    session: Session,
    *,
    actor: Actor | None,
    key: str,
    names: dict[str, list[str]],
    rules: list[dict[str, Any]],
    expected_version: int | None = None,
) -> Substance:
    """Create or replace a substance; replacing one names the version it was read at
    (seed data, which replaces nothing, names none)."""
    substance = session.scalar(select(Substance).where(Substance.key == key))
    if substance is not None and expected_version not in (None, substance.version):
        raise PreconditionFailed(N_("The resource has changed since you last read it."))
    before = None
    if substance is None:
        substance = Substance(key=key)
        session.add(substance)
    else:
        before = {"names": substance.names, "version": substance.version}
        substance.version += 1
    substance.names = names
    substance.search_text = "|".join(
        sorted({_normalise(n) for values in names.values() for n in values} | {key})
    )
    substance.rules = [
        SubstanceRule(
            country=r["country"].upper(),
            action=r["action"],
            max_quantity=r.get("max_quantity"),
            unit=r.get("unit"),
            source=r.get("source", {}),
        )
        for r in rules
    ]
    session.flush()
    if actor is not None:
        audit(
            session,
            actor=actor,
            action="upsert",
            object_type="substance",
            object_id=key,
            before=before,
            after={"names": names, "rules": rules},
        )
    versions.bump(session)
    return substance


def list_substances(session: Session) -> list[Substance]:
    return list(session.scalars(select(Substance).order_by(Substance.key)))


def find_substance(session: Session, key: str) -> Substance | None:
    """The substance with the key, or None: callers ask whether it exists yet."""
    return session.scalar(select(Substance).where(Substance.key == key))


def set_rate(
    session: Session,
    *,
    actor: Actor,
    currency: str,
    per_usd: float,
    as_of: date,
    source: str,
    demo: bool = False,
) -> ExchangeRate:
    """Record a dated rate. Audited."""
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        raise Invalid([FieldProblem("currency", N_("A currency is three letters, such as USD."))])
    if per_usd <= 0:
        raise Invalid([FieldProblem("per_usd", N_("Must be greater than %(min)s."), {"min": 0})])
    rate = ExchangeRate(
        currency=currency.upper(), per_usd=per_usd, as_of=as_of, source=source, demo=demo
    )
    session.add(rate)
    session.flush()
    audit(
        session,
        actor=actor,
        action="set_rate",
        object_type="exchange_rate",
        object_id=rate.currency,
        after={"per_usd": per_usd, "as_of": as_of.isoformat(), "source": source},
    )
    versions.bump(session)
    return rate


def latest_rates(session: Session) -> list[ExchangeRate]:
    """The newest rate of each currency (by date, then by when it was recorded)."""
    newest: dict[str, ExchangeRate] = {}
    for rate in session.scalars(select(ExchangeRate).order_by(ExchangeRate.as_of, ExchangeRate.id)):
        newest[rate.currency] = rate
    return sorted(newest.values(), key=lambda r: r.currency)


def rate_for(session: Session, currency: str, on: date) -> ExchangeRate | None:
    """The newest rate for the currency dated on or before the day (or the oldest one)."""
    currency = currency.upper()
    if currency == "USD":
        return ExchangeRate(currency="USD", per_usd=1.0, as_of=on, source="identity", demo=False)
    rate = session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency, ExchangeRate.as_of <= on)
        .order_by(ExchangeRate.as_of.desc(), ExchangeRate.id.desc())
    )
    return rate or session.scalar(
        select(ExchangeRate)
        .where(ExchangeRate.currency == currency)
        .order_by(ExchangeRate.as_of, ExchangeRate.id)
    )


def rule_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The model's columns from a rule's fields (as the API, the console and the seed
    files give them), with their defaults."""
    data = {name: fields.get(name) for name in RULE_FIELDS if name in fields}
    data["countries"] = sorted({c.upper() for c in fields["countries"]})
    data.setdefault("scope", "national")
    data.setdefault("per", "person")
    data.setdefault("above_limit", "declare")
    data.setdefault("demo", False)
    data.setdefault("explanations", {})
    data.setdefault("residency", "any")
    data.setdefault("foreign_currency_only", False)
    data.setdefault("reference_locale", "ru")
    for name in ("effective_from", "effective_to"):
        value = fields.get(name)
        data[name] = date.fromisoformat(value) if isinstance(value, str) else value
    return data


def _normalise(text: str) -> str:
    return " ".join(fold_apostrophes(text.lower().replace("ё", "е")).split())
