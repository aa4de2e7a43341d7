"""The push worker: claim due outbox rows, send them in batches, record each outcome.

At least once, never lost: a row is claimed with a lease (on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so workers on several machines never take the same row);
a worker that dies leaves its rows to be claimed again when the lease runs out. Outcomes
are written only by the worker whose lease still holds. Every message ends sent, pruned
(its token is gone) or dead (invalid, expired or out of attempts), never silently dropped.

Lanes, each claimed on its own: queue reports to expand into alerts (database work,
in batches, so a posting request never does it), then notifications (status, planned
closures, queue alerts, broadcasts), then topic subscriptions, so a closure never waits
behind a backlog of subscriptions. Each lane keeps to its share of FCM's quotas through a pace
all workers share (push/pace.py): a worker claims only as many rows as the pace grants,
and waits for the grant's start before calling FCM. A 429 from FCM puts the row back
with its Retry-After, like any other retry.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Delete, Update, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from content.checkpoints import crowd
from content.db import utcnow
from push import outbox, pace
from push.models import Device, MessageKind, MessageStatus, OutboxLane, OutboxMessage
from push.senders import Outgoing, Sender, SendResult

log = logging.getLogger(__name__)

#: the token is gone for good: delete the device
PRUNE_ERRORS = {"UNREGISTERED", "SENDER_ID_MISMATCH"}
#: the message itself is wrong: retrying cannot help
DEAD_ERRORS = {"INVALID_ARGUMENT"}
QUOTA_ERRORS = {"QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"}
#: queue-report jobs one batch takes, each expanded by up to EXPAND_BATCH alerts
EXPAND_JOBS_PER_BATCH = 4


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


class LeaseLost(Exception):
    """Another worker took the row meanwhile: roll back what this one did with it."""


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: MessageKind
    token: str | None
    fid: str | None
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
        shared_pace: pace.Pace | None = None,
        sends_per_minute: float = 540_000,
        subscriptions_per_second: float = 2_500,
        expand_batch: int = outbox.EXPAND_BATCH,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.batch_size = batch_size
        self.lease = lease
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.pace = shared_pace or pace.Unpaced()
        self.expand_batch = expand_batch
        self.rates = {
            OutboxLane.NOTIFY: (pace.SENDS, sends_per_minute / 60),
            OutboxLane.TOPICS: (pace.SUBSCRIPTIONS, float(subscriptions_per_second)),
        }
        #: per lane, the monotonic moment the pace lets the claimed rows go
        self.not_before: dict[OutboxLane, float] = {}
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
        """Queue reports to expand (a few), then notifications, then topic calls, each as
        many as the shared pace grants."""
        claimed = self._claim(OutboxLane.EXPAND, EXPAND_JOBS_PER_BATCH)
        for lane in (OutboxLane.NOTIFY, OutboxLane.TOPICS):
            if isinstance(self.pace, pace.Unpaced):  # no grant to size: no count to ask
                claimed += self._claim(lane, self.batch_size)
                continue
            due = self._due(lane)
            if not due:
                continue
            pace_lane, per_second = self.rates[lane]
            granted = self.pace.grant(pace_lane, due, per_second)
            if granted.count:
                self.not_before[lane] = time.monotonic() + granted.wait
                claimed += self._claim(lane, granted.count)
        return claimed

    def _due(self, lane: OutboxLane) -> int:
        """How many of the lane's rows are due now, up to a batch."""
        now = self.clock()
        with self.sessions() as session:
            due = (
                select(OutboxMessage.id)
                .where(*self._claimable(lane, now))
                .limit(self.batch_size)
                .subquery()
            )
            return int(session.scalar(select(func.count()).select_from(due)) or 0)

    @staticmethod
    def _claimable(lane: OutboxLane, now: datetime) -> tuple:
        conditions = (
            OutboxMessage.status == MessageStatus.PENDING,
            OutboxMessage.lane == lane,
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        if lane != OutboxLane.EXPAND:
            return conditions
        # a queue lane's reports one after the other: hysteresis needs them in order
        earlier = aliased(OutboxMessage)
        return (
            *conditions,
            ~exists().where(
                earlier.lane == OutboxLane.EXPAND,
                earlier.status == MessageStatus.PENDING,
                earlier.topic == OutboxMessage.topic,
                earlier.id < OutboxMessage.id,
            ),
        )

    def _claim(self, lane: OutboxLane, limit: int) -> list[Claimed]:
        now = self.clock()
        lease_until = now + self.lease
        with self.sessions() as session, session.begin():
            due = (
                select(OutboxMessage.id)
                .where(*self._claimable(lane, now))
                .order_by(OutboxMessage.available_at, OutboxMessage.id)
                .limit(limit)
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
                    OutboxMessage.fid,
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
        jobs = [row for row in claimed if row.kind == MessageKind.QUEUE_REPORT]
        for job in sorted(jobs, key=lambda j: j.id):
            self._expand(job)
        for row in claimed:
            if row.kind == MessageKind.QUEUE_REPORT:
                continue
            if row.kind in (MessageKind.TOPIC_SUBSCRIBE, MessageKind.TOPIC_UNSUBSCRIBE):
                topic_calls[(row.kind, row.topic or "")].append(row)
            elif row.expires_at is not None and row.expires_at <= now:
                outcomes[row.id] = SendResult(ok=False, error="EXPIRED")
            else:
                notifications.append(row)

        if notifications:
            outgoing = [
                Outgoing(
                    payload=r.payload,
                    created_at=r.created_at,
                    token=r.token,
                    topic=r.topic,
                    fid=r.fid,
                )
                for r in notifications
            ]
            self._wait_for(OutboxLane.NOTIFY)
            for row, result in zip(
                notifications, self._safely(self.sender.send, outgoing), strict=True
            ):
                outcomes[row.id] = result
        if topic_calls:
            self._wait_for(OutboxLane.TOPICS)
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
        self._hold_on_quota(notifications, topic_calls, outcomes)
        self.record([row for row in claimed if row.id in outcomes], outcomes)

    def _hold_on_quota(
        self,
        notifications: list[Claimed],
        topic_calls: dict[tuple[MessageKind, str], list[Claimed]],
        outcomes: dict[int, SendResult],
    ) -> None:
        """A 429 tells every worker, through the shared pace, to wait its Retry-After (for
        topic calls the SDK drops the header: a second, FCM's window for them)."""
        waits = [
            outcomes[r.id].retry_after or 1.0
            for r in notifications
            if outcomes[r.id].error in QUOTA_ERRORS
        ]
        if waits:
            self.pace.hold(pace.SENDS, max(waits))
        quota_topics = any(
            outcomes[r.id].error in QUOTA_ERRORS for rows in topic_calls.values() for r in rows
        )
        if quota_topics:
            self.pace.hold(pace.SUBSCRIPTIONS, 1.0)

    def _expand(self, job: Claimed) -> None:
        """Fire one batch of a queue report's alerts, in one transaction with the job's
        progress: the job is deleted when its last batch is done, else due again at once,
        keeping its place before its lane's later reports. A lease lost meanwhile rolls
        the batch back (its new owner does it)."""
        try:
            with self.sessions() as session, session.begin():
                _, last = outbox.expand_queue_report(
                    session, job.payload, batch_size=self.expand_batch
                )
                ours = (OutboxMessage.id == job.id, OutboxMessage.lease_until == job.lease_until)
                done: Delete | Update
                if last is None:
                    done = delete(OutboxMessage).where(*ours)
                else:
                    done = (
                        update(OutboxMessage)
                        .where(*ours)
                        .values(
                            payload={**job.payload, "after_alert": last},
                            attempts=0,
                            lease_until=None,
                        )
                    )
                if session.execute(done.returning(OutboxMessage.id)).first() is None:
                    raise LeaseLost(job.id)
        except LeaseLost:
            log.warning("push worker %s: lost the lease of queue report job %s", self.name, job.id)
        except Exception:
            log.exception("push worker %s: queue report job %s failed", self.name, job.id)
            self.record([job], {job.id: SendResult(ok=False, error="INTERNAL")})

    def _wait_for(self, lane: OutboxLane) -> None:
        """Sleep until the pace's grant for the lane starts (at most a second)."""
        delay = self.not_before.pop(lane, 0.0) - time.monotonic()
        if delay > 0:
            time.sleep(delay)

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
        """The token (or installation ID) is gone: delete its device (with follows and
        alerts) at once, and its crowd reports so that readers are told the figures changed."""
        if row.fid:
            gone = Device.fid == row.fid
        elif row.token:
            gone = Device.token == row.token
        else:
            return
        for device_id in session.scalars(select(Device.id).where(gone)):
            crowd.forget_device(session, device_id)
        session.execute(delete(Device).where(gone))


def _topic_call(
    call: Callable[[Sequence[str], str], list[SendResult]], topic: str, tokens: list[str]
) -> list[SendResult]:
    return call(tokens, topic)
