"""Devices: registration, the device secret, follows, queue alerts and quiet hours."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from content.checkpoints import crowd
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane
from content.db import utcnow
from content.errors import N_, Conflict, FieldProblem, Invalid, NotFound
from push import topics
from push.models import Device, Follow, Platform, QueueAlert

MAX_FOLLOWS = 50
MAX_ALERTS = 20
DEFAULT_ALERT_LIFETIME = timedelta(hours=24)
MAX_ALERT_LIFETIME = timedelta(days=7)
#: a device's last_seen_at is written at most this often
SEEN_RESOLUTION = timedelta(hours=1)
#: FCM considers a token unused for 270 days expired
RETENTION = timedelta(days=270)
UNSET = object()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def register(
    session: Session,
    *,
    token: str | None = None,
    fid: str | None = None,
    platform: Platform,
    locale: str,
    app_version: str | None = None,
    secret: str | None = None,
) -> tuple[Device, str]:
    """Register a token, a Firebase installation ID (fid) or both; returns the device and
    its secret.

    A token or fid that is already registered belongs to that device: only its secret may
    register it again (the same device, the same secret, the settings updated). Without
    it the answer is Conflict, and the registration is left as it was: an FCM token is
    not a secret, so knowing one must not open, or lock out, someone else's device.
    """
    if not (token or fid):
        raise Invalid([FieldProblem("token", N_("This field is required."))])
    known = [
        Device.token == token if token else None,
        Device.fid == fid if fid else None,
    ]
    matches = list(session.scalars(select(Device).where(or_(*[k for k in known if k is not None]))))
    if len(matches) > 1:
        raise Conflict(N_("Another device is registered with this push token."))
    previous_token = None
    if matches:
        device = matches[0]
        if secret is None or not hmac.compare_digest(device.secret_hash, _hash(secret)):
            raise Conflict(
                N_(
                    "This push token is already registered. Send that device's secret to "
                    "register it again, or get a new token from Firebase."
                )
            )
        previous_token = device.token
    else:
        secret = secrets.token_urlsafe(32)
        device = Device(platform=platform, locale=locale, secret_hash=_hash(secret))
        session.add(device)
    device.token = token or device.token
    device.fid = fid or device.fid
    device.platform = platform
    device.locale = locale
    device.app_version = app_version
    device.last_seen_at = utcnow()
    session.flush()
    topics.sync(session, device, previous_token=previous_token)
    return device, secret


def authenticate(session: Session, device_id: int, secret: str) -> Device | None:
    device = session.get(Device, device_id)
    if device is None or not hmac.compare_digest(device.secret_hash, _hash(secret)):
        return None
    return device


def seen(session: Session, device: Device, *, now: datetime | None = None) -> bool:
    """Note that the app called on the device's behalf: one UPDATE an hour at most (the
    older value is already loaded). True when it wrote."""
    now = now or utcnow()
    if device.last_seen_at is not None and now - device.last_seen_at < SEEN_RESOLUTION:
        return False
    session.execute(
        sql_update(Device)
        .where(Device.id == device.id)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(device, "last_seen_at", now)  # written above; updated_at stays
    return True


def prune(
    session: Session,
    *,
    older_than: timedelta = RETENTION,
    now: datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Delete up to ``batch_size`` devices the app has not been seen with for
    ``older_than`` (with follows, alerts and crowd reports; their topics are left by the
    worker); returns how many. Callers commit and call again until it returns 0."""
    cutoff = (now or utcnow()) - older_than
    stale = list(
        session.scalars(
            select(Device)
            .where(
                or_(
                    Device.last_seen_at < cutoff,
                    and_(Device.last_seen_at.is_(None), Device.created_at < cutoff),
                )
            )
            .order_by(Device.id)
            .limit(batch_size)
        )
    )
    for device in stale:
        delete(session, device)
    return len(stale)


def authenticate_secret(session: Session, secret: str) -> Device | None:
    """The device whose secret this is, for calls that name no device (a crowd report).
    Secrets are 256-bit random and stored as unique SHA-256 hashes: the hash finds it."""
    return session.scalar(select(Device).where(Device.secret_hash == _hash(secret)))


def update(
    session: Session,
    device: Device,
    *,
    locale: str | None = None,
    app_version: str | None | object = UNSET,
    token: str | None = None,
    fid: str | None = None,
    timezone: str | None | object = UNSET,
    quiet_hours: tuple[str, str] | None | object = UNSET,
) -> Device:
    previous_token = device.token
    if fid is not None and fid != device.fid:
        if session.scalar(select(Device.id).where(Device.fid == fid)) is not None:
            raise Conflict(N_("Another device is registered with this push token."))
        device.fid = fid
    if token is not None and token != device.token:
        taken = session.scalar(select(Device.id).where(Device.token == token))
        if taken is not None:
            # someone else's registration: never replace or delete it from here
            raise Conflict(N_("Another device is registered with this push token."))
        device.token = token
    if locale is not None:
        device.locale = locale
    if app_version is not UNSET:
        device.app_version = app_version  # type: ignore[assignment]  # narrowed by UNSET
    if timezone is not UNSET:
        if timezone is not None and not _known_zone(str(timezone)):
            raise Invalid([FieldProblem("timezone", N_("Invalid value."))])
        device.timezone = timezone  # type: ignore[assignment]  # narrowed by UNSET
    if quiet_hours is not UNSET:
        start, end = quiet_hours if isinstance(quiet_hours, tuple) else (None, None)
        device.quiet_start, device.quiet_end = start, end
    if device.quiet_start and not device.timezone:
        raise Invalid([FieldProblem("timezone", N_("Quiet hours need the device's time zone."))])
    session.flush()
    topics.sync(session, device, previous_token=previous_token)
    return device


def _known_zone(name: str) -> bool:
    """A zone of this machine's tz database: a fact about the data, not a request's shape."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def delete(session: Session, device: Device) -> None:
    """Delete the device with its follows, alerts and crowd reports; its topics are left
    by the worker."""
    crowd.forget_device(session, device.id)
    topics.leave_all(session, device)
    session.delete(device)
    session.flush()


def follows(session: Session, device: Device) -> list[str]:
    return list(
        session.scalars(
            select(Follow.checkpoint_id)
            .where(Follow.device_id == device.id)
            .order_by(Follow.checkpoint_id)
        )
    )


def follow(session: Session, device: Device, checkpoint_id: str) -> bool:
    """Follow a checkpoint; True when it was new. Following twice changes nothing."""
    checkpoints.get_or_raise(session, checkpoint_id)
    if session.get(Follow, (device.id, checkpoint_id)) is not None:
        return False
    count = session.scalar(select(func.count()).where(Follow.device_id == device.id)) or 0
    if count >= MAX_FOLLOWS:
        raise Invalid(
            [
                FieldProblem(
                    "checkpoint_id",
                    N_("A device may follow at most %(limit)s checkpoints."),
                    {"limit": MAX_FOLLOWS},
                )
            ]
        )
    session.add(Follow(device_id=device.id, checkpoint_id=checkpoint_id))
    session.flush()
    topics.sync(session, device)
    return True


def unfollow(session: Session, device: Device, checkpoint_id: str) -> None:
    follow_row = session.get(Follow, (device.id, checkpoint_id))
    if follow_row is None:
        raise NotFound(N_("This device does not follow %(checkpoint)s."), checkpoint=checkpoint_id)
    session.delete(follow_row)
    session.flush()
    topics.sync(session, device)


def alerts(session: Session, device: Device, *, now: datetime | None = None) -> list[QueueAlert]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(QueueAlert)
            .where(QueueAlert.device_id == device.id, QueueAlert.expires_at > now)
            .order_by(QueueAlert.id)
        )
    )


def add_alert(
    session: Session,
    device: Device,
    *,
    checkpoint_id: str,
    direction: Direction,
    lane: Lane,
    below_minutes: int,
    lifetime: timedelta = DEFAULT_ALERT_LIFETIME,
    now: datetime | None = None,
) -> QueueAlert:
    now = now or utcnow()
    checkpoint = checkpoints.get_or_raise(session, checkpoint_id)
    problems = checkpoints.lane_problems(checkpoint, direction=direction, lane=lane)
    if len(alerts(session, device, now=now)) >= MAX_ALERTS:
        problems.append(
            FieldProblem(
                "checkpoint",
                N_("A device may have at most %(limit)s queue alerts."),
                {"limit": MAX_ALERTS},
            )
        )
    if problems:
        raise Invalid(problems)
    alert = QueueAlert(
        device_id=device.id,
        checkpoint_id=checkpoint.id,
        direction=direction,
        lane=lane,
        below_minutes=below_minutes,
        armed=True,
        expires_at=now + min(lifetime, MAX_ALERT_LIFETIME),
    )
    session.add(alert)
    session.flush()
    return alert


def delete_alert(session: Session, device: Device, alert_id: int) -> None:
    alert = session.get(QueueAlert, alert_id)
    if alert is None or alert.device_id != device.id:
        raise NotFound(N_("No queue alert with id %(id)s."), id=alert_id)
    session.delete(alert)
    session.flush()
