"""Push throughput against the local fake FCM server (a separate process), in one run:

(a) messages per second sent straight through firebase-admin's send_each;
(b) messages per second the outbox worker drains, for 20,000 per-device alerts;
and (b)/(a), which should be at least 0.7. Then, for 100,000 devices with an alert at one
checkpoint: how long the queue report's request takes (it writes one job), and how long
the worker's expansion of that job into 100,000 alerts takes, in batches.

    python bench/push.py [--messages 20000] [--devices 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.cli import alembic_config  # noqa: E402  # after the path is set
from api.db import make_engine  # noqa: E402  # after the path is set
from content.checkpoints import service as checkpoints  # noqa: E402  # after the path is set
from content.checkpoints.models import Direction, Lane  # noqa: E402  # after the path is set
from content.seed import loader  # noqa: E402  # after the path is set
from faults.servers import fake_fcm  # noqa: E402  # after the path is set
from push import outbox  # noqa: E402  # after the path is set
from push.models import (  # noqa: E402  # after the path is set
    Device,
    MessageKind,
    OutboxMessage,
    Platform,
    QueueAlert,
)
from push.senders import (  # noqa: E402  # after the path is set
    FCMSender,
    Outgoing,
    fake_service_account,
)
from push.worker import Worker  # noqa: E402  # after the path is set
from tests import factories  # noqa: E402  # after the path is set

PAYLOAD = {
    "title": "Қордай: кезек қысқарды",
    "body": "Жеңіл көліктер, шығу: 12 минут",
    "collapse_key": "cp-kz-kordai",
    "data": {"type": "queue"},
    "ttl_seconds": 3600,
}


def sdk_rate(sender: FCMSender, count: int) -> float:
    now = datetime.now(UTC)
    messages = [Outgoing(PAYLOAD, now, token=f"sdk-{n}") for n in range(count)]
    started = time.perf_counter()
    results = sender.send(messages)  # send_each, 500 at a time
    elapsed = time.perf_counter() - started
    assert all(r.ok for r in results), "the fake refused messages"
    return count / elapsed


def worker_rate(sessions: sessionmaker[Session], sender: FCMSender, count: int) -> float:
    with sessions() as session:
        session.execute(delete(OutboxMessage))
        factories.pending_alerts(session, [f"w-{n}" for n in range(count)], payload=PAYLOAD)
        session.commit()
    worker = Worker(sessions, sender, batch_size=500)
    started = time.perf_counter()
    while worker.run_once():
        pass
    elapsed = time.perf_counter() - started
    with sessions() as session:
        sent = session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    assert sent == count, f"only {sent} of {count} sent"
    return count / elapsed


def enqueue_seconds(sessions: sessionmaker[Session], devices: int) -> tuple[float, float]:
    """Seconds the queue report's request takes, and the worker's expansion of its job."""
    now = datetime.now(UTC)
    with sessions() as session:
        session.execute(delete(OutboxMessage))
        for start in range(0, devices, 10_000):
            rows = range(start, min(devices, start + 10_000))
            session.execute(
                insert(Device),
                [
                    {
                        "token": f"fan-{n}",
                        "platform": Platform.ANDROID,
                        "locale": ("kk", "ru", "uz", "ky", "tg", "tk", "en")[n % 7],
                        "secret_hash": f"h{n}",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in rows
                ],
            )
        ids = list(session.scalars(select(Device.id).where(Device.token.like("fan-%"))))
        for start in range(0, len(ids), 10_000):
            session.execute(
                insert(QueueAlert),
                [
                    {
                        "device_id": i,
                        "checkpoint_id": "kz-kordai",
                        "direction": Direction.EXIT,
                        "lane": Lane.CAR,
                        "below_minutes": 30,
                        "armed": True,
                        "created_at": now,
                        "expires_at": now + timedelta(hours=24),
                    }
                    for i in ids[start : start + 10_000]
                ],
            )
        session.commit()
    with sessions() as session:
        started = time.perf_counter()
        checkpoints.record_queues(
            session,
            poster=None,
            reports=[checkpoints.QueueObservation("kz-kordai", Direction.EXIT, Lane.CAR, 10, now)],
        )
        session.commit()
        request = time.perf_counter() - started
    with sessions() as session:
        started = time.perf_counter()
        # as the worker does it: a batch per transaction, the job's progress with it
        job = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.QUEUE_REPORT)
        ).one()
        progress = dict(job.payload)
        while (last := outbox.expand_queue_report(session, progress)[1]) is not None:
            progress["after_alert"] = last
            session.commit()
        session.delete(job)
        session.commit()
        expand = time.perf_counter() - started
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert queued == devices, f"{queued} alerts queued for {devices} devices"
    return request, expand


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/push-bench.db"
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        with sessions() as session:
            loader.load_checkpoints(session)
            session.commit()
        with fake_fcm(Path(tmp) / "fake-fcm.log") as fake:
            account = fake_service_account(fake.url, Path(tmp) / "sa.json")
            sender = FCMSender(credentials=account, base_url=fake.url, http_timeout=30)
            sdk_rate(sender, 1000)  # warm-up: connections, token
            sdk = sdk_rate(sender, args.messages)
            drained = worker_rate(sessions, sender, args.messages)
            request, fan_out = enqueue_seconds(sessions, args.devices)
            sender.close()
        engine.dispose()

    result = {
        "benchmark": "push",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": url.split(":")[0],
        "messages": args.messages,
        "sdk_msgs_per_s": round(sdk, 1),
        "worker_msgs_per_s": round(drained, 1),
        "worker_over_sdk": round(drained / sdk, 3),
        "devices": args.devices,
        "queue_report_request_seconds": round(request, 3),
        "enqueue_alerts_seconds": round(fan_out, 2),
    }
    out = ROOT / "bench" / "results" / "push.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"(a) firebase-admin send_each: {sdk:8.1f} msg/s")
    print(f"(b) outbox worker:            {drained:8.1f} msg/s   ({args.messages} alerts)")
    print(f"    (b)/(a) = {result['worker_over_sdk']}   (target ≥ 0.7)")
    print(f"queue report request with {args.devices} alerts armed: {request:.3f} s (one job)")
    print(f"the worker enqueues those {args.devices} alerts in batches: {fan_out:.2f} s")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PUSH_BACKEND", "fake")
    sys.exit(main())
