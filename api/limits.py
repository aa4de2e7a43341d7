"""Rate limits (Flask-Limiter), in Redis when REDIS_URL is set and in memory otherwise.

- public reads: per client IP, generous (READ_RATE_LIMIT, 600 per minute; checked in
  the cache middleware, so that cached answers count). Off by default behind a proxy
  (TRUSTED_PROXIES): nginx's limit_req does it at the front, sized for carrier NAT;
- device registration: per IP, strict; generous (APP_CHECK_REGISTRATION_RATE_LIMIT) for
  a request with a valid Firebase App Check token, so that thousands of phones behind
  one carrier address can all register;
- agency posts: per key;
- customs checks: per IP (CUSTOMS_CHECKS);
- crowd reports: per IP (CROWD_REPORTS), besides the service's one per device,
  checkpoint and direction in 30 minutes;
- failed sign-ins: per client IP (SIGN_IN_IP_RATE_LIMIT), and per account from one
  client IP (SIGN_IN_ACCOUNT_RATE_LIMIT): the lockout. It does not lock the real user
  out from another address, and it is keyed on the email as typed, so known and
  unknown accounts are refused alike (no existence oracle).

A throttled request gets 429 with Retry-After and RateLimit-* headers.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

DEVICE_REGISTRATIONS = "10 per hour"
AGENCY_POSTS = "300 per minute"
#: the customs checker reads rules, substances and rates for every item: a CPU sink
#: without a limit. 120 a minute is two checks a second from one address, more than an
#: app needs even behind a carrier's shared address for a busy checkpoint's waiting line
CUSTOMS_CHECKS = "120 per minute"

#: travellers' crowd reports from one address. Strict like device registration (and with
#: the same cost to phones behind a carrier's shared address): it is what keeps one
#: address with many devices from outvoting the crowd; the robust median drops the rest
CROWD_REPORTS = "10 per hour"


def app_checked_registrations() -> str:
    """Registrations per IP for requests that App Check vouches for (a setting)."""
    limit: str = current_app.config["SETTINGS"].app_check_registration_rate_limit
    return limit


def client_ip() -> str:
    return request.remote_addr or "unknown"


def agency_key() -> str:
    """Throttle per key: a hash of the presented credential (never the key itself)."""
    credential = request.headers.get("Authorization", "")
    return "key:" + hashlib.sha256(credential.encode()).hexdigest()[:24]


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
    read_limit = settings.read_rate_limit_in_app if settings.rate_limits_enabled else None
    app.extensions["read_limiter"] = ReadLimiter(
        storage, parse(read_limit) if read_limit is not None else None
    )
    app.extensions["sign_in_guard"] = SignInGuard(
        storage,
        per_ip=parse(settings.sign_in_ip_rate_limit),
        per_account=parse(settings.sign_in_account_rate_limit),
        enabled=settings.rate_limits_enabled,
    )


def sign_in_guard() -> SignInGuard:
    guard: SignInGuard = current_app.extensions["sign_in_guard"]
    return guard


class ReadLimiter:
    """The per-IP limit on public reads, usable outside Flask (in the cache middleware)."""

    def __init__(self, storage: Storage, limit: RateLimitItem | None) -> None:
        """`limit` None: reads are not limited here (off, or left to the front)."""
        self.strategy = FixedWindowRateLimiter(storage)
        self.limit = limit

    def hit(self, ip: str) -> dict[str, str] | None:
        """None when the read may go on; otherwise the headers of a 429."""
        if self.limit is None:
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


class Throttled(TooManyRequests):
    """429 with the Retry-After and RateLimit-* headers of the limit that ran out."""

    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__()
        self.limit_headers = headers

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), *self.limit_headers.items()]


class SignInGuard:
    """Failed sign-ins, counted per client IP and per account + client IP.

    `refusal` is asked before the password is checked (no argon2 work for a throttled
    caller); `failed` counts a wrong attempt afterwards. Only failures count, so an
    office of officers behind one address can all sign in.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        per_ip: RateLimitItem,
        per_account: RateLimitItem,
        enabled: bool,
    ) -> None:
        self.strategy = FixedWindowRateLimiter(storage)
        self.per_ip = per_ip
        self.per_account = per_account
        self.enabled = enabled

    def _keys(self, ip: str, email: str) -> list[tuple[RateLimitItem, str]]:
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]
        return [(self.per_ip, ip), (self.per_account, f"{account}:{ip}")]

    def refusal(self, ip: str, email: str) -> dict[str, str] | None:
        """None when this caller may try a password now; otherwise the headers of a 429."""
        if not self.enabled:
            return None
        try:
            for limit, key in self._keys(ip, email):
                if not self.strategy.test(limit, "myborder-sign-ins", key):
                    reset, _ = self.strategy.get_window_stats(limit, "myborder-sign-ins", key)
                    retry = max(1, math.ceil(reset - time.time()))
                    return {
                        "Retry-After": str(retry),
                        "RateLimit-Limit": str(limit.amount),
                        "RateLimit-Remaining": "0",
                        "RateLimit-Reset": str(retry),
                    }
        except Exception:  # the limit store is down: argon2 still slows guessing
            return None
        return None

    def failed(self, ip: str, email: str) -> bool:
        """Count a failed sign-in; True when it used up the account's tries from this IP."""
        if not self.enabled:
            return False
        (ip_limit, ip_key), (account_limit, account_key) = self._keys(ip, email)
        try:
            self.strategy.hit(ip_limit, "myborder-sign-ins", ip_key)
            counted = self.strategy.hit(account_limit, "myborder-sign-ins", account_key)
            return counted and not self.strategy.test(
                account_limit, "myborder-sign-ins", account_key
            )
        except Exception:  # the limit store is down: count nothing
            return False
