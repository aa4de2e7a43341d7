"""Customs rules, controlled medicines and the allowance checker; editors' rule admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint

from api.auth import authorize, require_role
from api.cache import cached_read, note_valid_until
from api.db import get_session
from api.etags import expected_version, version_etag
from api.idempotency import commits
from api.limits import CUSTOMS_CHECKS, limiter
from api.presenters.customs import (
    present_admin_rule,
    present_rule,
    present_substance,
    present_verdict,
)
from api.routes import (
    PO_RESPONSE,
    USER_SECURITY,
    declare_errors,
    declare_if_match,
    declare_not_modified,
    po_download,
    present_import,
    rules_file_name,
)
from api.schemas.common import QueryArgs
from api.schemas.customs import (
    CheckIn,
    CheckOut,
    MedicineArgs,
    RateIn,
    RateOut,
    RetireArgs,
    RuleAdminListArgs,
    RuleAdminListOut,
    RuleAdminOut,
    RuleCreateIn,
    RuleDetailOut,
    RuleIn,
    RuleListArgs,
    RuleListOut,
    RuleOut,
    SubstanceIn,
    SubstanceListOut,
    SubstanceOut,
)
from api.schemas.translations import ExchangeFileIn, ImportOut, RuleExportArgs
from content.accounts.models import EDITORS
from content.customs import checker
from content.customs import service as customs
from content.customs.labels import VERDICT_TEXTS
from content.db import utcnow
from content.errors import N_, NotFound, PreconditionFailed
from content.translations import exchange
from content.translations import service as translations

blp = Blueprint(
    "customs",
    __name__,
    url_prefix="/v1",
    description="What a traveller may carry across each border, with sources; the checker.",
)


@blp.route("/customs/rules")
class Rules(MethodView):
    @cached_read
    @blp.arguments(RuleListArgs, location="query")
    @blp.response(200, RuleListOut)
    @declare_not_modified(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The customs rules in force on a day, by country, direction, mode and category"""
        if "on" not in args:  # "in force today" changes at midnight
            note_valid_until(datetime.combine(date.today() + timedelta(days=1), time(), UTC))
        on, rules = customs.rules_in_force(get_session(), filters=args)
        return {"items": [present_rule(r) for r in rules], "on": on, "as_of": utcnow()}


@blp.route("/customs/rules/<id:rule_id>")
class Rule(MethodView):
    @cached_read
    @blp.arguments(QueryArgs, location="query")
    @blp.response(200, RuleDetailOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, _args: dict[str, Any], rule_id: int) -> dict[str, Any]:
        """One version of a rule, with every version of it and their dates"""
        session = get_session()
        rule = customs.get_or_raise(session, rule_id)
        return {
            **present_rule(rule),
            "versions": [present_rule(v) for v in customs.rule_versions(session, rule)],
        }


@blp.route("/customs/medicines")
class Medicines(MethodView):
    @cached_read
    @blp.arguments(MedicineArgs, location="query")
    @blp.response(200, SubstanceListOut)
    @declare_not_modified(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Controlled substances by name, in any language («трамадол», "tramadol")"""
        found = customs.search_substances(get_session(), args["q"])
        return {"items": [present_substance(s) for s in found]}


@blp.route("/customs/check")
class Check(MethodView):
    @limiter.limit(CUSTOMS_CHECKS)
    @blp.arguments(CheckIn)
    @blp.response(200, CheckOut)
    @declare_errors(blp, 400, 413, 415, 429)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Do I have to declare this? A verdict per item, the rule behind it, and overall

        Verdicts, mildest first: `free`, `prescription_required`, `declare`, `duty`,
        `permit_required`, `prohibited`. Cash in several currencies is added up against
        the threshold, converted with the dated rates listed in `rates`. When the rules
        cannot decide, the answer is `declare`.
        ---
        What the traveller leaves out is taken the stricter way, and the reason says so:
        without `traveller.resident_of`, a limit for non-residents applies
        (`residency_unknown`); without an item's `kind`, the smallest allowance of its
        category applies (`kind_unknown`: 100 tobacco pieces are checked as cigars too).
        """
        items = [checker.Item(**item) for item in body["items"]]
        on = body.get("date") or date.today()
        result = checker.check(
            get_session(),
            country=body["country"],
            direction=body["direction"],
            mode=body["mode"],
            on=on,
            age=body["traveller"].get("age"),
            resident_of=body["traveller"].get("resident_of"),
            items=items,
        )
        return {
            "country": body["country"],
            "direction": body["direction"],
            "mode": body["mode"],
            "date": on,
            "overall": result.overall,
            "overall_text": gettext(VERDICT_TEXTS[result.overall]),
            "items": [present_verdict(i, items[i], v) for i, v in enumerate(result.items)],
            "rates": result.rates,
        }


@blp.route("/admin/customs/rules")
class AdminRules(MethodView):
    @blp.arguments(RuleAdminListArgs, location="query")
    @blp.response(200, RuleAdminListOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The current version of every rule, with every language's texts and their
        translation status

        `outdated_in=tg`: only rules with an outdated field in that language.
        """
        require_role(*EDITORS)
        session = get_session()
        found = customs.latest_rules(session, outdated_in=args.get("outdated_in"))
        states = translations.statuses_of(session, found)
        return {"items": [present_admin_rule(r, states[r.key]) for r in found]}

    @authorize(*EDITORS)
    @commits
    @blp.arguments(RuleCreateIn)
    @blp.response(201, RuleAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 413, 415)
    def post(self, body: dict[str, Any]) -> Any:
        """Add a customs rule (editors)"""
        actor = require_role(*EDITORS)
        rule = customs.create_rule(get_session(), actor=actor, fields=body)
        return present_admin_rule(rule), 201, {"ETag": version_etag(rule.version)}


@blp.route("/admin/customs/rules/<string:key>")
class AdminRule(MethodView):
    @blp.response(200, RuleAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404)
    def get(self, key: str) -> Any:
        """The latest version of a rule, with its translation status; its ETag goes back in
        If-Match"""
        require_role(*EDITORS)
        rule = customs.latest(get_session(), key)
        return present_admin_rule(rule), 200, {"ETag": version_etag(rule.version)}

    @authorize(*EDITORS)
    @commits
    @blp.arguments(RuleIn, required=False)  # no field changes nothing but the version
    @blp.response(200, RuleAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 400, 401, 403, 404, 412, 413, 415, 422, 428)
    def put(self, body: dict[str, Any], key: str) -> Any:
        """Revise a rule: a new version; the old one stays readable with its dates

        A changed title or explanation becomes a draft in its language; a changed text of
        the reference language (`reference_locale`) marks that field outdated in every
        other language that has it, unless `minor_edit` is true.
        """
        actor = require_role(*EDITORS)
        rule = customs.revise_rule(
            get_session(), actor=actor, key=key, expected_version=expected_version(), fields=body
        )
        return present_admin_rule(rule), 200, {"ETag": version_etag(rule.version)}

    @commits
    @blp.arguments(RetireArgs, location="query")
    @blp.response(200, RuleOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404, 422)
    def delete(self, args: dict[str, Any], key: str) -> Any:
        """Retire a rule from a day (today by default); its versions stay readable

        ---
        A rule cannot be retired on or before the day it starts (422 naming `on`): revise
        its dates instead.
        """
        actor = require_role(*EDITORS)
        rule = customs.retire_rule(get_session(), actor=actor, key=key, on=args.get("on"))
        return present_rule(rule)


@blp.route("/admin/customs/rules/<string:key>/translations/<string:locale>/confirm")
class AdminRuleConfirm(MethodView):
    @commits
    @blp.response(200, RuleAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, key: str, locale: str) -> Any:
        """Confirm a language's translation of a rule: its fields become up_to_date,
        confirmed against the reference text as it is now; needs If-Match

        ---
        The rule's version (its ETag) stays: no new version is made. `locale` is one of
        en, ru, kk, ky, uz, tg, tk (404 otherwise). 409 for the reference language itself,
        or a language with no text.
        """
        actor = require_role(*EDITORS)
        rule = customs.confirm_translation(
            get_session(), actor=actor, key=key, locale=locale, expected_version=expected_version()
        )
        return present_admin_rule(rule), 200, {"ETag": version_etag(rule.version)}


@blp.route("/admin/customs/rules/<string:key>/translations/<string:locale>/review")
class AdminRuleReview(MethodView):
    @commits
    @blp.response(200, RuleAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, key: str, locale: str) -> Any:
        """Mark a language's translation of a rule reviewed; needs If-Match

        ---
        Publishers and admins may review any text; an editor only one that someone else
        last wrote or confirmed (403 otherwise). `locale` is one of en, ru, kk, ky, uz, tg,
        tk (404 otherwise). 409 for a language with no text.
        """
        actor = require_role(*EDITORS)
        rule = customs.review_translation(
            get_session(), actor=actor, key=key, locale=locale, expected_version=expected_version()
        )
        return present_admin_rule(rule), 200, {"ETag": version_etag(rule.version)}


@blp.route("/admin/customs/translations/<string:locale>/po")
class AdminRulesExchange(MethodView):
    @commits  # the export is audited
    @blp.arguments(RuleExportArgs, location="query")
    @blp.response(200, description=PO_RESPONSE["description"], content_type=exchange.CONTENT_TYPE)
    @blp.doc(security=USER_SECURITY, responses={"200": PO_RESPONSE})
    @declare_errors(blp, 401, 403, 404, 422)
    def get(self, args: dict[str, Any], locale: str) -> Response:
        """Export customs rules for an outside translator: a PO file for one language

        The current version of every rule, of one `country`'s rules, or of the rules
        named by `key` (repeatable); a rule whose reference language is `locale` is left
        out. One unit per text the reference language has: msgctxt
        `customs_rule/<key>/<field>`, msgid the reference text, msgstr the language's text
        ("" when missing), and a note with the field's purpose, its length limit and its
        translation status. The header names the language and each rule's version.
        ---
        `locale` is one of en, ru, kk, ky, uz, tg, tk (404 otherwise). Audited.
        """
        actor = require_role(*EDITORS)
        keys = args.get("key") or []
        data = exchange.export_rules(
            get_session(), locale, actor=actor, country=args.get("country"), keys=keys
        )
        return po_download(data, rules_file_name(locale, country=args.get("country"), keys=keys))

    @authorize(*EDITORS)
    @commits
    @blp.arguments(ExchangeFileIn, location="files")
    @blp.response(200, ImportOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, files: dict[str, Any], locale: str) -> dict[str, Any]:
        """Import a translator's PO file of customs rules (multipart field `file`) into one
        language

        Each rule with a translated unit gets a new version, as an editor's revision does,
        and its texts become `draft`, ready for review. An empty msgstr leaves its text as
        it is. Fuzzy units, units whose msgid is no longer the reference text (it changed
        after the export) and units over their length limit are not imported: the answer
        lists them under `rejected`, the rest is imported.
        ---
        422 for a file that is not PO, is for another language or is not a customs rules
        exchange file, and when units were rejected and none could be imported (each
        listed under `errors`, by unit). 409 when a rule of the file no longer exists or
        has a newer version than the one exported (export it again).
        """
        actor = require_role(*EDITORS)
        data = files["file"].read()
        return present_import(exchange.import_rules(get_session(), data, locale, actor=actor))


@blp.route("/admin/customs/substances/<string(maxlength=100):key>")
class AdminSubstance(MethodView):
    @blp.response(200, SubstanceOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404)
    def get(self, key: str) -> Any:
        """A controlled substance; its ETag goes back in If-Match"""
        require_role(*EDITORS)
        substance = customs.find_substance(get_session(), key)
        if substance is None:
            raise NotFound(N_("No substance %(key)s."), key=key)
        return present_substance(substance), 200, {"ETag": version_etag(substance.version)}

    @authorize(*EDITORS)
    @commits
    @blp.arguments(SubstanceIn)
    @blp.response(200, SubstanceOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp, required=False)
    @declare_errors(blp, 400, 401, 403, 404, 412, 413, 415, 428)
    def put(self, body: dict[str, Any], key: str) -> Any:
        """Create or replace a controlled substance, its names and each country's rule

        ---
        Replacing one needs the If-Match of the version read (428 without it, 412 when
        someone saved since); creating a new one sends none (412 with one: there is no
        version to match).
        """
        actor = require_role(*EDITORS)
        session = get_session()
        existing = customs.find_substance(session, key)
        version = None
        if existing is not None or "If-Match" in request.headers:
            version = expected_version()
            if existing is None:
                raise PreconditionFailed(N_("The resource has changed since you last read it."))
        substance = customs.upsert_substance(
            session,
            actor=actor,
            key=key,
            names=body["names"],
            rules=body["rules"],
            expected_version=version,
        )
        return present_substance(substance), 200, {"ETag": version_etag(substance.version)}


@blp.route("/admin/customs/rates/<string(length=3):currency>")
class AdminRate(MethodView):
    @authorize(*EDITORS)
    @commits
    @blp.arguments(RateIn)
    @blp.response(200, RateOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 404, 413, 415)
    def put(self, body: dict[str, Any], currency: str) -> Any:
        """Record a dated exchange rate: units of the currency per US dollar"""
        actor = require_role(*EDITORS)
        return customs.set_rate(
            get_session(),
            currency=currency,
            per_usd=body["per_usd"],
            as_of=body["as_of"],
            source=body["source"],
            actor=actor,
        )
