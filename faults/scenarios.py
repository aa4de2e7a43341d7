"""The fault scenarios. Each returns a Result: what was sent, what succeeded, what was lost
(must be 0), the time to recover, and the checks it made."""

from __future__ import annotations

import json
import os
import signal
import statistics
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from faults import holiday
from faults.load import Answer, Load, Poll, Poster, SlowClients
from faults.servers import (
    Gunicorn,
    Postgres,
    app_env,
    fake_fcm,
    gunicorn,
    nginx,
    push_worker,
    seeded,
    stop,
    wait_until,
)


@dataclass
class Result:
    name: str
    unit: str  # "requests" or "messages"
    sent: int = 0
    succeeded: int = 0
    lost: int = 0
    recover_seconds: float | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def check(self, what: str, ok: bool) -> None:
        self.checks.append((what, bool(ok)))

    @property
    def passed(self) -> bool:
        return self.error is None and self.lost == 0 and all(ok for _, ok in self.checks)


@dataclass
class Context:
    """What every scenario gets: the PostgreSQL server, directories for its files, and the
    demo agency keys of the template database each scenario's own database copies."""

    postgres: Postgres
    tmp: Path
    logs: Path
    keys: dict[str, str] = field(default_factory=dict)

    def database(self, label: str) -> str:
        """A database of the scenario's own: migrated, with the demo data."""
        if not self.keys:
            template = self.postgres.create_database(TEMPLATE)
            self.keys = seeded(template, self.tmp)
        name = f"fault_{label}_{uuid.uuid4().hex[:6]}"
        return self.postgres.create_database(name, template=TEMPLATE)


TEMPLATE = "fault_template"


# -- HTTP scenarios ---------------------------------------------------------------------


def _posters(base: str, keys: dict[str, str]) -> list[Poster]:
    with urllib.request.urlopen(base + "/v1/checkpoints", timeout=10) as response:
        items = json.loads(response.read())["items"]
    by_country: dict[str, list[str]] = defaultdict(list)
    for item in items:
        if "car" in item["lanes"] and "exit" in item["directions"]:  # what the load posts
            by_country[item["country"]].append(item["id"])
    return [Poster(keys[c], ids) for c, ids in sorted(by_country.items()) if c in keys]


def _stored_reports(database_url: str, ids: list[int]) -> set[int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id FROM queue_report WHERE id = ANY(%s)", (ids,))
        return {row[0] for row in rows}


def _count_posts(result: Result, answers: list[Answer], database_url: str) -> list[Answer]:
    posts = [a for a in answers if a.kind == "post"]
    accepted = [a for a in posts if a.status is not None and 200 <= a.status < 300]
    promised = [report_id for a in accepted for report_id in a.report_ids]
    stored = _stored_reports(database_url, promised)
    result.sent += len(posts)
    result.succeeded += len(accepted)
    result.lost += len(set(promised) - stored)
    result.figures["posts"] = _statuses(posts)
    return posts


def _statuses(answers: list[Answer]) -> dict[str, int]:
    return dict(sorted(Counter(str(a.status or a.error) for a in answers).items()))


def database_restart(ctx: Context, outage_seconds: float = 5.0) -> Result:
    """PostgreSQL stops (fast shutdown) under reads and agency posts, stays down a few
    seconds, and starts again; the service is not restarted."""
    result = Result("PostgreSQL restart under reads and posts", "requests")
    result.figures["database"] = ctx.postgres.describe()
    database_url = ctx.database("restart")
    env = app_env(database_url, ctx.tmp)
    with gunicorn(env, ctx.logs / "gunicorn-restart.log") as server:
        # the cache is per worker: reads alone first, so that every worker has served each
        # read of the mix (a read a worker never served gets 503 while the database is down)
        with Load(server.base, [], readers=3) as reads_load:
            time.sleep(2)
            posters = _posters(server.base, ctx.keys)
            with Load(server.base, posters, readers=0, post_interval=0.5) as posts_load:
                time.sleep(3)
                ctx.postgres.stop()
                # the outage is the time the database was surely down: from the moment
                # the fast shutdown finished (a post in flight while it ran may still
                # commit) to the moment it is asked to start (one in flight then may too)
                down_at = time.monotonic()
                time.sleep(outage_seconds)
                up_at = time.monotonic()
                ctx.postgres.start()
                time.sleep(8)
        answers = reads_load.snapshot() + posts_load.snapshot()
    reads = [a for a in answers if a.kind == "read"]
    posts = _count_posts(result, answers, database_url)
    result.sent += len(reads)
    result.succeeded += sum(1 for a in reads if a.status == 200)
    during = [a for a in answers if a.started >= down_at and a.ended <= up_at]
    reads_during = [a for a in during if a.kind == "read"]
    posts_during = [a for a in during if a.kind == "post"]
    result.figures |= {
        "outage_seconds": round(up_at - down_at, 2),
        "reads": _statuses(reads),
        "reads_during_outage": _statuses(reads_during),
        "posts_during_outage": _statuses(posts_during),
        "reads_refused_during_outage": dict(
            Counter(a.path for a in reads_during if a.status != 200)
        ),
    }
    recovered = [a for a in posts if a.started >= up_at and a.status == 201]
    if recovered:
        result.recover_seconds = round(min(a.ended for a in recovered) - up_at, 2)
        failed_after = [
            a for a in posts if a.started > min(a.ended for a in recovered) and a.status != 201
        ]
        result.check("every post after recovery succeeded", not failed_after)
    result.check(
        "the service recovered by itself within 5 s of the database returning",
        result.recover_seconds is not None and result.recover_seconds < 5,
    )
    result.check(
        "no 500 (no 5xx but 503)", all((a.status or 0) < 500 or a.status == 503 for a in answers)
    )
    result.check(
        "every post during the outage got 503",
        bool(posts_during) and all(a.status == 503 for a in posts_during),
    )
    refused = [a for a in answers if a.status == 503]
    result.check("every 503 carried Retry-After", all(a.retry_after for a in refused))
    result.check(
        "cached reads were served through the outage",
        bool(reads_during) and all(a.status == 200 for a in reads_during),
    )
    result.check("every answer came back (no dropped connection)", all(a.status for a in answers))
    return result


def gunicorn_worker_kill(ctx: Context) -> Result:
    """One gunicorn worker gets SIGKILL under load; the master replaces it."""
    result = Result("gunicorn worker SIGKILL under load", "requests")
    database_url = ctx.database("gunicorn")
    env = app_env(database_url, ctx.tmp)
    log = ctx.logs / "gunicorn-kill.log"
    with gunicorn(env, log) as server:
        with Load(
            server.base, _posters(server.base, ctx.keys), readers=3, post_interval=0.5
        ) as load:
            time.sleep(3)
            before = server.workers()
            victim = before[0]
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            replaced = wait_until(
                lambda: (
                    len(set(server.workers()) - set(before)) == 1
                    and len(server.workers()) == len(before)
                ),
                20,
                "a replacement worker",
            )
            served = _replacement_serves(server, set(before), killed_at)
            time.sleep(5)
        answers = load.snapshot()
    reads = [a for a in answers if a.kind == "read"]
    _count_posts(result, answers, database_url)
    result.sent += len(reads)
    result.succeeded += sum(1 for a in reads if a.status == 200)
    failed = [a for a in answers if not (a.status and a.status < 500)]
    in_flight = [a for a in failed if a.started <= killed_at <= a.ended]
    result.recover_seconds = round(served, 2)
    result.figures |= {
        "workers": len(before),
        "replacement_forked_after_s": round(replaced, 2),
        "failed": _statuses(failed),
        "failed_in_flight_at_kill": len(in_flight),
    }
    result.check("only requests in flight on the killed worker failed",
                 len(failed) == len(in_flight) <= 1)  # fmt: skip
    result.check("the master replaced the worker", served is not None)
    return result


def _replacement_serves(server: Gunicorn, before: set[int], killed_at: float) -> float:
    """Seconds from the kill until the new worker booted (gunicorn logs its pid)."""

    def booted() -> bool:
        new = set(server.workers()) - before
        return bool(new) and f"Booting worker with pid: {new.pop()}" in server.log.read_text()

    wait_until(booted, 20, "the replacement worker booting")
    return time.monotonic() - killed_at


def _health(answers: list[Answer]) -> dict[str, Any]:
    """Share of 200s within the poll's timeout, and the latency of the answers, in ms."""
    ok = [a for a in answers if a.status == 200]
    times = sorted((a.ended - a.started) * 1000 for a in ok)
    figures: dict[str, Any] = {
        "polls": len(answers),
        "ok_percent": round(100 * len(ok) / len(answers), 1) if answers else 0.0,
        "failed": _statuses([a for a in answers if a.status != 200]),
    }
    if times:
        figures |= {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "max_ms": round(times[-1], 1),
        }
    return figures


def _attack(
    base: str, seconds: float, sockets: int, bodies: int, interval: float
) -> tuple[SlowClients, dict[str, list[Answer]], int]:
    """Slow sockets against `base` while /healthz and the list are polled; returns the
    attack, the polls' answers by path, and how many sockets were open at the end."""
    polls = [Poll(base, "/healthz"), Poll(base, "/v1/checkpoints?lang=ru")]
    with SlowClients(base, sockets=sockets, bodies=bodies, interval=interval) as attack:
        time.sleep(1)  # the sockets are open before the first poll counts
        for poll in polls:
            poll.__enter__()
        time.sleep(seconds)
        for poll in polls:
            poll.__exit__()
        still_open = attack.open_now()
    return attack, {poll.path: poll.answers for poll in polls}, still_open


def slow_clients(
    ctx: Context,
    sockets: int = 50,
    bodies: int = 15,
    interval: float = 2.0,
    seconds: float = 25,
    baseline_seconds: float = 12,
) -> Result:
    """Slowloris: 50 sockets send one byte every 2 s (partial headers, and slow bodies to
    POST /v1/customs/check) at gunicorn's sync workers behind deploy/nginx.conf, while
    /healthz and GET /v1/checkpoints are polled with a 3 s timeout. Then, for contrast,
    the same attack straight at gunicorn (the baseline, expected to fail)."""
    result = Result("slow clients (slowloris) through the nginx front", "requests")
    database_url = ctx.database("slow")
    env = app_env(database_url, ctx.tmp, TRUSTED_PROXIES="1")
    log = ctx.logs / "gunicorn-slow.log"
    with gunicorn(env, log) as server:
        upstream = server.base.split("//")[1]
        runtime = ctx.tmp / f"nginx-{uuid.uuid4().hex[:6]}"
        with nginx(upstream, runtime, ctx.logs / "nginx-slow.log") as front:
            attack, polled, still_open = _attack(front, seconds, sockets, bodies, interval)
        timeouts_behind_nginx = log.read_text().count("WORKER TIMEOUT")
        direct, direct_polled, direct_open = _attack(
            server.base, baseline_seconds, sockets, bodies, interval
        )
        recovered = wait_until(
            lambda: urllib.request.urlopen(server.base + "/healthz", timeout=2).status == 200,
            40,
            "gunicorn answering again after the direct attack",
        )
    answers = [a for path_answers in polled.values() for a in path_answers]
    result.sent = len(answers)
    result.succeeded = sum(1 for a in answers if a.status == 200)
    result.recover_seconds = round(recovered, 2)
    result.figures |= {
        "slow_sockets": {"header": sockets - bodies, "body": bodies, "byte_every_s": interval},
        "through_nginx_s": seconds,
        "through_nginx": {path: _health(a) for path, a in polled.items()},
        "through_nginx_slow_sockets_open_at_end": still_open,
        "through_nginx_connections_opened": dict(attack.opened),
        "through_nginx_dropped_by_server": dict(attack.dropped),
        "through_nginx_gunicorn_worker_timeouts": timeouts_behind_nginx,
        "baseline_direct_to_gunicorn_s": baseline_seconds,
        "baseline_direct_to_gunicorn": {path: _health(a) for path, a in direct_polled.items()},
        "baseline_slow_sockets_open_at_end": direct_open,
        "baseline_gunicorn_worker_timeouts": log.read_text().count("WORKER TIMEOUT")
        - timeouts_behind_nginx,
    }
    for path, path_answers in polled.items():
        health = _health(path_answers)
        result.check(
            f"GET {path} through nginx: >= 99 % answered 200 within 3 s "
            f"({health['ok_percent']} % of {health['polls']})",
            health["polls"] >= 20 and health["ok_percent"] >= 99,
        )
    result.check(
        "the attack was on: the slow-body sockets were held open by nginx to the end",
        still_open >= bodies,
    )
    result.check(
        "nginx dropped the never-ending headers (client_header_timeout)",
        attack.dropped["header"] >= sockets - bodies,
    )
    result.check("no gunicorn worker timed out behind nginx", timeouts_behind_nginx == 0)
    return result


# -- push scenarios ---------------------------------------------------------------------

PAYLOAD = {
    "title": "Kordai",
    "body": "The car queue is short now",
    "collapse_key": "cp-kz-kordai",
    "data": {},
    "ttl_seconds": 3600,
}


def _queue_alerts(database_url: str, count: int, prefix: str) -> list[str]:
    """Devices and one pending alert each, as the outbox holds them after a queue post."""
    tokens = [f"{prefix}-{n:05d}" for n in range(count)]
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO device (token, platform, locale, secret_hash, created_at, updated_at)"
            " VALUES (%s, 'android', 'ru', %s, %s, %s)",
            [(t, t, now, now) for t in tokens],
        )
        cur.executemany(
            "INSERT INTO outbox_message (kind, status, token, payload, attempts, available_at,"
            " created_at, expires_at) VALUES ('queue_alert', 'pending', %s, %s, 0, %s, %s, %s)",
            [(t, json.dumps(PAYLOAD), now, now, now + timedelta(hours=1)) for t in tokens],
        )
    return tokens


def _outbox(database_url: str) -> dict[str, int]:
    """Outbox rows by status; pending rows a worker holds a lease on count as "leased"."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT CASE WHEN status = 'pending' AND lease_until IS NOT NULL THEN 'leased'"
            " ELSE status END, count(*) FROM outbox_message GROUP BY 1"
        )
        return {str(status): int(n) for status, n in rows}


def _push_env(database_url: str, ctx: Context, fake_url: str, **extra: str) -> dict[str, str]:
    return app_env(
        database_url,
        ctx.tmp,
        PUSH_BACKEND="fake",
        FAKE_FCM_URL=fake_url,
        FCM_HTTP_TIMEOUT_SECONDS="2",
        PUSH_LEASE_SECONDS="6",
        LOG_LEVEL="info",
        **extra,
    )


def _delivery(result: Result, tokens: list[str], delivered: list[dict[str, Any]]) -> Counter:
    received = Counter(m["message"].get("token") for m in delivered)
    result.sent = len(tokens)
    result.succeeded = sum(1 for t in tokens if received[t])
    result.lost = len(tokens) - result.succeeded
    result.figures["duplicates"] = sum(received[t] - 1 for t in tokens if received[t] > 1)
    return received


def _drained(database_url: str, count: int) -> Callable[[], bool]:
    return lambda: _outbox(database_url).get("sent", 0) == count


def push_worker_kill(ctx: Context, count: int = 2000) -> Result:
    """The push worker gets SIGKILL with a batch in flight, then starts again."""
    result = Result("push worker SIGKILL mid-batch, restarted", "messages")
    database_url = ctx.database("pushkill")
    tokens = _queue_alerts(database_url, count, "kill")
    with fake_fcm(ctx.logs / "fake-fcm-kill.log") as fake:
        env = _push_env(database_url, ctx, fake.url)
        fake.behave({"*": {"delay": 1.0}})  # every send takes a while: batches are in flight
        worker = push_worker(env, ctx.logs / "push-worker-kill.log")
        try:
            wait_until(lambda: fake.requests() >= 100, 30, "the worker sending")
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            killed_at = time.monotonic()
        finally:
            stop(worker)
        result.figures["outbox_at_kill"] = _outbox(database_url)
        fake.behave({"*": {"times": 0}})  # the fake answers at once again
        worker = push_worker(env, ctx.logs / "push-worker-kill.log")
        try:
            wait_until(_drained(database_url, count), 60, "the outbox draining")
            result.recover_seconds = round(time.monotonic() - killed_at, 2)
        finally:
            stop(worker)
        outbox = _outbox(database_url)
        _delivery(result, tokens, fake.messages())
    result.figures["outbox_after"] = outbox
    result.check("every outbox row ended sent", outbox == {"sent": count})
    return result


def fcm_unavailable(
    ctx: Context, count: int = 1000, outage_seconds: float = 8, retry_after: int = 6
) -> Result:
    """FCM answers 503 with Retry-After for a while, then recovers."""
    result = Result("fake FCM 503 for a while, then recovers", "messages")
    database_url = ctx.database("fcm503")
    tokens = _queue_alerts(database_url, count, "outage")
    with fake_fcm(ctx.logs / "fake-fcm-503.log") as fake:
        env = _push_env(database_url, ctx, fake.url)
        fake.behave({"*": {"error": "UNAVAILABLE", "retry_after": retry_after}})
        worker = push_worker(env, ctx.logs / "push-worker-503.log")
        try:
            wait_until(lambda: fake.attempts(), 30, "the first refused send")
            time.sleep(outage_seconds)
            fake.behave({"*": {"times": 0}})
            recovered_at = time.monotonic()
            wait_until(_drained(database_url, count), 60, "the backlog draining")
            result.recover_seconds = round(time.monotonic() - recovered_at, 2)
        finally:
            stop(worker)
        outbox = _outbox(database_url)
        _delivery(result, tokens, fake.messages())
        attempts = fake.attempts()
    (ctx.logs / "fake-fcm-503-attempts.json").write_text(json.dumps(attempts))
    by_token: dict[str, list[float]] = defaultdict(list)
    for attempt in attempts:
        by_token[attempt["token"]].append(attempt["at"])
    gaps = [b - a for times in by_token.values() for a, b in zip(times, times[1:], strict=False)]
    refused = sum(1 for a in attempts if a["status"] == 503)
    result.figures |= {
        "outbox_after": outbox,
        "refused_with_503": refused,
        "shortest_retry_gap_s": round(min(gaps), 2) if gaps else None,
        "median_retry_gap_s": round(statistics.median(gaps), 2) if gaps else None,
    }
    result.check("the outage refused sends", refused > 0)
    result.check(f"no retry sooner than Retry-After ({retry_after} s)",
                 bool(gaps) and min(gaps) >= retry_after - 0.05)  # fmt: skip
    result.check("no message dead-lettered", "dead" not in outbox)
    result.check("the backlog drained", outbox == {"sent": count})
    return result


def fcm_slow(ctx: Context, count: int = 1000, slow: int = 50, delay: float = 15) -> Result:
    """Some of FCM's answers take longer than the worker's timeout; the rest must flow."""
    result = Result("fake FCM slow for some tokens", "messages")
    database_url = ctx.database("fcmslow")
    tokens = _queue_alerts(database_url, count, "slow")
    slow_tokens = set(tokens[:: count // slow][:slow])
    with fake_fcm(ctx.logs / "fake-fcm-slow.log") as fake:
        env = _push_env(database_url, ctx, fake.url)
        # the first answer to each slow token takes `delay` s, far over the 2 s timeout
        fake.behave({t: {"delay": delay, "times": 1} for t in slow_tokens})
        worker = push_worker(env, ctx.logs / "push-worker-slow.log")
        try:
            wait_until(
                lambda: _fast_sent(database_url, slow_tokens) == count - len(slow_tokens),
                60,
                "the fast messages",
            )
            fast_done = time.time()
            wait_until(_drained(database_url, count), 60, "the slow messages")
            drained = time.time()
        finally:
            stop(worker)
        outbox = _outbox(database_url)
        _delivery(result, tokens, fake.messages())
        attempts = fake.attempts()
    (ctx.logs / "fake-fcm-slow-attempts.json").write_text(json.dumps(attempts))
    first_send = min(a["at"] for a in attempts)  # the fake's clock is this machine's
    fast_done -= first_send
    result.recover_seconds = round(drained - first_send, 2)
    tries = Counter(a["token"] for a in attempts)
    first_try: dict[str, float] = {}
    for attempt in attempts:
        first_try.setdefault(attempt["token"], attempt["at"] - first_send)
    fast_reached = max(at for token, at in first_try.items() if token not in slow_tokens)
    first_slow_answer = min(first_try[token] for token in slow_tokens) + delay
    slow_attempts = {token: tries[token] for token in slow_tokens}
    result.figures |= {
        "slow_tokens": len(slow_tokens),
        "slow_answer_s": delay,
        "fcm_timeout_s": 2,
        "fast_messages_reached_fcm_s": round(fast_reached, 2),
        "first_slow_answer_s": round(first_slow_answer, 2),
        "fast_messages_recorded_sent_s": round(fast_done, 2),
        "outbox_after": outbox,
        "attempts_per_slow_token": dict(sorted(Counter(slow_attempts.values()).items())),
    }
    result.check(
        "every fast message reached FCM before the first slow answer came back",
        fast_reached < first_slow_answer,
    )
    result.check(
        "no fast message needed a second attempt",
        all(tries[t] == 1 for t in tokens if t not in slow_tokens),
    )
    result.check(
        "each slow token timed out and was retried",
        all(n >= 2 for n in slow_attempts.values()),
    )
    result.check("every outbox row ended sent", outbox == {"sent": count})
    return result


def _fast_sent(database_url: str, slow_tokens: set[str]) -> int:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT token FROM outbox_message WHERE status = 'sent'")
        return sum(1 for (token,) in rows if token not in slow_tokens)


def holiday_small(ctx: Context) -> Result:
    """`make scale`'s holiday at 2,000 devices: a closure on two app nodes reading from a
    streaming replica, writing through PgBouncer, pushing through two workers."""
    result = Result("holiday on 2 nodes, replica, PgBouncer (2,000 devices)", "messages")
    database = ctx.database("holiday").rpartition("/")[2]
    tmp = ctx.tmp / "holiday"
    tmp.mkdir()
    with holiday.cluster(ctx.postgres, database, ctx.keys["KZ"], tmp, ctx.logs) as cluster:
        figures = holiday.holiday(
            cluster,
            devices=2_000,
            followers=500,
            new_followers=500,
            alerts=200,
            read_seconds=8,
            connections=16,
            drain_limit=45,
        )
    push, served = figures["push"], figures["closure"]["served_after_seconds"]
    outbox = sum(push["outbox"].values())
    result.sent = outbox
    result.lost = push["lost"]
    result.succeeded = outbox - result.lost
    result.check(
        "each node served the closure within 1 s of the POST's answer",
        all(served.get(node, 99.0) <= 1.0 for node in ("node 1", "node 2")),
    )
    result.check(
        "the closure reached FCM before the subscriptions queued ahead of it were done",
        push["subscriptions_done_after_closure"] == 0
        or bool(push["closure_ahead_of_last_subscription"]),
    )
    result.check("no duplicates at FCM", push["duplicates"] == 0)
    result.check("the outbox drained", figures["drained"])
    result.check("every read through nginx answered 2xx", figures["reads"]["non_2xx"] == 0)
    result.figures.update(
        closure_served_after_seconds=served,
        reads_per_second=figures["reads"]["reads_per_second"],
        read_p99_ms=figures["reads"]["p99_ms"],
        replica=figures["replica"],
        subscriptions_done_seconds=push["subscriptions_done_seconds"],
        closure_push_seconds=push["closure_push_seconds"],
        subscriptions_done_after_closure=push["subscriptions_done_after_closure"],
        messages_done_seconds=push["messages_done_seconds"],
        outbox=push["outbox"],
    )
    return result


SCENARIOS: dict[str, Callable[[Context], Result]] = {
    "postgres-restart": database_restart,
    "gunicorn-kill": gunicorn_worker_kill,
    "slow-clients": slow_clients,
    "push-worker-kill": push_worker_kill,
    "fcm-unavailable": fcm_unavailable,
    "fcm-slow": fcm_slow,
    "holiday": holiday_small,
}
