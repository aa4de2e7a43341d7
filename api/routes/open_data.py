"""Open data: what is published, and the hourly official queue waits as CSV (CC BY 4.0)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_babel import gettext
from flask_smorest import Blueprint

from api.cache import cached_read
from api.db import get_session
from api.routes import declare_errors, declare_not_modified
from api.schemas.common import QueryArgs
from api.schemas.open_data import OpenDataOut, QueuesCsvArgs
from content.checkpoints import open_data
from content.errors import N_

blp = Blueprint(
    "open_data",
    __name__,
    url_prefix="/v1",
    description="Open data: hourly official queue waits, free to reuse under CC BY 4.0.",
)

QUEUES_TITLE = N_("Hourly queue waits at border checkpoints")
QUEUES_DESCRIPTION = N_(
    "For each checkpoint, direction and lane, every hour with an official report: how many "
    "reports, and the shortest, median and longest wait in minutes. Only the figures border "
    "services posted; never travellers' reports. Demo data is marked in the demo column."
)
#: the licence as a link relation (RFC 8288, RFC 4946), on every download
LICENCE_LINK = f'<{open_data.LICENCE_URL}>; rel="license"'
COLUMN_TYPES = {
    "checkpoint": ("string", None),
    "direction": ("string", None),
    "lane": ("string", None),
    "hour_start_utc": ("datetime", None),
    "reports": ("integer", None),
    "min_minutes": ("integer", "minutes"),
    "median_minutes": ("number", "minutes"),
    "max_minutes": ("integer", "minutes"),
    "demo": ("boolean", None),
}
CSV_RESPONSE = {
    "description": "CSV with a header row",
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "headers": {
        "Content-Disposition": {
            "description": "attachment, with a file name naming the checkpoint and range",
            "schema": {"type": "string"},
        },
        "Link": {
            "description": f"The licence: {LICENCE_LINK}",
            "schema": {"type": "string"},
        },
    },
}


@blp.route("/open-data")
class OpenDataIndex(MethodView):
    @cached_read
    @blp.arguments(QueryArgs, location="query")
    @blp.response(200, OpenDataOut)
    @declare_not_modified(blp)
    def get(self, _args: dict[str, Any]) -> dict[str, Any]:
        """What open data is published, its columns and its licence

        Every dataset is free to reuse under CC BY 4.0: credit it as `attribution` says.
        """
        return {
            "datasets": [
                {
                    "id": "queues",
                    "title": gettext(QUEUES_TITLE),
                    "description": gettext(QUEUES_DESCRIPTION),
                    "format": "text/csv",
                    "url_template": "/v1/open-data/queues.csv{?checkpoint,from,to}",
                    "parameters": {
                        "checkpoint": "a checkpoint id from /v1/checkpoints",
                        "from": "ISO 8601 date and time with offset, inclusive",
                        "to": "ISO 8601 date and time with offset, exclusive",
                    },
                    "max_range_days": open_data.MAX_RANGE_DAYS,
                    "columns": [
                        {"name": name, "type": kind, "unit": unit}
                        for name, (kind, unit) in COLUMN_TYPES.items()
                    ],
                }
            ],
            "licence": {
                "id": open_data.LICENCE_ID,
                "name": open_data.LICENCE_NAME,
                "url": open_data.LICENCE_URL,
            },
            "attribution": gettext(open_data.ATTRIBUTION, service=open_data.SERVICE_NAME),
        }


@blp.route("/open-data/queues.csv")
class QueuesCsv(MethodView):
    @cached_read
    @blp.arguments(QueuesCsvArgs, location="query")
    @blp.response(200, description="CSV with a header row", content_type="text/csv")
    @blp.doc(responses={"200": CSV_RESPONSE})
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, args: dict[str, Any]) -> Response:
        """Hourly official queue waits of one checkpoint, as CSV (CC BY 4.0)

        One row per direction, lane and hour with an official report in [`from`, `to`),
        at most 31 days: `checkpoint, direction, lane, hour_start_utc, reports,
        min_minutes, median_minutes, max_minutes, demo`. Travellers' reports are never
        included; demo rows say `demo` true. The licence is in the `Link` header.
        ---
        Served from the same cache as every public read (ETag, 304); a range that has
        not ended yet changes when a report arrives, as any read does.
        """
        start, end = args["from_"], args["to"]
        rows = open_data.queue_hours(
            get_session(), checkpoint_id=args["checkpoint"], start=start, end=end
        )
        stamp = "%Y%m%dT%H%M%SZ"
        name = (
            f"queues-{args['checkpoint']}-{start.astimezone(UTC).strftime(stamp)}"
            f"-{end.astimezone(UTC).strftime(stamp)}.csv"
        )
        response = Response(open_data.queue_csv(rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Link"] = LICENCE_LINK
        return response
