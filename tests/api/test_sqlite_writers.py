"""The embedded SQLite default under ordinary concurrent writes: two web workers and the
push worker, real processes, on one committed database. No write may get a 503."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import AuthToken, Role
from content.accounts.service import SYSTEM
from content.checkpoints.models import QueueReport
from push.models import MessageStatus, OutboxMessage
from tests import factories
from tests.servers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _post(url: str, body: dict[str, object], headers: dict[str, str]) -> int:
    request = urllib.request.Request(  # noqa: S310  # loopback
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.slow
def test_web_and_push_workers_write_at_once_without_a_503(
    committed_database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = committed_database
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's write lock only")
    with Session(engine) as session:
        agency = accounts.create_agency(session, actor=SYSTEM, country="KZ", name="KZ")
        _, key = accounts.issue_key(session, actor=SYSTEM, agency=agency)
        for n in range(4):
            accounts.create_user(
                session,
                actor=SYSTEM,
                email=f"u{n}@example.com",
                password=PASSWORD,
                role=Role.EDITOR,
            )
        session.commit()
    with Session(engine) as session:
        factories.pending_alerts(session, [f"t-{n}" for n in range(3000)])
        session.commit()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "IMAGE_DIR": str(tmp_path),
        "PUSH_BACKEND": "log",
        "RATE_LIMITS": "off",
        "REQUEST_LOG": "off",
    }
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen(  # noqa: S603  # our own server, fixed arguments
        [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    push = subprocess.Popen(  # noqa: S603  # our own CLI, fixed arguments
        [str(bin_dir / "flask"), "--app", "wsgi", "push", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    statuses: list[tuple[str, int]] = []
    lock = threading.Lock()

    def sign_ins(n: int) -> None:
        for _ in range(6):
            status = _post(
                f"{base}/v1/auth/tokens", {"email": f"u{n}@example.com", "password": PASSWORD}, {}
            )
            with lock:
                statuses.append(("token", status))

    def queue_posts(n: int) -> None:
        for i in range(30):
            observed = (datetime.now(UTC) - timedelta(seconds=n * 100 + i)).isoformat()
            report = {
                "direction": "exit",
                "lane": "car",
                "wait_minutes": i,
                "observed_at": observed,
            }
            status = _post(
                f"{base}/v1/checkpoints/kz-kordai/queues",
                {"reports": [report]},
                {"Authorization": f"Bearer {key}"},
            )
            with lock:
                statuses.append(("queue", status))

    try:
        wait_until_healthy(base)
        threads = [threading.Thread(target=sign_ins, args=(n,)) for n in range(4)]
        threads += [threading.Thread(target=queue_posts, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        for process in (web, push):
            process.send_signal(signal.SIGTERM)
        for process in (web, push):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    refused = [item for item in statuses if item[1] >= 500]
    assert not refused, f"{len(refused)} of {len(statuses)} writes failed: {refused[:5]}"
    assert len(statuses) == 4 * 6 + 4 * 30
    tokens = sum(1 for kind, status in statuses if kind == "token" and status == 201)
    queues = sum(1 for kind, status in statuses if kind == "queue" and status == 201)
    assert tokens == 24
    assert queues == 120
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuthToken)) == tokens
        assert session.scalar(select(func.count()).select_from(QueueReport)) == queues
        sent = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status != MessageStatus.PENDING)
        )
        assert sent, "the push worker wrote nothing meanwhile"
