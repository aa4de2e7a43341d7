"""Console pages. Every form is CSRF-protected; every change goes through the same
services as the API, with the signed-in user as the audit actor."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import refresh
from flask_wtf.csrf import CSRFProtect

from api.console import forms
from api.console.forms import Refused
from api.db import get_session
from api.i18n import KNOWN_LOCALES, current_locale, format_wait, localized, native_name
from api.limits import client_ip, sign_in_guard
from api.schemas.admin import AgencyCreateIn, AgencyRevokeIn, UserCreateIn
from api.schemas.campaigns import CampaignCreateIn, CampaignIn, ScheduleIn, TokenIn
from api.schemas.checkpoints import QueueReportIn as QueueReportSchema
from api.schemas.checkpoints import StatusIn
from api.schemas.common import VersionIn
from content.accounts import service as accounts
from content.accounts.labels import ROLE_LABELS
from content.accounts.models import EDITORS, PUBLISHERS, Role, User
from content.accounts.service import Actor, Poster
from content.campaigns import service as campaigns
from content.campaigns.labels import ACTION_LABELS, STATUS_LABELS
from content.campaigns.models import CampaignStatus
from content.checkpoints import service as checkpoints
from content.checkpoints.labels import (
    DIRECTION_LABELS,
    LANE_LABELS,
    REASON_LABELS,
    STATE_LABELS,
)
from content.checkpoints.models import Direction, Lane, Reason, State
from content.checkpoints.service import CheckpointFilter, QueueReportIn
from content.errors import DomainError, Invalid, PreconditionFailed

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()
SESSION_LIFETIME = timedelta(hours=8)
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class ConsoleOnlySessions(SecureCookieSessionInterface):
    """Only the console has sessions: API requests skip the signed cookie altogether."""

    def open_session(self, app: Any, request: Any) -> Any:
        if not request.path.startswith(blp.url_prefix or "/console"):
            return None  # Flask then uses a null session, which is never saved
        return super().open_session(app, request)


def init_app(app: Any) -> None:
    app.session_interface = ConsoleOnlySessions()
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only console forms, not the API
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["SETTINGS"].is_production
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    csrf.init_app(app)
    # the customs pages join the blueprint before its first registration
    from api.console import customs  # noqa: F401

    app.register_blueprint(blp)


@blp.before_request
def _load_user() -> None:
    if request.method == "POST":
        csrf.protect()
    # the console remembers the language chosen with ?lang= for the rest of the session
    if request.args.get("lang") in KNOWN_LOCALES:
        session["lang"] = request.args["lang"]
    elif session.get("lang") in KNOWN_LOCALES:
        g.request_locale = session["lang"]
        refresh()
    g.console_user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = get_session().get(User, user_id)
        # a cookie from before a sign-out, password change, disable or role change is
        # refused: its session version is no longer the user's
        if (
            user is not None
            and not user.disabled
            and session.get("session_version") == user.session_version
        ):
            g.console_user = user
        else:
            session.clear()


@blp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONSOLE_CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.cache_control.no_store = True
    return response


@blp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "user": g.get("console_user"),
        "current_lang": current_locale(),
        "locales": [(code, native_name(code)) for code in KNOWN_LOCALES],
        "Role": Role,
        "ROLE_LABELS": ROLE_LABELS,
        "STATUS_LABELS": STATUS_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "format_wait": lambda minutes: format_wait(minutes, current_locale()),
    }


def signed_in(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user: User | None = g.console_user
            if user is None:
                return redirect(url_for("console.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def actor() -> Actor:
    return Actor.for_user(g.console_user)


# -- sign in ------------------------------------------------------------------------


@blp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        db = get_session()
        try:
            credentials = forms.load(
                TokenIn(),
                {name: request.form.get(name, "") for name in ("email", "password")},
                form=request.form,
                fields=("email", "password"),
            )
        except Refused as refusal:
            forms.flash_refusal(refusal.errors)
            return render_template("console/login.html", errors=refusal.errors), refusal.status
        email = credentials["email"]
        guard, ip = sign_in_guard(), client_ip()
        refused = guard.refusal(ip, email)
        if refused is not None:
            flash(_("Too many wrong passwords. Wait a little and try again."), "error")
            return render_template("console/login.html"), 429, refused
        user = accounts.authenticate_user(db, email=email, password=credentials["password"])
        if user is None and guard.failed(ip, email):
            accounts.record_lockout(db, email=email)
        db.commit()
        if user is None:
            flash(_("Wrong email or password, or the account is locked for a while."), "error")
            return render_template("console/login.html"), 401
        session.clear()
        session.permanent = True
        session["user_id"] = user.id
        session["session_version"] = user.session_version
        target = request.args.get("next", "")
        if not target.startswith("/console"):
            target = url_for("console.home")
        return redirect(target)
    return render_template("console/login.html")


@blp.post("/logout")
def logout() -> Any:
    """Sign out here and everywhere else: every session and token of the user ends."""
    user: User | None = g.console_user
    if user is not None:
        db = get_session()
        accounts.sign_out(db, user=user)
        db.commit()
    session.clear()
    return redirect(url_for("console.login"))


@blp.get("/")
@signed_in()
def home() -> Any:
    if g.console_user.role == Role.BORDER_OFFICER:
        return redirect(url_for("console.board"))
    return redirect(url_for("console.campaign_list"))


# -- campaigns ----------------------------------------------------------------------


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
        db = get_session()
        shown = {"slug": "slug", "countries": "countries"}
        try:
            data, _paths = _campaign_data(request.form)
            data["slug"] = request.form.get("slug", "").strip()
            body = forms.load(CampaignCreateIn(), data, form=request.form, fields=shown)
            campaign = campaigns.create(db, actor=actor(), slug=body.pop("slug"), fields=body)
            db.commit()
        except (Refused, Invalid) as error:
            db.rollback()
            refusal = forms.refused(error, shown)
            forms.flash_refusal(refusal.errors)
            return render_template(
                "console/campaign_new.html", errors=refusal.errors
            ), refusal.status
        except DomainError as error:
            db.rollback()
            flash(_error_text(error), "error")
            return render_template("console/campaign_new.html", errors={}), error.status
        return redirect(url_for("console.campaign_edit", slug=campaign.slug))
    return render_template("console/campaign_new.html", errors={})


@blp.route("/campaigns/<slug>", methods=["GET", "POST"])
@signed_in(*EDITORS)
def campaign_edit(slug: str) -> Any:
    db = get_session()
    campaign = _campaign_or_404(slug)
    tab = request.args.get("tab", "ru") if request.args.get("tab") in KNOWN_LOCALES else "ru"
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
            if path in ("priority", "countries") or name.startswith(f"{tab}-")
        }
        try:
            body = forms.load(CampaignIn(), data, form=request.form, fields=shown)
            version = _version(request.form)
            campaigns.update(
                db,
                actor=actor(),
                campaign=campaign,
                expected_version=version,
                fields=body,
            )
            db.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("console.campaign_edit", slug=slug, tab=tab))
        except PreconditionFailed:
            db.rollback()
            campaign = _campaign_or_404(slug)
            flash(
                _(
                    "Someone else saved this campaign after you opened it. Your changes are "
                    "below but were not saved: copy what you need, then reload."
                ),
                "error",
            )
            status = 409
        except (Refused, Invalid) as error:
            db.rollback()
            campaign = _campaign_or_404(slug)
            refusal = forms.refused(error, shown)
            errors = refusal.errors
            forms.flash_refusal(errors)
            status = refusal.status
        except DomainError as error:
            db.rollback()
            campaign = _campaign_or_404(slug)
            flash(_error_text(error), "error")
            status = error.status
    reference = "en" if tab == "ru" else "ru"
    return render_template(
        "console/campaign_edit.html",
        campaign=campaign,
        tab=tab,
        reference=reference,
        missing=campaigns.completeness(campaign),
        form=request.form if status != 200 else None,
        errors=errors,
        actions=_allowed_actions(campaign.status),
    ), status


@blp.post("/campaigns/<slug>/actions")
@signed_in(*EDITORS)
def campaign_action(slug: str) -> Any:
    db = get_session()
    campaign = _campaign_or_404(slug)
    try:
        campaigns.transition(
            db,
            actor=actor(),
            campaign=campaign,
            action=request.form.get("action", ""),
            require_complete=current_app.config["SETTINGS"].campaigns_require_all_locales,
        )
        db.commit()
        status = _(STATUS_LABELS[campaign.status]).lower()
        flash(_("Done: the campaign is now %(status)s.", status=status), "ok")
    except DomainError as error:
        db.rollback()
        flash(_error_text(error), "error")
    return redirect(url_for("console.campaign_edit", slug=slug))


@blp.post("/campaigns/<slug>/schedule")
@signed_in(*PUBLISHERS)
def campaign_schedule(slug: str) -> Any:
    db = get_session()
    campaign = _campaign_or_404(slug)
    shown = ("publish_at", "unpublish_at")
    try:
        body = forms.load(
            ScheduleIn(),
            {name: forms.utc_datetime(request.form.get(name, "")) for name in shown},
            form=request.form,
            fields=shown,
        )
        campaigns.schedule(db, actor=actor(), campaign=campaign, **body)
        db.commit()
        flash(_("Schedule saved."), "ok")
    except (Refused, Invalid) as error:
        db.rollback()
        refusal = forms.refused(error, shown)
        forms.flash_refusal(refusal.errors)
        campaign = _campaign_or_404(slug)
        return render_template(
            "console/campaign_edit.html",
            campaign=campaign,
            tab="ru",
            reference="en",
            missing=campaigns.completeness(campaign),
            form=None,
            errors=refusal.errors,
            schedule=request.form,
            actions=_allowed_actions(campaign.status),
        ), refusal.status
    except DomainError as error:
        db.rollback()
        flash(_error_text(error), "error")
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
            flash(_error_text(error), "error")
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
        campaigns.restore(
            db,
            actor=actor(),
            campaign=campaign,
            number=number,
            expected_version=_version(request.form),
        )
        db.commit()
        flash(_("Revision %(number)s restored as a new revision.", number=number), "ok")
    except (Refused, Invalid) as error:
        db.rollback()
        refusal = forms.refused(error, ())
        forms.flash_refusal(refusal.errors)
        campaign = _campaign_or_404(slug)
        return render_template(
            "console/revisions.html",
            campaign=campaign,
            revisions=campaigns.revisions(db, campaign),
            lines=[],
            old=None,
            new=None,
        ), refusal.status
    except DomainError as error:
        db.rollback()
        flash(_error_text(error), "error")
    return redirect(url_for("console.campaign_edit", slug=slug))


# -- the border officer's board -----------------------------------------------------


@blp.get("/board")
@signed_in(Role.BORDER_OFFICER, Role.ADMIN)
def board() -> Any:
    return _board_page(None, None, None)


def _board_page(refusal: Refused | None, checkpoint_id: str | None, form: str | None) -> Any:
    """The board; after a refused post, that form's problems beside its fields (422)."""
    user: User = g.console_user
    country = user.country if user.role == Role.BORDER_OFFICER else request.args.get("country")
    states = checkpoints.list_(get_session(), filters=CheckpointFilter(country=country))
    return render_template(
        "console/board.html",
        states=states,
        country=country,
        refused={"checkpoint": checkpoint_id, "form": form, "errors": refusal.errors}
        if refusal
        else None,
        values=request.form if refusal else {},
        State=State,
        Reason=Reason,
        Lane=Lane,
        Direction=Direction,
        STATE_LABELS=STATE_LABELS,
        REASON_LABELS=REASON_LABELS,
        LANE_LABELS=LANE_LABELS,
        DIRECTION_LABELS=DIRECTION_LABELS,
    ), (refusal.status if refusal else 200)


@blp.post("/board/<checkpoint_id>/status")
@signed_in(Role.BORDER_OFFICER)
def board_status(checkpoint_id: str) -> Any:
    db = get_session()
    shown = ("state", "reason", "message")
    data: dict[str, Any] = {"state": request.form.get("state", "")}
    data["reason"] = request.form.get("reason") or None
    data["message"] = request.form.get("message", "").strip() or None
    try:
        status = forms.load(StatusIn(), data, form=request.form, fields=shown)
        checkpoints.set_status(
            db, actor=actor(), poster=_officer_poster(), checkpoint_id=checkpoint_id, **status
        )
        db.commit()
        flash(_("Status posted."), "ok")
    except (Refused, Invalid) as error:
        db.rollback()
        refusal = forms.refused(error, shown)
        forms.flash_refusal(refusal.errors)
        return _board_page(refusal, checkpoint_id, "status")
    except DomainError as error:
        db.rollback()
        flash(_error_text(error), "error")
    return redirect(url_for("console.board"))


@blp.post("/board/<checkpoint_id>/queues")
@signed_in(Role.BORDER_OFFICER)
def board_queue(checkpoint_id: str) -> Any:
    db = get_session()
    shown = ("direction", "lane", "wait_minutes")
    # the service names a report's problems by its place in the batch: this form sends one
    paths = {**{name: name for name in shown}, **{f"reports.0.{name}": name for name in shown}}
    data: dict[str, Any] = {name: request.form.get(name, "") for name in ("direction", "lane")}
    if request.form.get("wait_minutes", "").strip():
        data["wait_minutes"] = forms.whole_number(request.form["wait_minutes"])
    try:
        queue = forms.load(QueueReportSchema(only=shown), data, form=request.form, fields=shown)
        checkpoints.record_queues(
            db,
            actor=actor(),
            poster=_officer_poster(),
            reports=[
                QueueReportIn(checkpoint_id=checkpoint_id, observed_at=datetime.now(UTC), **queue)
            ],
        )
        db.commit()
        flash(_("Queue time posted."), "ok")
    except (Refused, Invalid) as error:
        db.rollback()
        refusal = forms.refused(error, paths)
        forms.flash_refusal(refusal.errors)
        return _board_page(refusal, checkpoint_id, "queues")
    except DomainError as error:
        db.rollback()
        flash(_error_text(error), "error")
    return redirect(url_for("console.board"))


# -- admin --------------------------------------------------------------------------


@blp.route("/users", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def users() -> Any:
    db = get_session()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        shown = ("email", "password", "role", "country")
        data: dict[str, Any] = {name: request.form.get(name, "") for name in shown}
        data["email"] = data["email"].strip().lower()
        data["country"] = data["country"].strip().upper() or None
        try:
            body = forms.load(UserCreateIn(), data, form=request.form, fields=shown)
            accounts.create_user(db, actor=actor(), **body)
            db.commit()
            flash(_("User created."), "ok")
        except (Refused, Invalid) as error:
            db.rollback()
            refusal = forms.refused(error, shown)
            errors, status = refusal.errors, refusal.status
            forms.flash_refusal(errors)
        except DomainError as error:
            db.rollback()
            flash(_error_text(error), "error")
            status = error.status
    return render_template(
        "console/users.html",
        users=accounts.list_users(db),
        roles=list(Role),
        errors=errors,
        values=request.form if errors else {},
    ), status


@blp.post("/users/<id:user_id>/disable")
@signed_in(Role.ADMIN)
def user_disable(user_id: int) -> Any:
    return _user_action(user_id, "disable")


@blp.post("/users/<id:user_id>/enable")
@signed_in(Role.ADMIN)
def user_enable(user_id: int) -> Any:
    return _user_action(user_id, "enable")


@blp.post("/users/<id:user_id>/role")
@signed_in(Role.ADMIN)
def user_role(user_id: int) -> Any:
    return _user_action(user_id, "role")


@blp.post("/users/<id:user_id>/sign-out")
@signed_in(Role.ADMIN)
def user_sign_out(user_id: int) -> Any:
    return _user_action(user_id, "sign_out")


def _user_action(user_id: int, action: str) -> Any:
    """Disable, enable, change the role of, or sign out everywhere a user; audited.
    Each ends the user's sessions and tokens (an admin acting on themselves signs in again)."""
    db = get_session()
    try:
        target = accounts.get_user_or_raise(db, user_id)
        if action == "disable":
            accounts.set_disabled(db, actor=actor(), user=target, disabled=True)
            flash(_("User disabled: their sessions and tokens have ended."), "ok")
        elif action == "enable":
            accounts.set_disabled(db, actor=actor(), user=target, disabled=False)
            flash(_("User enabled."), "ok")
        elif action == "role":
            role = Role(request.form.get("role", ""))
            country = request.form.get("country") or None
            accounts.set_role(db, actor=actor(), user=target, role=role, country=country)
            flash(_("Role changed: their sessions and tokens have ended."), "ok")
        else:
            accounts.sign_out_everywhere(db, actor=actor(), user=target)
            flash(_("Signed out everywhere: their sessions and tokens have ended."), "ok")
        db.commit()
    except ValueError:
        db.rollback()
        flash(_("Choose a role."), "error")
    except DomainError as error:
        db.rollback()
        flash(_error_text(error), "error")
    return redirect(url_for("console.users"))


@blp.route("/agencies", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def agencies() -> Any:
    db = get_session()
    new_key = None
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        shown = ("name", "country")
        try:
            if "revoke" in request.form:
                revoke = forms.load(
                    AgencyRevokeIn(),
                    {"revoke": forms.whole_number(request.form["revoke"])},
                    form=request.form,
                    fields=(),
                )
                agency = accounts.get_agency_or_raise(db, revoke["revoke"])
                accounts.revoke_keys(db, actor=actor(), agency=agency)
                flash(_("Keys revoked."), "ok")
            else:
                body = forms.load(
                    AgencyCreateIn(),
                    {
                        "name": request.form.get("name", "").strip(),
                        "country": request.form.get("country", "").strip().upper(),
                    },
                    form=request.form,
                    fields=shown,
                )
                agency = accounts.create_agency(db, actor=actor(), **body)
                _key, new_key = accounts.issue_key(db, actor=actor(), agency=agency)
            db.commit()
        except (Refused, Invalid) as error:
            db.rollback()
            refusal = forms.refused(error, shown)
            errors, status = refusal.errors, refusal.status
            forms.flash_refusal(errors)
        except DomainError as error:
            db.rollback()
            flash(_error_text(error), "error")
            status = error.status
    return render_template(
        "console/agencies.html",
        agencies=accounts.list_agencies(db),
        new_key=new_key,
        errors=errors,
        values=request.form if errors else {},
    ), status


@blp.get("/audit")
@signed_in(Role.ADMIN)
def audit() -> Any:
    return render_template("console/audit.html", entries=accounts.audit_log(get_session()))


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
        if name == "priority":
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


def _officer_poster() -> Poster:
    user: User = g.console_user
    return Poster(agency_id=None, country=user.country or "")


def _error_text(error: DomainError) -> str:
    text = _(error.message, **localized(error.params))
    if isinstance(error, Invalid):
        details = "; ".join(_(p.message, **localized(p.params)) for p in error.problems)
        text = f"{text} {details}".strip()
    return text
