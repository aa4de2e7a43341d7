"""deploy/nginx.conf with a real nginx: the per-address read limit (limit_req) that
replaces the app's own behind the front, sized for a carrier's NAT address."""

from __future__ import annotations

import http.client
import json
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from faults.servers import ROOT, nginx

#: deploy/nginx.conf's limit is 50 reads a second per address, with a burst of 500; the
#: tests slow the refill to 1 a second, so that what follows the burst is refused however
#: slowly the machine runs them
RATE, BURST = 1, 500

pytestmark = pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")


class Upstream(BaseHTTPRequestHandler):
    """Stands in for gunicorn: every request answers 200 with a small JSON body."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def front(tmp_path: Path) -> Iterator[tuple[str, int]]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        address = f"127.0.0.1:{upstream.server_address[1]}"
        with nginx(
            address, tmp_path / "nginx", tmp_path / "nginx-error.log", reads_per_second=RATE
        ) as base:
            host, port = base.removeprefix("http://").rsplit(":", 1)
            yield host, int(port)
    finally:
        upstream.shutdown()
        upstream.server_close()


def _get(conn: http.client.HTTPConnection, method: str = "GET") -> http.client.HTTPResponse:
    conn.request(method, "/v1/checkpoints?lang=kk")
    response = conn.getresponse()
    response.read()
    return response


def test_the_recipe_allows_50_reads_a_second_with_a_burst_of_500() -> None:
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "zone=reads_per_address:10m rate=50r/s;" in config
    assert "limit_req zone=reads_per_address burst=500 nodelay;" in config


def test_reads_from_one_address_get_a_burst_then_429(front: tuple[str, int]) -> None:
    host, port = front
    with (
        closing(http.client.HTTPConnection(host, port, timeout=5)) as carrier,
        closing(
            http.client.HTTPConnection(host, port, timeout=5, source_address=("127.0.0.2", 0))
        ) as other,
    ):
        _burst_then_429(carrier, other)


def _burst_then_429(carrier: http.client.HTTPConnection, other: http.client.HTTPConnection) -> None:
    started = time.monotonic()
    statuses = [_get(carrier).status for _ in range(BURST + 200)]
    elapsed = time.monotonic() - started
    # the burst is served at once, whatever the pace
    assert statuses[:BURST] == [200] * BURST
    assert 429 in statuses
    # beyond it only the rate refills (one for the first request, a little slack)
    assert statuses.count(200) <= 1 + BURST + RATE * elapsed + 5

    # the refusal is problem JSON with a Retry-After, as the app's own 429
    carrier.request("GET", "/v1/checkpoints")
    refused = carrier.getresponse()
    assert refused.status == 429
    assert refused.getheader("Content-Type") == "application/problem+json"
    assert refused.getheader("Retry-After") == "1"
    assert json.loads(refused.read())["status"] == 429

    # writes are not counted here (the app limits them), and HEAD is a read
    carrier.request("POST", "/v1/devices", body=b"{}", headers={"Content-Type": "application/json"})
    written = carrier.getresponse()
    written.read()
    assert written.status == 200
    assert _get(carrier, "HEAD").status == 429

    # another address has its own allowance
    assert _get(other).status == 200
