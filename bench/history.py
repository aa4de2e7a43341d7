"""How the size of the history changes reads and writes, on PostgreSQL.

The same reads and posts against a database with 1 k history rows and one with 10 M queue
reports (and 1 M status rows), both generated, vacuumed and left to settle first, then
served at once under gunicorn.conf.py (2 workers) and measured in alternation with wrk on
loopback, so drift on a noisy machine falls on both sides of the ratio. Results go to
bench/results/history.json and a Markdown table, with the EXPLAIN output of the queries, to
bench/results/history.md. Skipped when no PostgreSQL answers (TEST_DATABASE_URL, else
postgres@127.0.0.1:5432).

    python bench/history.py [--rows 10000000] [--scale-runs 5] [--seconds 10]

Rows (the targets are the issue's):
- GET /v1/checkpoints?lang=kk with the cache disabled, 10 M rows vs 1 k rows
- POST of one queue report, 10 M rows vs 1 k rows
- the 30-day /history service call at 10 M rows
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_read import ENDPOINTS, gunicorn, row, run, wrk  # noqa: E402  # after the path is set
from faults.servers import flask  # noqa: E402  # after the path is set

if TYPE_CHECKING:
    import psycopg

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


class Measured(TypedDict):
    """One database's figures: each run's rates (req/s), their medians, the history call (ms).
    The list rate's key is "list" as in results/history.json: it comes last, after the fields
    typed with the builtin list."""

    list_runs: list[float]
    post_runs: list[float]
    post: float
    history_ms: float
    list: float


def count(conn: psycopg.Connection[Any], sql: str) -> int:
    """The number a `SELECT count(*)` answers."""
    answer = conn.execute(sql).fetchone()
    if answer is None:
        raise RuntimeError(f"no row from {sql}")
    return int(answer[0])


def grow(dsn: str, table: str, target: int, ids: list[str]) -> None:
    import psycopg

    sql = GENERATE_QUEUE if table == "queue_report" else GENERATE_STATUS
    with psycopg.connect(dsn, autocommit=True) as conn:
        have = count(conn, f"SELECT count(*) FROM {table}")  # noqa: S608  # table is one of two constants
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
            busy = count(
                conn,
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'",
            )
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
            gunicorn("wsgi:app", databases["1k"][1], tmp) as small,
            gunicorn("wsgi:app", databases["10M"][1], tmp) as large,
        ):
            bases = {"1k": small.base, "10M": large.base}
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
            label: Measured(
                list=statistics.median(lists[label]),
                post=statistics.median(posts[label]),
                list_runs=lists[label],
                post_runs=posts[label],
                history_ms=history_ms(databases[label][0]),
            )
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10_000_000, help="queue reports")
    # the two databases share one PostgreSQL on two cores: single runs swing by ±10 %,
    # so the ratios take the median of more alternated runs
    parser.add_argument("--scale-runs", type=int, default=5)
    args = parser.parse_args()
    return run(
        "history",
        partial(scale_rows, args),
        seconds=args.seconds,
        scale_runs=args.scale_runs,
        queue_rows=args.rows,
    )


if __name__ == "__main__":
    sys.exit(main())
