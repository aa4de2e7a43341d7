"""Workers as they really run: separate connections and processes, a real kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from push.models import MessageStatus, OutboxMessage
from push.senders import FCMSender
from push.worker import Worker
from tests import factories
from tests.push.conftest import FakeFCM

ROOT = Path(__file__).resolve().parents[2]


def _queue_alerts(engine: Engine, count: int) -> list[str]:
    tokens = [f"proc-{n}" for n in range(count)]
    with Session(engine) as session:
        factories.pending_alerts(session, tokens)
        session.commit()
    return tokens


def test_two_workers_never_claim_the_same_row(
    committed_database: tuple[str, Engine], fcm_sender: FCMSender
) -> None:
    _, engine = committed_database
    _queue_alerts(engine, 400)
    sessions = sessionmaker(bind=engine)
    workers = [Worker(sessions, fcm_sender, batch_size=50) for _ in range(4)]
    claimed: list[list[int]] = [[] for _ in workers]
    errors: list[BaseException] = []

    def claim_all(index: int) -> None:
        try:
            while batch := workers[index].claim():
                claimed[index].extend(c.id for c in batch)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    every = [row_id for ids in claimed for row_id in ids]
    assert len(every) == len(set(every)) == 400


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_nothing(
    committed_database: tuple[str, Engine], fake_fcm: FakeFCM, fcm_sender: FCMSender
) -> None:
    url, engine = committed_database
    tokens = _queue_alerts(engine, 60)
    fake_fcm.behave("*", delay=3)  # every send takes a while: the batch is in flight
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PUSH_BACKEND": "fake",
        "FAKE_FCM_URL": fake_fcm.url,
        "FCM_HTTP_TIMEOUT_SECONDS": "10",
        "PUSH_LEASE_SECONDS": "30",
    }
    process = subprocess.Popen(  # noqa: S603  # our own CLI, fixed arguments
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "push", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while fake_fcm.server.state.requests < 10:  # reset to 0 by the fixture
            assert time.monotonic() < deadline, "the worker never started sending"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    with Session(engine) as session:
        rows = list(session.scalars(select(OutboxMessage)))
        assert all(r.status == MessageStatus.PENDING for r in rows)
        assert all(r.lease_until is not None for r in rows)

    fake_fcm.reset()
    after_lease = Worker(
        sessionmaker(bind=engine),
        fcm_sender,
        clock=lambda: datetime.now(UTC) + timedelta(seconds=31),
    )
    while after_lease.run_once():
        pass
    with Session(engine) as session:
        rows2 = list(session.scalars(select(OutboxMessage)))
        statuses = {r.token: r.status for r in rows2}
    errors = {r.token: (r.last_error, r.attempts) for r in rows2 if r.status != MessageStatus.SENT}
    assert statuses == dict.fromkeys(tokens, MessageStatus.SENT), errors
    assert {m["token"] for m in fake_fcm.messages()} == set(tokens)
