"""Public reads served from bytes serialised once per (resource, query, language, data
version), compressed once, and answered with 304 without touching the database.

The data version lives in the database (content/versions.py), bumped in the same
transaction as every write travellers can see. Each worker process reads it at most once
per VERSION_TTL (0.5 s by default), so a commit reaches every worker on every machine
within that time, and a worker that just committed a write re-reads it at once.

An answer's ETag names its content (`content_etag`), not the moment it was rendered: every
worker and node gives the same answer the same ETag, and an answer rendered again (its
`valid_until` passed, or another worker rendered it) still matches what phones hold when
it reads the same.

On a miss, with DATABASE_REPLICA_URL set, the answer is rendered on the replica when the
replica has replayed the version the answer is cached under (the version itself is always
read on the primary), else on the primary: no answer is kept under a version newer than
the data it was rendered from.

When the database does not answer, a worker keeps serving the answers it last served
(stale-if-error, as their Cache-Control allows); what it never served gets Flask's 503.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
from flask import Response, current_app, g, request
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_etags, unquote_etag

from api import observability
from api.db import Database, get_db
from api.errors import DETAILS, TITLES
from api.i18n import current_locale, negotiate
from content import versions
from content.locales import translations

log = logging.getLogger(__name__)

MIN_GZIP_BYTES = 1024
MAX_ENTRIES = 1024
#: a view's own headers that belong to its body and are kept with it (a download's file
#: name, its licence link); every other header is the cache's
KEPT_HEADERS = ("Content-Disposition", "Link")


class VersionClock:
    """The current data version, read from the database at most once per `ttl` seconds.

    When the database does not answer, the last version read stands (and `database_down`
    says so) until a read succeeds again; it is tried once per `ttl`, not per request.
    """

    def __init__(
        self, database: Database, ttl: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.database = database
        self.ttl = ttl
        #: seconds on a clock that never goes back; tests pass their own to move time on
        self.monotonic = monotonic
        self.database_down = False
        self._version = -1
        self._read_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> int:
        now = self.monotonic()
        if self.ttl > 0 and now - self._read_at < self.ttl:
            return self._version
        with self._lock:
            if self.ttl <= 0 or now - self._read_at >= self.ttl:
                try:
                    with self.database.sessionmaker() as session:
                        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
                        self._version = versions.current(session)
                except OperationalError:
                    if not self.database_down:
                        log.warning("database unavailable: serving cached reads as they were")
                    self.database_down = True
                else:
                    self.database_down = False
                self._read_at = self.monotonic()
        return self._version

    def invalidate(self) -> None:
        """This process just committed a write: read the version afresh next time."""
        self._read_at = 0.0


@dataclass(frozen=True)
class Entry:
    body: bytes
    gzipped: bytes | None
    #: the ETag header, as `content_etag` gives it
    etag: str
    content_type: str
    #: everything but the body's own headers: validators, caching, language
    headers: tuple[tuple[str, str], ...]
    #: epoch seconds after which the answer would read differently with the same data
    #: (a queue report turning stale, a campaign's end); None: only a write changes it
    valid_until: float | None

    def fresh(self, now: float) -> bool:
        """Whether the answer still reads the same at `now` (epoch seconds)."""
        return self.valid_until is None or now < self.valid_until


class ResponseCache:
    """A bounded LRU of serialised public responses."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.time
    ) -> None:
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.max_entries = max_entries
        #: epoch seconds, against which entries' `valid_until` is read; tests pass their own
        self.clock = clock
        #: a read (path, query, language) -> the key of its entry at the newest version
        self._newest: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def newest(self, key: str) -> Entry | None:
        """The same read's entry at the newest version cached, whatever that version."""
        with self._lock:
            newest_key = self._newest.get(_read_of(key))
            return self.entries.get(newest_key) if newest_key else None

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            self._newest[_read_of(key)] = key
            while len(self.entries) > self.max_entries:
                evicted, _ = self.entries.popitem(last=False)
                if self._newest.get(_read_of(evicted)) == evicted:
                    del self._newest[_read_of(evicted)]


#: answers one phone asks for (its position, its cursor), assembled per request from
#: shared parts: (query string, locale, data version or None for whatever parts there
#: are, accepts gzip) -> the answer and whether it is worth keeping whole, or None when
#: the parts are not at that version
Assembler = Callable[[str, str, int | None, bool], "tuple[Entry, bool] | None"]


def init_app(app: Any, database: Database) -> None:
    settings = app.config["SETTINGS"]
    app.extensions["version_clock"] = VersionClock(database, settings.version_ttl_seconds)
    app.extensions["response_cache"] = ResponseCache()
    #: path -> its Assembler (see api/checkpoint_list.py); FastReads tries it on a miss
    app.extensions["assembled_reads"] = {}


def assembled(path: str, assembler: Assembler) -> None:
    """Answer reads of `path` that miss the cache from shared parts, before Flask runs."""
    current_app.extensions["assembled_reads"][path] = assembler


def version_clock() -> VersionClock:
    clock: VersionClock = current_app.extensions["version_clock"]
    return clock


def read_key(path: str, query: str, locale: str) -> str:
    """Which read a request is: its path, query and language, at any data version."""
    return f"{path}?{query}|{locale}"


def cache_key(path: str, query: str, locale: str, version: int) -> str:
    return f"{read_key(path, query, locale)}|{version}"


def _read_of(key: str) -> str:
    """A cache key without its version: which read it answers."""
    return key.rpartition("|")[0]


def note_valid_until(moment: datetime) -> None:
    """A view says when its answer will read differently even if no data changes."""
    stamp = moment.timestamp()
    current = g.get("cache_valid_until")
    g.cache_valid_until = stamp if current is None else min(current, stamp)


@contextmanager
def own_valid_until() -> Iterator[Callable[[], float | None]]:
    """Collect what a part of an answer notes with note_valid_until apart from the rest
    (one list entry's). Calling what it yields takes the moment noted since the last call;
    the answer's own notes are kept as they were."""
    outer = g.pop("cache_valid_until", None)

    def take() -> float | None:
        return g.pop("cache_valid_until", None)

    try:
        yield take
    finally:
        if outer is None:
            g.pop("cache_valid_until", None)
        else:
            g.cache_valid_until = outer


def answer_with(entry: Entry, *, keep: bool) -> Response:
    """A view that assembled its answer itself hands it to `cached_read` as it is, with
    its own ETag: kept whole for the next reader when `keep`, else served once."""
    g.cache_entry = (entry, keep)
    return Response(entry.body, content_type=entry.content_type)


def content_etag(read: str, body: bytes) -> str:
    """The ETag header of `body` answering `read` (`read_key`): a hash of the content, so
    the same answer gets the same ETag on every worker and node, whenever it was rendered.

    A JSON object's top-level `as_of` (when it was rendered) is left out, so the ETag is
    weak: two answers that share it may differ in `as_of` alone. JSON is hashed as orjson
    writes it again with sorted keys, whichever encoder wrote it first; anything else
    (CSV) is hashed as it is.
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        content = body
    else:
        if isinstance(value, dict):
            value.pop("as_of", None)
        content = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return canonical_etag(read, content)


def canonical_etag(read: str, *content: bytes) -> str:
    """`content_etag` of an answer whose content (without `as_of`) is already written as
    orjson writes it with sorted keys: `content` is those bytes, in pieces. Saves parsing
    and writing again an answer assembled from canonical parts."""
    digest = hashlib.sha256(read.encode() + b"|")
    for piece in content:
        digest.update(piece)
    return f'W/"{digest.hexdigest()[:32]}"'


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names the ETag header `etag`, compared weakly as
    RFC 9110 asks (werkzeug's `ETags.contains` would skip every weak tag)."""
    tag, _ = unquote_etag(etag)
    if not if_none_match or tag is None:
        return False
    return parse_etags(if_none_match).contains_weak(tag)


def public_headers(etag: str, max_age: int, locale: str) -> tuple[tuple[str, str], ...]:
    return (
        ("ETag", etag),
        (
            "Cache-Control",
            f"public, max-age={max_age}, stale-while-revalidate={max_age * 6}, "
            f"stale-if-error={max_age * 60}",
        ),
        ("Vary", "Accept-Language, Accept-Encoding"),
        ("Content-Language", locale),
    )


def cached_read(view: Callable[..., Any]) -> Callable[..., Any]:
    """Render a public GET once per data version and keep its bytes; put it above
    flask-smorest's decorators. Hits are served by `FastReads` before Flask runs."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = current_app.config["SETTINGS"]
        if not settings.public_cache_enabled:
            return view(*args, **kwargs)
        locale = current_locale()
        version = version_clock().current()
        key = cache_key(request.path, request.query_string.decode(), locale, version)
        cache: ResponseCache = current_app.extensions["response_cache"]
        entry = cache.get(key)
        if entry is None or not entry.fresh(cache.clock()):
            g.pop("cache_valid_until", None)
            if "db_session" not in g:  # nothing read yet: the replica, if it is far enough
                replica = get_db().replica_session(at_least=version)
                if replica is not None:
                    g.db_session = replica
            try:
                fresh: Response = current_app.make_response(view(*args, **kwargs))
            except OperationalError:
                # the database went away before the version clock noticed: stale-if-error
                entry = cache.newest(key)
                if entry is None:
                    raise
            else:
                if fresh.status_code != 200:
                    return fresh
                entry, keep = g.pop("cache_entry", (None, True))
                if entry is None:  # the view answered with its body: the cache makes the rest
                    body = fresh.get_data()
                    etag = content_etag(_read_of(key), body)
                    gzipped = (
                        gzip.compress(body, 6, mtime=0) if len(body) >= MIN_GZIP_BYTES else None
                    )
                    headers = public_headers(etag, settings.public_cache_seconds, locale) + tuple(
                        (name, fresh.headers[name])
                        for name in KEPT_HEADERS
                        if name in fresh.headers
                    )
                    content_type = fresh.content_type or "application/json"
                    valid_until = g.get("cache_valid_until")
                    entry = Entry(body, gzipped, etag, content_type, headers, valid_until)
                if keep:
                    cache.put(key, entry)
        # a render can match too: the phone's copy may come from another worker, or from
        # before this answer's valid_until passed
        if not_modified(request.headers.get("If-None-Match"), entry.etag):
            return Response(status=304, headers=list(entry.headers))
        status, response_headers, body = serve(entry, _accepts_gzip())
        return Response(body, status=status, headers=response_headers)

    return wrapper


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def serve(entry: Entry, accepts_gzip: bool) -> tuple[int, list[tuple[str, str]], bytes]:
    body = entry.body
    headers = [("Content-Type", entry.content_type), *entry.headers]
    if entry.gzipped is not None and accepts_gzip:
        body = entry.gzipped
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    return 200, headers, body


class FastReads:
    """WSGI middleware: answer cached public reads (200 or 304) before Flask runs.

    A miss, a write, an authenticated call or anything unusual goes on to Flask, which
    renders and fills the cache through `cached_read`.
    """

    def __init__(self, flask_app: Any) -> None:
        self.flask_app = flask_app
        self.wsgi_app = flask_app.wsgi_app
        self.settings = flask_app.config["SETTINGS"]
        self.cache: ResponseCache = flask_app.extensions["response_cache"]
        self.clock: VersionClock = flask_app.extensions["version_clock"]
        self.read_limiter = flask_app.extensions["read_limiter"]
        self.assembled: dict[str, Assembler] = flask_app.extensions["assembled_reads"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if method not in {"GET", "HEAD"} or not path.startswith("/v1/"):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        query = environ.get("QUERY_STRING", "")
        lang = parse_qs(query).get("lang", [None])[0] if "lang=" in query else None
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
        locale = negotiate(lang, list(accept), self.settings.default_locale)
        rid = observability.request_id(environ.get("HTTP_X_REQUEST_ID"))
        # every read counts, whatever it carries: an Authorization header (valid or not),
        # HEAD instead of GET, an admin path, or a cache that is switched off
        throttled = self.read_limiter.hit(environ.get("REMOTE_ADDR", "unknown"))
        if throttled is not None:
            observability.record(rid, method, "cached", path, 429, time.perf_counter() - started)
            return too_many_requests(locale, {**throttled, "X-Request-ID": rid}, start_response)
        if (
            method != "GET"
            or path.startswith("/v1/admin")
            or "HTTP_AUTHORIZATION" in environ
            or not self.settings.public_cache_enabled
        ):
            return self.wsgi_app(environ, start_response)
        version = self.clock.current()
        key = cache_key(path, query, locale, version)
        entry = self.cache.get(key)
        if self.clock.database_down:
            # stale-if-error: what this worker last served, even from an older version
            entry = entry or self.cache.newest(key)
        elif entry is not None and not entry.fresh(self.cache.clock()):
            entry = None
        accepts_gzip = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "").lower()
        if entry is None and path in self.assembled:
            # with the database down, from whatever parts this worker holds: stale-if-error
            down = self.clock.database_down
            made = self.assembled[path](query, locale, None if down else version, accepts_gzip)
            if made is not None:
                entry, keep = made
                if keep and not down:
                    self.cache.put(key, entry)
        if entry is None:
            return self.wsgi_app(environ, start_response)
        if not_modified(environ.get("HTTP_IF_NONE_MATCH"), entry.etag):
            headers = [*entry.headers, ("X-Request-ID", rid)]
            start_response(
                "304 NOT MODIFIED",
                observability.wsgi_headers(environ, self.settings, entry.content_type, headers),
            )
            observability.record(rid, "GET", "cached", path, 304, time.perf_counter() - started)
            return [b""]
        _, headers, body = serve(entry, accepts_gzip)
        headers = [*headers, ("X-Request-ID", rid)]
        headers = observability.wsgi_headers(environ, self.settings, entry.content_type, headers)
        start_response("200 OK", headers)
        observability.record(rid, "GET", "cached", path, 200, time.perf_counter() - started)
        return [body]


def too_many_requests(
    locale: str, headers: dict[str, str], start_response: Callable[..., Any]
) -> list[bytes]:
    """A 429 as problem details, in the reader's language, without Flask."""
    gettext = translations(locale).gettext
    body = json.dumps(
        {
            "type": "about:blank",
            "title": gettext(TITLES[429]),
            "status": 429,
            "detail": gettext(DETAILS[429]),
        },
        ensure_ascii=False,
    ).encode()
    start_response(
        "429 TOO MANY REQUESTS",
        [
            ("Content-Type", "application/problem+json"),
            ("Content-Length", str(len(body))),
            ("Content-Language", locale),
            *headers.items(),
        ],
    )
    return [body]
