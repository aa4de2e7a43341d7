"""The allowance checker: what a traveller carries, item by item, against the customs rules
in force, then overall, saying which rule decided.

When the data cannot decide, it answers "declare": declaring is never wrong at a border.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from content.customs.models import KINDS, CustomsRule, ExchangeRate, Substance, SubstanceRule
from content.customs.service import in_force, rate_for, search_substances
from content.errors import N_, FieldProblem, Invalid

VERDICTS = ("free", "prescription_required", "declare", "duty", "permit_required", "prohibited")
SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
ABOVE_LIMIT_VERDICT = {
    "declare": "declare",
    "duty": "duty",
    "permit": "permit_required",
    "prohibited": "prohibited",
}
MAX_QUANTITY = 1_000_000

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
