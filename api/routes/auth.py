"""Sign-in tokens for the console's users (editors, publishers, admins), who send
them as `Authorization: Bearer <token>` to /v1/admin."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import UserTokenRequired, current_user
from api.db import get_session
from api.idempotency import commits
from api.limits import Throttled, client_ip, sign_in_guard
from api.routes import USER_SECURITY, declare_errors
from api.schemas.auth import TokenIn, TokenOut
from content.accounts import service as accounts

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/v1/auth",
    description="Sign in and out: the bearer token that editors, publishers and admins send "
    "to /v1/admin as `Authorization: Bearer <token>`.",
)


@blp.route("/tokens")
class Tokens(MethodView):
    @commits
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    @declare_errors(blp, 400, 401, 413, 415, 429)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Sign in: exchange an email and password for a bearer token (12 hours)

        Five wrong passwords for an account from one client IP refuse that IP for the
        account for 15 minutes (429); so do 20 wrong passwords from one client IP, for
        any account. The token ends at sign-out, a password change, a disable or a role
        change.
        """
        session = get_session()
        guard, ip = sign_in_guard(), client_ip()
        refused = guard.refusal(ip, body["email"])
        if refused is not None:
            raise Throttled(refused)
        user = accounts.authenticate_user(session, email=body["email"], password=body["password"])
        if user is None:
            if guard.failed(ip, body["email"]):
                accounts.record_lockout(session, email=body["email"])
            session.commit()  # keep the audit entry even though we refuse
            raise UserTokenRequired()
        token, raw = accounts.issue_token(session, user=user)
        return {"token": raw, "expires_at": token.expires_at, "role": user.role.value}


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @commits
    @blp.response(204)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401)
    def delete(self) -> None:
        """Sign out: revoke the token this request carries, at once"""
        current_user()
        raw = request.headers["Authorization"].partition(" ")[2].strip()
        accounts.revoke_token(get_session(), raw)
