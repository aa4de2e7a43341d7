"""A queue report's alerts are fired by the push worker, in batches, not in the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from content.accounts import service as accounts
from content.accounts.service import SYSTEM
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Lane
from push.models import Device, MessageKind, OutboxMessage, Platform, QueueAlert
from push.senders import FCMSender
from push.worker import Worker
from tests import factories
from tests.push.conftest import FakeFCM, drain


def _count(session: Session, kind: MessageKind) -> int:
    return session.scalar(select(func.count()).where(OutboxMessage.kind == kind)) or 0


def _post(client: FlaskClient, key: str, wait: int) -> None:
    report = {
        "checkpoint": "kz-kordai",
        "direction": "exit",
        "lane": "car",
        "wait_minutes": wait,
        "observed_at": datetime.now(UTC).isoformat(),
    }
    answer = client.post(
        "/v1/queue-reports", json={"reports": [report]}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 201, answer.get_json()


def test_the_request_writes_one_job_and_the_worker_fires_every_alert_in_batches(
    client: FlaskClient,
    session: Session,
    session_factory: sessionmaker[Session],
    fcm_sender: FCMSender,
    fake_fcm: FakeFCM,
) -> None:
    tokens = [f"fan-{n}" for n in range(23)]
    for token in tokens:
        factories.kordai_car_alert(session, factories.device(session, token=token, locale="ru"))
    agency = accounts.create_agency(session, actor=SYSTEM, country="KZ", name="KZ")
    _, key = accounts.issue_key(session, actor=SYSTEM, agency=agency)
    session.commit()
    worker = Worker(session_factory, fcm_sender, expand_batch=5)
    drain(worker)  # the topic subscriptions of the new devices
    fake_fcm.reset()

    _post(client, key, wait=10)
    # the request wrote one job, no alert
    assert _count(session, MessageKind.QUEUE_REPORT) == 1
    assert _count(session, MessageKind.QUEUE_ALERT) == 0
    assert worker.run_once() == 1  # the first 5 alerts
    assert _count(session, MessageKind.QUEUE_ALERT) == 5
    drain(worker)
    assert _count(session, MessageKind.QUEUE_REPORT) == 0  # done, and gone
    alerts = [m["token"] for m in fake_fcm.messages() if m["data"]["type"] == "queue"]
    assert sorted(alerts) == sorted(tokens)  # every one, once
    assert not session.scalar(select(func.count()).where(QueueAlert.armed.is_(True)))


def test_a_lanes_reports_are_expanded_in_the_order_they_came(
    session: Session, session_factory: sessionmaker[Session], fcm_sender: FCMSender
) -> None:
    """40 re-arms what fired at 10; 12 fires it again: only in that order."""
    phone = Device(token="order-phone", platform=Platform.ANDROID, locale="ru", secret_hash="o")
    session.add(phone)
    session.flush()
    factories.kordai_car_alert(session, phone)
    start = datetime.now(UTC) - timedelta(minutes=5)
    for n, wait in enumerate((10, 40, 12)):
        report = factories.queue_report(wait_minutes=wait, observed_at=start + timedelta(seconds=n))
        checkpoints.record_queues(session, poster=None, reports=[report])
    # another lane's report is not held back by this lane's
    checkpoints.record_queues(
        session, poster=None, reports=[factories.queue_report(wait_minutes=5, lane=Lane.TRUCK)]
    )
    session.commit()
    worker = Worker(session_factory, fcm_sender)
    claimed = worker.claim()
    jobs = [row for row in claimed if row.kind == MessageKind.QUEUE_REPORT]
    assert sorted((job.payload["lane"], job.payload["wait_minutes"]) for job in jobs) == [
        ("car", 10),
        ("truck", 5),
    ]
    worker.process(claimed)
    drain(worker)
    waits = session.scalars(
        select(OutboxMessage.payload).where(
            OutboxMessage.kind == MessageKind.QUEUE_ALERT, OutboxMessage.token == "order-phone"
        )
    )
    assert sorted(payload["data"]["wait_minutes"] for payload in waits) == ["10", "12"]
