"""Push to travellers' phones, for publishers: broadcasts and delivery statistics."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import authorize, require_role
from api.db import get_session
from api.idempotency import commits
from api.routes import USER_SECURITY, declare_errors
from api.schemas.push import BroadcastIn, BroadcastOut, PushStatsOut
from content.accounts.models import PUBLISHERS
from push import outbox

blp = Blueprint(
    "push",
    __name__,
    url_prefix="/v1/admin/push",
    description="For publishers: broadcasts in every language and delivery statistics. "
    "`Authorization: Bearer <token>` from POST /v1/auth/tokens.",
)


@blp.route("/broadcasts")
class AdminBroadcasts(MethodView):
    @authorize(*PUBLISHERS)
    @commits
    @blp.arguments(BroadcastIn)
    @blp.response(201, BroadcastOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 413, 415, 422)
    def post(self, body: dict[str, Any]) -> Any:
        """Send (or with `dry_run`, preview) a push message in every language

        Each language's text goes to that language's audience: all devices, the followers
        of a country's checkpoints, or of one checkpoint. `send_at` schedules it.

        Two steps: a dry run checks the request and shows the audience; the send must
        repeat its total as `confirm_audience` (422, naming the current total, when it
        differs). At most five broadcasts go out in 24 hours. Every send is audited.
        """
        actor = require_role(*PUBLISHERS)
        session = get_session()
        if body.get("dry_run"):
            _, audience = outbox.check_broadcast(
                session,
                target=body["target"],
                target_id=body.get("target_id"),
                send_at=body.get("send_at"),
            )
            return {
                "id": None,
                "dry_run": True,
                "audience": audience,
                "audience_total": sum(audience.values()),
                "send_at": body.get("send_at"),
            }
        broadcast, total = outbox.create_broadcast(
            session,
            actor=actor,
            texts=body["texts"],
            target=body["target"],
            target_id=body.get("target_id"),
            send_at=body.get("send_at"),
            confirm_audience=body.get("confirm_audience"),
        )
        return {
            "id": broadcast.id,
            "dry_run": False,
            "audience": outbox.audience_size(session, broadcast.target, broadcast.target_id),
            "audience_total": total,
            "send_at": broadcast.send_at,
        }


@blp.route("/stats")
class AdminPushStats(MethodView):
    @blp.response(200, PushStatsOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """Queued, sent, retried, dead, pruned and capped messages per day and kind; the backlog"""
        require_role(*PUBLISHERS)
        session = get_session()
        return {"days": outbox.daily_stats(session), **outbox.backlog(session)}
