"""Rate limits (Flask-Limiter), in Redis when REDIS_URL is set and in memory otherwise.

- public reads: per client IP, generous (READ_RATE_LIMIT, 600 per minute; checked in
  the cache middleware, so that cached answers count);
- device registration: per IP, strict;
- agency posts: per key;
- sign-ins: per account.

A throttled request gets 429 with Retry-After and RateLimit-* headers.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

DEVICE_REGISTRATIONS = "10 per hour"
AGENCY_POSTS = "300 per minute"
SIGN_INS = "10 per 15 minutes"


def client_ip() -> str:
    return request.remote_addr or "unknown"


def agency_key() -> str:
    """Throttle per key: a hash of the presented credential (never the key itself)."""
    credential = request.headers.get("Authorization", "")
    return "key:" + hashlib.sha256(credential.encode()).hexdigest()[:24]


def sign_in_account() -> str:
    email = ""
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            email = str(body.get("email", ""))
    else:
        email = request.form.get("email", "")
    return "account:" + email.strip().lower()


limiter = Limiter(
    key_func=client_ip,
    headers_enabled=True,
    strategy="fixed-window",  # O(1) memory per key, whatever the limit
)


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config.update(
        RATELIMIT_ENABLED=settings.rate_limits_enabled,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_HEADER_LIMIT="RateLimit-Limit",
        RATELIMIT_HEADER_REMAINING="RateLimit-Remaining",
        RATELIMIT_HEADER_RESET="RateLimit-Reset",
        RATELIMIT_HEADER_RETRY_AFTER="Retry-After",
        RATELIMIT_HEADER_RETRY_AFTER_VALUE="delta-seconds",
        RATELIMIT_KEY_PREFIX="myborder",
        # a Redis outage must not take the service down: fall back to memory for a while
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    limiter.init_app(app)
    storage = storage_from_string(settings.redis_url or "memory://")
    if not isinstance(storage, Storage):  # an asyncio storage: not for WSGI
        raise RuntimeError("REDIS_URL must name a synchronous storage (redis://...)")
    app.extensions["read_limiter"] = ReadLimiter(
        storage,
        parse(settings.read_rate_limit),
        enabled=settings.rate_limits_enabled,
    )


class ReadLimiter:
    """The per-IP limit on public reads, usable outside Flask (in the cache middleware)."""

    def __init__(self, storage: Storage, limit: RateLimitItem, *, enabled: bool) -> None:
        self.strategy = FixedWindowRateLimiter(storage)
        self.limit = limit
        self.enabled = enabled

    def hit(self, ip: str) -> dict[str, str] | None:
        """None when the read may go on; otherwise the headers of a 429."""
        if not self.enabled:
            return None
        try:
            if self.strategy.hit(self.limit, "myborder-reads", ip):
                return None
            reset, _remaining = self.strategy.get_window_stats(self.limit, "myborder-reads", ip)
        except Exception:  # the limit store is down: serve rather than refuse
            return None
        retry = max(1, math.ceil(reset - time.time()))
        return {
            "Retry-After": str(retry),
            "RateLimit-Limit": str(self.limit.amount),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(retry),
        }
