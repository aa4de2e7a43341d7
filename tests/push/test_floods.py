"""Push floods (review 5d): a burst of status toggles and queue reports reaches followers
as at most the hourly cap, ends with the last state, and what is held back is counted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from content.accounts.models import Role
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane, State
from push import devices, outbox
from push.models import Device, MessageKind, MessageStatus, OutboxMessage, Platform
from push.senders import FCMSender
from push.worker import RetryPolicy, Worker
from tests import factories
from tests.conftest import bearer
from tests.push.conftest import FakeFCM, drain

TOKEN = "flooded-phone"
TOPIC = "cp.kz-kordai.kk"


def _follower(session: Session) -> Device:
    """The review's phone: Kazakh, follows Kordai, wants to know when cars wait < 30 min."""
    device, _ = devices.register(session, token=TOKEN, platform=Platform.ANDROID, locale="kk")
    devices.follow(session, device, "kz-kordai")
    factories.kordai_car_alert(session, device)
    session.commit()
    return device


def _status_messages(fake_fcm: FakeFCM) -> list[dict[str, Any]]:
    return [m for m in fake_fcm.messages() if m.get("topic") == TOPIC]


def _alert_messages(fake_fcm: FakeFCM) -> list[dict[str, Any]]:
    return [m for m in fake_fcm.messages() if m.get("token") == TOKEN]


def test_the_reviews_burst_reaches_a_follower_as_the_cap_then_the_last_state(
    client: FlaskClient,
    session: Session,
    worker: Worker,
    fake_fcm: FakeFCM,
    agency_key: Callable[..., str],
    login: Callable[..., dict[str, str]],
    session_factory: sessionmaker[Session],
    fcm_sender: FCMSender,
) -> None:
    """40 toggles and 40 reports alternating 10 and 90 minutes, with the worker sending
    after every post (the worst case: nothing is left to collapse)."""
    _follower(session)
    drain(worker)
    key = bearer(agency_key("KZ"))
    start = datetime.now(UTC) - timedelta(minutes=2)
    states = ["closed", "open"] * 20
    for n, state in enumerate(states):
        status = client.post("/v1/checkpoints/kz-kordai/status", json={"state": state}, headers=key)
        assert status.status_code == 201, status.get_json()
        drain(worker)
        report = {
            "checkpoint": "kz-kordai",
            "direction": "exit",
            "lane": "car",
            "wait_minutes": 10 if n % 2 == 0 else 90,
            "observed_at": (start + timedelta(seconds=n)).isoformat(),
        }
        queued = client.post("/v1/queue-reports", json={"reports": [report]}, headers=key)
        assert queued.status_code == 201, queued.get_json()
        drain(worker)

    assert len(_status_messages(fake_fcm)) == outbox.STATUS_PUSHES_PER_HOUR
    assert len(_alert_messages(fake_fcm)) == outbox.ALERTS_PER_DEVICE_PER_HOUR
    # what is held back is visible: one status message waiting, the capped alerts counted
    stats = client.get("/v1/admin/push/stats", headers=login(Role.PUBLISHER)).get_json()
    assert stats["held"] == 1
    alert_day = next(day for day in stats["days"] if day["kind"] == "queue_alert")
    assert alert_day["capped"] == 20 - outbox.ALERTS_PER_DEVICE_PER_HOUR
    assert alert_day["queued"] == outbox.ALERTS_PER_DEVICE_PER_HOUR
    assert outbox.status_counts(session)["held"] == 1

    # an hour later the held message goes, with the last state the border service posted
    later = Worker(
        session_factory,
        fcm_sender,
        retry=RetryPolicy(max_attempts=3),
        clock=lambda: datetime.now(UTC) + timedelta(hours=1, minutes=1),
    )
    assert drain(later) == 1
    sent = _status_messages(fake_fcm)
    assert len(sent) == outbox.STATUS_PUSHES_PER_HOUR + 1
    assert sent[-1]["data"]["state"] == states[-1]
    assert not session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.status == MessageStatus.PENDING)
    )


def test_a_burst_before_the_worker_runs_collapses_into_its_last_state(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    _follower(session)
    drain(worker)
    for n in range(40):
        state = State.CLOSED if n % 2 == 0 else State.RESTRICTED
        checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=state)
    session.commit()
    rows = list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.STATUS_CHANGE)
        )
    )
    assert len(rows) == 1
    assert drain(worker) == 1
    (message,) = _status_messages(fake_fcm)
    assert message["data"]["state"] == "restricted"


def test_a_message_being_sent_is_not_rewritten(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    """A state that arrives while the worker holds the previous message goes in a row of
    its own, so the newer state is never lost behind an older one marked sent."""
    _follower(session)
    drain(worker)
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    session.commit()
    claimed = worker.claim()
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.OPEN)
    session.commit()
    worker.process(claimed)
    drain(worker)
    assert [m["data"]["state"] for m in _status_messages(fake_fcm)] == ["closed", "open"]


def test_alerts_fire_again_once_the_hour_allows(session: Session) -> None:
    device = _follower(session)
    start = datetime.now(UTC)

    def report(wait: int, at: datetime) -> int:
        checkpoint = checkpoints.get_or_raise(session, "kz-kordai")
        outbox.queue_report_job(
            session,
            checkpoint,
            direction=Direction.EXIT,
            lane=Lane.CAR,
            wait_minutes=wait,
            now=at,
        )
        return factories.fire_queue_alerts(session)

    fired = 0
    for n in range(10):
        fired += report(10 if n % 2 == 0 else 90, start + timedelta(minutes=n))
    assert fired == outbox.ALERTS_PER_DEVICE_PER_HOUR
    alert = devices.alerts(session, device)[0]
    assert alert.armed is True  # held back, still armed: it fires when the hour allows
    assert report(10, start + timedelta(minutes=61)) == 1
