"""The fake FCM server, and the real firebase-admin SDK pointed at it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from push.fake_fcm import FakeFCMServer
from push.senders import FCMSender, fake_service_account
from push.worker import RetryPolicy, Worker


class FakeFCM:
    """Test-side handle on the fake server: its URL, what it received, its behaviours."""

    def __init__(self, server: FakeFCMServer) -> None:
        self.server = server
        self.url = server.url

    def _post(self, path: str, body: Any) -> None:
        request = urllib.request.Request(  # noqa: S310  # loopback test server
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).read()  # noqa: S310  # loopback test server

    def reset(self) -> None:
        self._post("/_fake/reset", {})

    def behave(self, token: str, **behaviour: Any) -> None:
        self._post("/_fake/behaviours", {token: behaviour})

    def messages(self) -> list[dict[str, Any]]:
        with self.server.state.lock:
            return [record["message"] for record in self.server.state.messages]

    def topics(self) -> dict[str, set[str]]:
        with self.server.state.lock:
            return {topic: set(tokens) for topic, tokens in self.server.state.topics.items()}


def drain(worker: Worker) -> int:
    """Run the worker until the outbox has nothing due; how many messages it handled."""
    total = 0
    while handled := worker.run_once():
        total += handled
    return total


@pytest.fixture(scope="session")
def fake_fcm_server() -> Iterator[FakeFCMServer]:
    server = FakeFCMServer(0)
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_fcm(fake_fcm_server: FakeFCMServer) -> FakeFCM:
    fake = FakeFCM(fake_fcm_server)
    fake.reset()
    return fake


@pytest.fixture(scope="session")
def fcm_sender(
    fake_fcm_server: FakeFCMServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FCMSender]:
    account = fake_service_account(
        fake_fcm_server.url, tmp_path_factory.mktemp("fcm") / "service-account.json"
    )
    sender = FCMSender(credentials=account, base_url=fake_fcm_server.url, http_timeout=2)
    yield sender
    sender.close()


@pytest.fixture
def worker(session_factory: sessionmaker[Session], fcm_sender: FCMSender) -> Worker:
    return Worker(session_factory, fcm_sender, retry=RetryPolicy(max_attempts=3))
