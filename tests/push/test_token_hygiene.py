"""Token hygiene: Firebase installation IDs as targets, and devices unseen for 270 days
pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.checkpoints.models import Checkpoint, Direction, Lane
from push import devices, outbox
from push.models import Device, Follow, MessageKind, OutboxMessage, Platform, QueueAlert
from push.worker import Worker
from tests import factories
from tests.push.conftest import FakeFCM, drain


def _kordai_alert_fires(session: Session) -> None:
    kordai = session.get(Checkpoint, "kz-kordai")
    assert kordai is not None
    outbox.queue_report_job(
        session, kordai, direction=Direction.EXIT, lane=Lane.CAR, wait_minutes=5
    )
    factories.fire_queue_alerts(session)
    session.commit()


def test_a_device_with_an_installation_id_is_sent_to_by_it(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    both, _ = devices.register(
        session, token="old-style", fid="fid-both", platform=Platform.ANDROID, locale="ru"
    )
    only_fid, _ = devices.register(session, fid="fid-only", platform=Platform.IOS, locale="kk")
    for device in (both, only_fid):
        factories.kordai_car_alert(session, device)
    session.commit()
    drain(worker)
    fake_fcm.reset()
    _kordai_alert_fires(session)
    drain(worker)
    alerts = [m for m in fake_fcm.messages() if m["data"].get("type") == "queue"]
    assert sorted(m.get("fid") for m in alerts) == ["fid-both", "fid-only"]
    assert all("token" not in m for m in alerts)


def test_an_unregistered_installation_id_prunes_its_device(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    gone, _ = devices.register(session, fid="fid-gone", platform=Platform.ANDROID, locale="ru")
    factories.kordai_car_alert(session, gone)
    session.commit()
    fake_fcm.behave("fid-gone", error="UNREGISTERED")
    _kordai_alert_fires(session)
    drain(worker)
    assert session.scalar(select(Device).where(Device.fid == "fid-gone")) is None


def test_push_prune_removes_devices_unseen_for_270_days(session: Session, app: Flask) -> None:
    now = datetime.now(UTC)
    stale = factories.device(session, token="stale-phone")
    recent = factories.device(session, token="recent-phone")
    for device in (stale, recent):
        devices.follow(session, device, "kz-kordai")
        factories.kordai_car_alert(session, device)
    stale.last_seen_at = now - timedelta(days=271)
    recent.last_seen_at = now - timedelta(days=269)
    session.commit()
    stale_id = stale.id

    result = app.test_cli_runner().invoke(args=["push", "prune"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 device(s) unseen for 270 days" in result.output
    session.expire_all()
    assert session.get(Device, stale_id) is None
    assert session.get(Device, recent.id) is not None
    assert not list(session.scalars(select(Follow).where(Follow.device_id == stale_id)))
    assert not list(session.scalars(select(QueueAlert).where(QueueAlert.device_id == stale_id)))
    # its token leaves its topics: the worker unsubscribes it
    leaving = session.scalars(
        select(OutboxMessage.topic).where(
            OutboxMessage.kind == MessageKind.TOPIC_UNSUBSCRIBE,
            OutboxMessage.token == "stale-phone",
        )
    )
    assert set(leaving) == {"all.kk", "country.KZ.kk", "cp.kz-kordai.kk"}


def test_prune_works_in_batches_and_takes_the_retention(session: Session) -> None:
    now = datetime.now(UTC)
    for n in range(5):
        factories.device(session, token=f"old-{n}").last_seen_at = now - timedelta(days=40)
    session.flush()
    assert devices.prune(session, older_than=timedelta(days=50), now=now) == 0
    assert devices.prune(session, older_than=timedelta(days=30), now=now, batch_size=3) == 3
    assert devices.prune(session, older_than=timedelta(days=30), now=now, batch_size=3) == 2
    assert devices.prune(session, older_than=timedelta(days=30), now=now) == 0
