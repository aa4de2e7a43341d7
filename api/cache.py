"""Public reads served from bytes serialised once per (resource, query, language, data
version), compressed once, and answered with 304 without touching the database.

The data version lives in the database (content/versions.py), bumped in the same
transaction as every write travellers can see. Each worker process reads it at most once
per VERSION_TTL (0.5 s by default), so a commit reaches every worker on every machine
within that time, and a worker that just committed a write re-reads it at once.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request

from api.db import Database
from api.i18n import current_locale
from content import versions

MIN_GZIP_BYTES = 1024
MAX_ENTRIES = 1024


class VersionClock:
    """The current data version, read from the database at most once per `ttl` seconds."""

    def __init__(self, database: Database, ttl: float) -> None:
        self.database = database
        self.ttl = ttl
        self._version = -1
        self._read_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> int:
        now = time.monotonic()
        if self.ttl > 0 and now - self._read_at < self.ttl:
            return self._version
        with self._lock:
            if self.ttl <= 0 or now - self._read_at >= self.ttl:
                with self.database.sessionmaker() as session:
                    self._version = versions.current(session)
                self._read_at = time.monotonic()
        return self._version

    def invalidate(self) -> None:
        """This process just committed a write: read the version afresh next time."""
        self._read_at = 0.0


@dataclass(frozen=True)
class Entry:
    body: bytes
    gzipped: bytes | None
    etag: str
    mimetype: str


class ResponseCache:
    """A bounded LRU of serialised public responses."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


def init_app(app: Any, database: Database) -> None:
    settings = app.config["SETTINGS"]
    app.extensions["version_clock"] = VersionClock(database, settings.version_ttl_seconds)
    app.extensions["response_cache"] = ResponseCache()


def version_clock() -> VersionClock:
    clock: VersionClock = current_app.extensions["version_clock"]
    return clock


def cached_read(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a public GET from the cache; put it above flask-smorest's decorators."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = current_app.config["SETTINGS"]
        if not settings.public_cache_enabled:
            return view(*args, **kwargs)
        version = version_clock().current()
        # the minute is part of the key: `stale` flags and opening hours turn with the clock
        minute = int(time.time() // 60)
        raw_key = f"{request.endpoint}|{request.query_string.decode()}|{current_locale()}"
        key = f"{raw_key}|{version}|{minute}"
        etag = hashlib.sha256(key.encode()).hexdigest()[:32]
        if request.if_none_match.contains(etag):
            return _public(Response(status=304), etag, settings.public_cache_seconds)
        cache: ResponseCache = current_app.extensions["response_cache"]
        entry = cache.get(key)
        if entry is None:
            fresh: Response = current_app.make_response(view(*args, **kwargs))
            if fresh.status_code != 200:
                return fresh
            body = fresh.get_data()
            gzipped = gzip.compress(body, 6, mtime=0) if len(body) >= MIN_GZIP_BYTES else None
            entry = Entry(body, gzipped, etag, fresh.mimetype or "application/json")
            cache.put(key, entry)
        return _from_entry(entry, settings.public_cache_seconds)

    return wrapper


def _from_entry(entry: Entry, max_age: int) -> Response:
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    if entry.gzipped is not None and accepts_gzip:
        response = Response(entry.gzipped, mimetype=entry.mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(entry.body, mimetype=entry.mimetype)
    return _public(response, entry.etag, max_age)


def _public(response: Response, etag: str, max_age: int) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={max_age}, stale-while-revalidate={max_age * 6}, "
        f"stale-if-error={max_age * 60}"
    )
    response.vary.update(["Accept-Language", "Accept-Encoding"])
    return response
