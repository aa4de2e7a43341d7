"""Request ids, one structured log line per request, security headers, CORS, and
Prometheus metrics at /metrics."""

from __future__ import annotations

import itertools
import json
import logging
import re
import sys
import threading
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from werkzeug.exceptions import NotFound

from api.auth import BEARER_CHALLENGE
from api.db import get_session
from push import outbox

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
ACCESS_LOG: AccessLog | None = None

REQUESTS = Counter("myborder_http_requests_total", "HTTP requests", ["route", "method", "status"])
LATENCY = Histogram(
    "myborder_http_request_seconds",
    "HTTP request duration",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
RATE_LIMITED = Counter("myborder_rate_limited_total", "Requests refused with 429", ["route"])
OUTBOX_PENDING = Gauge("myborder_outbox_pending", "Push messages waiting to be sent")
OUTBOX_OLDEST = Gauge("myborder_outbox_oldest_due_seconds", "Age of the oldest due message")
SENDS = Gauge("myborder_push_messages", "Push messages by final status", ["status"])


class AccessLog:
    """One JSON line per request on stdout. Written straight to a buffered stream and
    flushed at most every quarter second: a syscall, or the logging module's machinery,
    per request would cost more than serving a cached answer."""

    interval = 0.25

    def __init__(self) -> None:
        self.stream = open(sys.stdout.fileno(), "w", buffering=1 << 16, closefd=False)  # noqa: SIM115  # lives as long as the process
        self.flushed_at = 0.0
        self.lock = threading.Lock()

    def write(self, fields: dict[str, Any]) -> None:
        line = json.dumps(fields, ensure_ascii=False, separators=(",", ":")) + "\n"
        now = time.monotonic()
        with self.lock:
            self.stream.write(line)
            if now - self.flushed_at >= self.interval:
                self.flushed_at = now
                self.stream.flush()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app: Flask) -> None:
    global ACCESS_LOG  # one per process, shared by every app instance
    settings = app.config["SETTINGS"]
    if settings.request_log and ACCESS_LOG is None:
        ACCESS_LOG = AccessLog()
    if settings.log_format == "json" and not any(
        isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers
    ):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logging.getLogger().addHandler(handler)

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id(request.headers.get("X-Request-ID"))

    @app.after_request
    def _finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        duration = time.perf_counter() - g.get("started", time.perf_counter())
        response.headers["X-Request-ID"] = g.get("request_id", "")
        record(
            g.get("request_id", ""),
            request.method,
            route,
            request.path,
            response.status_code,
            duration,
        )
        _policy(response, settings)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        """Prometheus metrics. In production, a METRICS_TOKEN bearer is required."""
        token = settings.metrics_token
        if settings.is_production and not token:
            raise NotFound()
        if token and request.headers.get("Authorization") != f"Bearer {token}":
            return Response(status=401, headers={"WWW-Authenticate": BEARER_CHALLENGE})
        session = get_session()
        backlog = outbox.backlog(session)
        OUTBOX_PENDING.set(backlog["pending"])
        OUTBOX_OLDEST.set(backlog["oldest_due_seconds"])
        for status, count in outbox.status_counts(session).items():
            SENDS.labels(status).set(count)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


_ids = itertools.count()
_id_prefix = uuid.uuid4().hex[:12]


def request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is sane, else a new one (unique per process
    start and request, without a system call)."""
    if incoming and REQUEST_ID.match(incoming):
        return incoming
    return f"{_id_prefix}-{next(_ids):x}"


def record(
    request_id: str, method: str, route: str, path: str, status: int, duration: float
) -> None:
    """Count, time and log one request (also for answers served before Flask runs)."""
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(duration)
    if status == 429:
        RATE_LIMITED.labels(route).inc()
    if ACCESS_LOG is not None:
        ACCESS_LOG.write(
            {
                "time": round(time.time(), 3),
                "request_id": request_id,
                "method": method,
                "route": route,
                "path": path,
                "status": status,
                "duration_ms": round(duration * 1000, 3),
            }
        )


API_CSP = "default-src 'none'; frame-ancestors 'none'"
#: /docs (Swagger UI): its scripts, styles and the spec come from the app itself only;
#: Swagger UI's CSS draws its icons as data: images
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_ENDPOINTS = {"api-docs.openapi_swagger_ui"}  # flask-smorest's doc blueprint


JSON_TYPES = frozenset({"application/json", "application/problem+json"})
HSTS = "max-age=31536000; includeSubDomains"


def policy_headers(
    *, path: str, method: str, origin: str | None, mimetype: str, settings: Any
) -> tuple[dict[str, str], dict[str, str], bool]:
    """The security and CORS headers of an answer, decided in one place for Flask's
    answers and for those the cache middleware serves before Flask runs: (headers a
    view may have set already, headers that always win, whether to add Origin to Vary)."""
    defaults = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
    if mimetype in JSON_TYPES:
        defaults["Content-Security-Policy"] = API_CSP
    else:
        defaults["X-Frame-Options"] = "DENY"
    overrides = {"Strict-Transport-Security": HSTS} if settings.is_production else {}
    vary_origin = False
    configured = settings.cors_origins
    if origin and configured and path.startswith("/v1/"):
        vary_origin = True
        allowed = {o.strip() for o in configured.split(",") if o.strip()}
        if origin in allowed:
            overrides.update(_cors_headers(origin, method))
    return defaults, overrides, vary_origin


def wsgi_headers(
    environ: dict[str, Any], settings: Any, mimetype: str, headers: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """`headers` of an answer made outside Flask (`mimetype` may carry parameters), with
    what `_finish` would add to it."""
    defaults, overrides, vary_origin = policy_headers(
        path=environ.get("PATH_INFO", ""),
        method=environ.get("REQUEST_METHOD", "GET"),
        origin=environ.get("HTTP_ORIGIN"),
        mimetype=mimetype.partition(";")[0].strip(),
        settings=settings,
    )
    present = {name.lower() for name, _ in headers}
    result = [
        (name, f"{value}, Origin" if vary_origin and name.lower() == "vary" else value)
        for name, value in headers
        if name not in overrides
    ]
    result += [(n, v) for n, v in defaults.items() if n.lower() not in present]
    result += list(overrides.items())
    if vary_origin and "vary" not in present:
        result.append(("Vary", "Origin"))
    return result


def _policy(response: Response, settings: Any) -> None:
    defaults, overrides, vary_origin = policy_headers(
        path=request.path,
        method=request.method,
        origin=request.headers.get("Origin"),
        mimetype=response.mimetype or "",
        settings=settings,
    )
    for name, value in defaults.items():
        response.headers.setdefault(name, value)
    for name, value in overrides.items():
        response.headers[name] = value
    if vary_origin:
        response.vary.add("Origin")
    if request.endpoint in DOCS_ENDPOINTS and response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = DOCS_CSP


def _cors_headers(origin: str, method: str) -> dict[str, str]:
    """CORS for a configured origin (CORS_ORIGINS, comma-separated), and only the API."""
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": (
            "ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
            "Content-Language, X-Request-ID"
        ),
    }
    if method == "OPTIONS":
        headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, "
            "Accept-Language, X-Request-ID"
        )
        headers["Access-Control-Max-Age"] = "600"
    return headers
