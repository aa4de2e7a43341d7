"""Campaigns as readers see them: the public API serves them so, and the console's
preview shows an editor's unsaved texts the same way."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import url_for

from content.campaigns import service as campaigns
from content.campaigns.models import Campaign, CampaignTranslation


def present_texts(
    translation: CampaignTranslation | campaigns.TranslationView, *, full: bool
) -> dict[str, Any]:
    """A translation's texts as a phone shows them: the image's address and description,
    the button when it has both a label and a link, and (when `full`) the body as
    sanitised HTML and as Markdown."""
    image = None
    if translation.image_id is not None:
        image = url_for("images.image", image_id=translation.image_id, _external=False)
    texts: dict[str, Any] = {
        "title": translation.title,
        "summary": translation.summary,
        "image_url": image,
        "image_alt": translation.image_alt,
        "call_to_action": (
            {"label": translation.cta_label, "url": translation.cta_url}
            if translation.cta_label and translation.cta_url
            else None
        ),
    }
    if full:
        texts["body_html"] = campaigns.render_markdown(translation.body)
        texts["body_markdown"] = translation.body
    return texts


def present_campaign(
    campaign: Campaign, locale: str, *, full: bool, outdated: Collection[str] = ()
) -> dict[str, Any] | None:
    """A campaign as a reader sees it in a locale (a language in `outdated` counts as
    missing); None when no language along its fallback chain is complete."""
    localized = campaigns.localize(campaign, locale, outdated=outdated)
    if localized is None:
        return None
    item: dict[str, Any] = {
        "slug": campaign.slug,
        "locale": localized.locale,
        **present_texts(localized.translation, full=full),
        "priority": campaign.priority,
        "countries": campaign.countries,
        "checkpoints": campaign.checkpoints,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "demo": campaign.demo,
    }
    if full:
        item["sources"] = campaign.sources
    return item
