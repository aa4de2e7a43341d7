"""Console pages for admins: users and their roles, agencies and their keys, the audit log."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.console import actor, blp, forms, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.schemas.accounts import AgencyCreateIn, AgencyRevokeIn, UserCreateIn
from content.accounts import service as accounts
from content.accounts.models import Role


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
            with saving(shown):
                body = forms.load(UserCreateIn(), data, form=request.form, fields=shown)
                accounts.create_user(db, actor=actor(), **body)
            flash(_("User created."), "ok")
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
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
    if action == "role" and request.form.get("role") not in set(Role):
        flash(_("Choose a role."), "error")
        return redirect(url_for("console.users"))
    try:
        with saving():
            target = accounts.get_user_or_raise(db, user_id)
            if action == "disable":
                accounts.set_disabled(db, actor=actor(), user=target, disabled=True)
                done = _("User disabled: their sessions and tokens have ended.")
            elif action == "enable":
                accounts.set_disabled(db, actor=actor(), user=target, disabled=False)
                done = _("User enabled.")
            elif action == "role":
                role = Role(request.form["role"])
                country = request.form.get("country") or None
                accounts.set_role(db, actor=actor(), user=target, role=role, country=country)
                done = _("Role changed: their sessions and tokens have ended.")
            else:
                accounts.sign_out_everywhere(db, actor=actor(), user=target)
                done = _("Signed out everywhere: their sessions and tokens have ended.")
        flash(done, "ok")
    except Refused:
        pass  # its alert is up
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
        done: str | None = None
        try:
            with saving(shown):
                if "revoke" in request.form:
                    revoke = forms.load(
                        AgencyRevokeIn(),
                        {"revoke": forms.whole_number(request.form["revoke"])},
                        form=request.form,
                        fields=(),
                    )
                    agency = accounts.get_agency_or_raise(db, revoke["revoke"])
                    accounts.revoke_keys(db, actor=actor(), agency=agency)
                    done = _("Keys revoked.")
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
            if done:
                flash(done, "ok")
        except Refused as refusal:
            errors, status = refusal.errors, refusal.status
            new_key = None
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
