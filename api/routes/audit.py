"""The audit log: who changed what, when, before and after (admins)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import require_role
from api.db import get_session
from api.routes import USER_SECURITY, declare_errors
from api.schemas.audit import AuditListOut
from content.accounts import service as accounts
from content.accounts.models import Role

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/v1/admin/audit",
    description="For admins: who changed what, when, before and after. "
    "`Authorization: Bearer <token>` from POST /v1/auth/tokens.",
)


@blp.route("")
class AdminAudit(MethodView):
    @blp.response(200, AuditListOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """The latest changes: who, what, when, before and after (admins)"""
        require_role(Role.ADMIN)
        return {"items": accounts.audit_log(get_session())}
