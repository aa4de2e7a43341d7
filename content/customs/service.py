"""Customs rules in force, their versions, substance search, and the allowance checker.

The checker answers item by item, then overall, and says which rule decided. When the
data cannot decide, it answers "declare": declaring is never wrong at a border.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.service import Actor, audit
from content.customs.models import KINDS, CustomsRule, ExchangeRate, Substance, SubstanceRule
from content.db import utcnow
from content.errors import N_, FieldProblem, Invalid, NotFound, PreconditionFailed
from content.locales import fold_apostrophes

VERDICTS = ("free", "prescription_required", "declare", "duty", "permit_required", "prohibited")
SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
ABOVE_LIMIT_VERDICT = {
    "declare": "declare",
    "duty": "duty",
    "permit": "permit_required",
    "prohibited": "prohibited",
}
MAX_QUANTITY = 1_000_000
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
    "source",
    "effective_from_precision",
    "demo",
)

# every unit the checker accepts, as (family, factor to the family's base unit)
UNITS = {
    "l": ("volume", 1.0),
    "ml": ("volume", 0.001),
    "kg": ("mass", 1.0),
    "g": ("mass", 0.001),
    "pieces": ("count", 1.0),
    "packs": ("count", 20.0),  # a pack of cigarettes
    "cartons": ("count", 200.0),  # a carton of cigarettes: 10 packs
}
#: each country's own currency: a rule with foreign_currency_only does not count it
NATIONAL_CURRENCY = {"KZ": "KZT", "KG": "KGS", "UZ": "UZS", "TJ": "TJS", "TM": "TMT"}
#: units that only count cigarettes (a pack is 20 cigarettes)
CIGARETTE_UNITS = ("packs", "cartons")

# which unit families make sense for which categories (cash is counted in money)
CATEGORY_UNITS = {
    "cash": set(),
    "alcohol": {"volume"},
    "tobacco": {"count", "mass"},
    "goods": {"mass", "count"},
    "medicines": {"count", "mass", "volume"},
}


@dataclass
class Item:
    category: str
    quantity: float | None = None
    unit: str | None = None
    value: float | None = None
    currency: str | None = None
    substance: str | None = None
    has_prescription: bool = False
    #: what the item is within its category (see models.KINDS), when the traveller says
    kind: str | None = None


@dataclass
class ItemVerdict:
    verdict: str
    #: a machine-readable reason: within_limit, above_limit, above_hard_limit, under_age,
    #: combined_cash, prescription, unknown_substance, no_rule, prohibited_category,
    #: permit_substance, kind_unknown, residency_unknown
    reason: str
    rules: list[CustomsRule] = field(default_factory=list)
    substance: Substance | None = None
    #: what the country requires of that substance, with its source
    substance_rule: SubstanceRule | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RateUsed:
    currency: str
    per_usd: float
    as_of: date
    demo: bool


@dataclass
class CheckResult:
    items: list[ItemVerdict]
    overall: str
    rates: list[RateUsed]
    on: date


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


def get_or_raise(session: Session, rule_id: int) -> CustomsRule:
    rule = session.get(CustomsRule, rule_id)
    if rule is None:
        raise NotFound(N_("No customs rule with id %(id)s."), id=rule_id)
    return rule


def history(session: Session, rule: CustomsRule) -> list[CustomsRule]:
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


def create_rule(session: Session, *, actor: Actor, fields: dict[str, Any]) -> CustomsRule:
    if session.scalar(select(CustomsRule).where(CustomsRule.key == fields["key"])) is not None:
        raise Invalid([FieldProblem("key", N_("A rule with this key exists: edit it instead."))])
    rule = CustomsRule(**rule_fields(fields), version=1)
    session.add(rule)
    session.flush()
    audit(
        session,
        actor=actor,
        action="create",
        object_type="customs_rule",
        object_id=rule.key,
        after=rule_snapshot(rule),
    )
    versions.bump(session)
    return rule


def revise_rule(
    session: Session, *, actor: Actor, key: str, expected_version: int, fields: dict[str, Any]
) -> CustomsRule:
    """A new version of a rule. The old one stays readable, ending the day before the new
    one starts (or superseded outright when both start on the same day)."""
    current = latest(session, key)
    if current.version != expected_version:
        raise PreconditionFailed(N_("The resource has changed since you last read it."))
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
    session.add(new)
    session.flush()
    audit(
        session,
        actor=actor,
        action="revise",
        object_type="customs_rule",
        object_id=key,
        before=rule_snapshot(current),
        after=rule_snapshot(new),
    )
    versions.bump(session)
    return new


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
    session.flush()
    audit(
        session,
        actor=actor,
        action="retire",
        object_type="customs_rule",
        object_id=key,
        before=before,
        after=rule_snapshot(current),
    )
    versions.bump(session)
    return current


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
    session.flush()
    audit(
        session,
        actor=actor,
        action="withdraw",
        object_type="customs_rule",
        object_id=key,
        before=before,
        after=rule_snapshot(current),
    )
    versions.bump(session)
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


def get_substance(session: Session, key: str) -> Substance | None:
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


def check(
    session: Session,
    *,
    country: str,
    direction: str,
    mode: str,
    on: date,
    age: int | None,
    items: list[Item],
    resident_of: str | None = None,
) -> CheckResult:
    """Item-by-item verdicts, with the rules that decided, and the most severe overall.

    What the traveller does not say (age, residency, an item's kind) is taken the way that
    gives the stricter answer, and the reason says so."""
    _validate(items)
    country = country.upper()
    resident_of = resident_of.upper() if resident_of else None
    rules = in_force(session, country=country, on=on, direction=direction, mode=mode)
    by_category: dict[str, list[CustomsRule]] = defaultdict(list)
    for rule in rules:
        by_category[rule.category].append(rule)

    rates: dict[str, ExchangeRate] = {}

    def to_currency(amount: float, currency: str, target: str) -> float:
        for code in {currency.upper(), target.upper()}:
            if code not in rates:
                rate = rate_for(session, code, on)
                if rate is None:
                    raise Invalid(
                        [
                            FieldProblem(
                                "items",
                                N_("No exchange rate is known for %(currency)s."),
                                {"currency": code},
                            )
                        ]
                    )
                rates[code] = rate
        usd = amount / rates[currency.upper()].per_usd
        return usd * rates[target.upper()].per_usd

    verdicts: list[ItemVerdict | None] = [None] * len(items)
    # cash is judged together: several currencies add up against one threshold
    cash = [i for i, item in enumerate(items) if item.category == "cash"]
    if cash:
        judged_cash = _judge_cash(
            items, cash, by_category["cash"], to_currency, country=country, resident_of=resident_of
        )
        for index, verdict in judged_cash.items():
            verdicts[index] = verdict
    # quantities of the same category add up too (two bottles against one allowance)
    for category in ("alcohol", "tobacco", "goods"):
        indexes = [i for i, item in enumerate(items) if item.category == category]
        if indexes:
            judged = _judge_quantities(items, indexes, by_category[category], age, to_currency)
            for index, verdict in judged.items():
                verdicts[index] = verdict
    for index, item in enumerate(items):
        if verdicts[index] is not None:
            continue
        if item.category == "medicines":
            verdicts[index] = _judge_medicine(session, item, country, by_category["medicines"])
        elif item.category == "prohibited":
            # the traveller says it is prohibited: cite only the rules about what it is, not
            # a ban on something else (a drug is not a vape); a permit rule answers permit
            cited = [
                r for r in by_category["prohibited"] if r.kinds is None or item.kind in r.kinds
            ]
            strictest = _strictest(cited) if cited else "prohibited"
            verdicts[index] = ItemVerdict(strictest, "prohibited_category", cited)
        elif by_category[item.category]:
            rule_list = by_category[item.category]
            verdicts[index] = ItemVerdict(_strictest(rule_list), "rule_applies", rule_list)
        else:
            verdicts[index] = ItemVerdict("declare", "no_rule")
    final = [v for v in verdicts if v is not None]
    overall = max((v.verdict for v in final), key=SEVERITY.__getitem__, default="free")
    used = [RateUsed(r.currency, r.per_usd, r.as_of, r.demo) for r in rates.values()]
    return CheckResult(final, overall, sorted(used, key=lambda r: r.currency), on)


def _strictest(rules: list[CustomsRule]) -> str:
    return max((ABOVE_LIMIT_VERDICT[r.above_limit] for r in rules), key=SEVERITY.__getitem__)


def _judge_cash(
    items: list[Item],
    indexes: list[int],
    rules: list[CustomsRule],
    convert: Any,
    *,
    country: str,
    resident_of: str | None,
) -> dict[int, ItemVerdict]:
    money_rules = [
        (r, r.limit_value, r.limit_currency)
        for r in rules
        if r.limit_value is not None and r.limit_currency
    ]
    if not money_rules:
        return {i: ItemVerdict("declare", "no_rule", rules) for i in indexes}
    result: dict[int, ItemVerdict] = {}
    for rule, limit, currency in money_rules:
        if rule.residency == "non_resident" and resident_of == country:
            continue
        # residency not given: the rule for non-residents may apply, so it is applied
        residency_unknown = rule.residency == "non_resident" and resident_of is None
        counted = [
            i
            for i in indexes
            if not (
                rule.foreign_currency_only
                and (items[i].currency or "").upper() == NATIONAL_CURRENCY.get(country)
            )
        ]
        if not counted:
            continue
        total = sum(
            convert(items[i].value or 0.0, items[i].currency or currency, currency) for i in counted
        )
        over = total > limit
        verdict = ABOVE_LIMIT_VERDICT[rule.above_limit] if over else "free"
        reason = "within_limit"
        if over:
            reason = "combined_cash" if len(counted) > 1 else "above_limit"
            if residency_unknown:
                reason = "residency_unknown"
        params = {"total": round(total, 2), "limit": limit, "currency": currency}
        for i in counted:
            current = result.get(i)
            if current is None or SEVERITY[verdict] > SEVERITY[current.verdict]:
                result[i] = ItemVerdict(verdict, reason, [rule], params=params)
    for i in indexes:
        result.setdefault(i, ItemVerdict("declare", "no_rule", rules))
    return result


def _judge_quantities(
    items: list[Item], indexes: list[int], rules: list[CustomsRule], age: int | None, convert: Any
) -> dict[int, ItemVerdict]:
    result: dict[int, ItemVerdict] = {}
    if not rules:
        return {i: ItemVerdict("declare", "no_rule") for i in indexes}
    for i in indexes:
        result[i] = ItemVerdict("free", "within_limit", [])
    all_indexes = indexes
    for rule in rules:
        # a rule about some kinds (cigars) applies to those, and to items whose kind is not
        # given: they may be of that kind, so the stricter allowance is applied to them
        indexes = [i for i in all_indexes if _may_be_of_kind(items[i], rule)]
        if not indexes:
            continue
        if rule.min_age is not None and (age is None or age < rule.min_age):
            # an allowance with an age condition does not apply: declare, or worse
            for i in indexes:
                _worse(
                    result,
                    i,
                    ItemVerdict(
                        "declare" if age is None else ABOVE_LIMIT_VERDICT[rule.above_limit],
                        "under_age" if age is not None else "age_unknown",
                        [rule],
                        params={"min_age": rule.min_age},
                    ),
                )
            continue
        if rule.limit_quantity is not None and rule.limit_unit:
            family, factor = UNITS[rule.limit_unit]
            counted = [i for i in indexes if UNITS.get(items[i].unit or "", ("",))[0] == family]
            if not counted:
                continue
            total = sum((items[i].quantity or 0.0) * UNITS[items[i].unit or ""][1] for i in counted)
            limit = rule.limit_quantity * factor
            hard = rule.hard_limit_quantity * factor if rule.hard_limit_quantity else None
            params = {
                "total": round(total / factor, 3),
                "limit": rule.limit_quantity,
                "unit": rule.limit_unit,
            }
            if hard is not None and total > hard:
                verdict = ItemVerdict("prohibited", "above_hard_limit", [rule], params=params)
            elif total > limit:
                verdict = ItemVerdict(
                    ABOVE_LIMIT_VERDICT[rule.above_limit], "above_limit", [rule], params=params
                )
            else:
                verdict = ItemVerdict("free", "within_limit", [rule], params=params)
            for i in counted:
                _worse(result, i, _kind_unknown(items[i], rule, verdict))
        elif rule.limit_value is not None and rule.limit_currency:
            valued = [i for i in indexes if items[i].value is not None]
            if not valued:
                continue
            total = sum(
                convert(
                    items[i].value or 0.0,
                    items[i].currency or rule.limit_currency,
                    rule.limit_currency,
                )
                for i in valued
            )
            params = {
                "total": round(total, 2),
                "limit": rule.limit_value,
                "currency": rule.limit_currency,
            }
            over = total > rule.limit_value
            verdict = ItemVerdict(
                ABOVE_LIMIT_VERDICT[rule.above_limit] if over else "free",
                "above_limit" if over else "within_limit",
                [rule],
                params=params,
            )
            for i in valued:
                _worse(result, i, verdict)
    for i in all_indexes:
        if not result[i].rules:
            # nothing matched this item's unit: the data cannot decide, so declare
            result[i] = ItemVerdict("declare", "no_rule", rules)
    return result


def _may_be_of_kind(item: Item, rule: CustomsRule) -> bool:
    return rule.kinds is None or item.kind is None or item.kind in rule.kinds


def _kind_unknown(item: Item, rule: CustomsRule, verdict: ItemVerdict) -> ItemVerdict:
    """The verdict, saying so when it comes from a kind the traveller did not name."""
    if rule.kinds is None or item.kind is not None or verdict.verdict == "free":
        return verdict
    return ItemVerdict(verdict.verdict, "kind_unknown", verdict.rules, params=verdict.params)


def _judge_medicine(
    session: Session, item: Item, country: str, rules: list[CustomsRule]
) -> ItemVerdict:
    """A medicine by its substance's rule in the country; the country's general rules on
    medicines are cited with it."""
    if not item.substance:
        return ItemVerdict("declare", "no_substance", rules)
    found = search_substances(session, item.substance)
    if len(found) != 1:
        return ItemVerdict(
            "declare", "unknown_substance", rules, params={"substance": item.substance}
        )
    substance = found[0]
    rule = next((r for r in substance.rules if r.country == country.upper()), None)
    if rule is None:
        return ItemVerdict("declare", "no_rule", rules, substance=substance)

    def verdict(name: str, reason: str) -> ItemVerdict:
        params = {"max": rule.max_quantity, "unit": rule.unit}
        return ItemVerdict(name, reason, rules, substance, rule, params)

    if rule.action == "prohibited":
        return verdict("prohibited", "prohibited_substance")
    if rule.action == "permit":
        return verdict("permit_required", "permit_substance")
    if rule.action == "prescription":
        too_much = (
            rule.max_quantity is not None
            and item.quantity is not None
            and (item.unit or rule.unit) == rule.unit
            and item.quantity > rule.max_quantity
        )
        if too_much:
            return verdict("permit_required", "above_limit")
        return verdict(
            "prescription_required",
            "prescription" if item.has_prescription else "prescription_missing",
        )
    return verdict("declare", "declare_substance")


def _worse(result: dict[int, ItemVerdict], index: int, verdict: ItemVerdict) -> None:
    current = result[index]
    if SEVERITY[verdict.verdict] > SEVERITY[current.verdict] or (
        SEVERITY[verdict.verdict] == SEVERITY[current.verdict] and not current.rules
    ):
        result[index] = verdict


def _validate(items: list[Item]) -> None:
    problems = []
    for index, item in enumerate(items):
        path = f"items.{index}"
        if item.quantity is not None and not 0 <= item.quantity <= MAX_QUANTITY:
            problems.append(
                FieldProblem(
                    f"{path}.quantity",
                    N_("Must be between %(min)s and %(max)s."),
                    {"min": 0, "max": MAX_QUANTITY},
                )
            )
        if item.value is not None and not 0 <= item.value <= 1_000_000_000:
            problems.append(
                FieldProblem(
                    f"{path}.value",
                    N_("Must be between %(min)s and %(max)s."),
                    {"min": 0, "max": 1_000_000_000},
                )
            )
        if item.unit is not None:
            family = UNITS.get(item.unit, ("?", 0))[0]
            allowed = CATEGORY_UNITS.get(item.category)
            if allowed is not None and family not in allowed:
                problems.append(
                    FieldProblem(
                        f"{path}.unit",
                        N_("The unit %(unit)s does not fit the category %(category)s."),
                        {"unit": item.unit, "category": item.category},
                    )
                )
        if item.kind is not None and item.kind not in KINDS.get(item.category, ()):
            problems.append(
                FieldProblem(
                    f"{path}.kind",
                    N_("The kind %(kind)s does not fit the category %(category)s."),
                    {"kind": item.kind, "category": item.category},
                )
            )
        elif item.category == "tobacco" and item.unit is not None:
            if item.unit in CIGARETTE_UNITS and item.kind not in (None, "cigarettes"):
                problems.append(
                    FieldProblem(
                        f"{path}.unit",
                        N_("Packs and cartons count cigarettes: give cigars in pieces."),
                    )
                )
            elif item.kind == "loose_tobacco" and UNITS.get(item.unit, ("",))[0] != "mass":
                problems.append(
                    FieldProblem(f"{path}.unit", N_("Give loose tobacco by weight, in g or kg."))
                )
        if item.category == "cash" and (item.value is None or not item.currency):
            problems.append(FieldProblem(f"{path}.value", N_("Cash needs a value and a currency.")))
        if (
            item.quantity is not None
            and item.unit is None
            and item.category in ("alcohol", "tobacco")
        ):
            problems.append(FieldProblem(f"{path}.unit", N_("This field is required.")))
    if problems:
        raise Invalid(problems)
    for item in items:
        if item.category == "tobacco" and item.kind is None and item.unit in CIGARETTE_UNITS:
            item.kind = "cigarettes"  # packs and cartons hold cigarettes


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
    for name in ("effective_from", "effective_to"):
        value = fields.get(name)
        data[name] = date.fromisoformat(value) if isinstance(value, str) else value
    return data


def _normalise(text: str) -> str:
    return " ".join(fold_apostrophes(text.lower().replace("ё", "е")).split())
