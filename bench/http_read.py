"""Reads under load, as ratios against baselines measured in the same run.

Every figure compares the app with a baseline under the same gunicorn settings
(gunicorn.conf.py, 2 workers), on this machine, with wrk on loopback; at least 3 runs
of 10 seconds each, medians reported. Results go to bench/results/http_read.json and a
Markdown table to bench/results/http_read.md.

    python bench/http_read.py [--seconds 10] [--runs 3]

Rows (the targets are the issue's):
- GET /v1/checkpoints?lang=kk, warm cache, vs a minimal Flask endpoint with the same bytes
- the same with If-None-Match (304) vs a minimal Flask 304
- GET /v1/checkpoints/{id}, /v1/campaigns, /v1/customs/rules vs the same baseline
- p99 latency of the list at half its peak rate vs the baseline's p99 at that rate
- the list through the nginx front (deploy/nginx.conf) vs nginx serving the bytes as a file
- gunicorn worker resident memory after the read benchmark

The history-size rows (PostgreSQL) are bench/scale.py's, which uses this module's helpers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from faults import servers  # noqa: E402  # after the path is set
from faults.servers import flask, free_port  # noqa: E402

LOCALES = ["kk", "ru", "uz", "ky", "tg", "tk", "en"]
ENDPOINTS = {
    "list": "/v1/checkpoints?lang=kk",
    "detail": "/v1/checkpoints/kz-kordai?lang=kk",
    "campaigns": "/v1/campaigns?lang=kk",
    "customs": "/v1/customs/rules?lang=kk",
}
PACED = ROOT / "bench" / "paced.lua"
RESULTS = ROOT / "bench" / "results"


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], tmp: Path, probe: str = "/healthz"
) -> Iterator[servers.Gunicorn]:
    """`app` under gunicorn.conf.py with 2 workers, as every figure here measures it."""
    # one client IP sends everything: the read limit stays on (its cost is measured) but
    # high enough never to refuse; the app still writes its JSON line per request (its
    # cost is measured), to nowhere
    env = {"READ_RATE_LIMIT": "1000000000 per minute", **env}
    with servers.gunicorn(env, tmp / "gunicorn.log", workers=2, app=app, probe=probe) as server:
        yield server


def wrk(
    url: str,
    seconds: int,
    *,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
    env: dict[str, str] | None = None,
    connections: int = 32,
) -> dict[str, float]:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", str(script)]
    completed = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    if completed.stderr:
        # a Lua script's error: wrk goes on with its plain request to `url` and exits 0
        raise RuntimeError(completed.stderr)
    output = completed.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    if not rate or not p99 or "Non-2xx" in output and "304" not in url:
        raise RuntimeError(output)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "rate": float(rate.group(1)),
        "p99_ms": float(p99.group(1)) * scale,
        "non_2xx": "Non-2xx" in output,
    }


def read_rows(args: argparse.Namespace, tmp: Path, results: dict) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "IMAGE_DIR": str(tmp / "images")}
    flask(["db", "upgrade"], env)
    flask(["seed", "--demo"], env)
    bodies: dict[str, bytes] = {}
    with gunicorn("wsgi:app", env, tmp) as server:
        base = server.base
        for name, path in ENDPOINTS.items():
            bodies[name] = urllib.request.urlopen(base + path).read()
        etag = urllib.request.urlopen(base + ENDPOINTS["list"]).headers["ETag"]
        sizes = {}
        for locale in LOCALES:
            request = urllib.request.Request(
                f"{base}/v1/checkpoints?lang={locale}", headers={"Accept-Encoding": "gzip"}
            )
            with urllib.request.urlopen(request) as response:
                sizes[locale] = {
                    "gzip_bytes": len(response.read()),
                    "encoding": response.headers.get("Content-Encoding"),
                }
        results["list_sizes"] = sizes
    for name, body in bodies.items():
        (tmp / f"{name}.json").write_bytes(body)
    baseline_env = {"BASELINE_DIR": str(tmp), "PYTHONPATH": str(ROOT / "bench")}

    runs: dict[str, list[float]] = {}
    memory: list[int] = []
    for _ in range(args.runs):
        with gunicorn("wsgi:app", env, tmp) as server:
            base = server.base
            for name, path in ENDPOINTS.items():
                wrk(base + path, 2)
                runs.setdefault(f"app {name}", []).append(wrk(base + path, args.seconds)["rate"])
            runs.setdefault("app 304", []).append(
                wrk(base + ENDPOINTS["list"], args.seconds, headers={"If-None-Match": etag})["rate"]
            )
            memory.append(max(worker_rss(server)))
        with gunicorn("baseline_app:app", baseline_env, tmp, "/baseline/list") as server:
            base = server.base
            for name in ENDPOINTS:
                wrk(f"{base}/baseline/{name}", 2)
                runs.setdefault(f"baseline {name}", []).append(
                    wrk(f"{base}/baseline/{name}", args.seconds)["rate"]
                )
            runs.setdefault("baseline 304", []).append(
                wrk(f"{base}/baseline/list", args.seconds, headers={"If-None-Match": '"b"'})["rate"]
            )
    medians = {key: statistics.median(values) for key, values in runs.items()}
    results["runs"] = runs
    rows = results["rows"]
    rows.append(
        row(
            "GET /v1/checkpoints?lang=kk, 200, warm cache",
            medians["app list"],
            medians["baseline list"],
            ">= 0.85",
        )
    )
    rows.append(
        row("same with If-None-Match, 304", medians["app 304"], medians["baseline 304"], ">= 0.9")
    )
    for name, label in (
        ("detail", "GET /v1/checkpoints/{id}"),
        ("campaigns", "GET /v1/campaigns"),
        ("customs", "GET /v1/customs/rules"),
    ):
        rows.append(row(label, medians[f"app {name}"], medians[f"baseline {name}"], ">= 0.8"))

    # p99 at half the peak: wrk paced by a Lua script to a fixed rate per connection
    rate = medians["app list"] / 2
    connections = 16
    paced_env = {"WRK_DELAY_MS": str(round(1000 * connections / rate, 3))}
    with gunicorn("wsgi:app", env, tmp) as server:
        base = server.base
        wrk(base + ENDPOINTS["list"], 2)  # warm every worker's cache first
        app_p99 = wrk(
            base + ENDPOINTS["list"],
            args.seconds,
            script=PACED,
            env=paced_env,
            connections=connections,
        )
    with gunicorn("baseline_app:app", baseline_env, tmp, "/baseline/list") as server:
        base = server.base
        wrk(f"{base}/baseline/list", 2)
        base_p99 = wrk(
            f"{base}/baseline/list",
            args.seconds,
            script=PACED,
            env=paced_env,
            connections=connections,
        )
    rows.append(
        {
            "figure": f"p99 of the list at ~{rate:.0f} req/s (half its peak)",
            "measured": round(app_p99["p99_ms"], 2),
            "baseline": round(base_p99["p99_ms"], 2),
            "ratio": round(app_p99["p99_ms"] / base_p99["p99_ms"], 3),
            "target": "<= 1.5",
            "unit": "ms",
        }
    )
    results["worker_rss_mb"] = round(max(memory) / 1024, 1)
    rows.append(
        {
            "figure": "gunicorn worker resident memory after the read benchmark",
            "measured": results["worker_rss_mb"],
            "baseline": None,
            "ratio": None,
            "target": "< 150 MB",
            "unit": "MB",
        }
    )
    nginx_rows(args, tmp, env, bodies["list"], results)


def worker_rss(server: servers.Gunicorn) -> list[int]:
    """Resident memory (kB) of each gunicorn worker, from /proc."""
    sizes = []
    for pid in server.workers():
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)))
    return sizes or [0]


def nginx_rows(
    args: argparse.Namespace, tmp: Path, env: dict[str, str], body: bytes, results: dict
) -> None:
    if not shutil.which("nginx"):
        results["rows"].append({"figure": "list through the nginx front", "skipped": "no nginx"})
        return
    static = tmp / "static"
    static.mkdir()
    (static / "list.json").write_bytes(body)
    runtime = tmp / "nginx"
    runtime.mkdir()
    rates: dict[str, list[float]] = {"front": [], "static": []}
    with gunicorn("wsgi:app", env, tmp) as server:
        base = server.base
        port = free_port()
        config = (ROOT / "deploy" / "nginx.conf").read_text()
        for marker, value in (
            ("@RUNTIME@", str(runtime)),
            ("@UPSTREAM@", base.split("//")[1]),
            ("@LISTEN@", f"127.0.0.1:{port}"),
            ("@STATIC@", str(static)),
        ):
            config = config.replace(marker, value)
        if os.geteuid() == 0:
            # as root, nginx's workers would run as nobody, who cannot enter our temp dir
            config = "user root;\n" + config
        conf_file = runtime / "nginx.conf"
        conf_file.write_text(config)
        process = subprocess.Popen(["nginx", "-c", str(conf_file), "-g", "daemon off;"])
        front = f"http://127.0.0.1:{port}"
        try:
            servers.wait_until(
                lambda: urllib.request.urlopen(front + ENDPOINTS["list"], timeout=2).status == 200,
                60,
                "nginx start",
            )
            for _ in range(args.runs):
                wrk(front + ENDPOINTS["list"], 2)
                rates["front"].append(wrk(front + ENDPOINTS["list"], args.seconds)["rate"])
                rates["static"].append(
                    wrk(front + "/static-baseline/list.json", args.seconds)["rate"]
                )
        finally:
            process.send_signal(signal.SIGQUIT)
            process.wait(timeout=30)
    results["nginx_runs"] = rates
    results["rows"].append(
        row(
            "GET /v1/checkpoints?lang=kk through the nginx front",
            statistics.median(rates["front"]),
            statistics.median(rates["static"]),
            ">= 0.5",
            baseline="nginx serving the same bytes as a file",
        )
    )


def row(
    figure: str,
    measured: float,
    reference: float,
    target: str,
    baseline: str = "the same run's bare-Flask endpoint",
) -> dict:
    return {
        "figure": figure,
        "measured": round(measured, 1),
        "baseline": round(reference, 1),
        "ratio": round(measured / reference, 3),
        "target": target,
        "unit": "req/s",
        "baseline_is": baseline,
    }


def write(results: dict, benchmark: str) -> None:
    """bench/results/<benchmark>.json, and its rows as a Markdown table in <benchmark>.md."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{benchmark}.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| figure | measured | baseline | ratio | target |", "|---|---|---|---|---|"]
    for r in results["rows"]:
        if "skipped" in r:
            lines.append(f"| {r['figure']} | skipped: {r['skipped']} | | | |")
            continue
        unit = r.get("unit", "")
        lines.append(
            f"| {r['figure']} | {r['measured']} {unit} | {r['baseline'] or ''} "
            f"| {r['ratio'] if r['ratio'] is not None else ''} | {r['target']} |"
        )
    sizes = results.get("list_sizes", {})
    if sizes:
        lines += ["", "Compressed size of the checkpoint list, per locale (gzip):", ""]
        lines += [f"- {loc}: {s['gzip_bytes']:,} bytes" for loc, s in sizes.items()]
    for name, plan in results.get("explain", {}).items():
        lines += ["", f"EXPLAIN (ANALYZE, BUFFERS) — {name}, at 10 M rows:", "", "```", plan, "```"]
    (RESULTS / f"{benchmark}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    return run("http_read", partial(read_rows, args), seconds=args.seconds, runs=args.runs)


def run(benchmark: str, measure: Callable[[Path, dict], None], **settings: object) -> int:
    """Measure in a temporary directory into results that start with the benchmark's name,
    the time and `settings`, then write what was measured, even if a later part failed.
    2 when wrk, which measures, is missing."""
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk (make bench does it)", file=sys.stderr)
        return 2
    results: dict = {
        "benchmark": benchmark,
        "when": datetime.now(UTC).isoformat(),
        **settings,
        "rows": [],
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        try:
            measure(Path(tmp_name), results)
        finally:
            write(results, benchmark)
    return 0


if __name__ == "__main__":
    sys.exit(main())
