"""The editors' and publishers' API: sign-in tokens, campaigns, images, broadcasts, audit."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import authorize, current_user, require_role
from api.db import get_session
from api.etags import expected_version, version_etag
from api.idempotency import commits
from api.limits import Throttled, client_ip, sign_in_guard
from api.routes import USER_SECURITY, declare_errors, declare_if_match
from api.schemas.admin import (
    AuditListOut,
    BroadcastIn,
    BroadcastOut,
    PushStatsOut,
)
from api.schemas.campaigns import (
    CampaignAdminListOut,
    CampaignAdminOut,
    CampaignCreateIn,
    CampaignIn,
    DiffArgs,
    DiffOut,
    ImageIn,
    ImageOut,
    RevisionListOut,
    ScheduleIn,
    TokenIn,
    TokenOut,
)
from content.accounts import service as accounts
from content.accounts.models import EDITORS, PUBLISHERS, Role
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign
from push import outbox

blp = Blueprint(
    "admin",
    __name__,
    url_prefix="/v1",
    description="For editors, publishers and admins: `Authorization: Bearer <token>` from "
    "POST /v1/auth/tokens.",
)


def present_admin(campaign: Campaign) -> dict[str, Any]:
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
    }


def _with_etag(campaign: Campaign) -> tuple[dict[str, Any], int, dict[str, str]]:
    return present_admin(campaign), 200, {"ETag": version_etag(campaign.version)}


def _require_complete() -> bool:
    return bool(current_app.config["SETTINGS"].campaigns_require_all_locales)


@blp.route("/auth/tokens")
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
            from api.auth import UserTokenRequired

            raise UserTokenRequired()
        token, raw = accounts.issue_token(session, user=user)
        return {"token": raw, "expires_at": token.expires_at, "role": user.role.value}


@blp.route("/auth/tokens/current")
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


@blp.route("/admin/campaigns")
class AdminCampaigns(MethodView):
    @blp.response(200, CampaignAdminListOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """Every campaign, with its status and what each language still lacks"""
        require_role(*EDITORS)
        return {"items": [present_admin(c) for c in campaigns.list_(get_session())]}

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
        """Change a campaign; needs If-Match with the ETag you read (428 without, 412 if stale)"""
        actor = require_role(*EDITORS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        campaigns.update(
            session,
            actor=actor,
            campaign=campaign,
            expected_version=expected_version(),
            fields=body,
        )
        return _with_etag(campaign)


@blp.route("/admin/campaigns/<string:slug>/actions/<string:action>")
class AdminCampaignAction(MethodView):
    @commits
    @blp.response(200, CampaignAdminOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403, 404, 409, 422)
    def post(self, slug: str, action: str) -> Any:
        """Move a campaign along its workflow

        Actions: `submit` (editors), `return`, `approve`, `publish`, `unpublish`, `archive`
        (publishers). Publishing needs title, summary and body in all six languages.
        """
        actor = require_role(*EDITORS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        campaigns.transition(
            session,
            actor=actor,
            campaign=campaign,
            action=action,
            require_complete=_require_complete(),
        )
        return _with_etag(campaign)


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
        actor = require_role(*PUBLISHERS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        campaigns.schedule(
            session,
            actor=actor,
            campaign=campaign,
            publish_at=body["publish_at"],
            unpublish_at=body["unpublish_at"],
        )
        return _with_etag(campaign)


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
        actor = require_role(*EDITORS)
        session = get_session()
        campaign = campaigns.get_or_raise(session, slug)
        campaigns.restore(
            session,
            actor=actor,
            campaign=campaign,
            number=number,
            expected_version=expected_version(),
        )
        return _with_etag(campaign)


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


@blp.route("/admin/push/broadcasts")
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


@blp.route("/admin/push/stats")
class AdminPushStats(MethodView):
    @blp.response(200, PushStatsOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """Queued, sent, retried, dead, pruned and capped messages per day and kind; the backlog"""
        require_role(*PUBLISHERS)
        session = get_session()
        return {"days": outbox.daily_stats(session), **outbox.backlog(session)}


@blp.route("/admin/audit")
class AdminAudit(MethodView):
    @blp.response(200, AuditListOut)
    @blp.doc(security=USER_SECURITY)
    @declare_errors(blp, 401, 403)
    def get(self) -> dict[str, Any]:
        """The latest changes: who, what, when, before and after (admins)"""
        require_role(Role.ADMIN)
        return {"items": accounts.audit_log(get_session())}
