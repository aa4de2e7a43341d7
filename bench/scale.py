"""The service on several machines, shown on one: a holiday closure at Kordai.

Brings up on loopback, in temporary directories with their own ports, and stops
afterwards: a PostgreSQL primary (initdb) and a streaming replica (pg_basebackup -R),
PgBouncer in transaction mode in front of the primary, Redis, two app nodes (gunicorn,
2 workers each) behind deploy/nginx.conf's upstream, two push workers and the fake FCM
server with FCM's quotas (faults/holiday.py). Then: 200,000 registered devices, 50,000 of
them following Kordai across the seven languages (5,000 start following on the day: their
topic subscriptions are queued as push/topics.py queues them), 20,000 queue alerts armed;
a closure and a burst of queue reports posted through nginx while 64 connections read
through it for 60 s.

Results: bench/results/scale.json and scale.md. `make scale` runs it (not part of
`make test` or `make bench`); it needs PostgreSQL's binaries, pgbouncer, nginx,
redis-server and wrk (the target installs Debian's when missing).

    python bench/scale.py [--devices 200000] [--followers 50000] [--new-followers 5000]
                          [--alerts 20000] [--seconds 60] [--connections 64]
                          [--drain-limit 240]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faults import holiday, servers  # noqa: E402  # after the path is set

RESULTS = ROOT / "bench" / "results"


def markdown(figures: dict[str, Any], command: str) -> str:
    reads, push, closure = figures["reads"], figures["push"], figures["closure"]
    quotas, replica = figures["quotas"], figures["replica"]
    served = closure["served_after_seconds"]
    lines = [
        "# The service on several machines, shown on one: a holiday closure at Kordai",
        "",
        f"`{command}`, {figures['when']}, {figures['machine']}; {figures['total_seconds']} s "
        "in all. One machine plays every part, so every figure below is what the parts "
        "achieve while sharing two cores with each other (and with the load generator).",
        "",
        f"- {figures['devices']:,} devices, {figures['followers']:,} following Kordai "
        f"(all seven languages; {figures['new_followers']:,} of them start following on "
        f"the day, the others' subscriptions were made before), {figures['alerts']:,} "
        "queue alerts armed "
        f"(bulk SQL: devices {figures['populate']['devices_seconds']} s, followers, their "
        f"{figures['populate']['subscriptions_queued']:,} subscriptions and the alerts "
        f"{figures['populate']['followers_seconds']} s).",
        f"- Parts: {figures['parts']}.",
        "",
        "| figure | measured | target |",
        "|---|---|---|",
        f"| reads through nginx, {reads['connections']} connections, {reads['seconds']} s "
        f"| {reads['reads_per_second']:,.0f} req/s, p99 {reads['p99_ms']} ms, "
        f"non-2xx {reads['non_2xx']}, socket errors {reads['socket_errors']} | |",
    ]
    for name, seconds in sorted(served.items()):
        target = "≤ 1 s" if name.startswith("node") else "(its 1 s microcache, max-age 5)"
        lines.append(
            f"| closure served by {name}, after the POST's answer | {seconds} s | {target} |"
        )
    missing = {"node 1", "node 2", "nginx"} - set(served)
    for name in sorted(missing):
        lines.append(f"| closure served by {name} | not within 30 s | ≤ 1 s |")
    lines += [
        f"| closure POST through nginx | {closure['post_seconds']} s (HTTP "
        f"{closure['posted_status']}) | |",
        "| queue-report POSTs (each fires the alerts its wait fell below) | "
        + ", ".join(f"{q['wait']} min: {q['seconds']} s" for q in figures["queue_reports"])
        + " | |",
        f"| replica lag (pg_stat_replication.replay_lag, {replica['samples']} samples) | "
        f"max {replica['replay_lag_max_seconds']} s, median "
        f"{replica['replay_lag_median_seconds']} s; at most "
        f"{replica['bytes_behind_max']:,} bytes of WAL behind | |",
        f"| subscriptions: from queued to the last one FCM accepted | "
        f"{push['subscriptions_done_seconds']} s | |",
        f"| closure push: from the POST's answer to FCM accepting the first topic message | "
        f"{push['closure_push_seconds']} s ({push['subscriptions_done_after_closure']:,} "
        f"subscriptions queued before it were done after it) | |",
        f"| messages: from the closure to the last one FCM accepted | "
        f"{push['messages_done_seconds']} s ({push['messages_accepted']:,} messages) | |",
        f"| peak messages | {push['peak_messages_per_second']:,}/s, "
        f"{push['peak_messages_per_minute']:,}/min | quota {quotas['messages_per_minute']:,}/min"
        f" (paced at {quotas['paced_messages_per_minute']:,}) |",
        f"| peak subscriptions (per second of the outbox's finished_at, batch-grained) | "
        f"{push['peak_subscriptions_per_second']:,}/s (mean "
        f"{push['subscriptions_per_second_mean']}/s) | quota "
        f"{quotas['subscriptions_per_second']:,}/s (paced at "
        f"{quotas['paced_subscriptions_per_second']:,}) |",
        f"| refused by FCM's quota (429) | {push['refused_429']} | |",
        f"| lost | {push['lost']} ({push['lost_detail']}) | 0 |",
        f"| still queued when the run stopped waiting ({figures['drain_wait_seconds']} s "
        f"after the reads; not lost) | {push['still_queued']:,} | 0 |",
        f"| duplicates (FCM messages not recorded on an outbox row, or twice) | "
        f"{push['duplicates']} | 0 |",
        f"| alerts held back by the 3-an-hour cap (dead, CAPPED, by design) | "
        f"{push['capped_by_alerts_per_hour']} | |",
        "",
        f"Outbox at the end: {json.dumps(push['outbox'])}.",
        "",
        "How each figure is taken: reads by wrk (bench/holiday.lua: the list and Kordai's "
        "page in the seven languages, gzip); the closure's arrival by polling each node "
        "directly (and nginx) every 20 ms for Kordai in Kazakh; the lag from "
        "pg_stat_replication on the primary, 4 times a second; acceptance times from the "
        "fake FCM's own record of each message (`at`) and the outbox's `finished_at` for "
        "subscriptions (the fake keeps no time for them); lost and duplicates by matching "
        "every sent outbox row's FCM message name against the fake's messages, and every "
        "queued subscription against the fake's topic members.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200_000)
    parser.add_argument("--followers", type=int, default=50_000)
    parser.add_argument(
        "--new-followers",
        type=int,
        default=5_000,
        help="followers who follow on the day: only their subscriptions are queued",
    )
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=60, help="reads through nginx")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--drain-limit", type=float, default=240)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    command = "make scale"
    if sys.argv[1:]:
        command = "python bench/scale.py " + " ".join(sys.argv[1:])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="myborder-scale-") as tmp_name:
        tmp = Path(tmp_name)
        logs = tmp / "logs"
        logs.mkdir()
        with servers.postgres() as primary:
            database = "myborder"
            holiday.say("migrating and seeding the primary")
            keys = servers.seeded(primary.create_database(database), tmp)
            with holiday.cluster(primary, database, keys["KZ"], tmp, logs) as cluster:
                parts = (
                    f"{primary.describe()} and a streaming replica; pgbouncer (transaction "
                    f"mode); redis-server; 2 gunicorn nodes × 2 workers; nginx; "
                    f"2 push workers; fake FCM enforcing the quotas"
                )
                figures = holiday.holiday(
                    cluster,
                    devices=args.devices,
                    followers=args.followers,
                    new_followers=args.new_followers,
                    alerts=args.alerts,
                    read_seconds=args.seconds,
                    connections=args.connections,
                    drain_limit=args.drain_limit,
                )
    holiday.say("stopped")
    figures["parts"] = parts
    figures["total_seconds"] = round(time.monotonic() - started)
    figures["when"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    figures["machine"] = f"{os.cpu_count()} cores, {platform.platform()}"
    figures["command"] = command
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale.json").write_text(json.dumps(figures, indent=2) + "\n")
    (args.out / "scale.md").write_text(markdown(figures, command))
    print(markdown(figures, command))
    return 0 if figures["push"]["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
