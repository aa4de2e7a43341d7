"""Crossings: which way into a country is quickest, door to door."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from api.cache import cached_read, note_valid_until
from api.db import get_session
from api.i18n import current_locale
from api.presenters.outlook import present_best_crossings
from api.routes import declare_errors, declare_not_modified
from api.schemas.crossings import BestCrossingArgs, BestCrossingsOut
from content.checkpoints import outlook
from content.db import utcnow

blp = Blueprint(
    "crossings",
    __name__,
    url_prefix="/v1",
    description="Crossings into a country, ranked by the total time of the trip.",
)


@blp.route("/crossings/best")
class BestCrossings(MethodView):
    @cached_read
    # webargs ignores unknown query parameters unless told otherwise, whatever the schema says
    @blp.arguments(BestCrossingArgs, location="query", unknown=ma.RAISE)
    @blp.response(200, BestCrossingsOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 422)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Rank the road crossings into a country by total time

        Each crossing is timed as a trip from `from`: the drive to the checkpoint, its exit
        queue on arrival, and its partner's entry queue once through, each expected at that
        moment. Drive times are estimated from the straight-line distance (`drive` says
        how); there is no routing. Crossings closed at arrival come last.
        ---
        Waits come from `content.checkpoints.outlook.expected_wait`: the current report,
        else the typical week, else unknown (null, ranked after known totals).
        """
        now = utcnow()
        # the current reports age and "now" moves on: the ranking is redone every minute
        note_valid_until(now + timedelta(minutes=1))
        depart_at = args.get("depart_at") or now
        lat, lon = args["from_"]
        best = outlook.best_crossings(
            get_session(),
            origin_lat=lat,
            origin_lon=lon,
            to_country=args["to"],
            lane=args["lane"],
            depart_at=depart_at,
            now=now,
        )
        return {
            **present_best_crossings(best, current_locale()),
            "depart_at": depart_at,
            "as_of": now,
        }
