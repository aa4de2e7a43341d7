"""Drug-awareness campaigns: as travellers read them, and as editors and publishers
write, schedule and publish them (with their images)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import authorize, require_role
from api.cache import cached_read, note_valid_until
from api.db import get_session
from api.etags import expected_version, version_etag
from api.i18n import current_locale
from api.idempotency import commits
from api.presenters.campaigns import present_campaign
from api.routes import (
    PO_RESPONSE,
    USER_SECURITY,
    declare_errors,
    declare_if_match,
    declare_not_modified,
    po_download,
    present_import,
)
from api.schemas.campaigns import (
    CampaignAdminListArgs,
    CampaignAdminListOut,
    CampaignAdminOut,
    CampaignCreateIn,
    CampaignIn,
    CampaignListArgs,
    CampaignListOut,
    CampaignOut,
    DiffArgs,
    DiffOut,
    ImageIn,
    ImageOut,
    RevisionListOut,
    ScheduleIn,
)
from api.schemas.common import QueryArgs
from api.schemas.translations import ExchangeFileIn, ImportOut
from content.accounts.models import EDITORS, PUBLISHERS, Role
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign
from content.db import utcnow
from content.errors import N_, NotFound
from content.translations import exchange
from content.translations import service as translations

blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/v1",
    description="Public information campaigns about illicit drugs, in the reader's language; "
    "editors and publishers write them under /v1/admin/campaigns with "
    "`Authorization: Bearer <token>` from POST /v1/auth/tokens.",
)


def outdated_locales(found: list[Campaign]) -> dict[str, set[str]]:
    """The languages readers are not served, by campaign slug: those with an outdated
    field, unless TRANSLATIONS_SERVE_OUTDATED."""
    if current_app.config["SETTINGS"].translations_serve_outdated or not found:
        return {}
    stale = translations.outdated(
        get_session(), translations.CAMPAIGN, [campaign.slug for campaign in found]
    )
    return {slug: set(by_locale) for slug, by_locale in stale.items()}


def present_admin(
    campaign: Campaign, states: dict[str, translations.LanguageState] | None = None
) -> dict[str, Any]:
    """A campaign as editors see it; `states` are its translation statuses when read
    already (a list reads them all at once)."""
    if states is None:
        states = translations.statuses(get_session(), campaign)
    return {
        "slug": campaign.slug,
        "status": campaign.status,
        "version": campaign.version,
        "priority": campaign.priority,
        "countries": campaign.countries,
        "checkpoints": campaign.checkpoints,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "publish_at": campaign.publish_at,
        "unpublish_at": campaign.unpublish_at,
        "demo": campaign.demo,
        "translations": dict(campaign.translations),
        "missing": campaigns.completeness(campaign),
        "reference_locale": campaign.reference_locale,
        "translation_status": translations.present(states),
    }


def _with_etag(campaign: Campaign) -> tuple[dict[str, Any], int, dict[str, str]]:
    return present_admin(campaign), 200, {"ETag": version_etag(campaign.version)}


def _change(
    slug: str,
    roles: frozenset[Role],
    verb: Callable[..., Campaign],
    *,
    if_match: bool = False,
    **options: Any,
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Change the campaign at `slug` through a service verb, as the caller (who needs one of
    `roles`), with the If-Match version when `if_match`; answer it with its new ETag."""
    actor = require_role(*roles)
    session = get_session()
    campaign = campaigns.get_or_raise(session, slug)
    if if_match:
        options["expected_version"] = expected_version()
    verb(session, actor=actor, campaign=campaign, **options)
    return _with_etag(campaign)


def _require_complete() -> bool:
    return bool(current_app.config["SETTINGS"].campaigns_require_all_locales)


def _note_campaigns_change(now: datetime) -> None:
    """A public campaign answer reads differently when a campaign starts or ends."""
    if (changes_at := campaigns.next_change(get_session(), now)) is not None:
        note_valid_until(changes_at)


@blp.route("/campaigns")
class CampaignList(MethodView):
    @cached_read
    @blp.arguments(CampaignListArgs, location="query")
    @blp.response(200, CampaignListOut)
    @declare_not_modified(blp)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Published campaigns running now

        Filter by `country` and `checkpoint`. Each item says which `locale` it is in: a
        missing translation falls back along kk, ky, tg, tk, uz → ru → en, and so does an
        outdated one (its reference text changed since it was confirmed) unless
        TRANSLATIONS_SERVE_OUTDATED is on.
        """
        locale = current_locale()
        now = utcnow()
        _note_campaigns_change(now)
        found = campaigns.public(
            get_session(), country=args.get("country"), checkpoint=args.get("checkpoint"), now=now
        )
        stale = outdated_locales(found)
        items = [
            present_campaign(c, locale, full=False, outdated=stale.get(c.slug, ())) for c in found
        ]
        return {"items": [i for i in items if i], "as_of": now}


@blp.route("/campaigns/<string:slug>")
class CampaignDetail(MethodView):
    @cached_read
    @blp.arguments(QueryArgs, location="query")
    @blp.response(200, CampaignOut)
    @declare_not_modified(blp)
    @declare_errors(blp, 404)
    def get(self, _args: dict[str, Any], slug: str) -> dict[str, Any]:
        """One published campaign, with its body as sanitised HTML and as Markdown

        Drafts, scheduled and archived campaigns answer 404. `locale` says which language
        is served: a missing or outdated translation falls back as in the list.
        """
        now = utcnow()
        _note_campaigns_change(now)
        campaign = campaigns.get_public(get_session(), slug, now=now)
        stale = outdated_locales([campaign]).get(slug, ())
        item = present_campaign(campaign, current_locale(), full=True, outdated=stale)
        if item is None:
            raise NotFound(N_("No campaign %(slug)s."), slug=slug)
        return item


@blp.route("/admin/campaigns")
class AdminCampaigns(MethodView):
    @blp.arguments(CampaignAdminListArgs, location="query")
    @blp.response(200, CampaignAdminListOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every campaign, with its status, what each language lacks and its translation
        status

        `outdated_in=tg`: only campaigns with an outdated field in that language.
        """
        require_role(*EDITORS)
        session = get_session()
        found = campaigns.list_(session, outdated_in=args.get("outdated_in"))
        states = translations.statuses_of(session, found)
        return {"items": [present_admin(c, states[c.slug]) for c in found]}

    @authorize(*EDITORS)
    @commits
    @blp.arguments(CampaignCreateIn)
    @blp.response(201, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 409, 413, 415)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a draft campaign"""
        actor = require_role(*EDITORS)
        slug = body.pop("slug")
        campaign = campaigns.create(get_session(), actor=actor, slug=slug, fields=body)
        return present_admin(campaign), 201, {"ETag": version_etag(campaign.version)}


@blp.route("/admin/campaigns/<string:slug>")
class AdminCampaign(MethodView):
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404)
    def get(self, slug: str) -> Any:
        """One campaign as editors see it; its ETag goes back in If-Match"""
        require_role(*EDITORS)
        return _with_etag(campaigns.get_or_raise(get_session(), slug))

    @authorize(*EDITORS)
    @commits
    @blp.arguments(CampaignIn, required=False)  # every field is optional
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 400, 401, 403, 404, 409, 412, 413, 415, 428)
    def patch(self, body: dict[str, Any], slug: str) -> Any:
        """Change a campaign; needs If-Match with the ETag you read (428 without, 412 if stale)

        A changed text becomes a draft in its language; a changed text of the reference
        language (`reference_locale`) marks that field outdated in every other language
        that has it, unless `minor_edit` is true.
        """
        return _change(slug, EDITORS, campaigns.update, if_match=True, fields=body)


@blp.route("/admin/campaigns/<string:slug>/translations/<string:locale>/confirm")
class AdminCampaignConfirm(MethodView):
    @commits
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, slug: str, locale: str) -> Any:
        """Confirm a language's translation: its fields become up_to_date, confirmed
        against the reference text as it is now; needs If-Match

        ---
        `locale` is one of en, ru, kk, ky, uz, tg, tk (404 otherwise). 409 for the
        reference language itself, or a language with no text.
        """
        return _change(slug, EDITORS, campaigns.confirm_translation, if_match=True, locale=locale)


@blp.route("/admin/campaigns/<string:slug>/translations/<string:locale>/review")
class AdminCampaignReview(MethodView):
    @commits
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, slug: str, locale: str) -> Any:
        """Mark a language's translation reviewed; needs If-Match

        ---
        Publishers and admins may review any text; an editor only one that someone else
        last wrote or confirmed (403 otherwise). `locale` is one of en, ru, kk, ky, uz, tg,
        tk (404 otherwise). 409 for a language with no text.
        """
        return _change(slug, EDITORS, campaigns.review_translation, if_match=True, locale=locale)


@blp.route("/admin/campaigns/<string:slug>/translations/<string:locale>/po")
class AdminCampaignExchange(MethodView):
    @commits  # the export is audited
    @blp.response(200, description=PO_RESPONSE["description"], content_type=exchange.CONTENT_TYPE)
    @blp.doc(security=USER_SECURITY, responses={"200": PO_RESPONSE})
    @declare_errors(blp, 401, 403, 404, 409)
    def get(self, slug: str, locale: str) -> Response:
        """Export a campaign for an outside translator: a PO file for one language

        One unit per text the reference language has: msgctxt `campaign/<slug>/<field>`,
        msgid the reference text, msgstr the language's text ("" when missing), and a note
        with the field's purpose, its length limit and its translation status. The header
        names the language, the campaign, its revision and its reference language.
        ---
        `locale` is one of en, ru, kk, ky, uz, tg, tk (404 otherwise); 409 for the
        reference language itself. Audited.
        """
        actor = require_role(*EDITORS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        return po_download(
            exchange.export_campaign(session, campaign, locale, actor=actor), f"{slug}-{locale}"
        )

    @authorize(*EDITORS)
    @commits
    @blp.arguments(ExchangeFileIn, location="files")
    @blp.response(200, ImportOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, files: dict[str, Any], slug: str, locale: str) -> dict[str, Any]:
        """Import a translator's PO file (multipart field `file`) into one language

        The translated units are saved as an editor's save would (a new revision, a new
        ETag) and become `draft`, ready for review. An empty msgstr leaves its text as it
        is. Fuzzy units, units whose msgid is no longer the reference text (it changed
        after the export) and units over their length limit are not imported: the answer
        lists them under `rejected`, the rest is imported.
        ---
        422 for a file that is not PO, is for another language or is not a campaign's
        exchange file, and when units were rejected and none could be imported (each
        listed under `errors`, by unit). 409 when the file is another campaign's, or the
        campaign was saved after the export (export it again), or it is archived.
        """
        actor = require_role(*EDITORS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        data = files["file"].read()
        return present_import(
            exchange.import_campaign(session, campaign, data, locale, actor=actor)
        )


@blp.route("/admin/campaigns/<string:slug>/actions/<string:action>")
class AdminCampaignAction(MethodView):
    @commits
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404, 409, 422)
    def post(self, slug: str, action: str) -> Any:
        """Move a campaign along its workflow

        Actions: `submit` (editors), `return`, `approve`, `publish`, `unpublish`, `archive`
        (publishers). Publishing needs title, summary and body in all six languages, none
        of them outdated (CAMPAIGNS_REQUIRE_ALL_LOCALES).
        """
        return _change(
            slug,
            EDITORS,
            campaigns.transition,
            action=action,
            require_complete=_require_complete(),
        )


@blp.route("/admin/campaigns/<string:slug>/schedule")
class AdminCampaignSchedule(MethodView):
    @authorize(*PUBLISHERS)
    @commits
    @blp.arguments(ScheduleIn)
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 404, 413, 415)
    def put(self, body: dict[str, Any], slug: str) -> Any:
        """Schedule publication and withdrawal; the push worker applies them on time"""
        return _change(
            slug,
            PUBLISHERS,
            campaigns.schedule,
            publish_at=body["publish_at"],
            unpublish_at=body["unpublish_at"],
        )


@blp.route("/admin/campaigns/<string:slug>/revisions")
class AdminCampaignRevisions(MethodView):
    @blp.response(200, RevisionListOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404)
    def get(self, slug: str) -> dict[str, Any]:
        """Every saved revision of a campaign"""
        require_role(*EDITORS)
        session = get_session()
        return {"items": campaigns.revisions(session, campaigns.get_or_raise(session, slug))}


@blp.route("/admin/campaigns/<string:slug>/revisions/diff")
class AdminCampaignDiff(MethodView):
    @authorize(*EDITORS)
    @blp.arguments(DiffArgs, location="query")
    @blp.response(200, DiffOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404)
    def get(self, args: dict[str, Any], slug: str) -> dict[str, Any]:
        """A unified diff between two revisions"""
        require_role(*EDITORS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        return {"lines": campaigns.diff(session, campaign, args["from_"], args["to"])}


@blp.route("/admin/campaigns/<string:slug>/revisions/<id:number>/restore")
class AdminCampaignRestore(MethodView):
    @commits
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_if_match(blp)
    @declare_errors(blp, 401, 403, 404, 409, 412, 428)
    def post(self, slug: str, number: int) -> Any:
        """Make an old revision current again (as a new revision); needs If-Match"""
        return _change(slug, EDITORS, campaigns.restore, if_match=True, number=number)


@blp.route("/admin/images")
class AdminImages(MethodView):
    @authorize(*EDITORS)
    @commits
    @blp.arguments(ImageIn, location="files")
    @blp.response(201, ImageOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 400, 401, 403, 413, 415, 422)
    def post(self, files: dict[str, Any]) -> dict[str, Any]:
        """Upload an image (multipart field `file`): PNG, JPEG or WebP, at most 2 MB

        ---
        Neither side may be longer than IMAGE_MAX_SIDE_PIXELS (4096 by default): 422.
        """
        upload = files["file"]
        settings = current_app.config["SETTINGS"]
        image = campaigns.store_image(
            get_session(),
            actor=require_role(*EDITORS),
            data=upload.read(),
            image_dir=settings.image_path,
            max_side=settings.image_max_side_pixels,
        )
        return {
            "id": image.id,
            "url": f"/media/images/{image.id}",
            "content_type": image.content_type,
            "width": image.width,
            "height": image.height,
        }
