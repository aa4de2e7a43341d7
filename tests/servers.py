"""Helpers for the tests that use real servers: a free port, waiting for a gunicorn,
and which Redis to use."""

from __future__ import annotations

import os
import socket
import time
import urllib.request

from redis import Redis, RedisError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(base: str, timeout: float = 30) -> None:
    """Poll the server at `base` until /healthz answers; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(base + "/healthz").read()  # noqa: S310  # loopback
            return
        except OSError:
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)


def redis_url() -> str | None:
    """The Redis the tests may use, or None when none answers: TEST_REDIS_URL, else
    REDIS_URL, else a local server's database 15. `make test`'s run on PostgreSQL names
    database 14, so the two runs side by side never share (nor empty) each other's."""
    url = (
        os.environ.get("TEST_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or "redis://127.0.0.1:6379/15"
    )
    try:
        Redis.from_url(url, socket_timeout=1).ping()
    except RedisError:
        return None
    return url
