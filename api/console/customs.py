"""Console pages for customs: rules in force, a rule's versions, substances, exchange rates.

Forms are read into the shapes the admin API takes and checked by its schemas (through
``api.console.forms``, as every console form); the services check the facts and write
the audit log as the signed-in user. A form's field names are the schema's dotted paths
(``source.url``, ``titles.tk``), so every problem, from a schema or a service, is shown
next to the field it names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from api.console import actor, blp, forms, import_exchange_file, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.errors import flatten_errors
from api.i18n import KNOWN_LOCALES
from api.presenters.customs import present_rule
from api.routes import po_download, rules_file_name
from api.schemas.common import VersionIn
from api.schemas.customs import (
    COUNTRIES,
    DIRECTIONS,
    KEY,
    MODES,
    RateIn,
    RetireIn,
    RuleCreateIn,
    RuleIn,
    RuleListArgs,
    SubstanceIn,
)
from content.accounts.models import EDITORS
from content.customs import labels
from content.customs import service as customs
from content.customs.checker import UNITS
from content.customs.models import (
    ABOVE_LIMIT,
    CATEGORIES,
    DATE_PRECISIONS,
    SUBSTANCE_ACTIONS,
    CustomsRule,
    Substance,
)
from content.errors import N_, FieldProblem, Invalid, NotFound
from content.translations import exchange
from content.translations import service as translations

NUMBER_FIELDS = ("limit_quantity", "hard_limit_quantity", "limit_value")
CHOICE_FIELDS = ("scope", "direction", "mode", "category", "per", "above_limit")
SOURCE_PARTS = ("act", "article", "url", "note")
RULE_FORM_FIELDS = (
    "key",
    "countries",
    *CHOICE_FIELDS,
    *NUMBER_FIELDS,
    "limit_unit",
    "limit_currency",
    "min_age",
    "effective_from",
    "effective_from_precision",
    "effective_to",
    "reference_locale",
    *(f"source.{part}" for part in SOURCE_PARTS),
    *(f"titles.{locale}" for locale in KNOWN_LOCALES),
    *(f"explanations.{locale}" for locale in KNOWN_LOCALES),
)
SUBSTANCE_FORM_FIELDS = (
    "key",
    *(f"names.{locale}" for locale in KNOWN_LOCALES),
    *(
        f"rules.{country}.{part}"
        for country in COUNTRIES
        for part in ("action", "max_quantity", "unit", "source.act", "source.url")
    ),
)


class SubstanceCreateIn(SubstanceIn):
    key = ma.fields.String(required=True, validate=KEY)


class RateFormIn(RateIn):
    """The admin API's rate, with the currency the API takes from its path."""

    currency = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Z]{3}$"))


# -- rules --------------------------------------------------------------------------


@blp.get("/customs")
@signed_in(*EDITORS)
def customs_rules() -> Any:
    args = {name: value for name, value in request.args.items() if value}
    errors: dict[str, list[str]] = {}
    try:
        filters = RuleListArgs().load(args)
    except ma.ValidationError as error:
        errors = forms.by_field(
            flatten_errors(error.messages), ("country", "category", "direction")
        )
        filters = {}
    on, rules = customs.rules_in_force(get_session(), filters=filters)
    return render_template(
        "console/customs_rules.html",
        rules=[present_rule(r) for r in rules],
        on=on,
        values={"on": on.isoformat(), **args},
        errors=errors,
        **_choices(),
    ), (400 if errors else 200)


@blp.route("/customs/new-rule", methods=["GET", "POST"])
@signed_in(*EDITORS)
def customs_rule_new() -> Any:
    values = _rule_defaults()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = _form_values(request.form, RULE_FORM_FIELDS)
        try:
            with saving(RULE_FORM_FIELDS):
                fields = forms.load(
                    RuleCreateIn(),
                    _rule_data(request.form, with_key=True),
                    form=request.form,
                    fields=RULE_FORM_FIELDS,
                )
                rule = customs.create_rule(get_session(), actor=actor(), fields=fields)
            flash(_("Rule created."), "ok")
            return redirect(url_for("console.customs_rule", key=rule.key))
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
    return render_template(
        "console/customs_rule_new.html",
        values=values,
        references=values,
        reference_locale=values.get("reference_locale") or "ru",
        states=None,
        errors=errors,
        tab=_tab(errors),
        **_choices(),
    ), status


@blp.route("/customs/rules/<key>", methods=["GET", "POST"])
@signed_in(*EDITORS)
def customs_rule(key: str) -> Any:
    db = get_session()
    rule = _latest_or_404(key)
    values = _rule_values(rule)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = _form_values(request.form, RULE_FORM_FIELDS)
        values["version"] = request.form.get("version", "")
        stale = _(
            "Someone else saved a newer version of this rule after you opened it. "
            "Your changes are below but were not saved: copy what you need, then reload."
        )
        try:
            with saving(RULE_FORM_FIELDS, stale=stale):
                fields = forms.load(
                    RuleIn(),
                    _rule_data(request.form, with_key=False),
                    form=request.form,
                    fields=RULE_FORM_FIELDS,
                )
                # a hidden field: its problem is named in the page's alert
                version = forms.load(
                    VersionIn(),
                    {"version": forms.whole_number(request.form.get("version", ""))},
                    form=request.form,
                    fields=(),
                )["version"]
                new = customs.revise_rule(
                    db, actor=actor(), key=key, expected_version=version, fields=fields
                )
            flash(_("Saved as version %(number)s.", number=new.version), "ok")
            return redirect(url_for("console.customs_rule", key=key, tab=request.form.get("tab")))
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
        rule = _latest_or_404(key)
    return _rule_page(rule, values, errors, status)


def _rule_page(
    rule: CustomsRule, values: dict[str, Any], errors: dict[str, list[str]], status: int
) -> Any:
    db = get_session()
    return render_template(
        "console/customs_rule.html",
        rule=rule,
        shown=present_rule(rule),
        versions=[(v, present_rule(v)) for v in customs.rule_versions(db, rule)],
        values=values,
        references=_rule_values(rule),
        reference_locale=rule.reference_locale,
        states=translations.statuses(db, rule),
        errors=errors,
        tab=_tab(errors, request.form.get("tab") or request.args.get("tab"), rule.reference_locale),
        today=date.today(),
        **_choices(),
    ), status


@blp.post("/customs/rules/<key>/translations/<locale>/<any(confirm, review):verb>")
@signed_in(*EDITORS)
def customs_rule_translation(key: str, locale: str, verb: str) -> Any:
    """Confirm a language's translation of a rule, or mark it reviewed, at the version read
    (the buttons sit in the rule's form: what else it sends is not saved)."""
    _latest_or_404(key)
    if locale not in translations.TRACKED_LOCALES:
        abort(404)
    settle = customs.confirm_translation if verb == "confirm" else customs.review_translation
    stale = _(
        "Someone else saved a newer version of this rule after you opened it. Reload to see it."
    )
    try:
        with saving(stale=stale):
            version = forms.load(
                VersionIn(),
                {"version": forms.whole_number(request.form.get("version", ""))},
                form=request.form,
                fields=(),
            )["version"]
            settle(get_session(), actor=actor(), key=key, locale=locale, expected_version=version)
        if verb == "confirm":
            flash(_("Translation confirmed."), "ok")
        else:
            flash(_("Translation marked as reviewed."), "ok")
    except Refused:
        pass  # its alert is up
    return redirect(url_for("console.customs_rule", key=key, tab=locale))


@blp.post("/customs/rules/<key>/retire")
@signed_in(*EDITORS)
def customs_rule_retire(key: str) -> Any:
    rule = _latest_or_404(key)
    try:
        with saving(("on",)):
            on = forms.load(
                RetireIn(), {"on": request.form.get("on", "")}, form=request.form, fields=("on",)
            )["on"]
            customs.retire_rule(get_session(), actor=actor(), key=key, on=on)
    except Refused as refusal:
        values = {**_rule_values(rule), "on": request.form.get("on", "")}
        return _rule_page(rule, values, refusal.errors, refusal.status)
    flash(_("Retired: the rule no longer applies from %(date)s.", date=format_date(on)), "ok")
    return redirect(url_for("console.customs_rule", key=key))


@blp.get("/customs/translations/po")
@signed_in(*EDITORS)
def customs_export() -> Any:
    """Customs rules' exchange file for an outside translator: one rule's (`key`), a
    country's (`country`) or every rule's, in the language asked for (`locale`)."""
    locale, key = request.args.get("locale", ""), request.args.get("key", "")
    country = request.args.get("country", "")
    chosen, keys = country if country in COUNTRIES else None, [key] if key else []
    try:
        with saving():
            data = exchange.export_rules(
                get_session(), locale, actor=actor(), country=chosen, keys=keys
            )
    except Refused:  # its alert is up
        return redirect(_exchange_page(key))
    return po_download(data, rules_file_name(locale, country=chosen, keys=keys))


@blp.post("/customs/translations/po")
@signed_in(*EDITORS)
def customs_import() -> Any:
    """A translator's file of customs rules imported into the language chosen; back to
    the page it was sent from (a rule's, or the list)."""
    locale = request.form.get("locale", "")
    import_exchange_file(
        lambda data: exchange.import_rules(get_session(), data, locale, actor=actor())
    )
    return redirect(_exchange_page(request.form.get("key", "")))


def _exchange_page(key: str) -> str:
    """Where an exchange form was sent from: the rule's page, or the list of rules."""
    return url_for("console.customs_rule", key=key) if key else url_for("console.customs_rules")


# -- substances ---------------------------------------------------------------------


@blp.get("/customs/substances")
@signed_in(*EDITORS)
def customs_substances() -> Any:
    return render_template(
        "console/customs_substances.html",
        substances=customs.list_substances(get_session()),
        **_choices(),
    )


@blp.route("/customs/new-substance", methods=["GET", "POST"])
@signed_in(*EDITORS)
def customs_substance_new() -> Any:
    return _substance_page(None)


@blp.route("/customs/substances/<key>", methods=["GET", "POST"])
@signed_in(*EDITORS)
def customs_substance(key: str) -> Any:
    substance = customs.find_substance(get_session(), key)
    if substance is None:
        abort(404)
    return _substance_page(substance)


def _substance_page(substance: Substance | None) -> Any:
    values = _substance_values(substance)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        db = get_session()
        values = _form_values(request.form, SUBSTANCE_FORM_FIELDS)
        data, countries = _substance_data(request.form, substance)
        # the schema names a country's rule by its place in the list
        fields = {name: name for name in SUBSTANCE_FORM_FIELDS}
        for index, country in enumerate(countries):
            fields[f"rules.{index}"] = f"rules.{country}.action"
            for part in ("action", "max_quantity", "unit", "source.act", "source.url"):
                fields[f"rules.{index}.{part}"] = f"rules.{country}.{part}"
        try:
            with saving(fields):
                if substance is None:
                    data["key"] = request.form.get("key", "")
                    loaded = forms.load(SubstanceCreateIn(), data, form=request.form, fields=fields)
                    key = loaded["key"]
                    if customs.find_substance(db, key) is not None:
                        # upsert_substance would replace it: a new one must not overwrite
                        raise Invalid(
                            [FieldProblem("key", N_("A substance with this key exists: edit it."))]
                        )
                else:
                    loaded = forms.load(SubstanceIn(), data, form=request.form, fields=fields)
                    key = substance.key
                customs.upsert_substance(
                    db, actor=actor(), key=key, names=loaded["names"], rules=loaded["rules"]
                )
            flash(_("Substance saved."), "ok")
            return redirect(url_for("console.customs_substance", key=key))
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
    return render_template(
        "console/customs_substance.html",
        substance=substance,
        values=values,
        errors=errors,
        **_choices(),
    ), status


# -- exchange rates -----------------------------------------------------------------


@blp.route("/customs/rates", methods=["GET", "POST"])
@signed_in(*EDITORS)
def customs_rates() -> Any:
    db = get_session()
    fields = ("currency", "per_usd", "as_of", "source")
    values = {"currency": "", "per_usd": "", "as_of": date.today().isoformat(), "source": ""}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = _form_values(request.form, fields)
        data = {name: request.form.get(name, "").strip() for name in fields}
        data["currency"] = data["currency"].upper()
        data["per_usd"] = data["per_usd"].replace(",", ".")
        try:
            with saving(fields):
                loaded = forms.load(RateFormIn(), data, form=request.form, fields=fields)
                rate = customs.set_rate(db, actor=actor(), **loaded)
            flash(_("Rate recorded for %(currency)s.", currency=rate.currency), "ok")
            return redirect(url_for("console.customs_rates"))
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
    return render_template(
        "console/customs_rates.html",
        rates=customs.latest_rates(db),
        values=values,
        errors=errors,
        format_decimal=format_decimal,
    ), status


# -- helpers ------------------------------------------------------------------------


def _choices() -> dict[str, Any]:
    """The values each select offers, with their labels (msgids)."""
    return {
        "COUNTRIES": COUNTRIES,
        "CATEGORIES": CATEGORIES,
        "ABOVE_LIMIT": ABOVE_LIMIT,
        "LIST_DIRECTIONS": DIRECTIONS,
        "RULE_DIRECTIONS": tuple(labels.DIRECTION_LABELS),
        "MODES": ("all", *MODES),
        "SCOPES": tuple(labels.SCOPE_LABELS),
        "PERS": tuple(labels.PER_LABELS),
        "UNITS": tuple(UNITS),
        "SUBSTANCE_ACTIONS": SUBSTANCE_ACTIONS,
        "DATE_PRECISIONS": DATE_PRECISIONS,
        "labels": labels,
        "format_decimal": format_decimal,
    }


def _latest_or_404(key: str) -> CustomsRule:
    try:
        return customs.latest(get_session(), key)
    except NotFound:
        abort(404)


def _tab(errors: dict[str, list[str]], wanted: str | None = None, reference: str = "ru") -> str:
    """The language tab to show: the first with a problem, else the one asked for, else the
    reference language."""
    for locale in KNOWN_LOCALES:
        if f"titles.{locale}" in errors or f"explanations.{locale}" in errors:
            return locale
    return wanted if wanted in KNOWN_LOCALES else reference


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _form_values(form: MultiDict[str, str], fields: tuple[str, ...]) -> dict[str, Any]:
    """What the editor sent, to show again when the save is refused."""
    values: dict[str, Any] = {name: form.get(name, "") for name in fields}
    values["countries"] = form.getlist("countries")
    return values


def _rule_defaults() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(RULE_FORM_FIELDS, "")
    values.update(
        countries=[],
        scope="national",
        direction="both",
        mode="all",
        per="person",
        above_limit="declare",
        effective_from=date.today().isoformat(),
        reference_locale="ru",
    )
    return values


def _rule_values(rule: CustomsRule) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: _text(getattr(rule, name))
        for name in (*CHOICE_FIELDS, *NUMBER_FIELDS, "limit_unit", "limit_currency", "min_age")
    }
    values.update(
        key=rule.key,
        version=str(rule.version),
        countries=list(rule.countries),
        effective_from=_text(rule.effective_from),
        effective_from_precision=rule.effective_from_precision,
        effective_to=_text(rule.effective_to),
        reference_locale=rule.reference_locale,
    )
    for part in SOURCE_PARTS:
        values[f"source.{part}"] = _text(rule.source.get(part))
    for locale in KNOWN_LOCALES:
        values[f"titles.{locale}"] = rule.titles.get(locale, "")
        values[f"explanations.{locale}"] = (rule.explanations or {}).get(locale, "")
    return values


def _rule_data(form: MultiDict[str, str], *, with_key: bool) -> dict[str, Any]:
    """The form as the admin API's rule body; empty optional fields are null or left out."""

    def text(name: str) -> str:
        return form.get(name, "").strip()

    data: dict[str, Any] = {name: text(name) for name in CHOICE_FIELDS}
    if with_key:
        data["key"] = text("key")
    data["countries"] = form.getlist("countries")
    for name in NUMBER_FIELDS:
        data[name] = text(name).replace(",", ".") or None
    data["limit_unit"] = text("limit_unit") or None
    data["limit_currency"] = text("limit_currency").upper() or None
    age = text("min_age")
    data["min_age"] = forms.whole_number(age) if age else None
    data["effective_from"] = text("effective_from")
    if text("effective_from_precision"):  # left out, the schema says it is required
        data["effective_from_precision"] = text("effective_from_precision")
    data["effective_to"] = text("effective_to") or None
    source = {part: text(f"source.{part}") for part in SOURCE_PARTS}
    data["source"] = {part: value for part, value in source.items() if value}
    for field in ("titles", "explanations"):
        data[field] = {
            locale: text(f"{field}.{locale}")
            for locale in KNOWN_LOCALES
            if text(f"{field}.{locale}")
        }
    if text("reference_locale"):
        data["reference_locale"] = text("reference_locale")
    if not with_key and form.get("minor_edit"):
        data["minor_edit"] = True
    return data


def _substance_values(substance: Substance | None) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(SUBSTANCE_FORM_FIELDS, "")
    if substance is None:
        return values
    values["key"] = substance.key
    for locale in KNOWN_LOCALES:
        values[f"names.{locale}"] = "\n".join(substance.names.get(locale, []))
    for rule in substance.rules:
        prefix = f"rules.{rule.country}"
        values[f"{prefix}.action"] = rule.action
        values[f"{prefix}.max_quantity"] = _text(rule.max_quantity)
        values[f"{prefix}.unit"] = rule.unit or ""
        values[f"{prefix}.source.act"] = _text(rule.source.get("act"))
        values[f"{prefix}.source.url"] = _text(rule.source.get("url"))
    return values


def _substance_data(
    form: MultiDict[str, str], substance: Substance | None
) -> tuple[dict[str, Any], list[str]]:
    """The form as the admin API's substance body, and the country of each rule in it.

    A country's source keeps what the form does not show (an article, a note)."""
    names = {}
    for locale in KNOWN_LOCALES:
        lines = [line.strip() for line in form.get(f"names.{locale}", "").splitlines()]
        if any(lines):
            names[locale] = [line for line in lines if line]
    existing = {rule.country: rule.source for rule in substance.rules} if substance else {}
    rules, countries = [], []
    for country in COUNTRIES:
        prefix = f"rules.{country}"
        action = form.get(f"{prefix}.action", "")
        if not action:
            continue
        source = dict(existing.get(country) or {})
        for part in ("act", "url"):
            value = form.get(f"{prefix}.source.{part}", "").strip()
            if value:
                source[part] = value
            else:
                source.pop(part, None)
        rules.append(
            {
                "country": country,
                "action": action,
                "max_quantity": form.get(f"{prefix}.max_quantity", "").strip().replace(",", ".")
                or None,
                "unit": form.get(f"{prefix}.unit", "") or None,
                "source": source,
            }
        )
        countries.append(country)
    return {"names": names, "rules": rules}, countries
