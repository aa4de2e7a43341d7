"""Read throughput of `GET /v1/checkpoints?lang=kk` against a bare-Flask baseline.

Both run under the same gunicorn settings on this machine, in the same run; the figure
that matters is the ratio, because absolute numbers on shared machines are noise. The
load generator is wrk (Debian's `wrk`), on loopback only.

    python bench/http_read.py [--seconds 10] [--runs 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
FLASK = str(Path(PYTHON).with_name("flask"))
WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            GUNICORN,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(
                    base + "/healthz" if app == "wsgi:app" else base + "/baseline"
                )
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app} did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wrk(url: str, seconds: int, connections: int) -> float:
    output = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        raise RuntimeError(output)
    if "Non-2xx" in output:
        raise RuntimeError(f"errors during the run:\n{output}")
    return float(match.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk (make bench does it)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite:///{tmp}/bench.db"
        env = {"DATABASE_URL": database_url}
        for command in (["db", "upgrade"], ["seed", "--demo"]):
            subprocess.run(
                [FLASK, "--app", "wsgi", *command],
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                capture_output=True,
            )
        path = "/v1/checkpoints?lang=kk"
        with gunicorn("wsgi:app", env) as base:
            body = urllib.request.urlopen(base + path).read()
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(body)

        app_rates, baseline_rates = [], []
        for _ in range(args.runs):
            with gunicorn("wsgi:app", env) as base:
                wrk(base + path, 2, args.connections)  # warm-up
                app_rates.append(wrk(base + path, args.seconds, args.connections))
            with gunicorn(
                "baseline_app:app",
                {"BASELINE_BODY_FILE": str(body_file), "PYTHONPATH": str(ROOT / "bench")},
            ) as base:
                wrk(base + "/baseline", 2, args.connections)
                baseline_rates.append(wrk(base + "/baseline", args.seconds, args.connections))

    app_median = statistics.median(app_rates)
    baseline_median = statistics.median(baseline_rates)
    result = {
        "benchmark": "http_read",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "endpoint": path,
        "body_bytes": len(body),
        "gunicorn": {"workers": WORKERS, "worker_class": "sync"},
        "wrk": {"seconds": args.seconds, "runs": args.runs, "connections": args.connections},
        "app_req_per_s": app_rates,
        "baseline_req_per_s": baseline_rates,
        "ratio_of_medians": round(app_median / baseline_median, 3),
    }
    out = ROOT / "bench" / "results" / "http_read.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"GET {path}: {len(body)} bytes")
    print(f"  app      median {app_median:8.1f} req/s  runs {app_rates}")
    print(f"  baseline median {baseline_median:8.1f} req/s  runs {baseline_rates}")
    print(f"  ratio app/baseline: {result['ratio_of_medians']}")
    print(f"  written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
