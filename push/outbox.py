"""Writing notifications to the outbox, in the caller's transaction.

The cause (a status post, a queue report, a broadcast) and its notifications commit
together or not at all; the push worker sends them later. Nothing here talks to FCM.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.service import Actor
from content.checkpoints.models import Checkpoint, Direction, Lane, Reason, State
from content.db import utcnow
from content.errors import N_, FieldProblem, Invalid
from content.locales import KNOWN_LOCALES, SERVED_LOCALES, base_locale, derive
from push import messages, topics
from push.models import (
    Broadcast,
    Device,
    Follow,
    MessageKind,
    MessageStatus,
    OutboxLane,
    OutboxMessage,
    QueueAlert,
)

#: an alert re-arms once the wait is back above its threshold by this much
REARM_MARGIN_MIN = 5
REARM_MARGIN_SHARE = 0.2
_BULK_CHUNK = 2000
#: a queue report's alerts the worker fires in one transaction
EXPAND_BATCH = 5000
#: status messages each language's followers of one checkpoint get in an hour
STATUS_PUSHES_PER_HOUR = 6
#: announcements and cancellations of planned closures each language's followers of one
#: checkpoint get in an hour
PLANNED_PUSHES_PER_HOUR = 6
#: queue alerts one device gets in an hour
ALERTS_PER_DEVICE_PER_HOUR = 3
PUSH_WINDOW = timedelta(hours=1)
#: last_error of an alert held back by ALERTS_PER_DEVICE_PER_HOUR (status dead, never sent)
CAPPED = "CAPPED"
#: broadcasts queued in any 24 hours, whoever sends them
BROADCASTS_PER_DAY = 5
#: a send_at this close to now is "now" (clocks differ; the CLI takes whole minutes)
PAST_SEND_AT_GRACE = timedelta(minutes=5)


def rearm_margin(below_minutes: int) -> int:
    return max(REARM_MARGIN_MIN, round(below_minutes * REARM_MARGIN_SHARE))


def on_status_change(
    session: Session,
    checkpoint: Checkpoint,
    *,
    state: State,
    reason: Reason | None,
    since: datetime,
    until: datetime | None = None,
    now: datetime | None = None,
    per_hour: int = STATUS_PUSHES_PER_HOUR,
) -> int:
    """One topic message per locale that has followers; returns how many were queued or
    brought up to date.

    A burst collapses: while a status message for the topic is still waiting, it is
    rewritten with the newest state instead of adding another. Past ``per_hour`` messages
    in an hour, the next one is held (pending, due when the hour allows), so followers
    always end with the last state, never with a lost one. ``until``: the end of the
    planned closure or restriction that set this state, told in the message.
    """
    now = now or utcnow()
    queued = 0
    for locale in _follower_locales(session, checkpoint):
        notification = messages.status_change(
            checkpoint,
            state=state,
            reason=reason,
            since=since,
            locale=locale,
            until=until,
            now=now,
        )
        topic = topics.checkpoint_topic(checkpoint.id, locale)
        ttl = timedelta(seconds=notification.ttl_seconds)
        queued += 1
        if _collapse(session, topic, notification.as_payload(), ttl, now):
            continue
        available_at = _next_slot(session, MessageKind.STATUS_CHANGE, topic, now, per_hour)
        session.add(
            OutboxMessage(
                kind=MessageKind.STATUS_CHANGE,
                topic=topic,
                payload=notification.as_payload(),
                available_at=available_at,
                expires_at=available_at + ttl,
                created_at=now,
            )
        )
    session.flush()
    return queued


def on_planned(
    session: Session,
    checkpoint: Checkpoint,
    *,
    planned_id: int,
    cancelled: bool,
    state: State,
    reason: Reason | None,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
    per_hour: int = PLANNED_PUSHES_PER_HOUR,
) -> int:
    """Tell the checkpoint's followers, one topic message per locale, that a closure or
    restriction is planned, or that one is cancelled; returns how many were queued.

    A cancellation whose announcement is still waiting (no worker holds it) takes that
    message's place. Past ``per_hour`` such messages in an hour, the next is held until
    the hour allows, like a status message.
    """
    now = now or utcnow()
    queued = 0
    for locale in _follower_locales(session, checkpoint):
        notification = messages.planned(
            checkpoint,
            planned_id=planned_id,
            cancelled=cancelled,
            state=state,
            reason=reason,
            starts_at=starts_at,
            ends_at=ends_at,
            locale=locale,
            now=now,
        )
        topic = topics.checkpoint_topic(checkpoint.id, locale)
        ttl = timedelta(seconds=notification.ttl_seconds)
        announced = f"planned-{planned_id}-{locale}"
        queued += 1
        if cancelled:
            waiting = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.dedupe_key == announced,
                    OutboxMessage.status == MessageStatus.PENDING,
                    OutboxMessage.lease_until.is_(None),
                )
                .values(payload=notification.as_payload())
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            ).first()
            if waiting is not None:
                continue
        available_at = _next_slot(session, MessageKind.PLANNED, topic, now, per_hour)
        session.add(
            OutboxMessage(
                kind=MessageKind.PLANNED,
                topic=topic,
                payload=notification.as_payload(),
                dedupe_key=f"{announced}-cancelled" if cancelled else announced,
                available_at=available_at,
                expires_at=available_at + ttl,
                created_at=now,
            )
        )
    session.flush()
    return queued


def _follower_locales(session: Session, checkpoint: Checkpoint) -> list[str]:
    """The languages of the checkpoint's followers, each once."""
    return sorted(
        session.scalars(
            select(Device.locale)
            .join(Follow, Follow.device_id == Device.id)
            .where(Follow.checkpoint_id == checkpoint.id)
            .distinct()
        )
    )


def _collapse(
    session: Session, topic: str, payload: dict[str, Any], ttl: timedelta, now: datetime
) -> bool:
    """Rewrite the topic's waiting status message with the newest state; False if none.

    Only a row no worker holds: one being sent keeps its content, and the new state goes
    in a row of its own after it.
    """
    waiting = (
        OutboxMessage.kind == MessageKind.STATUS_CHANGE,
        OutboxMessage.topic == topic,
        OutboxMessage.status == MessageStatus.PENDING,
        OutboxMessage.lease_until.is_(None),
    )
    row = session.execute(
        select(OutboxMessage.id, OutboxMessage.available_at)
        .where(*waiting)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return False
    # the same conditions again, atomically: a worker may have claimed it meanwhile
    updated = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, *waiting)
        .values(payload=payload, expires_at=max(row.available_at, now) + ttl)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).first()
    return updated is not None


def _next_slot(
    session: Session, kind: MessageKind, topic: str, now: datetime, per_hour: int
) -> datetime:
    """Now, or when fewer than ``per_hour`` of the topic's messages of this kind fall in
    the hour before: a message is counted at the time it is (or was) due."""
    times = sorted(
        session.scalars(
            select(OutboxMessage.available_at).where(
                OutboxMessage.kind == kind,
                OutboxMessage.topic == topic,
                # a capped message is due at most one window after it is written
                OutboxMessage.created_at > now - 2 * PUSH_WINDOW,
                OutboxMessage.available_at > now - PUSH_WINDOW,
            )
        )
    )
    if len(times) < per_hour:
        return now
    return max(now, times[len(times) - per_hour] + PUSH_WINDOW)


def queue_report_job(
    session: Session,
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    wait_minutes: int,
    now: datetime | None = None,
) -> None:
    """Write one job for a queue report: the push worker fires its alerts later, in
    batches (``expand_queue_report``), so that a lane with 200,000 armed alerts costs the
    posting request one row. A lane's jobs are expanded one after the other, in the
    order they were written (``topic`` names the lane for that, not an FCM topic)."""
    now = now or utcnow()
    session.add(
        OutboxMessage(
            kind=MessageKind.QUEUE_REPORT,
            lane=OutboxLane.EXPAND,
            topic=f"queue.{checkpoint.id}.{direction.value}.{lane.value}",
            payload={
                "checkpoint": checkpoint.id,
                "direction": direction.value,
                "lane": lane.value,
                "wait_minutes": wait_minutes,
                "reported_at": now.isoformat(),
                "after_alert": 0,
            },
            available_at=now,
            created_at=now,
        )
    )


def expand_queue_report(
    session: Session, job: dict[str, Any], *, batch_size: int = EXPAND_BATCH
) -> tuple[int, int | None]:
    """Fire the next batch of a queue-report job's alerts (those after
    ``job["after_alert"]``); returns how many fired and the last alert id it looked at
    (None when none was left). A checkpoint deleted since has no alerts left."""
    checkpoint = session.get(Checkpoint, job["checkpoint"])
    if checkpoint is None:
        return 0, None
    return _fire_alerts(
        session,
        checkpoint,
        direction=Direction(job["direction"]),
        lane=Lane(job["lane"]),
        wait_minutes=int(job["wait_minutes"]),
        now=datetime.fromisoformat(job["reported_at"]),
        per_hour=ALERTS_PER_DEVICE_PER_HOUR,
        after_alert=int(job.get("after_alert", 0)),
        limit=batch_size,
    )


def _fire_alerts(
    session: Session,
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    wait_minutes: int,
    now: datetime,
    per_hour: int,
    after_alert: int = 0,
    limit: int | None = None,
) -> tuple[int, int | None]:
    """Fire the armed alerts of the lane the wait has dropped below, and re-arm those it
    has risen above, among the alerts after ``after_alert`` (at most ``limit``, in id
    order); returns how many fired and the last alert id looked at (None: none).

    Alerts in a device's quiet hours stay armed and fire on a later report, if the wait
    is still short then. So do alerts of a device that has had ``per_hour`` alerts in the
    last hour; each such held-back fire is written as a dead message marked CAPPED, so
    that it is counted, never silent."""
    query = (
        select(
            QueueAlert.id,
            QueueAlert.below_minutes,
            QueueAlert.armed,
            Device.id,
            Device.token,
            Device.fid,
            Device.locale,
            Device.timezone,
            Device.quiet_start,
            Device.quiet_end,
        )
        .join(Device, Device.id == QueueAlert.device_id)
        .where(
            QueueAlert.checkpoint_id == checkpoint.id,
            QueueAlert.direction == direction,
            QueueAlert.lane == lane,
            QueueAlert.expires_at > now,
            QueueAlert.id > after_alert,
        )
        .order_by(QueueAlert.id)
    )
    rows = session.execute(query if limit is None else query.limit(limit)).all()
    last_alert = rows[-1][0] if rows else None
    due: list[tuple[int, int, int, str | None, str | None, str]] = []
    rearmed: list[int] = []
    for alert_id, below, armed, device_id, token, fid, locale, tz, quiet_start, quiet_end in rows:
        if not armed:
            if wait_minutes >= below + rearm_margin(below):
                rearmed.append(alert_id)
            continue
        if wait_minutes >= below or in_quiet_hours(tz, quiet_start, quiet_end, now):
            continue
        due.append((alert_id, below, device_id, token, fid, locale))
    recent = _recent_alerts(session, [item[2] for item in due], since=now - PUSH_WINDOW)
    fired: list[int] = []
    outbox: list[dict[str, Any]] = []
    rendered: dict[tuple[str, int], dict[str, Any]] = {}
    expires_at = now + timedelta(seconds=messages.TTL_SECONDS)
    for alert_id, below, device_id, token, fid, locale in due:
        if (locale, below) not in rendered:
            rendered[(locale, below)] = messages.queue_alert(
                checkpoint,
                direction=direction,
                lane=lane,
                wait_minutes=wait_minutes,
                below_minutes=below,
                locale=locale,
            ).as_payload()
        row = {
            "kind": MessageKind.QUEUE_ALERT,
            "status": MessageStatus.PENDING,
            "device_id": device_id,
            "token": token,
            "fid": fid,
            "payload": rendered[(locale, below)],
            "attempts": 0,
            "available_at": now,
            "expires_at": expires_at,
            "created_at": now,
            "finished_at": None,
            "last_error": None,
        }
        if recent.get(device_id, 0) >= per_hour:
            # held back: the alert stays armed; the row says so and is never sent
            row |= {"status": MessageStatus.DEAD, "finished_at": now, "last_error": CAPPED}
        else:
            recent[device_id] = recent.get(device_id, 0) + 1
            fired.append(alert_id)
        outbox.append(row)
    for chunk in _chunks(outbox, _BULK_CHUNK):
        session.execute(insert(OutboxMessage), chunk)
    for ids in _chunks(fired, _BULK_CHUNK):
        session.execute(
            update(QueueAlert).where(QueueAlert.id.in_(ids)).values(armed=False, fired_at=now)
        )
    for ids in _chunks(rearmed, _BULK_CHUNK):
        session.execute(update(QueueAlert).where(QueueAlert.id.in_(ids)).values(armed=True))
    return len(fired), last_alert


def _recent_alerts(session: Session, device_ids: list[int], *, since: datetime) -> dict[int, int]:
    """Alerts written for each device since a moment, not counting held-back ones."""
    counts: dict[int, int] = {}
    for ids in _chunks(sorted(set(device_ids)), _BULK_CHUNK):
        rows = session.execute(
            select(OutboxMessage.device_id, func.count())
            .where(
                OutboxMessage.kind == MessageKind.QUEUE_ALERT,
                OutboxMessage.device_id.in_(ids),
                OutboxMessage.created_at > since,
                or_(OutboxMessage.last_error.is_(None), OutboxMessage.last_error != CAPPED),
            )
            .group_by(OutboxMessage.device_id)
        )
        counts.update({device_id: count for device_id, count in rows if device_id is not None})
    return counts


def check_broadcast(
    session: Session,
    *,
    target: str,
    target_id: str | None,
    send_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[str | None, dict[str, int]]:
    """The target checked against the data, the send time against the clock; returns the
    normalised target id and the audience per locale. A dry run and a send both ask it."""
    now = now or utcnow()
    problems: list[FieldProblem] = []
    if target == "all":
        if target_id:
            problems.append(FieldProblem("target_id", N_("Invalid value.")))
        target_id = None
    elif target in ("country", "checkpoint"):
        if not target_id:
            problems.append(FieldProblem("target_id", N_("This field is required.")))
        elif target == "country":
            target_id = target_id.upper()
            if not session.scalar(select(Checkpoint.id).where(Checkpoint.country == target_id)):
                problems.append(
                    FieldProblem(
                        "target_id",
                        N_("No checkpoint is in country %(country)s."),
                        {"country": target_id},
                    )
                )
        elif session.get(Checkpoint, target_id) is None:
            problems.append(
                FieldProblem("target_id", N_("No checkpoint with id %(id)s."), {"id": target_id})
            )
    else:
        problems.append(FieldProblem("target", N_("Choose all, a country or a checkpoint.")))
    if send_at is not None and send_at < now - PAST_SEND_AT_GRACE:
        problems.append(FieldProblem("send_at", N_("This time is in the past.")))
    if problems:
        raise Invalid(problems)
    return target_id, audience_size(session, target, target_id)


def create_broadcast(
    session: Session,
    *,
    actor: Actor,
    texts: dict[str, dict[str, str]],
    target: str,
    target_id: str | None = None,
    send_at: datetime | None = None,
    confirm_audience: int | None,
    daily_cap: int = BROADCASTS_PER_DAY,
    now: datetime | None = None,
) -> tuple[Broadcast, int]:
    """Queue one topic message per locale, each to that locale's audience, at send_at.

    The sender must repeat the audience size a dry run showed (``confirm_audience``);
    at most ``daily_cap`` broadcasts go out in 24 hours. Audited as the actor. Returns
    the broadcast and its audience.
    """
    now = now or utcnow()
    missing = [
        locale
        for locale in KNOWN_LOCALES
        if not (texts.get(locale, {}).get("title") and texts.get(locale, {}).get("body"))
    ]
    if missing:
        raise Invalid(
            [
                FieldProblem(
                    f"texts.{locale}", N_("A title and a body are needed in every language.")
                )
                for locale in missing
            ]
        )
    target_id, audience = check_broadcast(
        session, target=target, target_id=target_id, send_at=send_at, now=now
    )
    total = sum(audience.values())
    if confirm_audience != total:
        raise Invalid(
            [
                FieldProblem(
                    "confirm_audience",
                    N_(
                        "The audience is now %(audience)s devices. Preview with a dry run, "
                        "then send that number as confirm_audience."
                    ),
                    {"audience": total},
                )
            ]
        )
    recent = session.scalar(
        select(func.count()).where(Broadcast.created_at > now - timedelta(days=1))
    )
    if (recent or 0) >= daily_cap:
        raise Invalid(
            [
                FieldProblem(
                    "_request",
                    N_("At most %(limit)s broadcasts may be sent in 24 hours."),
                    {"limit": daily_cap},
                )
            ]
        )
    broadcast = Broadcast(
        texts=texts,
        target=target,
        target_id=target_id,
        send_at=max(send_at or now, now),
        created_by=actor.label,
        created_at=now,
        enqueued_at=now,
    )
    session.add(broadcast)
    session.flush()
    # editors write the stored languages; uz-Cyrl and kk-Latn devices get theirs transliterated
    for locale in SERVED_LOCALES:
        written = texts[base_locale(locale)]
        notification = messages.broadcast(
            derive(written["title"], locale),
            derive(written["body"], locale),
            key=f"broadcast-{broadcast.id}",
            data={"type": "broadcast", "broadcast": str(broadcast.id)},
        )
        session.add(
            OutboxMessage(
                kind=MessageKind.BROADCAST,
                topic=audience_topic(target, target_id, locale),
                payload=notification.as_payload(),
                available_at=broadcast.send_at,
                expires_at=broadcast.send_at + timedelta(hours=24),
                dedupe_key=f"broadcast-{broadcast.id}-{locale}",
            )
        )
    accounts.audit(
        session,
        actor=actor,
        action="broadcast",
        object_type="broadcast",
        object_id=str(broadcast.id),
        after={
            "target": target,
            "target_id": target_id,
            "send_at": broadcast.send_at.isoformat(),
            "audience": total,
            "texts": texts,
        },
    )
    session.flush()
    return broadcast, total


def audience_topic(target: str, target_id: str | None, locale: str) -> str:
    if target == "all":
        return topics.all_topic(locale)
    if target == "country" and target_id:
        return topics.country_topic(target_id, locale)
    if target == "checkpoint" and target_id:
        return topics.checkpoint_topic(target_id, locale)
    raise Invalid([FieldProblem("target", N_("Choose all, a country or a checkpoint."))])


def audience_size(session: Session, target: str, target_id: str | None) -> dict[str, int]:
    """How many devices each locale's message would reach (for a dry run)."""
    query = select(Device.locale, Device.id)
    if target == "country" and target_id:
        query = (
            query.join(Follow, Follow.device_id == Device.id)
            .join(Checkpoint, Checkpoint.id == Follow.checkpoint_id)
            .where(Checkpoint.country == target_id.upper())
        )
    elif target == "checkpoint" and target_id:
        query = query.join(Follow, Follow.device_id == Device.id).where(
            Follow.checkpoint_id == target_id
        )
    counts = dict.fromkeys(SERVED_LOCALES, 0)
    for locale, _ in set(session.execute(query)):
        counts[locale] = counts.get(locale, 0) + 1
    return counts


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_quiet_hours(
    timezone: str | None, quiet_start: str | None, quiet_end: str | None, moment: datetime
) -> bool:
    """Whether the moment falls in the device's quiet hours, in its own time zone."""
    if not (timezone and quiet_start and quiet_end):
        return False
    clock = moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    if quiet_start <= quiet_end:
        return quiet_start <= clock < quiet_end
    return clock >= quiet_start or clock < quiet_end  # e.g. 22:00-07:00


def daily_stats(
    session: Session, *, days: int = 7, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per day (UTC) and kind: queued, sent, retried, dead and pruned messages, and alerts
    capped (held back by the hourly cap, never queued)."""
    now = now or utcnow()
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = session.execute(
        select(
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
            OutboxMessage.finished_at,
            OutboxMessage.last_error,
        ).where(or_(OutboxMessage.created_at >= since, OutboxMessage.finished_at >= since))
    )
    table: dict[tuple[str, str], dict[str, int]] = {}

    def bucket(day: datetime, kind: str) -> dict[str, int]:
        key = (day.date().isoformat(), kind)
        return table.setdefault(key, dict.fromkeys(STAT_NAMES, 0))

    for kind, status, attempts, created_at, finished_at, last_error in rows:
        if status == MessageStatus.DEAD and last_error == CAPPED:
            if created_at >= since:
                bucket(created_at, kind)["capped"] += 1
            continue
        if created_at >= since:
            bucket(created_at, kind)["queued"] += 1
            if attempts > 1:
                bucket(created_at, kind)["retried"] += 1
        if finished_at is not None and finished_at >= since and status != MessageStatus.PENDING:
            bucket(finished_at, kind)[str(status)] += 1
    return [{"day": day, "kind": kind, **counts} for (day, kind), counts in sorted(table.items())]


STAT_NAMES = ("queued", "sent", "retried", "dead", "pruned", "capped")


def _held(now: datetime) -> Any:
    """Status and planned-closure messages waiting for the hourly cap: pending, due later."""
    return and_(
        OutboxMessage.kind.in_((MessageKind.STATUS_CHANGE, MessageKind.PLANNED)),
        OutboxMessage.status == MessageStatus.PENDING,
        OutboxMessage.available_at > now,
    )


def backlog(session: Session, *, now: datetime | None = None) -> dict[str, Any]:
    """Pending messages (of which held: status and planned-closure messages waiting for the
    hourly cap) and the age of the oldest one that is due."""
    now = now or utcnow()
    pending = session.scalar(
        select(func.count()).where(OutboxMessage.status == MessageStatus.PENDING)
    )
    held = session.scalar(select(func.count()).where(_held(now)))
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.available_at <= now
        )
    )
    return {
        "pending": pending or 0,
        "held": held or 0,
        "oldest_due_seconds": (now - oldest).total_seconds() if oldest else 0.0,
    }


def status_counts(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """How many messages are in each status (pending, sent, dead, pruned), with two parts
    counted apart: ``held`` (pending status and planned-closure messages waiting for the
    hourly cap) and ``capped`` (alerts the hourly cap held back; dead, never sent)."""
    now = now or utcnow()
    rows = session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    counts = {status.value: 0 for status in MessageStatus}
    counts.update({str(status): count for status, count in rows})
    counts["held"] = session.scalar(select(func.count()).where(_held(now))) or 0
    counts["capped"] = (
        session.scalar(
            select(func.count()).where(
                OutboxMessage.status == MessageStatus.DEAD, OutboxMessage.last_error == CAPPED
            )
        )
        or 0
    )
    counts[MessageStatus.PENDING.value] -= counts["held"]
    counts[MessageStatus.DEAD.value] -= counts["capped"]
    return counts
