"""The fake FCM server itself, where the delivery tests do not reach."""

from __future__ import annotations

import json
import logging
import socket
import struct
import time
import urllib.request
from collections.abc import Iterator

import pytest

from push.fake_fcm import Behaviour, FakeFCMServer


@pytest.fixture
def server() -> Iterator[FakeFCMServer]:
    server = FakeFCMServer(0)
    server.start_in_thread()
    yield server
    server.shutdown()
    server.server_close()


def _send_and_hang_up(server: FakeFCMServer, token: str) -> int:
    """Send a message, then reset the connection before the answer, as a client whose
    timeout ran out does; returns the client's port."""
    body = json.dumps({"message": {"token": token, "data": {"k": "v"}}}).encode()
    head = (
        "POST /v1/projects/fake/messages:send HTTP/1.1\r\nHost: fake\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(server.server_address) as client:
        client.sendall(head + body)
        deadline = time.monotonic() + 5
        while not server.state.attempts:  # the server has read the request
            assert time.monotonic() < deadline, "the fake never read the request"
            time.sleep(0.01)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        port: int = client.getsockname()[1]
    return port


def test_a_client_that_gave_up_leaves_one_debug_line_and_no_traceback(
    server: FakeFCMServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="push.fake_fcm")
    server.state.behaviours["slow"] = Behaviour(delay=0.3)
    port = _send_and_hang_up(server, "slow")

    def ours() -> list[logging.LogRecord]:
        # a fake FCM server of an earlier test may still be logging a client of its own
        return [r for r in caplog.records if f", {port})" in r.getMessage()]

    deadline = time.monotonic() + 5
    while not ours() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)  # whatever else the handler thread would print
    assert [(r.levelno, r.name) for r in ours()] == [(logging.DEBUG, "push.fake_fcm")]
    assert "left before its answer" in ours()[0].getMessage()
    assert capsys.readouterr().err == ""


def test_the_fake_answers_429_with_retry_after_beyond_the_quotas(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from datetime import UTC, datetime

    from push.senders import FCMSender, Outgoing, fake_service_account

    server = FakeFCMServer(0, messages_per_minute=3, subscriptions_per_second=2, minute=30)
    server.start_in_thread()
    account = fake_service_account(server.url, tmp_path_factory.mktemp("quota") / "sa.json")
    sender = FCMSender(credentials=account, base_url=server.url, http_timeout=2)
    try:
        payload = {"title": "t", "body": "b", "collapse_key": "cp-x"}
        now = datetime.now(UTC)
        results = sender.send([Outgoing(payload, now, token=f"t{n}") for n in range(5)])
        refused = [r for r in results if not r.ok]
        assert sum(r.ok for r in results) == 3
        assert {r.error for r in refused} == {"QUOTA_EXCEEDED"}
        # the oldest of the 3 leaves the 30 s window in (0, 30] s: Retry-After says when
        assert all(r.retry_after is not None and 1 <= r.retry_after <= 30 for r in refused)
        subscribed = sender.subscribe(["a", "b", "c", "d"], "cp.kz-kordai.kk")
        assert sum(r.ok for r in subscribed) == 2
        assert {r.error for r in subscribed if not r.ok} == {"QUOTA_EXCEEDED"}
        with urllib.request.urlopen(server.url + "/_fake/stats") as answer:  # noqa: S310
            stats = json.loads(answer.read())
        assert stats["messages"] | {"window_seconds": 0} == {
            "limit": 3,
            "window_seconds": 0,
            "accepted": 3,
            "refused": 2,
            "peak": 3,
        }
        assert (stats["subscriptions"]["accepted"], stats["subscriptions"]["refused"]) == (2, 2)
        assert stats["subscriptions"]["peak"] == 2
    finally:
        sender.close()
        server.shutdown()
        server.server_close()
