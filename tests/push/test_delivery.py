"""From an event to the fake FCM server, through the outbox, the worker and the real SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.accounts.service import SYSTEM, Actor
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Checkpoint, CrowdReport, Direction, Lane, Reason, State
from content.locales import KNOWN_LOCALES
from push import devices, messages, outbox
from push.models import Device, MessageKind, MessageStatus, OutboxMessage, Platform
from push.worker import Worker
from tests import factories
from tests.push.conftest import FakeFCM, drain

CLI = Actor("cli")


def _status(session: Session, rows: Any) -> list[MessageStatus]:
    return [row.status for row in rows]


def test_a_closure_reaches_followers_in_their_language(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    for token, locale in (("kk-phone", "kk"), ("ru-phone", "ru"), ("tk-phone", "tk")):
        devices.follow(session, factories.device(session, token=token, locale=locale), "kz-kordai")
    session.commit()
    drain(worker)
    topics = fake_fcm.topics()
    assert topics["cp.kz-kordai.kk"] == {"kk-phone"}
    assert topics["country.KZ.ru"] == {"ru-phone"}

    checkpoints.set_status(
        session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED, reason=Reason.WEATHER
    )
    session.commit()
    assert drain(worker) == 3
    sent = {m["topic"]: m for m in fake_fcm.messages()}
    assert set(sent) == {"cp.kz-kordai.kk", "cp.kz-kordai.ru", "cp.kz-kordai.tk"}
    kazakh = sent["cp.kz-kordai.kk"]
    assert kazakh["notification"]["title"] == "Қордай"
    assert kazakh["notification"]["body"] != sent["cp.kz-kordai.ru"]["notification"]["body"]
    # replaced on screen by the checkpoint's next status; never collapsed by FCM
    assert "collapse_key" not in kazakh["android"]
    assert kazakh["android"]["notification"]["tag"] == "cp-kz-kordai"
    assert kazakh["apns"]["headers"]["apns-collapse-id"] == "cp-kz-kordai"
    assert 11 * 3600 < int(kazakh["android"]["ttl"].rstrip("s")) <= 12 * 3600
    assert kazakh["data"] == {"type": "status", "checkpoint": "kz-kordai", "state": "closed"}


def test_the_same_state_again_sends_nothing(session: Session, worker: Worker) -> None:
    devices.follow(session, factories.device(session, token="phone"), "kz-kordai")
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_nothing_is_sent_for_a_rolled_back_event(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    devices.follow(session, factories.device(session, token="phone"), "kz-kordai")
    session.commit()
    drain(worker)
    nested = session.begin_nested()
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    assert session.scalar(
        select(func.count()).where(OutboxMessage.kind == MessageKind.STATUS_CHANGE)
    )
    nested.rollback()
    assert not session.scalar(
        select(func.count()).where(OutboxMessage.kind == MessageKind.STATUS_CHANGE)
    )
    assert drain(worker) == 0
    assert fake_fcm.messages() == []


def test_a_rejected_post_queues_nothing(client: FlaskClient, session: Session) -> None:
    device = factories.device(session, token="phone")
    factories.kordai_car_alert(session, device)
    session.commit()
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    from content.accounts import service as accounts

    agency = accounts.create_agency(session, actor=SYSTEM, country="KZ", name="KZ")
    _, key = accounts.issue_key(session, actor=SYSTEM, agency=agency)
    session.commit()
    now = datetime.now(UTC).isoformat()
    response = client.post(
        "/v1/queue-reports",
        json={
            "reports": [
                {
                    "checkpoint": "kz-kordai",
                    "direction": "exit",
                    "lane": "car",
                    "wait_minutes": 5,
                    "observed_at": now,
                },
                {
                    "checkpoint": "kz-kordai",
                    "direction": "exit",
                    "lane": "bus",
                    "wait_minutes": 5,
                    "observed_at": now,
                },
            ]
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_queue_alert_fires_once_and_rearms_with_hysteresis(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    device = factories.device(session, token="alert-phone", locale="ru")
    factories.kordai_car_alert(session, device)
    session.commit()
    drain(worker)

    def alerts_sent() -> list[dict[str, Any]]:
        return [m for m in fake_fcm.messages() if m.get("token") == "alert-phone"]

    # 45: above; 20: fires; 25, 29, 33: no repeat (re-arms only at 30 + 6 = 36)
    for wait, expected in ((45, 0), (20, 1), (25, 1), (29, 1), (33, 1), (31, 1)):
        factories.record_queue(session, wait_minutes=wait)
        session.commit()
        drain(worker)
        assert len(alerts_sent()) == expected, wait
    factories.record_queue(session, wait_minutes=40)  # back above 36: re-armed
    factories.record_queue(session, wait_minutes=12)  # fires again
    session.commit()
    drain(worker)
    sent = alerts_sent()
    assert len(sent) == 2
    assert sent[-1]["data"]["wait_minutes"] == "12"
    assert "12 минут" in sent[-1]["notification"]["body"]
    # one FCM collapse key for every queue alert; on screen, one per checkpoint
    assert sent[-1]["android"]["collapse_key"] == "queue"
    assert sent[-1]["android"]["notification"]["tag"] == "queue-kz-kordai"
    assert int(sent[-1]["android"]["ttl"].rstrip("s")) <= 3600


def test_expired_alerts_do_not_fire(session: Session) -> None:
    device = factories.device(session, token="phone")
    factories.kordai_car_alert(
        session, device, lifetime=timedelta(hours=1), now=datetime.now(UTC) - timedelta(hours=2)
    )
    factories.record_queue(session, wait_minutes=5)
    assert not session.scalar(
        select(func.count()).where(OutboxMessage.kind == MessageKind.QUEUE_ALERT)
    )


def test_quiet_hours_hold_back_alerts_but_not_closures(session: Session) -> None:
    device = factories.device(session, token="sleepy")
    now = datetime.now(UTC)
    local = now.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Almaty"))
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=1)).strftime("%H:%M")
    devices.update(session, device, timezone="Asia/Almaty", quiet_hours=(start, end))
    devices.follow(session, device, "kz-kordai")
    alert = factories.kordai_car_alert(session, device)
    factories.record_queue(session, wait_minutes=5)
    assert not session.scalar(
        select(func.count()).where(OutboxMessage.kind == MessageKind.QUEUE_ALERT)
    )
    session.refresh(alert)
    assert alert.armed is True
    checkpoints.set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.CLOSED)
    assert session.scalar(
        select(func.count()).where(OutboxMessage.kind == MessageKind.STATUS_CHANGE)
    )


def _alert_row(session: Session, token: str) -> OutboxMessage:
    device = factories.device(session, token=token)
    factories.kordai_car_alert(session, device)
    factories.record_queue(session, wait_minutes=5)
    session.commit()
    row = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.kind == MessageKind.QUEUE_ALERT, OutboxMessage.token == token
        )
    )
    assert row is not None
    return row


def _only_alerts(session: Session) -> None:
    """Mark topic subscriptions sent, so that a test looks at one alert alone."""
    for row in session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind != MessageKind.QUEUE_ALERT)
    ):
        row.status = MessageStatus.SENT
    session.commit()


def _lone_alert(session: Session, fake_fcm: FakeFCM, token: str, **behaviour: Any) -> OutboxMessage:
    """The one message due: an alert to `token`, which the fake FCM answers with `behaviour`."""
    row = _alert_row(session, token)
    _only_alerts(session)
    fake_fcm.behave(token, **behaviour)
    return row


def test_unregistered_token_deletes_the_device(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    row = _lone_alert(session, fake_fcm, "gone-token", error="UNREGISTERED")
    drain(worker)
    session.refresh(row)
    assert row.status == MessageStatus.PRUNED
    assert session.scalar(select(Device).where(Device.token == "gone-token")) is None


def test_a_pruned_device_takes_its_crowd_reports_and_readers_are_told(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    """Its reports counted in Kordai's crowd figure: the list entry must render again."""
    row = _lone_alert(session, fake_fcm, "gone-reporter", error="UNREGISTERED")
    device = session.scalars(select(Device).where(Device.token == "gone-reporter")).one()
    device.created_at = datetime.now(UTC) - timedelta(hours=1)
    factories.crowd_report(session, device)
    session.commit()
    before = session.get_one(Checkpoint, "kz-kordai").changed_version
    drain(worker)
    session.refresh(row)
    assert row.status == MessageStatus.PRUNED
    assert session.scalars(select(CrowdReport)).all() == []
    session.expire_all()
    assert session.get_one(Checkpoint, "kz-kordai").changed_version > before


def test_invalid_argument_is_dead_at_once(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    row = _lone_alert(session, fake_fcm, "bad-message", error="INVALID_ARGUMENT")
    drain(worker)
    session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == (MessageStatus.DEAD, 1, "INVALID_ARGUMENT")


def test_quota_exceeded_backs_off_honouring_retry_after(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    row = _lone_alert(session, fake_fcm, "busy", error="QUOTA_EXCEEDED", retry_after=300)
    before = datetime.now(UTC)
    drain(worker)
    session.refresh(row)
    assert row.status == MessageStatus.PENDING
    assert row.last_error == "QUOTA_EXCEEDED"
    assert row.available_at >= before + timedelta(seconds=300)


@pytest.mark.parametrize("error", ["UNAVAILABLE", "INTERNAL"])
def test_server_errors_back_off_then_deliver(
    session: Session, worker: Worker, fake_fcm: FakeFCM, error: str
) -> None:
    row = _lone_alert(session, fake_fcm, "flaky", error=error, times=1)
    before = datetime.now(UTC)
    drain(worker)
    session.refresh(row)
    assert row.status == MessageStatus.PENDING
    assert row.available_at > before + timedelta(seconds=2)
    # the backoff passes
    row.available_at = datetime.now(UTC)
    session.commit()
    drain(worker)
    session.refresh(row)
    assert (row.status, row.attempts) == (MessageStatus.SENT, 2)
    assert [m["token"] for m in fake_fcm.messages()] == ["flaky"]


def test_out_of_attempts_is_dead_not_dropped(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    row = _lone_alert(session, fake_fcm, "down", error="UNAVAILABLE")
    for _ in range(worker.retry.max_attempts):
        row.available_at = datetime.now(UTC)
        session.commit()
        drain(worker)
        session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == (MessageStatus.DEAD, 3, "UNAVAILABLE")
    stats = outbox.daily_stats(session)
    alert_stats = next(s for s in stats if s["kind"] == "queue_alert")
    assert alert_stats["dead"] == 1
    assert alert_stats["retried"] == 1


@pytest.mark.slow
def test_a_slow_fcm_times_out_and_the_message_is_retried(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    row = _lone_alert(
        session, fake_fcm, "slow", delay=3, times=1
    )  # longer than the SDK's 2 s timeout
    drain(worker)
    session.refresh(row)
    assert row.status == MessageStatus.PENDING
    assert row.last_error == "DEADLINE_EXCEEDED"


def test_an_expired_message_is_dead_not_sent(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    row = _alert_row(session, "late")
    _only_alerts(session)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    drain(worker)
    session.refresh(row)
    assert (row.status, row.last_error) == (MessageStatus.DEAD, "EXPIRED")
    assert fake_fcm.messages() == []


def test_a_claimed_row_is_not_claimed_again_while_its_lease_holds(
    session: Session, worker: Worker, session_factory: Any, fcm_sender: Any
) -> None:
    _alert_row(session, "leased")
    first = worker.claim()
    second = Worker(session_factory, fcm_sender).claim()
    assert first
    assert second == []
    # the first worker dies; after the lease another one takes the rows
    later = Worker(
        session_factory, fcm_sender, clock=lambda: datetime.now(UTC) + timedelta(minutes=2)
    )
    assert {c.id for c in later.claim()} == {c.id for c in first}


def test_a_stale_lease_holder_cannot_overwrite_the_new_owner(
    session: Session, worker: Worker, session_factory: Any, fcm_sender: Any, fake_fcm: FakeFCM
) -> None:
    row = _alert_row(session, "twice")
    _only_alerts(session)
    stale = worker.claim()
    later = Worker(
        session_factory, fcm_sender, clock=lambda: datetime.now(UTC) + timedelta(minutes=2)
    )
    fresh = later.claim()
    later.process(fresh)
    worker.record(stale, {c.id: messages_failed() for c in stale})
    session.refresh(row)
    assert row.status == MessageStatus.SENT


def messages_failed() -> Any:
    from push.senders import SendResult

    return SendResult(ok=False, error="INVALID_ARGUMENT")


@pytest.mark.parametrize("locale", KNOWN_LOCALES)
def test_the_largest_messages_fit_fcm_limits(session: Session, locale: str) -> None:
    longest = max(session.scalars(select(Checkpoint)), key=lambda c: len(c.names.get(locale, "")))
    longest.names = {**longest.names, locale: longest.names[locale] * 3}
    status = messages.status_change(
        longest,
        state=State.RESTRICTED,
        reason=Reason.MAINTENANCE,
        since=datetime.now(UTC),
        locale=locale,
    )
    alert = messages.queue_alert(
        longest,
        direction=Direction.ENTRY,
        lane=Lane.PEDESTRIAN,
        wait_minutes=4319,
        below_minutes=4320,
        locale=locale,
    )

    def size(payload: dict[str, Any], target: dict[str, str]) -> int:
        # the message as the SDK sends it, with every platform block
        body = {
            **target,
            "notification": {"title": payload["title"], "body": payload["body"]},
            "data": payload["data"],
            "android": {
                "collapse_key": payload["collapse_key"],
                "ttl": "43200s",
                "notification": {"tag": payload["collapse_key"]},
            },
            "apns": {
                "headers": {
                    "apns-collapse-id": payload["collapse_key"],
                    "apns-expiration": "1800000000",
                }
            },
            "webpush": {"headers": {"TTL": "3600", "Topic": payload["collapse_key"][:32]}},
        }
        return len(json.dumps(body, ensure_ascii=False).encode())

    topic = {"topic": f"cp.{longest.id}.{locale}"}
    assert size(status.as_payload(), topic) <= messages.MAX_TOPIC_MESSAGE_BYTES
    token = {"token": "x" * 300}
    assert size(alert.as_payload(), token) <= messages.MAX_TOKEN_MESSAGE_BYTES


def test_broadcast_needs_every_language_then_goes_per_locale(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    from content.errors import Invalid

    texts = {loc: {"title": f"T-{loc}", "body": f"B-{loc}"} for loc in KNOWN_LOCALES}
    with pytest.raises(Invalid):
        outbox.create_broadcast(
            session,
            actor=CLI,
            texts={k: v for k, v in texts.items() if k != "tg"},
            target="all",
            confirm_audience=0,
        )
    outbox.create_broadcast(
        session, actor=CLI, texts=texts, target="country", target_id="KZ", confirm_audience=0
    )
    session.commit()
    drain(worker)
    sent = {m["topic"]: m["notification"]["title"] for m in fake_fcm.messages()}
    # uz-Cyrl and kk-Latn devices read the uz and kk texts in their script
    assert sent == {
        **{f"country.KZ.{loc}": f"T-{loc}" for loc in KNOWN_LOCALES},
        "country.KZ.uz-Cyrl": "Т-уз",
        "country.KZ.kk-Latn": "T-kk",
    }


def test_a_scheduled_broadcast_waits(session: Session, worker: Worker, fake_fcm: FakeFCM) -> None:
    texts = {loc: {"title": "t", "body": "b"} for loc in KNOWN_LOCALES}
    outbox.create_broadcast(
        session,
        actor=CLI,
        texts=texts,
        target="all",
        send_at=datetime.now(UTC) + timedelta(hours=1),
        confirm_audience=0,
    )
    session.commit()
    assert drain(worker) == 0
    assert fake_fcm.messages() == []


def test_enqueue_for_many_followers_is_one_insert_per_chunk(session: Session) -> None:
    tokens = [f"bulk-{n}" for n in range(300)]
    for token in tokens:
        device = Device(token=token, platform=Platform.IOS, locale="ru", secret_hash=token)
        session.add(device)
        session.flush()
        factories.kordai_car_alert(session, device)
    factories.record_queue(session, wait_minutes=10)
    assert (
        session.scalar(select(func.count()).where(OutboxMessage.kind == MessageKind.QUEUE_ALERT))
        == 300
    )


def test_a_stale_registration_is_pruned_when_fcm_says_its_token_is_gone(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    """An app that lost its secret takes a new token and registers again; the old device,
    which only follows (no alert of its own), goes when a topic call reports its token."""
    old = factories.device(session, token="lost-secret-token")
    session.commit()
    fake_fcm.behave("lost-secret-token", error="UNREGISTERED")
    devices.follow(session, old, "kz-kordai")
    session.commit()
    drain(worker)
    print("DBG", [(r.kind, r.status, r.last_error) for r in session.scalars(select(OutboxMessage))])
    assert session.scalar(select(Device).where(Device.token == "lost-secret-token")) is None
    statuses = set(
        session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.token == "lost-secret-token")
        )
    )
    assert statuses == {MessageStatus.PRUNED}
