"""gunicorn as configured by gunicorn.conf.py: each request leaves one log line, the app's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import Engine

from tests.servers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]


def test_a_request_is_logged_once(committed_database: tuple[str, Engine], tmp_path: Path) -> None:
    url, _ = committed_database
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "IMAGE_DIR": str(tmp_path),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "REQUEST_LOG": "on",
    }
    process = subprocess.Popen(  # noqa: S603  # our own server, fixed arguments
        [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base)
        time.sleep(0.3)  # past the request log's flush interval, so this line is flushed
        request = urllib.request.Request(  # noqa: S310  # loopback
            base + "/v1/locales", headers={"X-Request-ID": "logged-once"}
        )
        urllib.request.urlopen(request).read()  # noqa: S310  # loopback
        time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    lines = [line for line in output.splitlines() if "/v1/locales" in line]
    assert len(lines) == 1, lines
    assert json.loads(lines[0])["request_id"] == "logged-once"
