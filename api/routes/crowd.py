"""Crowd reports: travellers say how long they waited at a checkpoint."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api import app_check
from api.auth import require_device_secret
from api.db import get_session
from api.idempotency import commits
from api.limits import CROWD_REPORTS, limiter
from api.routes import declare_errors
from api.schemas.crowd import CrowdReportIn, CrowdReportOut
from content.checkpoints import crowd

blp = Blueprint(
    "crowd",
    __name__,
    url_prefix="/v1",
    description="Travellers' own waits, shown beside the official figures, never instead "
    "of them. Authenticate with `Authorization: Device <secret>`.",
)


@blp.route("/checkpoints/<string:checkpoint_id>/crowd-reports")
class CrowdReports(MethodView):
    @limiter.limit(CROWD_REPORTS)
    @app_check.checked
    @commits
    @blp.arguments(CrowdReportIn)
    @blp.response(201, CrowdReportOut)
    @blp.doc(security=[{"deviceSecret": []}])
    @declare_errors(blp, 400, 401, 403, 404, 413, 415, 429)
    def post(self, body: dict[str, Any], checkpoint_id: str) -> Any:
        """Report how long you waited (travellers)

        Counted in the checkpoint's `crowd` figure once 3 distinct devices reported in
        the last 2 hours. Refused with 422, naming the reason: a position outside the
        geofence (5 km, plus the checkpoint location's accuracy radius), a crossing more
        than 2 hours ago, a second report for the same checkpoint and direction within
        30 minutes, or a device registered less than 10 minutes ago. A device blocked by
        a moderator gets 403.

        Send a Firebase App Check token in `X-Firebase-AppCheck`: where the service
        requires App Check, a request without one answers 401; a token that is not
        valid answers 403.
        ---
        The position is used for the geofence and discarded: only the distance bucket
        is stored. Limited to 10 reports an hour per client address.
        """
        device = require_device_secret()
        position = body["position"]
        return crowd.submit(
            get_session(),
            reporter=crowd.Reporter(device.id, device.created_at),
            checkpoint_id=checkpoint_id,
            direction=body["direction"],
            lane=body["lane"],
            waited_minutes=body["waited_minutes"],
            crossed_at=body["crossed_at"],
            latitude=position["lat"],
            longitude=position["lon"],
        )
