"""One pace for every push worker, so that together they keep within FCM's quotas.

FCM allows a project 600,000 messages a minute and 3,000 topic-management requests a
second (firebase-admin makes one request per token). Each worker asks the shared pace for
a grant before it claims rows of a lane: how many units it may use (messages, or tokens
to subscribe) and how long to wait before it starts. The pace is a virtual clock per lane
(GCRA): ``next_at`` is the moment from which the next unit may go; a grant of ``n`` units
moves it on by ``n / rate``. So the workers together never go faster than the rate, over
any window, give or take one grant; a grant is at most a tenth of a second's worth, and
reaches at most a second ahead (a worker never sleeps longer than that, and status
messages never wait behind it).

The clock lives in Redis when REDIS_URL is set (one Lua script, Redis's own time), else
in the ``push_pace`` table, a row per lane updated under a row lock: PostgreSQL's
``FOR UPDATE`` (on the server's clock, so workers on several machines agree), SQLite's
write lock (one machine).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from push.models import PushPace

#: how far ahead of now a grant may start
HORIZON_SECONDS = 1.0
#: the most one grant holds, in seconds of the rate
BURST_SECONDS = 0.1
SENDS = "sends"
SUBSCRIPTIONS = "subscriptions"


@dataclass(frozen=True)
class Grant:
    """``count`` units may be used after ``wait`` seconds; with count 0, ``wait`` says
    when to ask again."""

    count: int
    wait: float


class Pace(Protocol):
    def grant(self, lane: str, want: int, per_second: float) -> Grant: ...

    def hold(self, lane: str, seconds: float) -> None:
        """FCM said 429 with Retry-After: no worker starts the lane for that long."""


def schedule(next_at: float, now: float, want: int, per_second: float) -> tuple[Grant, float]:
    """The grant for ``want`` units against a lane's virtual clock, and its new value."""
    start = max(next_at, now)
    room = math.floor((now + HORIZON_SECONDS - start) * per_second + 1e-9)
    count = min(want, room, max(1, math.floor(per_second * BURST_SECONDS)))
    if count <= 0:
        return Grant(0, max(0.0, start - HORIZON_SECONDS - now) or 1 / per_second), next_at
    return Grant(count, start - now), start + count / per_second


class Unpaced:
    """No shared pace: everything at once (a Worker built without one: tests, benchmarks)."""

    def grant(self, lane: str, want: int, per_second: float) -> Grant:
        return Grant(want, 0.0)

    def hold(self, lane: str, seconds: float) -> None:
        return None


class DatabasePace:
    """The virtual clocks in the ``push_pace`` table (PostgreSQL or SQLite)."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], float] | None = None
    ) -> None:
        """``clock``: epoch seconds; by default PostgreSQL's, or this machine's on SQLite."""
        self.sessions = sessions
        self.clock = clock

    def grant(self, lane: str, want: int, per_second: float) -> Grant:
        with self.sessions() as session, session.begin():
            next_at = self._locked(session, lane)
            granted, after = schedule(next_at, self._now(session), want, per_second)
            if after != next_at:
                session.execute(update(PushPace).where(PushPace.lane == lane).values(next_at=after))
        return granted

    def hold(self, lane: str, seconds: float) -> None:
        with self.sessions() as session, session.begin():
            next_at = self._locked(session, lane)
            resume = self._now(session) + seconds
            if resume > next_at:
                session.execute(
                    update(PushPace).where(PushPace.lane == lane).values(next_at=resume)
                )

    def _now(self, session: Session) -> float:
        if self.clock is not None:
            return self.clock()
        if session.get_bind().dialect.name == "postgresql":
            server_now = session.scalar(select(func.extract("epoch", func.clock_timestamp())))
            return float(server_now if server_now is not None else time.time())
        return time.time()

    def _locked(self, session: Session, lane: str) -> float:
        query = select(PushPace.next_at).where(PushPace.lane == lane)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        next_at = session.scalar(query)
        if next_at is None:
            try:
                with session.begin_nested():
                    session.execute(insert(PushPace).values(lane=lane, next_at=0.0))
            except IntegrityError:  # another worker made the row first: lock theirs
                pass
            next_at = session.scalar(query)
        return float(next_at or 0.0)


_REDIS_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local start = math.max(next_at, now)
local room = math.floor((now + horizon - start) * rate + 1e-9)
local count = math.min(want, room, math.max(1, math.floor(rate * burst)))
if count <= 0 then
  return {0, tostring(math.max(start - horizon - now, 1 / rate))}
end
redis.call('SET', KEYS[1], tostring(start + count / rate), 'EX', 3600)
return {count, tostring(start - now)}
"""


_REDIS_HOLD = """
local now_parts = redis.call('TIME')
local resume = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000 + tonumber(ARGV[1])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if resume > next_at then
  redis.call('SET', KEYS[1], tostring(resume), 'EX', 3600)
end
return 1
"""


class RedisPace:
    """The virtual clocks in Redis, on Redis's clock: one script call per grant."""

    def __init__(self, url: str, prefix: str = "myborder:push-pace:") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self.script = self.client.register_script(_REDIS_SCRIPT)
        self.hold_script = self.client.register_script(_REDIS_HOLD)

    def grant(self, lane: str, want: int, per_second: float) -> Grant:
        count, wait = self.script(
            keys=[self.prefix + lane], args=[want, per_second, HORIZON_SECONDS, BURST_SECONDS]
        )
        return Grant(int(count), float(wait))

    def hold(self, lane: str, seconds: float) -> None:
        self.hold_script(keys=[self.prefix + lane], args=[seconds])


def build(redis_url: str, sessions: sessionmaker[Session]) -> Pace:
    """Redis when it is configured, else the database the workers share anyway."""
    if redis_url:
        return RedisPace(redis_url)
    return DatabasePace(sessions)
