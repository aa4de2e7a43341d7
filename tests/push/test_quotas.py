"""Push within FCM's quotas: the shared pace, the lanes, Retry-After, collapse keys and
lifetimes, as the real SDK sends them to the fake FCM server."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from content.checkpoints import service as checkpoints
from content.checkpoints.models import Checkpoint, Direction, Lane, State
from push import devices, messages, outbox, pace
from push.fake_fcm import FakeFCMServer
from push.models import MessageKind, MessageStatus, OutboxLane, OutboxMessage
from push.senders import FCMSender, fake_service_account
from push.worker import RetryPolicy, Worker
from tests import factories
from tests.push.conftest import FakeFCM, drain
from tests.servers import redis_url


@pytest.fixture
def quota_fcm(tmp_path: Path) -> Iterator[FakeFCMServer]:
    """A fake FCM of the test's own with small quotas: 240 messages in a 4-second
    "minute" (60 a second) and 40 subscription requests a second."""
    server = FakeFCMServer(0, messages_per_minute=240, subscriptions_per_second=40, minute=4.0)
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def _sender(server: FakeFCMServer, tmp_path: Path) -> FCMSender:
    account = fake_service_account(server.url, tmp_path / f"sa-{server.server_address[1]}.json")
    return FCMSender(credentials=account, base_url=server.url, http_timeout=5)


# -- the pace itself -----------------------------------------------------------------------


def test_a_grant_is_a_tenth_of_a_second_at_most_and_reaches_a_second_ahead() -> None:
    granted, next_at = pace.schedule(0.0, 100.0, want=500, per_second=50)
    assert (granted.count, granted.wait, next_at) == (5, 0.0, 100.1)
    # the clock runs ahead by what was granted; the next grant starts there
    granted, next_at = pace.schedule(100.1, 100.0, want=500, per_second=50)
    assert granted.count == 5
    assert granted.wait == pytest.approx(0.1)
    # a full second ahead: nothing more now, ask again when the clock is within reach
    granted, after = pace.schedule(101.0, 100.0, want=500, per_second=50)
    assert (granted.count, after) == (0, 101.0)
    assert granted.wait > 0


def test_grants_never_outrun_the_rate_over_any_window() -> None:
    """Ten workers asking in turn: units granted to start in any window of a second are
    at most the rate plus one grant."""
    next_at, now, starts = 0.0, 1000.0, []
    for step in range(2000):
        granted, next_at = pace.schedule(next_at, now, want=37, per_second=250)
        starts += [now + granted.wait] * granted.count
        now += 0.013 * (step % 3)  # the workers ask at uneven moments
    starts.sort()
    peak = max(
        sum(1 for s in starts[i : i + 400] if s < start + 1.0) for i, start in enumerate(starts)
    )
    assert peak <= 250 + 25


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_workers_share_one_clock(
    backend: str, committed_database: tuple[str, Engine], tmp_path: Path
) -> None:
    """Two workers' paces (two connections, or two Redis clients) hand out one sequence."""
    _, engine = committed_database
    if backend == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("no Redis answers")
        prefix = f"test-pace-{uuid.uuid4().hex}:"
        first: pace.Pace = pace.RedisPace(url, prefix=prefix)
        second: pace.Pace = pace.RedisPace(url, prefix=prefix)
    else:
        frozen = time.time()
        first = pace.DatabasePace(sessionmaker(bind=engine), clock=lambda: frozen)
        second = pace.DatabasePace(sessionmaker(bind=engine), clock=lambda: frozen)
    waits = []
    for shared in (first, second, first, second):
        granted = shared.grant(pace.SUBSCRIPTIONS, 1000, per_second=100)
        assert granted.count == 10
        waits.append(granted.wait)
    # each grant starts a tenth of a second after the one before, whoever asked
    assert waits[0] == pytest.approx(0.0, abs=0.05)
    for before, after in zip(waits, waits[1:], strict=False):
        assert after - before == pytest.approx(0.1, abs=0.05)
    assert first.grant(pace.SENDS, 3, per_second=100).wait == pytest.approx(0.0, abs=0.05)
    # a 429's Retry-After that one worker saw holds the lane for the other too
    first.hold(pace.SENDS, 5.0)
    held = second.grant(pace.SENDS, 3, per_second=100)
    assert held.count == 0
    assert held.wait > 3.5


# -- three workers against the quotas --------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_three_workers_keep_under_the_quotas_and_lose_nothing(
    backend: str,
    committed_database: tuple[str, Engine],
    quota_fcm: FakeFCMServer,
    tmp_path: Path,
) -> None:
    _, engine = committed_database
    sessions = sessionmaker(bind=engine)
    if backend == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("no Redis answers")
        shared: pace.Pace = pace.RedisPace(url, prefix=f"test-pace-{uuid.uuid4().hex}:")
    else:
        shared = pace.DatabasePace(sessions)
    tokens = [f"quota-{n}" for n in range(240)]
    topic_tokens = tokens[:120]
    with Session(engine) as session:
        factories.pending_alerts(session, tokens)
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "kind": MessageKind.TOPIC_SUBSCRIBE,
                    "token": token,
                    "topic": "cp.kz-kordai.ru",
                    "lane": OutboxLane.TOPICS,
                    "payload": {},
                }
                for token in topic_tokens
            ],
        )
        session.commit()
    senders = [_sender(quota_fcm, tmp_path) for _ in range(3)]
    # 90 % of the fake's message quota (54 a second) and 75 % of its subscription quota (30 a
    # second: room for threads that a busy test machine wakes late); a 429 would be
    # retried after a second, and show in the counts below
    workers = [
        Worker(
            sessions,
            sender,
            batch_size=100,
            shared_pace=shared,
            sends_per_minute=0.9 * 60 * 60,
            subscriptions_per_second=0.75 * 40,
            retry=RetryPolicy(max_attempts=50, quota_base_delay=timedelta(seconds=1)),
        )
        for sender in senders
    ]
    stop = threading.Event()
    threads = [
        threading.Thread(target=w.run_forever, args=(stop,), kwargs={"idle_sleep": 0.05})
        for w in workers
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    try:
        while True:
            with Session(engine) as session:
                pending = session.scalar(
                    select(OutboxMessage.id).where(OutboxMessage.status == MessageStatus.PENDING)
                )
            if pending is None:
                break
            if time.monotonic() > deadline:
                with quota_fcm.state.lock:
                    seen = (
                        quota_fcm.state.messages_quota.stats(),
                        quota_fcm.state.subscriptions_quota.stats(),
                    )
                pytest.fail(f"the backlog did not drain in a minute: {seen}")
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        for sender in senders:
            sender.close()
    state = quota_fcm.state
    with state.lock:
        sent_to = [record["message"]["token"] for record in state.messages]
        subscribed = set(state.topics.get("cp.kz-kordai.ru", set()))
        stats = (state.messages_quota.stats(), state.subscriptions_quota.stats())
    # the combined rate stayed under both quotas: FCM never had to refuse
    assert stats[0]["refused"] == 0
    assert stats[0]["peak"] <= 240
    assert stats[1]["refused"] == 0
    assert stats[1]["peak"] <= 40
    # nothing lost, nothing twice
    assert sorted(sent_to) == sorted(tokens)
    assert subscribed == set(topic_tokens)
    with Session(engine) as session:
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {MessageStatus.SENT}


def test_a_429_puts_the_row_back_for_retry_after(
    committed_database: tuple[str, Engine], tmp_path: Path
) -> None:
    """With a pace above its quota, the fake refuses what is past it; those rows wait for
    its Retry-After and are sent later, never dropped."""
    _, engine = committed_database
    server = FakeFCMServer(0, messages_per_minute=2, minute=30)
    server.start_in_thread()
    sender = _sender(server, tmp_path)
    try:
        with Session(engine) as session:
            factories.pending_alerts(session, [f"burst-{n}" for n in range(5)])
            session.commit()
        sessions = sessionmaker(bind=engine)
        # a pace far above the fake's quota: it refuses, and the pace learns from it
        shared = pace.DatabasePace(sessions)
        worker = Worker(
            sessions,
            sender,
            retry=RetryPolicy(max_attempts=3),
            shared_pace=shared,
            sends_per_minute=60_000,
        )
        started = datetime.now(UTC)
        assert worker.run_once() == 5
        with Session(engine) as session:
            rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        sent = [r for r in rows if r.status == MessageStatus.SENT]
        held = [r for r in rows if r.status == MessageStatus.PENDING]
        assert (len(sent), len(held)) == (2, 3)
        for row in held:
            assert row.last_error == "QUOTA_EXCEEDED"
            # the fake said: 30 s until its window frees (and the quota backoff is 1 minute)
            assert row.available_at >= started + timedelta(seconds=29)
        assert worker.run_once() == 0  # nothing is due before then
        # and every worker holds its sends for the Retry-After, through the shared pace
        held = shared.grant(pace.SENDS, 1, per_second=1000)
        assert held.count == 0
        assert held.wait > 25
    finally:
        sender.close()
        server.shutdown()
        server.server_close()


# -- lanes ---------------------------------------------------------------------------------


class _Exhausted:
    """A pace whose subscription lane is used up for now."""

    def grant(self, lane: str, want: int, per_second: float) -> pace.Grant:
        if lane == pace.SUBSCRIPTIONS:
            return pace.Grant(0, 1.0)
        return pace.Grant(want, 0.0)

    def hold(self, lane: str, seconds: float) -> None:
        return None


def test_a_closure_never_waits_behind_a_backlog_of_subscriptions(
    session: Session, session_factory: sessionmaker[Session], fcm_sender: FCMSender
) -> None:
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    session.execute(
        insert(OutboxMessage),
        [
            {
                "kind": MessageKind.TOPIC_SUBSCRIBE,
                "token": f"backlog-{n}",
                "topic": "cp.kz-kordai.kk",
                "lane": OutboxLane.TOPICS,
                "payload": {},
                "available_at": hour_ago,
                "created_at": hour_ago,
            }
            for n in range(1500)
        ],
    )
    devices.follow(session, factories.device(session, token="follower"), "kz-kordai")
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    session.commit()
    worker = Worker(session_factory, fcm_sender, batch_size=100)
    first = worker.claim()
    assert MessageKind.STATUS_CHANGE in {row.kind for row in first}
    # and while the subscriptions' pace is used up, status messages still go
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.OPEN)
    session.commit()
    paced = Worker(session_factory, fcm_sender, batch_size=100, shared_pace=_Exhausted())
    assert {row.kind for row in paced.claim()} == {MessageKind.STATUS_CHANGE}


# -- what an offline phone is left with -------------------------------------------------------


def test_a_device_following_six_checkpoints_gets_every_closure(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    """FCM keeps 4 collapse keys per offline device. Status messages use none, so the
    closures of all 6 checkpoints are stored for the phone; on screen each replaces only
    its own checkpoint's older one (tag); all queue alerts share one FCM key."""
    followed = list(session.scalars(select(Checkpoint).order_by(Checkpoint.id).limit(6)))
    assert len(followed) == 6
    phone = factories.device(session, token="six-phone", locale="ru")
    for checkpoint in followed:
        devices.follow(session, phone, checkpoint.id)
    factories.kordai_car_alert(session, phone, below_minutes=30)
    session.commit()
    drain(worker)
    fake_fcm.reset()
    for checkpoint in followed:
        checkpoints.set_status(
            session, poster=None, checkpoint_id=checkpoint.id, state=State.CLOSED
        )
    kordai = session.get(Checkpoint, "kz-kordai")
    assert kordai is not None
    outbox.queue_report_job(
        session, kordai, direction=Direction.EXIT, lane=Lane.CAR, wait_minutes=10
    )
    factories.fire_queue_alerts(session)
    session.commit()
    drain(worker)
    phone_topics = {f"cp.{c.id}.ru" for c in followed}
    reaching = [
        m
        for m in fake_fcm.messages()
        if m.get("topic") in phone_topics or m.get("token") == "six-phone"
    ]
    statuses = [m for m in reaching if m["data"]["type"] == "status"]
    assert {m["topic"] for m in statuses} == phone_topics
    for message in statuses:
        assert "collapse_key" not in message["android"]
        assert message["android"]["notification"]["tag"] == f"cp-{message['data']['checkpoint']}"
        assert int(message["android"]["ttl"].rstrip("s")) > 11 * 3600
    alerts = [m for m in reaching if m["data"]["type"] == "queue"]
    assert len(alerts) == 1
    assert alerts[0]["android"]["collapse_key"] == "queue"
    assert alerts[0]["android"]["notification"]["tag"] == "queue-kz-kordai"
    fcm_keys = {m["android"]["collapse_key"] for m in reaching if "collapse_key" in m["android"]}
    assert len(fcm_keys) <= 4
    assert fcm_keys == {"queue"}


def test_a_status_lives_until_its_planned_end_and_twelve_hours_at_most() -> None:
    since = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert messages.status_ttl_seconds(since, None, since) == 12 * 3600
    assert messages.status_ttl_seconds(since, since + timedelta(hours=3), since) == 3 * 3600
    assert messages.status_ttl_seconds(since, since + timedelta(days=3), since) == 12 * 3600
    assert messages.status_ttl_seconds(since, since, since) == messages.MIN_TTL_SECONDS
