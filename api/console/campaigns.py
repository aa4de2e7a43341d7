"""Console pages for campaigns: the list, the review queue, a campaign's texts in every
language, its workflow, schedule and revisions."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from api.console import (
    actor,
    blp,
    error_text,
    forms,
    import_exchange_file,
    saving,
    signed_in,
)
from api.console.forms import Refused
from api.db import get_session
from api.errors import DETAILS, INVALID_JSON, flatten_errors, problem
from api.i18n import KNOWN_LOCALES
from api.presenters.campaigns import present_texts
from api.routes import po_download
from api.schemas.campaigns import (
    PREVIEW_OUT,
    CampaignCreateIn,
    CampaignIn,
    CampaignPreviewIn,
    ScheduleIn,
)
from api.schemas.common import VersionIn
from content.accounts.models import EDITORS, PUBLISHERS
from content.campaigns import service as campaigns
from content.campaigns.labels import STATUS_LABELS
from content.campaigns.models import CampaignStatus
from content.errors import DomainError
from content.translations import exchange
from content.translations import service as translations


@blp.get("/campaigns")
@signed_in(*EDITORS)
def campaign_list() -> Any:
    status = request.args.get("status", "")
    wanted = CampaignStatus(status) if status in {s.value for s in CampaignStatus} else None
    items = [(c, campaigns.completeness(c)) for c in campaigns.list_(get_session(), status=wanted)]
    return render_template(
        "console/campaigns.html", items=items, status=status, statuses=list(CampaignStatus)
    )


@blp.get("/review")
@signed_in(*PUBLISHERS)
def review_queue() -> Any:
    items = [
        (c, campaigns.completeness(c))
        for c in campaigns.list_(get_session(), status=CampaignStatus.IN_REVIEW)
    ]
    return render_template(
        "console/campaigns.html",
        items=items,
        status="in_review",
        statuses=list(CampaignStatus),
        review=True,
    )


@blp.route("/campaigns/new", methods=["GET", "POST"])
@signed_in(*EDITORS)
def campaign_new() -> Any:
    if request.method == "POST":
        shown = {"slug": "slug", "countries": "countries"}
        data, _paths = _campaign_data(request.form)
        data["slug"] = request.form.get("slug", "").strip()
        try:
            with saving(shown):
                body = forms.load(CampaignCreateIn(), data, form=request.form, fields=shown)
                campaign = campaigns.create(
                    get_session(), actor=actor(), slug=body.pop("slug"), fields=body
                )
        except Refused as refusal:
            return render_template(
                "console/campaign_new.html", errors=refusal.errors
            ), refusal.status
        return redirect(url_for("console.campaign_edit", slug=campaign.slug))
    return render_template("console/campaign_new.html", errors={})


@blp.route("/campaigns/<slug>", methods=["GET", "POST"])
@signed_in(*EDITORS)
def campaign_edit(slug: str) -> Any:
    db = get_session()
    campaign = _campaign_or_404(slug)
    tab = request.args.get("tab", "") if request.args.get("tab") in KNOWN_LOCALES else ""
    tab = tab or campaign.reference_locale
    status = 200
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.form.get("tab") in KNOWN_LOCALES:
            tab = request.form["tab"]
        data, paths = _campaign_data(request.form)
        # the page shows one language's texts; a problem elsewhere is named in the alert
        shown = {
            path: name
            for path, name in paths.items()
            if path in ("priority", "countries", "reference_locale") or name.startswith(f"{tab}-")
        }
        stale = _(
            "Someone else saved this campaign after you opened it. Your changes are "
            "below but were not saved: copy what you need, then reload."
        )
        try:
            with saving(shown, stale=stale):
                body = forms.load(CampaignIn(), data, form=request.form, fields=shown)
                campaigns.update(
                    db,
                    actor=actor(),
                    campaign=campaign,
                    expected_version=_version(request.form),
                    fields=body,
                )
            flash(_("Saved."), "ok")
            return redirect(url_for("console.campaign_edit", slug=slug, tab=tab))
        except Refused as refusal:
            campaign = _campaign_or_404(slug)
            errors, status = refusal.errors, refusal.status
    return _edit_page(campaign, tab, form=request.form if status != 200 else None, errors=errors), (
        status
    )


@blp.post("/campaigns/<slug>/preview")
@signed_in(*EDITORS)
def campaign_preview(slug: str) -> Any:
    """One language's texts as the phone would show them, not saved: JSON for the edit
    page's preview, its body sanitised as the public API serves it.

    The body is JSON (CampaignPreviewIn) and the CSRF token goes in X-CSRFToken; bad
    input is problem JSON in the console's language (415, 400, 422)."""
    if not request.is_json:
        return problem(415, detail=_(DETAILS[415]))
    data = request.get_json(silent=True)
    if data is None:
        return problem(400, detail=_(INVALID_JSON))
    try:
        texts = CampaignPreviewIn().load(data)
    except ma.ValidationError as error:
        return problem(422, detail=_(DETAILS[422]), errors=flatten_errors(error.messages))
    locale = texts.pop("locale")
    view = campaigns.preview(
        get_session(), campaign=_campaign_or_404(slug), locale=locale, texts=texts
    )
    shown = present_texts(view, full=True)
    return jsonify(PREVIEW_OUT.dump({"locale": locale, **shown}))


def _edit_page(
    campaign: Any,
    tab: str,
    *,
    form: Any = None,
    errors: dict[str, list[str]] | None = None,
    schedule: Any = None,
) -> str:
    """The edit page of a campaign, on a language's tab: beside each field the reference
    language's text (on the reference's own tab, another language's), the language's
    translation status, its outdated fields and what changed in their reference."""
    reference_locale = campaign.reference_locale
    if tab != reference_locale:
        reference = reference_locale
    else:
        reference = "en" if reference_locale != "en" else "ru"
    return render_template(
        "console/campaign_edit.html",
        campaign=campaign,
        tab=tab,
        reference=reference,
        reference_locale=reference_locale,
        states=translations.statuses(get_session(), campaign),
        missing=campaigns.completeness(campaign),
        form=form,
        errors=errors or {},
        schedule=schedule,
        actions=_allowed_actions(campaign.status),
        # the saved texts; the page's script follows the editor's typing from there
        preview=present_texts(
            campaigns.preview(get_session(), campaign=campaign, locale=tab, texts={}), full=True
        ),
    )


@blp.post("/campaigns/<slug>/translations/<locale>/<any(confirm, review):verb>")
@signed_in(*EDITORS)
def campaign_translation(slug: str, locale: str, verb: str) -> Any:
    """Confirm a language's translation, or mark it reviewed, at the version read."""
    campaign = _campaign_or_404(slug)
    if locale not in translations.TRACKED_LOCALES:
        abort(404)
    settle = campaigns.confirm_translation if verb == "confirm" else campaigns.review_translation
    stale = _("Someone else saved this campaign after you opened it. Reload to see their changes.")
    try:
        with saving(stale=stale):
            settle(
                get_session(),
                actor=actor(),
                campaign=campaign,
                locale=locale,
                expected_version=_version(request.form),
            )
        if verb == "confirm":
            flash(_("Translation confirmed."), "ok")
        else:
            flash(_("Translation marked as reviewed."), "ok")
    except Refused:
        pass  # its alert is up
    return redirect(url_for("console.campaign_edit", slug=slug, tab=locale))


@blp.get("/campaigns/<slug>/translations/po")
@signed_in(*EDITORS)
def campaign_export(slug: str) -> Any:
    """The campaign's exchange file for an outside translator, in the language asked for."""
    campaign = _campaign_or_404(slug)
    locale = request.args.get("locale", "")
    try:
        with saving():
            data = exchange.export_campaign(get_session(), campaign, locale, actor=actor())
    except Refused:  # its alert is up
        return redirect(url_for("console.campaign_edit", slug=slug))
    return po_download(data, f"{slug}-{locale}")


@blp.post("/campaigns/<slug>/translations/po")
@signed_in(*EDITORS)
def campaign_import(slug: str) -> Any:
    """A translator's file imported into the language of the tab it was sent from."""
    campaign = _campaign_or_404(slug)
    locale = request.form.get("locale", "")
    import_exchange_file(
        lambda data: exchange.import_campaign(get_session(), campaign, data, locale, actor=actor())
    )
    tab = locale if locale in KNOWN_LOCALES else None
    return redirect(url_for("console.campaign_edit", slug=slug, tab=tab))


@blp.post("/campaigns/<slug>/actions")
@signed_in(*EDITORS)
def campaign_action(slug: str) -> Any:
    campaign = _campaign_or_404(slug)
    try:
        with saving():
            campaigns.transition(
                get_session(),
                actor=actor(),
                campaign=campaign,
                action=request.form.get("action", ""),
                require_complete=current_app.config["SETTINGS"].campaigns_require_all_locales,
            )
        status = _(STATUS_LABELS[campaign.status]).lower()
        flash(_("Done: the campaign is now %(status)s.", status=status), "ok")
    except Refused:
        pass  # its alert is up
    return redirect(url_for("console.campaign_edit", slug=slug))


@blp.post("/campaigns/<slug>/schedule")
@signed_in(*PUBLISHERS)
def campaign_schedule(slug: str) -> Any:
    campaign = _campaign_or_404(slug)
    shown = ("publish_at", "unpublish_at")
    try:
        with saving(shown):
            body = forms.load(
                ScheduleIn(),
                {name: forms.utc_datetime(request.form.get(name, "")) for name in shown},
                form=request.form,
                fields=shown,
            )
            campaigns.schedule(get_session(), actor=actor(), campaign=campaign, **body)
        flash(_("Schedule saved."), "ok")
    except Refused as refusal:
        if not refusal.errors:  # a service's refusal: its alert is up
            return redirect(url_for("console.campaign_edit", slug=slug))
        campaign = _campaign_or_404(slug)
        page = _edit_page(
            campaign, campaign.reference_locale, errors=refusal.errors, schedule=request.form
        )
        return page, refusal.status
    return redirect(url_for("console.campaign_edit", slug=slug))


@blp.get("/campaigns/<slug>/revisions")
@signed_in(*EDITORS)
def campaign_revisions(slug: str) -> Any:
    db = get_session()
    campaign = _campaign_or_404(slug)
    revisions = campaigns.revisions(db, campaign)
    lines: list[str] = []
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if old and new:
        try:
            lines = campaigns.diff(db, campaign, old, new)
        except DomainError as error:
            flash(error_text(error), "error")
    return render_template(
        "console/revisions.html",
        campaign=campaign,
        revisions=revisions,
        lines=lines,
        old=old,
        new=new,
    )


@blp.post("/campaigns/<slug>/revisions/<id:number>/restore")
@signed_in(*EDITORS)
def campaign_restore(slug: str, number: int) -> Any:
    db = get_session()
    campaign = _campaign_or_404(slug)
    try:
        with saving():
            campaigns.restore(
                db,
                actor=actor(),
                campaign=campaign,
                number=number,
                expected_version=_version(request.form),
            )
        flash(_("Revision %(number)s restored as a new revision.", number=number), "ok")
    except Refused as refusal:
        if not refusal.errors:  # a service's refusal: its alert is up
            return redirect(url_for("console.campaign_edit", slug=slug))
        campaign = _campaign_or_404(slug)
        return render_template(
            "console/revisions.html",
            campaign=campaign,
            revisions=campaigns.revisions(db, campaign),
            lines=[],
            old=None,
            new=None,
        ), refusal.status
    return redirect(url_for("console.campaign_edit", slug=slug))


# -- helpers ------------------------------------------------------------------------


def _campaign_or_404(slug: str) -> Any:
    try:
        return campaigns.get_or_raise(get_session(), slug)
    except DomainError:
        abort(404)


def _allowed_actions(status: CampaignStatus) -> list[str]:
    role = g.console_user.role
    return [
        action
        for action, (sources, _target, roles) in campaigns.TRANSITIONS.items()
        if status in sources and role in roles
    ]


def _campaign_data(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The campaign form as the admin API's body, and the form field of each of its paths.

    A language's texts are ``ru-title``, ``ru-cta_url``…; an empty button label or link is
    none. Fields the form does not send are left out (unchanged). Any other field is passed
    on as it is, for the schema to refuse as unknown."""
    data: dict[str, Any] = {}
    paths: dict[str, str] = {}
    translations: dict[str, dict[str, Any]] = {}
    for name, value in form.items():
        locale, _dash, text = name.partition("-")
        if name in ("csrf_token", "version", "tab", "slug"):
            continue
        if name == "minor_edit":
            data[name] = True  # a ticked checkbox; unticked, the form does not send it
        elif name == "priority":
            if value.strip():
                data[name] = forms.whole_number(value)
        elif name == "countries":
            data[name] = [c.strip().upper() for c in value.split(",") if c.strip()]
        elif name in ("starts_at", "ends_at"):
            data[name] = forms.utc_datetime(value)
        elif locale in KNOWN_LOCALES and text in campaigns.TEXT_FIELDS:
            if text in ("cta_label", "cta_url"):
                value = value.strip() or None
            translations.setdefault(locale, {})[text] = value
            paths[f"translations.{locale}.{text}"] = name
            continue
        else:
            data[name] = value
        paths[name] = name
    if translations:
        data["translations"] = translations
    return data, paths


def _version(form: Any) -> int:
    """The campaign version the editor read, from the form's hidden field."""
    raw = form.get("version", "")
    # a hidden field: its problem is named in the page's alert
    loaded = forms.load(VersionIn(), {"version": forms.whole_number(raw)}, form=form, fields=())
    return int(loaded["version"])
