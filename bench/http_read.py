"""Reads under load, as ratios against baselines measured in the same run.

Every figure compares the app with a baseline under the same gunicorn settings
(gunicorn.conf.py, 2 workers), on this machine, with wrk on loopback; at least 3 runs
of 10 seconds each, medians reported. Results go to bench/results/http_read.json and a
Markdown table to bench/results/http_read.md.

    python bench/http_read.py [--seconds 10] [--runs 3] [--etag-age 120]
                              [--only per-phone|limiter]

Rows (the targets are the issues'):
- GET /v1/checkpoints?lang=kk, warm cache, vs a minimal Flask endpoint with the same bytes
- the same with If-None-Match (304) vs a minimal Flask 304
- GET /v1/checkpoints/{id}, /v1/campaigns, /v1/customs/rules vs the same baseline
- p99 latency of the list at half its peak rate vs the baseline's p99 at that rate
- the list through the nginx front (deploy/nginx.conf) vs nginx serving the bytes as a file
- gunicorn worker resident memory after the read benchmark
- issue #18, the app's own per-address read limit on Redis (`--only limiter` runs just
  this, into bench/results/http_read_limiter.*): the list with READ_RATE_LIMIT on
  (counted in Redis, high enough never to refuse) vs the same app with it off, as
  behind nginx, where limit_req does it; the two sides alternate in the same run
- issue #17, the reads each phone makes its own, on a database of their own (`--only
  per-phone` runs just these, into bench/results/http_read_per_phone.*):
  - `near=` at random positions across the region (bench/near.lua) vs the cached list
  - `changed_since=` at random cursors among the last 200 data versions
    (bench/changed_since.lua) vs the cached list, both while a queue report lands every 2 s
  - p50 of the list's uncached render, the first request in each language after a write,
    from the app's own request log (an absolute figure: nothing renders it to compare),
    timed from the cache middleware's start, which now renders it before Flask
  - the size of `fields=summary` gzipped, the largest of the served languages
  - the share of 304s for conditional GETs of the list, the campaigns and a detail with
    ETags 2 minutes old, no write in between, from both workers

The history-size rows (PostgreSQL) are bench/history.py's, which uses this module's helpers.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from content.locales import SERVED_LOCALES  # noqa: E402
from faults import servers  # noqa: E402  # after the path is set
from faults.servers import flask, free_port  # noqa: E402

#: every served language, Kazakh first (the figures "kk alone" read the first)
LOCALES = ["kk", *(locale for locale in SERVED_LOCALES if locale != "kk")]
ENDPOINTS = {
    "list": "/v1/checkpoints?lang=kk",
    "detail": "/v1/checkpoints/kz-kordai?lang=kk",
    "campaigns": "/v1/campaigns?lang=kk",
    "customs": "/v1/customs/rules?lang=kk",
}
PACED = ROOT / "bench" / "paced.lua"
NEAR = ROOT / "bench" / "near.lua"
CHANGED_SINCE = ROOT / "bench" / "changed_since.lua"
RESULTS = ROOT / "bench" / "results"
#: the Redis the limiter row counts in (its own database: tests flush 15)
LIMITER_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
#: the read limit the bench's one client address never reaches
NEVER_REFUSED = "1000000000 per minute"
#: how many data versions back the phones' delta-sync cursors lie, and how many queue
#: reports raise the demo seed's data version past that before anything is measured
CURSOR_WINDOW = 200
RAISED_BY = 250
WRITE_EVERY = 2.0  # seconds between queue reports while delta sync is measured
RENDERS = 30  # writes, after each of which the list is rendered once in every language
REVALIDATED = {name: ENDPOINTS[name] for name in ("list", "campaigns", "detail")}
REVALIDATIONS = 50  # conditional GETs of each of REVALIDATED


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    tmp: Path,
    probe: str = "/healthz",
    access_log: Path | None = None,
) -> Iterator[servers.Gunicorn]:
    """`app` under gunicorn.conf.py with 2 workers, as every figure here measures it."""
    # one client IP sends everything: the read limit stays on (its cost is measured) but
    # high enough never to refuse; the app still writes its JSON line per request (its
    # cost is measured), to nowhere unless `access_log` is wanted
    env = {"READ_RATE_LIMIT": NEVER_REFUSED, **env}
    with servers.gunicorn(
        env, tmp / "gunicorn.log", workers=2, app=app, probe=probe, access_log=access_log
    ) as server:
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
    limiter_rows(args, tmp, results)
    per_phone_rows(args, tmp, results)


def limiter_rows(args: argparse.Namespace, tmp: Path, results: dict) -> None:
    """Issue #18: what the app's per-address read limit costs when it counts in Redis, as
    production's multi-node setup would: the list with it on vs off, alternating, each
    side on a fresh gunicorn over the same database and Redis."""
    figure = "reads with the app's Redis limiter / without (GET /v1/checkpoints?lang=kk)"
    try:
        import redis

        redis.Redis.from_url(LIMITER_REDIS_URL, socket_timeout=1).ping()
    except Exception as error:  # no Redis: the row says so rather than failing the run
        results["rows"].append({"figure": figure, "skipped": f"no Redis: {error}"})
        return
    database = tmp / "limiter.db"
    env = {"DATABASE_URL": f"sqlite:///{database}", "IMAGE_DIR": str(tmp / "images")}
    if not database.exists():
        flask(["db", "upgrade"], env)
        flask(["seed", "--demo"], env)
    env["REDIS_URL"] = LIMITER_REDIS_URL
    sides = {"limited": NEVER_REFUSED, "unlimited": "off"}
    runs: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for side, limit in sides.items():
            with gunicorn("wsgi:app", {**env, "READ_RATE_LIMIT": limit}, tmp) as server:
                measure_rate(runs, side, server.base + ENDPOINTS["list"], args.seconds)
    results["limiter_runs"] = runs
    results["rows"].append(
        row(
            figure,
            statistics.median(runs["limited"]),
            statistics.median(runs["unlimited"]),
            "report (issue #18 measured 0.73)",
            baseline="the same app with READ_RATE_LIMIT=off",
        )
    )


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
        # every request comes from 127.0.0.1: the front's per-address read limit would
        # refuse the load, so it is raised (its directives still run)
        config = (
            (ROOT / "deploy" / "nginx.conf").read_text().replace("rate=50r/s", "rate=1000000r/s")
        )
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


@dataclass(frozen=True)
class Lane:
    """A checkpoint's lane that a demo agency key may post queue reports for."""

    checkpoint: str
    direction: str
    lane: str
    key: str


def per_phone_rows(args: argparse.Namespace, tmp: Path, results: dict) -> None:
    """Issue #17's rows: the reads each phone makes its own (its position, its cursor)
    against the cached list in the same run, the first render after a write, the summary
    list's size and how long an ETag earns a 304. On a database of their own, since they
    write."""
    database = f"sqlite:///{tmp}/per-phone.db"
    env = {"DATABASE_URL": database, "IMAGE_DIR": str(tmp / "images")}
    keys = servers.seeded(database, tmp)
    with gunicorn("wsgi:app", env, tmp) as server:
        lanes = postable_lanes(server.base, keys)
        raise_version(server.base, lanes, RAISED_BY)
    box = region_box()
    runs: dict[str, list[float]] = {}
    writes: Counter[int] = Counter()
    for _ in range(args.runs):
        with gunicorn("wsgi:app", env, tmp) as server:
            base = server.base
            measure = partial(measure_rate, runs, seconds=args.seconds)
            measure("list", base + ENDPOINTS["list"])
            measure("near", base + "/v1/checkpoints", script=NEAR, env={"WRK_BOX": box})
            with writing(base, lanes, WRITE_EVERY) as answers:
                measure("list under writes", base + ENDPOINTS["list"])
                cursors = {"WRK_CURSOR": str(list_cursor(base)), "WRK_WINDOW": str(CURSOR_WINDOW)}
                measure(
                    "changed_since under writes",
                    base + "/v1/checkpoints",
                    script=CHANGED_SINCE,
                    env=cursors,
                )
            writes.update(answers)
    log = tmp / "per-phone-requests.log"
    with gunicorn("wsgi:app", env, tmp, access_log=log) as server:
        request_ids = render_after_writes(server.base, lanes, RENDERS)
        sizes = summary_sizes(server.base)
        revalidated = revalidated_after(server.base, args.etag_age, REVALIDATIONS)
    rendered, in_flask = render_durations(log, request_ids)
    results["per_phone"] = {
        "near_box": box,
        "runs": runs,
        "writes_by_status": writes,
        "render_ms": rendered,
        "render_requests_through_flask": in_flask,
        "summary_sizes": sizes,
        "etag_age_s": args.etag_age,
        "revalidated": revalidated,
    }
    medians = {name: statistics.median(rates) for name, rates in runs.items()}
    rows = results["rows"]
    rows.append(
        row(
            "GET /v1/checkpoints?near=<random position>&radius_km=300&lang=kk",
            medians["near"],
            medians["list"],
            ">= 0.5",
            baseline="the cached list (?lang=kk, warm) in the same run",
        )
    )
    rows.append(
        row(
            f"GET /v1/checkpoints?changed_since=<random of the last {CURSOR_WINDOW} versions>"
            f"&lang=kk, a write every {WRITE_EVERY:.0f} s ({writes[201]} of "
            f"{writes.total()} landed)",
            medians["changed_since under writes"],
            medians["list under writes"],
            ">= 0.5",
            baseline="the cached list under the same writes in the same run",
        )
    )
    rows.extend(render_rows(rendered))
    rows.append(summary_row(sizes))
    rows.append(revalidation_row(revalidated, args.etag_age))


def measure_rate(
    runs: dict[str, list[float]], name: str, url: str, seconds: int, **options: Any
) -> None:
    """wrk at `url` for 2 s to warm up, then for `seconds`, whose rate joins runs[name]."""
    wrk(url, 2, **options)
    runs.setdefault(name, []).append(wrk(url, seconds, **options)["rate"])


def region_box(margin: float = 1.0) -> str:
    """The box around the seed's checkpoints, `margin` degrees wider on every side, as
    near.lua reads it: "lat_min,lat_max,lon_min,lon_max"."""
    seed = tomllib.loads((ROOT / "content" / "seed" / "checkpoints.toml").read_text())
    lats = [checkpoint["lat"] for checkpoint in seed["checkpoint"]]
    lons = [checkpoint["lon"] for checkpoint in seed["checkpoint"]]
    edges = (min(lats) - margin, max(lats) + margin, min(lons) - margin, max(lons) + margin)
    return ",".join(f"{edge:.3f}" for edge in edges)


def postable_lanes(base: str, keys: dict[str, str]) -> list[Lane]:
    """One lane of every checkpoint that one of the agency `keys` ({country: key}) may
    post for."""
    with urllib.request.urlopen(f"{base}/v1/checkpoints?lang=en") as response:
        items = json.loads(response.read())["items"]
    return [
        Lane(item["id"], item["directions"][0], item["lanes"][0], keys[item["country"]])
        for item in items
        if item["country"] in keys and item["directions"] and item["lanes"]
    ]


def post_queue_report(base: str, lane: Lane) -> int:
    """POST one queue report observed now; the status of the answer (0: none came)."""
    report = {
        "direction": lane.direction,
        "lane": lane.lane,
        "wait_minutes": 30,
        "observed_at": datetime.now(UTC).isoformat(),
    }
    request = urllib.request.Request(
        f"{base}/v1/checkpoints/{lane.checkpoint}/queues",
        data=json.dumps({"reports": [report]}).encode(),
        headers={"Authorization": f"Bearer {lane.key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def raise_version(base: str, lanes: list[Lane], reports: int) -> None:
    """Post `reports` queue reports round the `lanes`, one data version each."""
    answers = Counter(
        post_queue_report(base, lane) for lane in itertools.islice(itertools.cycle(lanes), reports)
    )
    if set(answers) != {201}:
        raise RuntimeError(f"raising the data version: answers by status {dict(answers)}")


@contextmanager
def writing(base: str, lanes: list[Lane], every: float) -> Iterator[Counter[int]]:
    """A thread that posts a queue report every `every` seconds, round the `lanes`, while
    the block runs; yields its answers counted by status."""
    answers: Counter[int] = Counter()
    stop = threading.Event()

    def post() -> None:
        due = time.monotonic()
        for lane in itertools.cycle(lanes):
            answers[post_queue_report(base, lane)] += 1
            due += every  # on the beat, however long a post took
            if stop.wait(max(0.0, due - time.monotonic())):
                return

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    try:
        yield answers
    finally:
        stop.set()
        thread.join()


def list_cursor(base: str) -> int:
    """The `cursor` of the list: the data version it was read at."""
    with urllib.request.urlopen(base + ENDPOINTS["list"]) as response:
        return int(json.loads(response.read())["cursor"])


def render_after_writes(base: str, lanes: list[Lane], writes: int) -> list[str]:
    """Post `writes` queue reports; after each, GET the list once in every language, each
    the first such request since the write. Returns the X-Request-IDs the GETs carried."""
    request_ids = []
    for number, lane in zip(range(writes), itertools.cycle(lanes), strict=False):
        status = post_queue_report(base, lane)
        if status != 201:
            raise RuntimeError(f"a write before the uncached renders answered {status}")
        time.sleep(1.0)  # past VERSION_TTL_SECONDS (0.5 s): both workers see the write
        for locale in LOCALES:
            request_id = f"render-{number}-{locale}"
            request = urllib.request.Request(
                f"{base}/v1/checkpoints?lang={locale}", headers={"X-Request-ID": request_id}
            )
            with urllib.request.urlopen(request) as response:
                response.read()
            request_ids.append(request_id)
    return request_ids


def render_durations(log: Path, request_ids: list[str]) -> tuple[dict[str, float], int]:
    """From the app's request log, the duration_ms of `request_ids` by request id, and
    how many of them went on to Flask. Each is its language's first request since a
    write, so each renders: before Flask when the list's assembler brings its entries up
    to date (route "cached" in the log, timed from the middleware's start), or in Flask."""
    wanted = set(request_ids)
    rendered: dict[str, float] = {}
    in_flask = 0
    for line in log.read_text().splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("request_id") not in wanted:
            continue
        rendered[entry["request_id"]] = entry["duration_ms"]
        in_flask += entry["route"] != "cached"
    return rendered, in_flask


def summary_sizes(base: str) -> dict[str, dict[str, Any]]:
    """The summary list in every language as a phone accepting gzip gets it: status,
    encoding, bytes of the body, and whether it has the full list's fields all the same
    (an app that ignores `fields` answers the full list)."""
    sizes: dict[str, dict[str, Any]] = {}
    for locale in LOCALES:
        request = urllib.request.Request(
            f"{base}/v1/checkpoints?fields=summary&lang={locale}",
            headers={"Accept-Encoding": "gzip"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                encoding = response.headers.get("Content-Encoding")
                body = response.read()
        except urllib.error.HTTPError as error:
            sizes[locale] = {"status": error.code}
            continue
        with urllib.request.urlopen(f"{base}/v1/checkpoints?lang={locale}") as response:
            full = json.loads(response.read())
        summary = json.loads(gzip.decompress(body) if encoding == "gzip" else body)
        sizes[locale] = {
            "status": 200,
            "encoding": encoding,
            "bytes": len(body),
            "full_fields": field_paths(summary) == field_paths(full),
        }
    return sizes


def field_paths(value: Any, path: str = "") -> set[str]:
    """The path of every field in a JSON value, a list's elements as `[]`: items[].id."""
    if isinstance(value, dict):
        paths = set()
        for name, child in value.items():
            child_path = f"{path}.{name}" if path else name
            paths |= {child_path} | field_paths(child, child_path)
        return paths
    if isinstance(value, list):
        return set().union(*(field_paths(child, path + "[]") for child in value))
    return set()


def revalidated_after(base: str, age: float, count: int) -> dict[str, dict[str, int]]:
    """Keep the ETags of the REVALIDATED answers, wait `age` seconds without a write, then
    send `count` conditional GETs of each, from 4 clients at once and each on a new
    connection, so both workers answer. Per answer: how many were sent, how many got 304."""
    etags = {}
    for name, path in REVALIDATED.items():
        with urllib.request.urlopen(base + path) as response:
            etags[name] = response.headers["ETag"]
    time.sleep(age)

    def status(name: str) -> int:
        request = urllib.request.Request(
            base + REVALIDATED[name], headers={"If-None-Match": etags[name]}
        )
        try:
            with urllib.request.urlopen(request) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:  # urllib raises for a 304 too
            return error.code

    names = [name for name in REVALIDATED for _ in range(count)]
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(status, names))
    answered = Counter((name, code) for name, code in zip(names, statuses, strict=True))
    return {name: {"sent": count, "not_modified": answered[name, 304]} for name in REVALIDATED}


def render_rows(rendered: dict[str, float]) -> list[dict[str, Any]]:
    """The uncached render's p50 over every language's first request after a write, and
    over the first language's alone: the request that reads the database for all of them
    (each worker reads once per write; the other languages render from that read)."""
    first = [ms for request_id, ms in rendered.items() if request_id.endswith(f"-{LOCALES[0]}")]
    rows: list[dict[str, Any]] = []
    figures = (
        "full list, uncached render (first request per language after a write), p50",
        f"the same, {LOCALES[0]} alone: the first request after each write, p50",
    )
    for figure, durations in zip(figures, (list(rendered.values()), first), strict=True):
        if not durations:
            rows.append({"figure": figure, "skipped": "no uncached render in the request log"})
            continue
        rows.append(
            {
                "figure": f"{figure}, absolute: no baseline renders it",
                "measured": round(statistics.median(durations), 2),
                "baseline": None,
                "ratio": None,
                "target": "<= 5 ms",
                "unit": "ms",
                "samples": len(durations),
            }
        )
    return rows


def summary_row(sizes: dict[str, dict[str, Any]]) -> dict:
    figure = (
        f"GET /v1/checkpoints?fields=summary, gzipped, the largest of the {len(LOCALES)} languages"
    )
    refused = [
        f"{locale} {size['status']}" for locale, size in sizes.items() if "bytes" not in size
    ]
    if refused:
        return {"figure": figure, "skipped": f"not measured, it answered {', '.join(refused)}"}
    if any(size["full_fields"] for size in sizes.values()):
        return {
            "figure": figure,
            "skipped": "not measured, the app ignores `fields`: it answered the full list",
        }
    largest = max(sizes, key=lambda locale: int(sizes[locale]["bytes"]))
    return {
        "figure": f"{figure} ({largest})",
        "measured": sizes[largest]["bytes"],
        "baseline": None,
        "ratio": None,
        "target": "< 2048 bytes",
        "unit": "bytes",
    }


def revalidation_row(revalidated: dict[str, dict[str, int]], age: float) -> dict:
    sent = sum(counts["sent"] for counts in revalidated.values())
    not_modified = sum(counts["not_modified"] for counts in revalidated.values())
    each = ", ".join(
        f"{name} {counts['not_modified']}/{counts['sent']}" for name, counts in revalidated.items()
    )
    return {
        "figure": f"conditional GETs with ETags {age:.0f} s old, no writes, 2 workers: "
        f"share of 304 ({each})",
        "measured": round(100 * not_modified / sent, 1),
        "baseline": None,
        "ratio": None,
        "target": "100 %",
        "unit": "%",
    }


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
    summary = results.get("per_phone", {}).get("summary_sizes", {})
    if summary and all("bytes" in s and not s["full_fields"] for s in summary.values()):
        lines += [
            "",
            "Size on the wire of the summary list (fields=summary, gzip accepted), per locale:",
            "",
        ]
        lines += [f"- {loc}: {s['bytes']:,} bytes" for loc, s in summary.items()]
    for name, plan in results.get("explain", {}).items():
        lines += ["", f"EXPLAIN (ANALYZE, BUFFERS) — {name}, at 10 M rows:", "", "```", plan, "```"]
    (RESULTS / f"{benchmark}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--etag-age",
        type=float,
        default=120,
        help="seconds the ETags wait before the conditional GETs (issue #17's figure: 120)",
    )
    parser.add_argument(
        "--only",
        choices=["per-phone", "limiter"],
        help="only issue #17's rows (per-phone) or issue #18's limiter row, into "
        "bench/results/http_read_<name>.*",
    )
    args = parser.parse_args()
    settings = {"seconds": args.seconds, "runs": args.runs, "etag_age_s": args.etag_age}
    if args.only == "per-phone":
        return run("http_read_per_phone", partial(per_phone_rows, args), **settings)
    if args.only == "limiter":
        return run("http_read_limiter", partial(limiter_rows, args), **settings)
    return run("http_read", partial(read_rows, args), **settings)


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
