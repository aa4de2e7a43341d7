"""Agencies held to freshness: how steadily each border service keeps its queues current
(admins see every agency, a border officer their country's, an agency key its own)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import require_staff_or_agency, staff_or_agency
from api.db import get_session
from api.i18n import current_locale
from api.routes import declare_errors
from api.schemas.accounts import FreshnessArgs, FreshnessOut
from content.accounts.models import Role
from content.checkpoints import freshness
from content.db import utcnow
from content.locales import pick

blp = Blueprint(
    "agencies",
    __name__,
    url_prefix="/v1/admin/agencies",
    description="Border services' reporting: `Authorization: Bearer <token>` from "
    "POST /v1/auth/tokens (admins, border officers), or an agency's key.",
)


def present_report(report: freshness.FreshnessReport, *, locale: str) -> dict[str, Any]:
    return {
        "days": report.days,
        "hours": report.hours,
        "start": report.start,
        "end": report.end,
        "items": [
            {
                "id": item.agency.id,
                "name": item.agency.name,
                "country": item.agency.country,
                "checkpoints": [
                    {
                        "id": c.checkpoint.id,
                        "name": pick(c.checkpoint.names, locale, c.checkpoint.id),
                        "fresh_hours": c.fresh_hours,
                        "fresh_share": c.fresh_share,
                        "last_report_at": c.last_report_at,
                    }
                    for c in item.checkpoints
                ],
                "fresh_share": item.fresh_share,
                "median_report_age_minutes": item.median_report_age_minutes,
                "reports": item.reports,
                "last_report": item.last_report,
            }
            for item in report.items
        ],
    }


@blp.route("/freshness")
class AgencyFreshness(MethodView):
    @staff_or_agency(Role.ADMIN, Role.BORDER_OFFICER)
    @blp.arguments(FreshnessArgs, location="query")
    @blp.response(200, FreshnessOut)
    @blp.doc(security=[{"userToken": []}, {"agencyKey": []}])
    @declare_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """How freshly each agency reports its queues

        Per agency: its checkpoints, the share of their hours in the last `days` days that
        its own reports kept fresh (an hour is fresh when a report observed in it or the
        hour before was posted by its end), the median age of its reports when posted, and
        its newest report. Admins see every agency, a border officer their own country's,
        an agency's key only that agency; editors and publishers are refused.
        ---
        The window is whole UTC hours, ending at the start of the current hour. Reports
        by border officers on the console name no agency and count for none.
        """
        actor, poster = require_staff_or_agency()
        session = get_session()
        agencies = freshness.visible_agencies(session, actor=actor, poster=poster)
        report = freshness.agencies_report(
            session, agencies=agencies, days=args["days"], now=utcnow()
        )
        return present_report(report, locale=current_locale())
