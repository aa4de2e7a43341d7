"""Console pages: sign in, sign out, and the start page of each role."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from api.console import blp, forms, saving, signed_in
from api.console.forms import Refused
from api.db import get_session
from api.limits import client_ip, sign_in_guard
from api.schemas.auth import TokenIn
from content.accounts import service as accounts
from content.accounts.models import Role, User


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
        # a failed sign-in is saved too: its audit entry
        with saving():
            user = accounts.authenticate_user(db, email=email, password=credentials["password"])
            if user is None and guard.failed(ip, email):
                accounts.record_lockout(db, email=email)
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
        with saving():
            accounts.sign_out(get_session(), user=user)
    session.clear()
    return redirect(url_for("console.login"))


@blp.get("/")
@signed_in()
def home() -> Any:
    if g.console_user.role == Role.BORDER_OFFICER:
        return redirect(url_for("console.board"))
    return redirect(url_for("console.campaign_list"))
