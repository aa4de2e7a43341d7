"""Helpers for the tests that start a real gunicorn: a free port, and waiting for it."""

from __future__ import annotations

import socket
import time
import urllib.request


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
