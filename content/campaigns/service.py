"""Campaign rules: who may do what, when a campaign is complete, what the public sees."""

from __future__ import annotations

import difflib
import hashlib
import re
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.models import EDITORS, PUBLISHERS, Role
from content.accounts.service import Actor, audit
from content.campaigns.labels import ACTION_LABELS, STATUS_LABELS
from content.campaigns.models import (
    Campaign,
    CampaignRevision,
    CampaignStatus,
    CampaignTranslation,
    Image,
)
from content.db import utcnow
from content.errors import (
    N_,
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    Label,
    NotFound,
    PreconditionFailed,
)
from content.locales import (
    DERIVED_LOCALES,
    KNOWN_LOCALES,
    base_locale,
    derive,
    served_language,
)
from content.translations import service as translations
from content.translations.labels import LANGUAGE_NAMES

#: the region's six languages: a campaign is complete when each has these fields
REGION_LOCALES = ("kk", "ru", "uz", "ky", "tg", "tk")
REQUIRED_FIELDS = ("title", "summary", "body")
TEXT_FIELDS = ("title", "summary", "body", "image_alt", "cta_label", "cta_url")
#: a call to action opens a web page, over https, on a named host (no user@, no spaces)
_HTTPS_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
#: the longer side of an image, in pixels, unless the caller says otherwise (a phone
#: decodes every pixel: 9000 × 9000 would be about 309 MiB)
MAX_IMAGE_SIDE = 4096
#: what a demo campaign says in every language, in its title or summary and in its body,
#: so that an app that ignores the `demo` flag still shows it is not an official message
DEMO_LABELS = {
    "en": "Demo, not an official message",
    "ru": "Демо, не официальное сообщение",
    "kk": "Демо, ресми хабарлама емес",
    "ky": "Демо, расмий билдирүү эмес",
    "uz": "Demo, rasmiy xabar emas",
    "tg": "Демо, паёми расмӣ нест",
    "tk": "Demo, resmi habar däl",
}


# action: (allowed from, to, who)
TRANSITIONS: dict[str, tuple[set[CampaignStatus], CampaignStatus, frozenset[Role]]] = {
    "submit": ({CampaignStatus.DRAFT}, CampaignStatus.IN_REVIEW, EDITORS),
    "return": ({CampaignStatus.IN_REVIEW}, CampaignStatus.DRAFT, PUBLISHERS),
    "approve": ({CampaignStatus.IN_REVIEW}, CampaignStatus.APPROVED, PUBLISHERS),
    "publish": ({CampaignStatus.APPROVED}, CampaignStatus.PUBLISHED, PUBLISHERS),
    "unpublish": ({CampaignStatus.PUBLISHED}, CampaignStatus.APPROVED, PUBLISHERS),
    "archive": (
        {
            CampaignStatus.DRAFT,
            CampaignStatus.IN_REVIEW,
            CampaignStatus.APPROVED,
            CampaignStatus.PUBLISHED,
        },
        CampaignStatus.ARCHIVED,
        PUBLISHERS,
    ),
}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def render_markdown(source: str) -> str:
    """Markdown to HTML that is safe to show: no script, no handlers, no javascript: URLs."""
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@dataclass(frozen=True)
class Localized:
    campaign: Campaign
    translation: CampaignTranslation | TranslationView
    #: the locale actually served, after falling back
    locale: str


def completeness(campaign: Campaign) -> dict[str, list[str]]:
    """The required fields each of the region's languages still lacks (empty: complete)."""
    result = {}
    for locale in (*REGION_LOCALES, "en"):
        translation = campaign.translations.get(locale)
        result[locale] = [
            f for f in REQUIRED_FIELDS if not (translation and getattr(translation, f).strip())
        ]
    return result


def is_complete(campaign: Campaign) -> bool:
    gaps = completeness(campaign)
    return all(not gaps[locale] for locale in REGION_LOCALES)


def demo_label_missing(campaign_or_texts: Campaign | Mapping[str, Any]) -> list[str]:
    """The languages whose title-or-summary or body lacks that language's demo label.

    Takes a campaign or its translations as {locale: {"title": …, "summary": …, "body": …}}
    (as in the seed file); a language with no text at all is left to `completeness`."""
    if isinstance(campaign_or_texts, Campaign):
        texts = {
            locale: {f: getattr(t, f) for f in REQUIRED_FIELDS}
            for locale, t in campaign_or_texts.translations.items()
        }
    else:
        texts = dict(campaign_or_texts)
    missing = []
    for locale in sorted(texts):
        fields = texts[locale] or {}
        if not any((fields.get(f) or "").strip() for f in REQUIRED_FIELDS):
            continue
        label = _plain(DEMO_LABELS.get(locale, DEMO_LABELS["en"]))
        heading = _plain(fields.get("title")) + "\n" + _plain(fields.get("summary"))
        if label not in heading or label not in _plain(fields.get("body")):
            missing.append(locale)
    return missing


def _plain(text: str | None) -> str:
    """Text as a reader sees it, for finding a label: no emphasis marks, one space, any case."""
    return " ".join(re.sub(r"[*_]", "", text or "").split()).casefold()


def _demo_label_problems(campaign: Campaign) -> list[FieldProblem]:
    return [
        FieldProblem(
            f"translations.{locale}",
            N_("A demo campaign must say “%(label)s” in its title or summary and in its body."),
            {"label": DEMO_LABELS.get(locale, DEMO_LABELS["en"])},
        )
        for locale in demo_label_missing(campaign)
    ]


@dataclass(frozen=True)
class TranslationView:
    """A translation's texts as readers get them, never stored: read in a derived locale
    (uz-Cyrl from uz: transliterated, with the base translation's link and image), or
    previewed before they are saved."""

    title: str
    summary: str
    body: str
    image_alt: str
    cta_label: str | None
    cta_url: str | None
    image_id: int | None

    @classmethod
    def of(cls, translation: CampaignTranslation, locale: str) -> TranslationView:
        def text(value: str | None) -> str | None:
            return None if value is None else derive(value, locale)

        return cls(
            title=derive(translation.title, locale),
            summary=derive(translation.summary, locale),
            body=derive(translation.body, locale),
            image_alt=derive(translation.image_alt or "", locale),
            cta_label=text(translation.cta_label),
            cta_url=translation.cta_url,
            image_id=translation.image_id,
        )


def localize(
    campaign: Campaign, locale: str, *, outdated: Collection[str] = ()
) -> Localized | None:
    """The complete translation for the locale, or the next one along its fallback chain
    (`served_language`: languages in `outdated` count as missing; a derived locale reads
    its base language's translation in its own script); None when there is none."""
    complete = [
        code
        for code, translation in campaign.translations.items()
        if all(getattr(translation, f).strip() for f in REQUIRED_FIELDS)
    ]
    served = served_language(locale, complete, outdated=outdated)
    if served is None:
        return None
    translation = campaign.translations[base_locale(served)]
    if served in DERIVED_LOCALES:
        return Localized(campaign, TranslationView.of(translation, served), served)
    return Localized(campaign, translation, served)


def preview(
    session: Session, *, campaign: Campaign, locale: str, texts: Mapping[str, Any]
) -> TranslationView:
    """A language's texts as readers would get them once saved: `texts` over the saved
    ones, checked as a save checks them; nothing is changed."""
    if locale not in KNOWN_LOCALES:
        raise Invalid([FieldProblem("locale", N_("Unknown language."))])
    saved = campaign.translations.get(locale)
    values: dict[str, Any] = {}
    for name in (*TEXT_FIELDS, "image_id"):
        if name in texts:
            values[name] = _checked(session, locale, name, texts[name])
        else:
            values[name] = getattr(saved, name, None)
    for name in (*REQUIRED_FIELDS, "image_alt"):
        values[name] = values[name] or ""
    return TranslationView(**values)


def snapshot(campaign: Campaign) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "status": campaign.status.value,
        "priority": campaign.priority,
        "countries": list(campaign.countries),
        "checkpoints": list(campaign.checkpoints),
        "starts_at": campaign.starts_at.isoformat() if campaign.starts_at else None,
        "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
        "reference_locale": campaign.reference_locale,
        "translations": {
            locale: {f: getattr(t, f) for f in (*TEXT_FIELDS, "image_id")}
            for locale, t in sorted(campaign.translations.items())
        },
    }


def get_or_raise(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(N_("No campaign %(slug)s."), slug=slug)
    return campaign


def list_(
    session: Session, *, status: CampaignStatus | None = None, outdated_in: str | None = None
) -> list[Campaign]:
    """Campaigns, highest priority first; of a status, or with an outdated field in a
    language (`outdated_in`), when given."""
    query = select(Campaign).order_by(Campaign.priority.desc(), Campaign.id)
    if status is not None:
        query = query.where(Campaign.status == status)
    if outdated_in is not None:
        query = query.where(
            Campaign.slug.in_(translations.keys_outdated_in(translations.CAMPAIGN, outdated_in))
        )
    return list(session.scalars(query))


def create(session: Session, *, actor: Actor, slug: str, fields: dict[str, Any]) -> Campaign:
    _require(actor, EDITORS)
    if session.scalar(select(Campaign).where(Campaign.slug == slug)) is not None:
        raise Conflict(N_("A campaign with the slug %(slug)s already exists."), slug=slug)
    campaign = Campaign(slug=slug, countries=[], checkpoints=[], reference_locale="ru")
    session.add(campaign)
    fields = dict(fields)
    fields.pop("minor_edit", None)  # nothing to be minor about
    _apply(session, campaign, fields)
    translations.record_save(session, campaign, None, actor=actor)
    _saved(session, actor, campaign, action="create", before=None)
    return campaign


def update(
    session: Session,
    *,
    actor: Actor,
    campaign: Campaign,
    expected_version: int,
    fields: dict[str, Any],
) -> Campaign:
    """Change a campaign an editor read at `expected_version`; 412 when someone saved since.

    Translation statuses follow (content.translations.service.record_save): changed texts
    become drafts, a changed reference text outdates the other languages' field, unless
    `fields` says `minor_edit`."""
    _require(actor, EDITORS)
    if campaign.version != expected_version:
        raise PreconditionFailed(
            N_("Someone else saved this campaign after you opened it. Reload to see their changes.")
        )
    if campaign.status == CampaignStatus.ARCHIVED:
        raise Conflict(N_("An archived campaign cannot be changed."))
    before = snapshot(campaign)
    before_texts, before_reference = translations.texts(campaign), campaign.reference_locale
    fields = dict(fields)
    minor_edit = bool(fields.pop("minor_edit", False))
    _apply(session, campaign, fields)
    translations.record_save(
        session,
        campaign,
        before_texts,
        actor=actor,
        minor_edit=minor_edit,
        before_reference=before_reference,
    )
    if campaign.status == CampaignStatus.PUBLISHED and campaign.demo:
        problems = _demo_label_problems(campaign)
        if problems:
            raise Invalid(problems)  # a published demo campaign keeps its label
    campaign.version += 1
    campaign.updated_at = utcnow()
    _saved(session, actor, campaign, action="update", before=before)
    return campaign


def transition(
    session: Session,
    *,
    actor: Actor,
    campaign: Campaign,
    action: str,
    require_complete: bool = True,
    now: datetime | None = None,
) -> Campaign:
    if action not in TRANSITIONS:
        raise NotFound(N_("No campaign action %(action)s."), action=action)
    allowed_from, target, roles = TRANSITIONS[action]
    _require(actor, roles)
    if campaign.status not in allowed_from:
        raise Conflict(
            N_("The action «%(action)s» cannot be taken on a campaign that is «%(status)s»."),
            status=Label(STATUS_LABELS[campaign.status]),
            action=Label(ACTION_LABELS[action]),
        )
    if target == CampaignStatus.PUBLISHED and require_complete:
        problems = _incomplete_problems(session, campaign)
        if problems:
            raise Invalid(problems)
    if target == CampaignStatus.PUBLISHED and campaign.demo:
        problems = _demo_label_problems(campaign)
        if problems:
            raise Invalid(problems)
    before = snapshot(campaign)
    campaign.status = target
    if target == CampaignStatus.PUBLISHED:
        campaign.published_at = now or utcnow()
        campaign.publish_at = None
    if action == "unpublish":
        campaign.unpublish_at = None
    campaign.version += 1
    campaign.updated_at = utcnow()
    session.flush()
    audit(
        session,
        actor=actor,
        action=action,
        object_type="campaign",
        object_id=campaign.slug,
        before=before,
        after=snapshot(campaign),
    )
    versions.bump(session)
    return campaign


def _incomplete_problems(session: Session, campaign: Campaign) -> list[FieldProblem]:
    """Why the campaign cannot be published in all six languages: a language that lacks
    title, summary or body, or one whose translation is outdated."""
    gaps = completeness(campaign)
    problems = [
        FieldProblem(f"translations.{locale}", N_("Title, summary and body are needed."))
        for locale in REGION_LOCALES
        if gaps[locale]
    ]
    stale = translations.outdated_locales(
        session,
        campaign,
        [locale for locale in REGION_LOCALES if locale != campaign.reference_locale],
    )
    problems.extend(
        FieldProblem(
            f"translations.{locale}",
            N_(
                "%(language)s: the translation is outdated, the reference text changed after "
                "it was last confirmed. Update or confirm it."
            ),
            {"language": Label(LANGUAGE_NAMES.get(locale, locale))},
        )
        for locale in stale
    )
    return problems


def confirm_translation(
    session: Session, *, actor: Actor, campaign: Campaign, locale: str, expected_version: int
) -> Campaign:
    """Confirm a language's translation against the reference text as it is now."""
    return _settle_translation(
        session, actor, campaign, locale, expected_version, action="confirm_translation"
    )


def review_translation(
    session: Session, *, actor: Actor, campaign: Campaign, locale: str, expected_version: int
) -> Campaign:
    """Mark a language's translation reviewed (by a publisher, or another editor than the
    one who last wrote or confirmed it)."""
    return _settle_translation(
        session, actor, campaign, locale, expected_version, action="review_translation"
    )


def _settle_translation(
    session: Session,
    actor: Actor,
    campaign: Campaign,
    locale: str,
    expected_version: int,
    *,
    action: str,
) -> Campaign:
    _require(actor, EDITORS)
    if campaign.version != expected_version:
        raise PreconditionFailed(
            N_("Someone else saved this campaign after you opened it. Reload to see their changes.")
        )
    if campaign.status == CampaignStatus.ARCHIVED:
        raise Conflict(N_("An archived campaign cannot be changed."))
    settle = translations.confirm if action == "confirm_translation" else translations.review
    fields = settle(session, campaign, locale, actor=actor)
    campaign.version += 1
    campaign.updated_at = utcnow()
    session.flush()
    audit(
        session,
        actor=actor,
        action=action,
        object_type="campaign",
        object_id=campaign.slug,
        after={"locale": locale, "fields": fields},
    )
    if translations.is_public(campaign):
        versions.bump(session)
    return campaign


def schedule(
    session: Session,
    *,
    actor: Actor,
    campaign: Campaign,
    publish_at: datetime | None,
    unpublish_at: datetime | None,
) -> Campaign:
    _require(actor, PUBLISHERS)
    if publish_at and unpublish_at and unpublish_at <= publish_at:
        raise Invalid([FieldProblem("unpublish_at", N_("The end must be after the start."))])
    campaign.publish_at = publish_at
    campaign.unpublish_at = unpublish_at
    campaign.version += 1
    session.flush()
    audit(
        session,
        actor=actor,
        action="schedule",
        object_type="campaign",
        object_id=campaign.slug,
        after={"publish_at": str(publish_at), "unpublish_at": str(unpublish_at)},
    )
    return campaign


def apply_schedules(
    session: Session, *, now: datetime | None = None, require_complete: bool = True
) -> list[str]:
    """Publish approved campaigns whose time has come, withdraw those whose time is up."""
    now = now or utcnow()
    done = []
    due = session.scalars(
        select(Campaign).where(
            or_(
                (Campaign.status == CampaignStatus.APPROVED) & (Campaign.publish_at <= now),
                (Campaign.status == CampaignStatus.PUBLISHED) & (Campaign.unpublish_at <= now),
            )
        )
    )
    system = Actor("system:scheduler", Role.ADMIN)
    for campaign in list(due):
        action = "publish" if campaign.status == CampaignStatus.APPROVED else "unpublish"
        try:
            transition(
                session,
                actor=system,
                campaign=campaign,
                action=action,
                require_complete=require_complete,
                now=now,
            )
        except Invalid:
            continue  # incomplete: stays approved, visible in the console
        done.append(f"{action} {campaign.slug}")
    return done


def revisions(session: Session, campaign: Campaign) -> list[CampaignRevision]:
    return list(
        session.scalars(
            select(CampaignRevision)
            .where(CampaignRevision.campaign_id == campaign.id)
            .order_by(CampaignRevision.number)
        )
    )


def revision_number(session: Session, campaign: Campaign) -> int:
    """The number of a campaign's latest revision (every save makes one; 0 before any)."""
    number = session.scalar(
        select(func.max(CampaignRevision.number)).where(CampaignRevision.campaign_id == campaign.id)
    )
    return number or 0


def revision_or_raise(session: Session, campaign: Campaign, number: int) -> CampaignRevision:
    revision = session.scalar(
        select(CampaignRevision).where(
            CampaignRevision.campaign_id == campaign.id, CampaignRevision.number == number
        )
    )
    if revision is None:
        raise NotFound(N_("No revision %(number)s of this campaign."), number=number)
    return revision


def diff(session: Session, campaign: Campaign, old: int, new: int) -> list[str]:
    """A unified diff between two revisions, field by field."""
    a = _flatten(revision_or_raise(session, campaign, old).snapshot)
    b = _flatten(revision_or_raise(session, campaign, new).snapshot)
    lines: list[str] = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            lines.extend(
                difflib.unified_diff(
                    str(a.get(key, "")).splitlines(),
                    str(b.get(key, "")).splitlines(),
                    fromfile=f"r{old} {key}",
                    tofile=f"r{new} {key}",
                    lineterm="",
                )
            )
    return lines


def restore(
    session: Session, *, actor: Actor, campaign: Campaign, number: int, expected_version: int
) -> Campaign:
    data = revision_or_raise(session, campaign, number).snapshot
    fields = {k: data[k] for k in ("priority", "countries", "checkpoints", "starts_at", "ends_at")}
    if "reference_locale" in data:
        fields["reference_locale"] = data["reference_locale"]
    fields["translations"] = data["translations"]
    return update(
        session, actor=actor, campaign=campaign, expected_version=expected_version, fields=fields
    )


def public(
    session: Session,
    *,
    country: str | None = None,
    checkpoint: str | None = None,
    now: datetime | None = None,
) -> list[Campaign]:
    """Published campaigns running now, highest priority first."""
    now = now or utcnow()
    campaigns = session.scalars(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.PUBLISHED)
        .where(or_(Campaign.starts_at.is_(None), Campaign.starts_at <= now))
        .where(or_(Campaign.ends_at.is_(None), Campaign.ends_at > now))
        .order_by(Campaign.priority.desc(), Campaign.id)
    )
    result = []
    for campaign in campaigns:
        if country and campaign.countries and country.upper() not in campaign.countries:
            continue
        if checkpoint and campaign.checkpoints and checkpoint not in campaign.checkpoints:
            continue
        result.append(campaign)
    return result


def next_change(session: Session, now: datetime) -> datetime | None:
    """The next moment `public` answers differently without a write: the earliest start or
    end of a published campaign still ahead of `now`; None when there is none."""
    rows = session.execute(
        select(Campaign.starts_at, Campaign.ends_at).where(
            Campaign.status == CampaignStatus.PUBLISHED,
            or_(Campaign.starts_at > now, Campaign.ends_at > now),
        )
    )
    return min((moment for row in rows for moment in row if moment and moment > now), default=None)


def get_public(session: Session, slug: str, *, now: datetime | None = None) -> Campaign:
    """A campaign the public may see; drafts, scheduled and archived ones are 404."""
    for campaign in public(session, now=now):
        if campaign.slug == slug:
            return campaign
    raise NotFound(N_("No campaign %(slug)s."), slug=slug)


def store_image(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    image_dir: Path,
    max_side: int = MAX_IMAGE_SIDE,
) -> Image:
    """Keep an uploaded image after checking what it is by its content (PNG, JPEG, WebP)
    and that neither side is longer than `max_side` pixels. Only the header is read:
    the pixels are never decoded here. Every upload is audited, a known image's too."""
    image = _keep_image(session, data=data, image_dir=image_dir, max_side=max_side)
    audit(
        session,
        actor=actor,
        action="upload_image",
        object_type="image",
        object_id=str(image.id),
        after={"sha256": image.sha256, "content_type": image.content_type},
    )
    return image


def _keep_image(session: Session, *, data: bytes, image_dir: Path, max_side: int) -> Image:
    if len(data) > MAX_IMAGE_BYTES:
        raise Invalid([FieldProblem("file", N_("An image may be at most 2 MB."))])
    too_large = FieldProblem(
        "file",
        N_("An image may be at most %(limit)s pixels on its longer side."),
        {"limit": max_side},
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that: both are bombs
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(BytesIO(data)) as probe:
                kind = probe.format or ""
                width, height = probe.size
                if max(width, height) > max_side:
                    raise Invalid([too_large])
                probe.verify()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as error:
        raise Invalid([too_large]) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise Invalid([FieldProblem("file", N_("Upload a PNG, JPEG or WebP image."))]) from error
    if kind not in IMAGE_TYPES:
        raise Invalid([FieldProblem("file", N_("Upload a PNG, JPEG or WebP image."))])
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(Image).where(Image.sha256 == digest))
    if existing is not None:
        return existing
    image_dir.mkdir(parents=True, exist_ok=True)
    (image_dir / digest).write_bytes(data)
    image_row = Image(
        sha256=digest, content_type=IMAGE_TYPES[kind], size=len(data), width=width, height=height
    )
    session.add(image_row)
    session.flush()
    return image_row


def is_https_url(url: str) -> bool:
    """Whether a call to action's link is an https address of a named host.

    The schemas check this too; the service refuses anything else itself, so that no
    caller (console, CLI, seed, a restored revision) can store a javascript:, data: or
    http: link, or one that hides its host behind user@."""
    if not isinstance(url, str) or not url.startswith("https://"):
        return False
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(_HTTPS_HOST.match(parts.netloc))


def _require(actor: Actor, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise Forbidden(N_("Your role may not do this."))


def _apply(session: Session, campaign: Campaign, fields: dict[str, Any]) -> None:
    if "reference_locale" in fields:
        translations.check_reference_locale(fields["reference_locale"])
        campaign.reference_locale = fields["reference_locale"]
    for name in ("priority", "countries", "checkpoints", "starts_at", "ends_at", "demo", "sources"):
        if name in fields:
            value = fields[name]
            if name in ("starts_at", "ends_at") and isinstance(value, str):
                value = datetime.fromisoformat(value)
            if name == "countries":
                value = sorted({c.upper() for c in value})
            setattr(campaign, name, value)
    for locale, texts in (fields.get("translations") or {}).items():
        if locale not in KNOWN_LOCALES:
            raise Invalid([FieldProblem(f"translations.{locale}", N_("Unknown language."))])
        translation = campaign.translations.get(locale)
        if translation is None:
            translation = CampaignTranslation(locale=locale)
            campaign.translations[locale] = translation
        for name in (*TEXT_FIELDS, "image_id"):
            if name in texts:
                setattr(translation, name, _checked(session, locale, name, texts[name]))
    if campaign.starts_at and campaign.ends_at and campaign.ends_at <= campaign.starts_at:
        raise Invalid([FieldProblem("ends_at", N_("The end must be after the start."))])


def _checked(session: Session, locale: str, name: str, value: Any) -> Any:
    """A translation's field as it is stored; Invalid for a missing image or a link that
    is not https."""
    if name == "image_id" and value is not None and session.get(Image, value) is None:
        raise Invalid(
            [
                FieldProblem(
                    f"translations.{locale}.image_id",
                    N_("No image with id %(id)s."),
                    {"id": value},
                )
            ]
        )
    if name == "cta_url" and value is not None and not is_https_url(value):
        raise Invalid([FieldProblem(f"translations.{locale}.cta_url", N_("Not a valid URL."))])
    if value is None and name in (*REQUIRED_FIELDS, "image_alt"):
        return ""  # these columns hold text, possibly empty
    return value


def _saved(session: Session, actor: Actor, campaign: Campaign, *, action: str, before: Any) -> None:
    """Every save is a revision, an audit entry, and (if public) a new data version."""
    session.flush()  # a new campaign gets its id, which the revision names
    after = snapshot(campaign)
    number = revision_number(session, campaign) + 1
    session.add(
        CampaignRevision(campaign_id=campaign.id, number=number, snapshot=after, author=actor.label)
    )
    audit(
        session,
        actor=actor,
        action=action,
        object_type="campaign",
        object_id=campaign.slug,
        before=before,
        after=after,
    )
    session.flush()
    if campaign.status == CampaignStatus.PUBLISHED:
        versions.bump(session)


def _flatten(snapshot_: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in snapshot_.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat
