"""Drug-awareness campaigns, as travellers read them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.cache import cached_read, note_valid_until
from api.db import get_session
from api.i18n import current_locale
from api.routes import declare_errors, declare_not_modified
from api.schemas.campaigns import CampaignListArgs, CampaignListOut, CampaignOut
from api.schemas.common import QueryArgs
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign
from content.db import utcnow
from content.errors import N_, NotFound

blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/v1/campaigns",
    description="Public information campaigns about illicit drugs, in the reader's language.",
)


def present_campaign(campaign: Campaign, locale: str, *, full: bool) -> dict[str, Any] | None:
    localized = campaigns.localize(campaign, locale)
    if localized is None:
        return None
    t = localized.translation
    image = None
    if t.image_id is not None:
        image = url_for("images.image", image_id=t.image_id, _external=False)
    item: dict[str, Any] = {
        "slug": campaign.slug,
        "locale": localized.locale,
        "title": t.title,
        "summary": t.summary,
        "image_url": image,
        "image_alt": t.image_alt,
        "call_to_action": (
            {"label": t.cta_label, "url": t.cta_url} if t.cta_label and t.cta_url else None
        ),
        "priority": campaign.priority,
        "countries": campaign.countries,
        "checkpoints": campaign.checkpoints,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "demo": campaign.demo,
    }
    if full:
        item["body_html"] = campaigns.render_markdown(t.body)
        item["body_markdown"] = t.body
        item["sources"] = campaign.sources
    return item


@blp.route("")
class CampaignList(MethodView):
    @cached_read
    @blp.arguments(CampaignListArgs, location="query")
    @blp.response(200, CampaignListOut)
    @declare_not_modified(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Published campaigns running now

        Filter by `country` and `checkpoint`. Each item says which `locale` it is in: a
        missing translation falls back along kk, ky, tg, tk, uz → ru → en.
        """
        locale = current_locale()
        note_valid_until(utcnow() + timedelta(minutes=1))  # campaigns start and end on time
        found = campaigns.public(
            get_session(), country=args.get("country"), checkpoint=args.get("checkpoint")
        )
        items = [present_campaign(c, locale, full=False) for c in found]
        return {"items": [i for i in items if i], "as_of": utcnow()}


@blp.route("/<string:slug>")
class CampaignDetail(MethodView):
    @cached_read
    @blp.arguments(QueryArgs, location="query")
    @blp.response(200, CampaignOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, _args: dict[str, Any], slug: str) -> dict[str, Any]:
        """One published campaign, with its body as sanitised HTML and as Markdown

        Drafts, scheduled and archived campaigns answer 404.
        """
        note_valid_until(utcnow() + timedelta(minutes=1))
        campaign = campaigns.get_public(get_session(), slug)
        item = present_campaign(campaign, current_locale(), full=True)
        if item is None:
            raise NotFound(N_("No campaign %(slug)s."), slug=slug)
        return item
