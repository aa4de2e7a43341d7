"""The push worker: claim due outbox rows, send them in batches, record each outcome.

At least once, never lost: a row is claimed with a lease (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so workers on several machines never take the same row);
a worker that dies leaves its rows to be claimed again when the lease runs out. Outcomes
are written only by the worker whose lease still holds. Every message ends sent, pruned
(its token is gone) or dead (invalid, expired or out of attempts), never silently dropped.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from content.checkpoints import crowd
from content.db import utcnow
from push.models import Device, MessageKind, MessageStatus, OutboxMessage
from push.senders import Outgoing, Sender, SendResult

log = logging.getLogger(__name__)

#: the token is gone for good: delete the device
PRUNE_ERRORS = {"UNREGISTERED", "SENDER_ID_MISMATCH"}
#: the message itself is wrong: retrying cannot help
DEAD_ERRORS = {"INVALID_ARGUMENT"}
QUOTA_ERRORS = {"QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    base_delay: timedelta = timedelta(seconds=5)
    quota_base_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(minutes=30)

    def delay(self, attempts: int, error: str, retry_after: float | None) -> timedelta:
        """Exponential backoff with full jitter; never sooner than Retry-After."""
        base = self.quota_base_delay if error in QUOTA_ERRORS else self.base_delay
        ceiling = min(self.max_delay, base * 2 ** max(0, attempts - 1))
        jittered = ceiling * random.uniform(0.5, 1.0)  # noqa: S311  # jitter, not security
        if error in QUOTA_ERRORS:
            jittered = max(jittered, base)
        if retry_after is not None:
            jittered = max(jittered, timedelta(seconds=retry_after))
        return jittered


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: MessageKind
    token: str | None
    topic: str | None
    device_id: int | None
    payload: dict
    attempts: int
    created_at: datetime
    expires_at: datetime | None
    lease_until: datetime


class Worker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        sender: Sender,
        *,
        batch_size: int = 500,
        lease: timedelta = timedelta(seconds=60),
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.batch_size = batch_size
        self.lease = lease
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.name = uuid.uuid4().hex[:8]

    def run_once(self) -> int:
        """Claim one batch and process it; returns how many rows it handled."""
        claimed = self.claim()
        if claimed:
            self.process(claimed)
        return len(claimed)

    def run_forever(self, stop: threading.Event, idle_sleep: float = 1.0) -> None:
        log.info("push worker %s started", self.name)
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception(
                    "push worker %s: batch failed; rows return when leases end", self.name
                )
                handled = 0
            if not handled:
                stop.wait(idle_sleep)

    def claim(self) -> list[Claimed]:
        now = self.clock()
        lease_until = now + self.lease
        with self.sessions() as session, session.begin():
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == MessageStatus.PENDING,
                    OutboxMessage.available_at <= now,
                    or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
                )
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
                .limit(self.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            rows = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(due.scalar_subquery()))
                .values(lease_until=lease_until, attempts=OutboxMessage.attempts + 1)
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.kind,
                    OutboxMessage.token,
                    OutboxMessage.topic,
                    OutboxMessage.device_id,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    OutboxMessage.created_at,
                    OutboxMessage.expires_at,
                )
            ).all()
        return [Claimed(**row._asdict(), lease_until=lease_until) for row in rows]

    def process(self, claimed: Sequence[Claimed]) -> None:
        now = self.clock()
        outcomes: dict[int, SendResult] = {}
        notifications = []
        topic_calls: dict[tuple[MessageKind, str], list[Claimed]] = defaultdict(list)
        for row in claimed:
            if row.kind in (MessageKind.TOPIC_SUBSCRIBE, MessageKind.TOPIC_UNSUBSCRIBE):
                topic_calls[(row.kind, row.topic or "")].append(row)
            elif row.expires_at is not None and row.expires_at <= now:
                outcomes[row.id] = SendResult(ok=False, error="EXPIRED")
            else:
                notifications.append(row)

        if notifications:
            outgoing = [
                Outgoing(payload=r.payload, created_at=r.created_at, token=r.token, topic=r.topic)
                for r in notifications
            ]
            for row, result in zip(
                notifications, self._safely(self.sender.send, outgoing), strict=True
            ):
                outcomes[row.id] = result
        for (kind, topic), rows in topic_calls.items():
            call = (
                self.sender.subscribe
                if kind == MessageKind.TOPIC_SUBSCRIBE
                else self.sender.unsubscribe
            )
            tokens = [r.token or "" for r in rows]
            results = self._safely(functools.partial(_topic_call, call, topic), tokens)
            for row, result in zip(rows, results, strict=True):
                outcomes[row.id] = result
        self.record(claimed, outcomes)

    def _safely(self, call: Callable[[list], list[SendResult]], items: list) -> list[SendResult]:
        """A whole call that failed (timeout, connection refused) is a retryable error for
        each of its messages. A timeout does not prove FCM did not deliver: at least once."""
        try:
            return call(items)
        except Exception as error:  # the SDK raises many kinds; all mean "try again later"
            log.warning("push call failed: %r", error)
            return [SendResult(ok=False, error="UNAVAILABLE")] * len(items)

    def record(self, claimed: Sequence[Claimed], outcomes: dict[int, SendResult]) -> None:
        now = self.clock()
        with self.sessions() as session, session.begin():
            for row in claimed:
                result = outcomes[row.id]
                values: dict = {"lease_until": None}
                if result.ok:
                    values |= {
                        "status": MessageStatus.SENT,
                        "finished_at": now,
                        "fcm_message_id": result.message_id,
                        "last_error": None,
                    }
                elif result.error in PRUNE_ERRORS:
                    values |= {
                        "status": MessageStatus.PRUNED,
                        "finished_at": now,
                        "last_error": result.error,
                    }
                    self._prune(session, row)
                elif (
                    result.error in DEAD_ERRORS
                    or result.error == "EXPIRED"
                    or row.attempts >= self.retry.max_attempts
                ):
                    values |= {
                        "status": MessageStatus.DEAD,
                        "finished_at": now,
                        "last_error": result.error,
                    }
                    log.warning("push message %s dead-lettered: %s", row.id, result.error)
                else:
                    delay = self.retry.delay(row.attempts, result.error or "", result.retry_after)
                    values |= {"available_at": now + delay, "last_error": result.error}
                # only while our lease holds: a row re-claimed by another worker is theirs
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == row.id, OutboxMessage.lease_until == row.lease_until)
                    .values(**values)
                )

    def _prune(self, session: Session, row: Claimed) -> None:
        """The token is gone: delete its device (with follows and alerts) at once, and its
        crowd reports so that readers are told the figures changed."""
        if row.token:
            for device_id in session.scalars(select(Device.id).where(Device.token == row.token)):
                crowd.forget_device(session, device_id)
            session.execute(delete(Device).where(Device.token == row.token))


def _topic_call(
    call: Callable[[Sequence[str], str], list[SendResult]], topic: str, tokens: list[str]
) -> list[SendResult]:
    return call(tokens, topic)
