"""Customs rules, substances and the checker's verdicts as readers see them: in the
reader's language, with limits in words."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_babel import gettext, ngettext

from api.db import get_session
from api.i18n import current_locale
from content.customs import checker
from content.customs.labels import REASON_TEXTS, VERDICT_TEXTS
from content.customs.models import CustomsRule, Substance
from content.customs.service import localize_rule
from content.locales import format_money, format_number, format_quantity, pick
from content.translations import service as translations

_CLDR_UNITS = {
    "l": "volume-liter",
    "ml": "volume-milliliter",
    "kg": "mass-kilogram",
    "g": "mass-gram",
}


def format_amount(quantity: float | None, unit: str | None, locale: str) -> str | None:
    """«3 л», «200 штук»: limits in words, from CLDR and the catalogs."""
    if quantity is None or unit is None:
        return None
    if unit in _CLDR_UNITS:
        return format_quantity(quantity, _CLDR_UNITS[unit], locale)
    count = format_number(quantity, locale)
    if unit == "packs":
        return ngettext("%(num)s pack", "%(num)s packs", int(quantity)) % {"num": count}
    return ngettext("%(num)s piece", "%(num)s pieces", int(quantity)) % {"num": count}


def limit_text(rule: CustomsRule, locale: str) -> str | None:
    if rule.limit_value is not None and rule.limit_currency:
        return format_money(rule.limit_value, rule.limit_currency, locale)
    return format_amount(rule.limit_quantity, rule.limit_unit, locale)


def outdated_rule_locales(rule: CustomsRule) -> set[str]:
    """The languages of a rule readers are not served: those with an outdated field,
    unless TRANSLATIONS_SERVE_OUTDATED. Read once a request, for every rule."""
    if current_app.config["SETTINGS"].translations_serve_outdated:
        return set()
    if "outdated_rule_texts" not in g:
        g.outdated_rule_texts = translations.outdated(get_session(), translations.CUSTOMS_RULE)
    return set(g.outdated_rule_texts.get(rule.key, {}))


def present_rule(rule: CustomsRule) -> dict[str, Any]:
    locale = current_locale()
    title, explanation, served = localize_rule(rule, locale, outdated=outdated_rule_locales(rule))
    return {
        "id": rule.id,
        "key": rule.key,
        "version": rule.version,
        "countries": rule.countries,
        "scope": rule.scope,
        "direction": rule.direction,
        "mode": rule.mode,
        "category": rule.category,
        "limit": {
            "quantity": rule.limit_quantity,
            "unit": rule.limit_unit,
            "hard_quantity": rule.hard_limit_quantity,
            "value": rule.limit_value,
            "currency": rule.limit_currency,
            "per": rule.per,
            "min_age": rule.min_age,
            "kinds": rule.kinds,
            "residency": rule.residency,
            "foreign_currency_only": rule.foreign_currency_only,
            "text": limit_text(rule, locale),
        },
        "above_limit": rule.above_limit,
        "title": title,
        "explanation": explanation,
        "locale": served,
        "source": rule.source,
        "effective_from": rule.effective_from,
        "effective_from_precision": rule.effective_from_precision,
        "effective_to": rule.effective_to,
        "demo": rule.demo,
    }


def present_admin_rule(
    rule: CustomsRule, states: dict[str, translations.LanguageState] | None = None
) -> dict[str, Any]:
    """A rule as editors see it: as readers do, with every language's texts and their
    translation status (`states` when read already)."""
    if states is None:
        states = translations.statuses(get_session(), rule)
    return {
        **present_rule(rule),
        "titles": rule.titles,
        "explanations": rule.explanations or {},
        "reference_locale": rule.reference_locale,
        "translation_status": translations.present(states),
    }


def present_substance(substance: Substance) -> dict[str, Any]:
    locale = current_locale()
    names = substance.names
    local = pick(names, locale, [substance.key])
    return {
        "key": substance.key,
        "name": local[0],
        "names": names,
        "rules": substance.rules,
    }


def present_verdict(index: int, item: checker.Item, verdict: checker.ItemVerdict) -> dict[str, Any]:
    locale = current_locale()
    params = dict(verdict.params)
    rule = verdict.rules[0] if verdict.rules else None
    if verdict.substance is not None and params.get("max") is not None:
        params["limit"] = format_amount(params["max"], params.get("unit"), locale) or format_number(
            params["max"], locale
        )
    if "limit" in params and rule is not None:
        params["limit"] = limit_text(rule, locale) or params["limit"]
        if "total" in params and rule.limit_currency:
            params["total"] = format_money(params["total"], rule.limit_currency, locale)
    explanation = gettext(
        REASON_TEXTS.get(verdict.reason, REASON_TEXTS["rule_applies"]),
        **{k: v for k, v in params.items() if isinstance(v, str | int | float)},
    )
    return {
        "index": index,
        "category": item.category,
        "verdict": verdict.verdict,
        "verdict_text": gettext(VERDICT_TEXTS[verdict.verdict]),
        "reason": verdict.reason,
        "explanation": explanation,
        "rules": [
            {
                "id": r.id,
                "key": r.key,
                "title": localize_rule(r, locale, outdated=outdated_rule_locales(r))[0],
                "source": r.source,
                "effective_from": r.effective_from,
                "effective_from_precision": r.effective_from_precision,
            }
            for r in verdict.rules
        ],
        "substance": verdict.substance.key if verdict.substance else None,
        "substance_rule": verdict.substance_rule,
    }
