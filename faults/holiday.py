"""A holiday closure at Kordai with the service on several machines, shown on one.

`cluster()` brings up, on loopback and each on its own port: a streaming replica of the
given PostgreSQL primary (pg_basebackup -R), PgBouncer in transaction mode in front of the
primary, Redis, the fake FCM server with its quotas, two push workers, two app nodes
(gunicorn each) and deploy/nginx.conf in front of both. `holiday()` fills the database
(devices in bulk SQL; followers and their topic subscriptions written as push/topics.py
writes them; armed queue alerts), then posts a closure and a burst of queue reports
through the API while wrk reads through nginx, and returns what it measured.

bench/scale.py runs it at 200,000 devices; faults/scenarios.py runs a small one in
`make fault`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from faults.servers import (
    ROOT,
    FakeFCM,
    Gunicorn,
    Postgres,
    app_env,
    fake_fcm,
    gunicorn,
    nginx,
    pgbouncer,
    push_worker,
    redis,
    replayed,
    replica,
    stop,
    wait_until,
)
from push.models import OutboxLane

CHECKPOINT = "kz-kordai"
LOCALES = ("kk", "ru", "uz", "ky", "tg", "tk", "en")
READS = ROOT / "bench" / "holiday.lua"
#: FCM's quotas per project: messages a minute, topic subscription requests a second
FCM_MESSAGES_PER_MINUTE = 600_000
FCM_SUBSCRIPTIONS_PER_SECOND = 3_000
#: the alerts' thresholds (minutes); the burst's waits fall through all of them
THRESHOLDS = (30, 45, 60, 90)
BURST_WAITS = (120, 100, 80, 70, 50, 40, 25, 15)


@dataclass
class Cluster:
    primary: Postgres
    replica: Postgres
    database: str
    #: straight to the primary, for the scenario's own bulk writes and checks
    primary_url: str
    pooled_url: str
    replica_url: str
    redis_url: str
    nodes: list[Gunicorn]
    front: str
    fake: FakeFCM
    key: str
    quotas: dict[str, int]
    workers: list[subprocess.Popen[bytes]]


@contextmanager
def cluster(
    primary: Postgres,
    database: str,
    key: str,
    tmp: Path,
    logs: Path,
    *,
    messages_per_minute: int = FCM_MESSAGES_PER_MINUTE,
    subscriptions_per_second: int = FCM_SUBSCRIPTIONS_PER_SECOND,
) -> Iterator[Cluster]:
    """Everything but the primary, which holds `database` migrated and seeded already;
    `key` is a Kazakh agency's API key."""
    quotas = {
        "messages_per_minute": messages_per_minute,
        "subscriptions_per_second": subscriptions_per_second,
        # the workers' shared pace: 90 % of the message quota, ≤ 2,500 subscriptions a second
        "paced_messages_per_minute": messages_per_minute * 9 // 10,
        "paced_subscriptions_per_second": min(2_500, subscriptions_per_second * 5 // 6),
    }
    say("starting the replica, pgbouncer, redis, fake FCM, push workers, nodes, nginx")
    with ExitStack() as stack:
        standby = stack.enter_context(replica(primary))
        primary_url = f"postgresql://postgres@127.0.0.1:{primary.port}/{database}"
        replica_url = f"postgresql://postgres@127.0.0.1:{standby.port}/{database}"
        pooled_url = stack.enter_context(pgbouncer(database, primary, logs / "pgbouncer.log"))
        redis_url = stack.enter_context(redis(logs / "redis.log"))
        fake = stack.enter_context(
            fake_fcm(
                logs / "fake-fcm-holiday.log",
                messages_per_minute=messages_per_minute,
                subscriptions_per_second=subscriptions_per_second,
            )
        )
        env = app_env(
            pooled_url,
            tmp,
            DATABASE_PREPARE_THRESHOLD="none",
            REDIS_URL=redis_url,
            PUSH_BACKEND="fake",
            FAKE_FCM_URL=fake.url,
            PUSH_SENDS_PER_MINUTE=str(quotas["paced_messages_per_minute"]),
            PUSH_SUBSCRIPTIONS_PER_SECOND=str(quotas["paced_subscriptions_per_second"]),
        )
        workers = [
            push_worker({**env, "LOG_LEVEL": "info"}, logs / f"push-worker-{n}.log") for n in (1, 2)
        ]
        for worker in workers:
            stack.callback(stop, worker)
        node_env = {**env, "DATABASE_REPLICA_URL": replica_url, "TRUSTED_PROXIES": "1"}
        nodes = [
            stack.enter_context(gunicorn(node_env, logs / f"node-{n}.log", workers=2))
            for n in (1, 2)
        ]
        front = stack.enter_context(
            nginx(
                [node.base.removeprefix("http://") for node in nodes],
                tmp / "nginx",
                logs / "nginx-holiday.log",
                # wrk's 64 connections all come from 127.0.0.1: one address for all
                # the phones, which the recipe's 50 reads a second would refuse
                reads_per_second=1_000_000,
            )
        )
        say("cluster up")
        yield Cluster(
            primary, standby, database, primary_url, pooled_url, replica_url, redis_url,
            nodes, front, fake, key, quotas, workers,
        )  # fmt: skip


def say(what: str) -> None:
    """A progress line on stderr: the run takes minutes."""
    print(f"{datetime.now(UTC):%H:%M:%S} {what}", file=sys.stderr, flush=True)


def populate(
    c: Cluster, *, devices: int, followers: int, new_followers: int, alerts: int
) -> dict[str, Any]:
    """Registered devices (each already on its language's `all` topic), `followers` of
    them following Kordai, and `alerts` of those with an armed queue alert. The last
    `new_followers` of them follow on the day: their topic subscriptions are queued (as
    push/topics.py queues them); the others' were made before. Returns when it committed
    and how long each part took."""
    timings: dict[str, Any] = {}
    with psycopg.connect(c.primary_url) as conn:
        started = time.monotonic()
        conn.execute(
            "INSERT INTO device (token, platform, locale, secret_hash, created_at, updated_at)"
            " SELECT 'holiday-' || n, 'android', (%s::text[])[1 + n %% 7],"
            " md5('holiday-' || n), now(), now() FROM generate_series(1, %s) n",
            (list(LOCALES), devices),
        )
        conn.execute(
            "INSERT INTO device_topic (device_id, topic)"
            " SELECT id, 'all.' || locale FROM device WHERE token LIKE 'holiday-%%'"
        )
        timings["devices_seconds"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        conn.execute(
            "CREATE TEMP TABLE follower AS SELECT id, token, locale FROM device"
            " WHERE token LIKE 'holiday-%%' ORDER BY id LIMIT %s",
            (followers,),
        )
        conn.execute(
            "INSERT INTO follow (device_id, checkpoint_id, created_at)"
            " SELECT id, %s, now() FROM follower",
            (CHECKPOINT,),
        )
        # what topics.sync adds for a device that starts following a Kazakh checkpoint
        conn.execute(
            "INSERT INTO device_topic (device_id, topic) SELECT id,"
            " unnest(ARRAY['cp.' || %s || '.' || locale, 'country.KZ.' || locale])"
            " FROM follower",
            (CHECKPOINT,),
        )
        # in the topic lane, as push.outbox writes them: never ahead of a notification
        conn.execute(
            "INSERT INTO outbox_message (kind, status, lane, device_id, token, topic,"
            " payload, attempts, available_at, created_at) SELECT 'topic_subscribe',"
            " 'pending', %s, id, token,"
            " unnest(ARRAY['cp.' || %s || '.' || locale, 'country.KZ.' || locale]),"
            " '{}', 0, now(), now()"
            " FROM (SELECT * FROM follower ORDER BY id OFFSET %s) AS joining ORDER BY id",
            (int(OutboxLane.TOPICS), CHECKPOINT, max(followers - new_followers, 0)),
        )
        queued = conn.execute(
            "SELECT count(*) FROM outbox_message WHERE kind = 'topic_subscribe'"
        ).fetchone()
        conn.execute(
            "INSERT INTO queue_alert (device_id, checkpoint_id, direction, lane,"
            " below_minutes, armed, expires_at, created_at)"
            " SELECT id, %s, 'exit', 'car', (%s::int[])[1 + id %% %s], true,"
            " now() + interval '6 hours', now() FROM follower ORDER BY id LIMIT %s",
            (CHECKPOINT, list(THRESHOLDS), len(THRESHOLDS), alerts),
        )
        timings["followers_seconds"] = round(time.monotonic() - started, 1)
    timings["committed_at"] = time.time()
    with psycopg.connect(c.primary_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    wait_until(lambda: replayed(c.primary, c.replica), 120, "replica catching up")
    timings["subscriptions_queued"] = int(queued[0]) if queued else 0
    return timings


def post(c: Cluster, path: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """POST through nginx as a border service does: (sent at, answered at, status)."""
    request = urllib.request.Request(
        c.front + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {c.key}"},
    )
    sent = time.time()
    with urllib.request.urlopen(request, timeout=60) as response:  # loopback
        status = response.status
    return sent, time.time(), status


def _state(base: str) -> str | None:
    url = f"{base}/v1/checkpoints/{CHECKPOINT}?lang=kk"
    with urllib.request.urlopen(url, timeout=5) as response:  # loopback
        status = json.loads(response.read())["status"]
    return status["state"] if status else None


def serves(base: str, state: str, since: float, out: dict[str, float], name: str) -> None:
    """Poll `base` until it serves `state` for Kordai; seconds after `since` go to out."""
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if _state(base) == state:
                out[name] = round(time.time() - since, 3)
                return
        except OSError:
            pass
        time.sleep(0.02)


class LagSampler(threading.Thread):
    """Reads the replica's lag from pg_stat_replication on the primary, 4 times a second."""

    def __init__(self, primary_url: str) -> None:
        super().__init__(daemon=True)
        self.primary_url = primary_url
        self.halt = threading.Event()
        self.samples: list[tuple[float | None, int]] = []

    def run(self) -> None:
        with psycopg.connect(self.primary_url, autocommit=True) as conn:
            while not self.halt.wait(0.25):
                row = conn.execute(
                    "SELECT EXTRACT(EPOCH FROM replay_lag)::float,"
                    " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint"
                    " FROM pg_stat_replication"
                ).fetchone()
                if row:
                    self.samples.append((row[0], int(row[1] or 0)))

    def figures(self) -> dict[str, Any]:
        lags = [lag for lag, _ in self.samples if lag is not None]
        return {
            "samples": len(self.samples),
            "replay_lag_max_seconds": round(max(lags), 3) if lags else 0.0,
            "replay_lag_median_seconds": round(sorted(lags)[len(lags) // 2], 3) if lags else 0,
            "bytes_behind_max": max((b for _, b in self.samples), default=0),
        }


def wrk(url: str, seconds: int, connections: int) -> dict[str, Any]:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is missing: apt-get install wrk")
    completed = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-s", str(READS), url],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    output = completed.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    if not rate or not p99 or not total or completed.stderr:
        raise RuntimeError(output + completed.stderr)
    unit = {"us": 1e-3, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "reads_per_second": float(rate.group(1)),
        "p99_ms": round(float(p99.group(1)) * unit, 2),
        "requests": int(total.group(1)),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1).strip() if sockets else "none",
        "connections": connections,
        "seconds": seconds,
    }


def holiday(
    c: Cluster,
    *,
    devices: int,
    followers: int,
    new_followers: int,
    alerts: int,
    read_seconds: int = 60,
    connections: int = 64,
    drain_limit: float = 300,
) -> dict[str, Any]:
    """The scenario; returns its figures (see bench/results/scale.md for their meaning)."""
    figures: dict[str, Any] = {
        "devices": devices,
        "followers": followers,
        "new_followers": new_followers,
        "alerts": alerts,
        "quotas": c.quotas,
    }
    say("populating")
    figures["populate"] = populate(
        c, devices=devices, followers=followers, new_followers=new_followers, alerts=alerts
    )
    lag = LagSampler(c.primary_url)
    lag.start()
    reads: dict[str, Any] = {}
    reader = threading.Thread(
        target=lambda: reads.update(wrk(c.front + "/", read_seconds, connections)), daemon=True
    )
    holiday_started = time.time()
    say(f"reading through nginx for {read_seconds} s; the closure and the queue reports")
    reader.start()
    time.sleep(min(5, read_seconds / 6))

    sent, answered, status = post(
        c, f"/v1/checkpoints/{CHECKPOINT}/status", {"state": "closed", "reason": "holiday"}
    )
    closure: dict[str, Any] = {"posted_status": status, "post_seconds": round(answered - sent, 3)}
    served: dict[str, float] = {}
    bases = {f"node {n}": node.base for n, node in enumerate(c.nodes, 1)} | {"nginx": c.front}
    pollers = [
        threading.Thread(target=serves, args=(base, "closed", answered, served, name))
        for name, base in bases.items()
    ]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join()
    closure["served_after_seconds"] = served
    figures["closure"] = closure
    closed_at = answered

    burst = []
    for wait in BURST_WAITS:
        observed = datetime.now(UTC).isoformat()
        body = {
            "reports": [
                {"direction": "exit", "lane": "car", "wait_minutes": wait,
                 "observed_at": observed},
                {"direction": "entry", "lane": "car", "wait_minutes": wait // 2,
                 "observed_at": observed},
            ]
        }  # fmt: skip
        sent, answered, status = post(c, f"/v1/checkpoints/{CHECKPOINT}/queues", body)
        burst.append({"wait": wait, "status": status, "seconds": round(answered - sent, 3)})
        time.sleep(1)
    figures["queue_reports"] = burst
    reader.join()
    figures["reads"] = reads

    say("waiting for the outbox to drain")
    started = time.monotonic()
    try:
        wait_until(lambda: _pending(c) == 0, drain_limit, "the outbox draining", interval=1)
    except TimeoutError:
        figures["drained"] = False  # what is left is counted as still queued, not lost
    else:
        figures["drained"] = True
    figures["drain_wait_seconds"] = round(time.monotonic() - started, 1)
    lag.halt.set()
    lag.join()
    figures["replica"] = lag.figures()
    say("counting what FCM accepted")
    figures["push"] = delivery(c, figures["populate"]["committed_at"], closed_at)
    figures["holiday_seconds"] = round(time.time() - holiday_started, 1)
    return figures


def _pending(c: Cluster) -> int:
    with psycopg.connect(c.primary_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox_message WHERE status = 'pending'"
        ).fetchone()
    return int(row[0]) if row else 0


def _peak(times: list[float], window: float) -> int:
    """The most events in any `window` seconds."""
    times = sorted(times)
    peak = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] > window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def delivery(c: Cluster, queued_at: float, closed_at: float) -> dict[str, Any]:
    """What FCM accepted against what the outbox says was sent: lost, duplicates, when."""
    with psycopg.connect(c.primary_url) as conn:
        rows = conn.execute(
            "SELECT kind, status, token, topic, fcm_message_id, last_error,"
            " EXTRACT(EPOCH FROM finished_at)::float, EXTRACT(EPOCH FROM created_at)::float"
            " FROM outbox_message"
        ).fetchall()
    messages = c.fake.messages()
    attempts = c.fake.attempts()
    names = Counter(m["name"] for m in messages)
    subscribe = [r for r in rows if r[0] == "topic_subscribe"]
    notify = [r for r in rows if r[0] not in ("topic_subscribe", "topic_unsubscribe")]
    recorded = {r[4] for r in notify if r[1] == "sent"}
    capped = sum(1 for r in notify if r[1] == "dead" and r[5] == "CAPPED")
    dead = sum(1 for r in notify if r[1] == "dead" and r[5] != "CAPPED")
    unsent = sum(1 for r in rows if r[1] == "pending")
    not_at_fcm = sum(1 for name in recorded if name not in names)
    topics = _fake_topics(c.fake)
    missing_subscriptions = sum(
        1 for r in subscribe if r[1] == "sent" and r[2] not in topics.get(r[3], set())
    )
    sub_done = [r[6] for r in subscribe if r[6] is not None]
    message_times = [m["at"] for m in messages]
    closure_rows = [r[6] for r in rows if r[0] == "status_change" and r[6] is not None]
    closure_sent = [
        m["at"] for m in messages if str(m["message"].get("topic", "")).startswith("cp.")
    ]
    by_kind = Counter((r[0], r[1]) for r in rows)
    return {
        "outbox": {f"{kind} {status}": n for (kind, status), n in sorted(by_kind.items())},
        "messages_accepted": len(messages),
        "message_attempts": len(attempts),
        "refused_429": sum(1 for a in attempts if a.get("status") == 429),
        "lost": not_at_fcm + dead + missing_subscriptions,
        "still_queued": unsent,
        "lost_detail": {
            "sent_but_not_at_fcm": not_at_fcm,
            "dead": dead,
            "subscriptions_missing_at_fcm": missing_subscriptions,
        },
        "capped_by_alerts_per_hour": capped,
        "duplicates": sum(n for name, n in names.items() if name not in recorded)
        + sum(n - 1 for n in names.values() if n > 1),
        "subscriptions_done_seconds": round(max(sub_done) - queued_at, 1) if sub_done else None,
        "messages_done_seconds": (
            round(max(message_times) - closed_at, 1) if message_times else None
        ),
        "closure_push_seconds": (round(min(closure_sent) - closed_at, 1) if closure_sent else None),
        # the closure goes in its own lane: ahead of the subscriptions queued before it
        "subscriptions_done_after_closure": sum(1 for t in sub_done if t > closed_at),
        "closure_ahead_of_last_subscription": (
            min(closure_sent) < max(sub_done) if closure_sent and sub_done else None
        ),
        "closure_row_finished_seconds": (
            round(min(closure_rows) - closed_at, 1) if closure_rows else None
        ),
        "peak_messages_per_second": _peak(message_times, 1.0),
        "peak_messages_per_minute": _peak(message_times, 60.0),
        "peak_subscriptions_per_second": _peak(sub_done, 1.0),
        "subscriptions_per_second_mean": (
            round(len(sub_done) / max(max(sub_done) - queued_at, 1e-3), 1) if sub_done else None
        ),
    }


def _fake_topics(fake: FakeFCM) -> dict[str, set[str]]:
    with urllib.request.urlopen(fake.url + "/_fake/topics", timeout=60) as response:
        topics = json.loads(response.read())["topics"]
    return {topic: set(tokens) for topic, tokens in topics.items()}
