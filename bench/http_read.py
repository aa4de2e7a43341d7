"""Reads under load, as ratios against baselines measured in the same run.

Every figure compares the app with a baseline under the same gunicorn settings
(gunicorn.conf.py, 2 workers), on this machine, with wrk on loopback; at least 3 runs
of 10 seconds each, medians reported. Results go to bench/results/http_read.json and a
Markdown table to bench/results/http_read.md.

    python bench/http_read.py [--seconds 10] [--runs 3] [--scale-runs 5] [--rows 10000000]
                              [--only-scale | --skip-scale]

Rows (the targets are the issue's):
- GET /v1/checkpoints?lang=kk, warm cache, vs a minimal Flask endpoint with the same bytes
- the same with If-None-Match (304) vs a minimal Flask 304
- GET /v1/checkpoints/{id}, /v1/campaigns, /v1/customs/rules vs the same baseline
- p99 latency of the list at half its peak rate vs the baseline's p99 at that rate
- the list with the cache disabled, and POST of one queue report, with 10 M history
  rows vs 1 k rows (PostgreSQL; skipped when none answers), with EXPLAIN output
- the list through the nginx front (deploy/nginx.conf) vs nginx serving the bytes as a file
- gunicorn worker resident memory after the read benchmark
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
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from faults.servers import flask, free_port  # noqa: E402  # after the path is set

GUNICORN = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
LOCALES = ["kk", "ru", "uz", "ky", "tg", "tk", "en"]
ENDPOINTS = {
    "list": "/v1/checkpoints?lang=kk",
    "detail": "/v1/checkpoints/kz-kordai?lang=kk",
    "campaigns": "/v1/campaigns?lang=kk",
    "customs": "/v1/customs/rules?lang=kk",
}
PACED = ROOT / "bench" / "paced.lua"
RESULTS = ROOT / "bench" / "results" / "http_read.json"
#: the rows scale_rows() measures (replaced, not duplicated, by --only-scale)
SCALE_FIGURES = (
    "history at 10 M rows",
    "list, cache disabled, 10 M history rows",
    "POST of one queue report, 10 M rows",
    "history, 30-day range, 10 M rows",
)


def wait_for(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url).read()
            return
        except OSError:
            if time.monotonic() > deadline or (process and process.poll() is not None):
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.2)


@contextmanager
def gunicorn(app: str, env: dict[str, str], probe: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    # one client IP sends everything: the read limit stays on (its cost is measured) but
    # high enough never to refuse
    full_env = {
        **os.environ,
        "READ_RATE_LIMIT": "1000000000 per minute",
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "warning",
        "BIND": f"127.0.0.1:{port}",
        **env,
    }
    # the app still writes its JSON line per request (its cost is measured), to nowhere
    process = subprocess.Popen([*GUNICORN, app], cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + probe, process)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


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
    output = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    ).stdout
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
    with gunicorn("wsgi:app", env, "/healthz") as (base, _):
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
        with gunicorn("wsgi:app", env, "/healthz") as (base, master):
            for name, path in ENDPOINTS.items():
                wrk(base + path, 2)
                runs.setdefault(f"app {name}", []).append(wrk(base + path, args.seconds)["rate"])
            runs.setdefault("app 304", []).append(
                wrk(base + ENDPOINTS["list"], args.seconds, headers={"If-None-Match": etag})["rate"]
            )
            memory.append(max(worker_rss(master)))
        with gunicorn("baseline_app:app", baseline_env, "/baseline/list") as (base, _):
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
    with gunicorn("wsgi:app", env, "/healthz") as (base, _):
        wrk(base + ENDPOINTS["list"], 2)  # warm every worker's cache first
        app_p99 = wrk(
            base + ENDPOINTS["list"],
            args.seconds,
            script=PACED,
            env=paced_env,
            connections=connections,
        )
    with gunicorn("baseline_app:app", baseline_env, "/baseline/list") as (base, _):
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


def worker_rss(master: int) -> list[int]:
    """Resident memory (kB) of each gunicorn worker, from /proc."""
    children = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True
    ).stdout.split()
    sizes = []
    for pid in children:
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
    with gunicorn("wsgi:app", env, "/healthz") as (base, _):
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
            wait_for(front + ENDPOINTS["list"])
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


# -- history at scale (PostgreSQL) ------------------------------------------------------

GENERATE_QUEUE = """
INSERT INTO queue_report (checkpoint_id, direction, lane, wait_minutes, observed_at,
                          posted_at, demo)
SELECT (%(ids)s::text[])[1 + (g %% %(n)s)],
       CASE WHEN g %% 2 = 0 THEN 'exit' ELSE 'entry' END,
       (ARRAY['car','truck','bus','pedestrian'])[1 + (g / 2 %% 4)],
       (g * 7919 %% 240),
       now() - make_interval(secs => (g * 104729 %% (400 * 86400))),
       now() - make_interval(secs => (g * 104729 %% (400 * 86400))),
       true
FROM generate_series(%(start)s::bigint, %(stop)s::bigint - 1) AS g
"""
GENERATE_STATUS = """
INSERT INTO status_report (checkpoint_id, state, posted_at, demo)
SELECT (%(ids)s::text[])[1 + (g %% %(n)s)],
       (ARRAY['open','closed','restricted'])[1 + (g %% 3)],
       now() - make_interval(secs => (g * 7907 %% (400 * 86400))),
       true
FROM generate_series(%(start)s::bigint, %(stop)s::bigint - 1) AS g
"""


def postgres_url() -> str | None:
    import psycopg

    url = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        with psycopg.connect(url, connect_timeout=3):
            return url
    except psycopg.Error:
        return None


def grow(dsn: str, table: str, target: int, ids: list[str]) -> None:
    import psycopg

    sql = GENERATE_QUEUE if table == "queue_report" else GENERATE_STATUS
    with psycopg.connect(dsn, autocommit=True) as conn:
        have = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608  # table is one of two constants
        step = 1_000_000
        for start in range(have, target, step):
            stop = min(target, start + step)
            conn.execute(sql, {"ids": ids, "n": len(ids), "start": start, "stop": stop})
            print(f"  {table}: {stop:,} rows", flush=True)
        conn.execute(f"ANALYZE {table}")


def explain(dsn: str) -> dict[str, str]:
    import psycopg

    queries = {
        "list: current queues": "SELECT * FROM current_queue WHERE checkpoint_id = ANY(%(ids)s) "
        "AND observed_at > now() - interval '24 hours'",
        "list: current statuses": "SELECT * FROM current_status WHERE checkpoint_id = ANY(%(ids)s)",
        "history: 30 days of one lane": "SELECT observed_at, wait_minutes FROM queue_report "
        "WHERE checkpoint_id = 'kz-kordai' AND direction = 'exit' AND lane = 'car' "
        "AND observed_at >= now() - interval '30 days' AND observed_at < now() "
        "ORDER BY observed_at",
    }
    plans = {}
    with psycopg.connect(dsn) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM checkpoint")]
        for name, sql in queries.items():
            rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, {"ids": ids})
            plans[name] = "\n".join(r[0] for r in rows)
    return plans


def history_ms(database_url: str) -> float:
    """Median time of the /history service call for a 30-day range, in milliseconds."""
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from api.db import make_engine
    from content.checkpoints import history
    from content.checkpoints.models import Direction, Lane

    engine = make_engine(database_url)
    times = []
    with Session(engine) as session:
        end = datetime.now(UTC)
        for _ in range(20):
            started = time.perf_counter()
            history.hourly_waits(
                session,
                checkpoint_id="kz-kordai",
                direction=Direction.EXIT,
                lane=Lane.CAR,
                start=end - timedelta(days=30),
                end=end,
            )
            times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return statistics.median(times)


def settle(dsn: str, tables: tuple[str, ...] = ("queue_report", "status_report")) -> float:
    """VACUUM, ANALYZE and CHECKPOINT after a bulk load, then wait until no autovacuum
    worker runs: the figure is the steady cost of a big history, not the one-off
    maintenance after inserting millions of rows. Returns the seconds it took."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")
        conn.execute("CHECKPOINT")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()[0]
            if not busy:
                break
            time.sleep(1)
    return time.monotonic() - started


def scale_database(admin: str, tmp: Path, label: str) -> tuple[str, dict[str, str], str]:
    """A migrated, seeded database of its own with a KZ agency key: (dsn, env, key)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"myborder_bench_{label.lower()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = make_url(admin).set(database=name).render_as_string(hide_password=False)
    # the figure is the cost of history size: the cache and the per-key limit stay out
    env = {
        "DATABASE_URL": dsn,
        "PUBLIC_CACHE": "off",
        "RATE_LIMITS": "off",
        "IMAGE_DIR": str(tmp / "images"),
    }
    flask(["db", "upgrade"], env)
    flask(["seed"], env)
    created = flask(["agency", "create", "--country", "KZ", "--name", "Bench KZ"], env)
    key = re.search(r"mbk_\S+", created)
    assert key is not None, created
    return dsn, env, key.group()


def scale_rows(args: argparse.Namespace, tmp: Path, results: dict) -> None:
    """The same reads and posts against a database with 1 k history rows and one with
    10 M, both served at once and measured in alternation, so drift on a noisy machine
    falls on both sides of the ratio."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = postgres_url()
    if server is None:
        results["rows"].append({"figure": "history at 10 M rows", "skipped": "no PostgreSQL"})
        return
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    sizes = {"1k": (1_000, 100), "10M": (args.rows, args.rows // 10)}
    databases: dict[str, tuple[str, dict[str, str], str]] = {}
    try:
        for label, (queue_rows, status_rows) in sizes.items():
            databases[label] = scale_database(admin, tmp, label)
            dsn = databases[label][0]
            with psycopg.connect(dsn) as conn:
                ids = [r[0] for r in conn.execute("SELECT id FROM checkpoint WHERE kind = 'road'")]
            print(f"history tables at {label}:", flush=True)
            grow(dsn, "queue_report", queue_rows, ids)
            grow(dsn, "status_report", status_rows, ids)
        for label, (dsn, _, _) in databases.items():
            seconds = settle(dsn)
            results.setdefault("settle_seconds", {})[label] = round(seconds, 1)
            print(f"  {label}: vacuumed and settled in {seconds:.0f} s", flush=True)
        body = json.dumps(
            {
                "reports": [
                    {
                        "direction": "exit",
                        "lane": "car",
                        "wait_minutes": 30,
                        "observed_at": datetime.now(UTC).isoformat(),
                    }
                ]
            }
        )
        lists: dict[str, list[float]] = {label: [] for label in databases}
        posts: dict[str, list[float]] = {label: [] for label in databases}
        with (
            gunicorn("wsgi:app", databases["1k"][1], "/healthz") as (small, _),
            gunicorn("wsgi:app", databases["10M"][1], "/healthz") as (large, _),
        ):
            bases = {"1k": small, "10M": large}
            for _ in range(args.scale_runs):
                for label, base in bases.items():
                    post_env = {"WRK_BODY": body, "WRK_AUTH": f"Bearer {databases[label][2]}"}
                    wrk(base + ENDPOINTS["list"], 2)
                    lists[label].append(wrk(base + ENDPOINTS["list"], args.seconds)["rate"])
                    posts[label].append(
                        wrk(
                            base + "/v1/checkpoints/kz-kordai/queues",
                            args.seconds,
                            script=ROOT / "bench" / "post.lua",
                            env=post_env,
                        )["rate"]
                    )
        measured = {
            label: {
                "list": statistics.median(lists[label]),
                "post": statistics.median(posts[label]),
                "list_runs": lists[label],
                "post_runs": posts[label],
                "history_ms": history_ms(databases[label][0]),
            }
            for label in databases
        }
        results["scale"] = measured
        results["explain"] = explain(databases["10M"][0])
        rows = results["rows"]
        rows.append(
            row(
                "list, cache disabled, 10 M history rows",
                measured["10M"]["list"],
                measured["1k"]["list"],
                ">= 0.9",
                baseline="the 1 k database, measured in alternation",
            )
        )
        rows.append(
            row(
                "POST of one queue report, 10 M rows",
                measured["10M"]["post"],
                measured["1k"]["post"],
                ">= 0.9",
                baseline="the 1 k database, measured in alternation",
            )
        )
        rows.append(
            {
                "figure": "history, 30-day range, 10 M rows",
                "measured": round(measured["10M"]["history_ms"], 2),
                "unit": "ms",
                "baseline": round(measured["1k"]["history_ms"], 2),
                "ratio": None,
                "target": "< 50 ms",
            }
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for dsn, _, _ in databases.values():
                name = make_url(dsn).database
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write(results: dict) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
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
    (out / "http_read.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000_000)
    # the two databases share one PostgreSQL on two cores: single runs swing by ±10 %,
    # so the history-size ratios take the median of more alternated runs
    parser.add_argument("--scale-runs", type=int, default=5)
    parser.add_argument("--skip-scale", action="store_true", help="no PostgreSQL history rows")
    parser.add_argument("--only-scale", action="store_true", help="only the history-size rows")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk (make bench does it)", file=sys.stderr)
        return 2
    results: dict = {
        "benchmark": "http_read",
        "when": datetime.now(UTC).isoformat(),
        "seconds": args.seconds,
        "runs": args.runs,
        "rows": [],
    }
    if args.only_scale and RESULTS.exists():
        # keep the read figures of the last full run: only the history-size rows are new
        previous = json.loads(RESULTS.read_text())
        results = {
            **previous,
            "scale_when": results["when"],
            "scale_seconds": args.seconds,
            "scale_run_count": args.scale_runs,
            "rows": [r for r in previous["rows"] if r["figure"] not in SCALE_FIGURES],
        }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            if not args.only_scale:
                read_rows(args, tmp, results)
            if not args.skip_scale:
                scale_rows(args, tmp, results)
        finally:
            write(results)  # what was measured, even if a later part failed
    return 0


if __name__ == "__main__":
    sys.exit(main())
