"""The checkpoint list, joined from entries serialised once.

A phone asks for the checkpoints near its own position, or for what changed since its
own cursor: answers nobody else asks for, so keeping whole answers does not help them.
Instead each checkpoint's list entry is serialised once per (checkpoint version,
language) and kept in the worker. Any list answer (the whole list, one country's, the
checkpoints within 300 km of a phone, what changed since a cursor) is selected, sorted
and joined from those bytes, under one data version. Distances are computed for the
phone's exact position on every request; only the entry bytes are shared.

An entry is rendered again only when its checkpoint changed (`changed_version`, bumped
with the data version by every write travellers see), or when it would read
differently with the same data (`valid_until`: a report turning stale, the hour the
reporting share moves on, the next opening or closing). So the first answer after a
write renders the checkpoint that changed, not all of them.

The reference is the list rendered straight from the database through the schema
(`PUBLIC_CACHE=off`); tests hold both to the same content.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import marshmallow as ma
import orjson
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.cache import (
    MIN_GZIP_BYTES,
    Entry,
    canonical_etag,
    content_etag,
    public_headers,
    read_key,
)
from api.schemas.checkpoints import CheckpointListArgs
from content import versions
from content.checkpoints.models import Checkpoint
from content.checkpoints.service import distance_km
from content.db import utcnow

#: answers remembered per catalog (a language at a data version), at most
MAX_REMEMBERED_ANSWERS = 512
#: what a list screen shows of a checkpoint (`fields=summary`)
SUMMARY_QUEUE_KEYS = ("direction", "lane", "wait_minutes", "wait_text", "stale")


@dataclass(frozen=True)
class ListEntry:
    """One checkpoint's list entry in one language, serialised, with what filters read."""

    id: str
    country: str
    neighbor: str | None
    kind: str
    #: the current status's state; None when no status was ever posted
    state: str | None
    latitude: float
    longitude: float
    changed_version: int
    #: the entry as the full list serves it, keys sorted, without `distance_km`
    full: bytes
    #: the entry as `fields=summary` serves it, keys sorted, without `distance_km`
    summary: bytes
    #: epoch seconds after which the entry would read differently; None: only a write
    valid_until: float | None

    def fresh(self, now: float) -> bool:
        return self.valid_until is None or now < self.valid_until


@dataclass(frozen=True)
class ListQuery:
    """A list request's filters, as `CheckpointListArgs` loads them."""

    country: str | None = None
    neighbor: str | None = None
    kind: str | None = None
    state: str | None = None
    #: (latitude, longitude, radius in km)
    near: tuple[float, float, float] | None = None
    changed_since: int | None = None
    summary: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> ListQuery:
        kind, state = args.get("kind"), args.get("state")
        near = None
        if "near" in args:
            lat, lon = args["near"]
            near = (lat, lon, args["radius_km"])
        return cls(
            country=args["country"].upper() if args.get("country") else None,
            neighbor=args["neighbor"].upper() if args.get("neighbor") else None,
            kind=kind.value if kind else None,
            state=state.value if state else None,
            near=near,
            changed_since=args.get("changed_since"),
            summary=args.get("shape") == "summary",
        )

    @property
    def per_phone(self) -> bool:
        """Whether the answer is one phone's own (its position, its cursor), not worth
        keeping whole."""
        return self.near is not None or self.changed_since is not None


@dataclass(frozen=True)
class Catalog:
    """Every checkpoint's entry in one language at one data version; never changed once
    made, so readers need no lock."""

    locale: str
    version: int
    #: the entries in the database's order of checkpoint ids (the list's order)
    entries: tuple[ListEntry, ...]
    valid_until: float | None
    #: answers without a position, by read: a cursor or a filter recurs, a position does
    #: not. They go with the catalog when the data changes.
    answers: dict[str, Entry] = field(default_factory=dict, compare=False, repr=False)

    def fresh(self, now: float) -> bool:
        return self.valid_until is None or now < self.valid_until

    def select(self, query: ListQuery) -> list[tuple[ListEntry, float | None]]:
        """The entries the query asks for, with their distance when it gives a position,
        sorted by distance then."""
        chosen = []
        for entry in self.entries:
            if query.country and entry.country != query.country:
                continue
            if query.neighbor and entry.neighbor != query.neighbor:
                continue
            if query.kind and entry.kind != query.kind:
                continue
            if query.changed_since is not None and entry.changed_version <= query.changed_since:
                continue
            if query.state and entry.state != query.state:
                continue
            distance = None
            if query.near:
                lat, lon, radius = query.near
                distance = distance_km(lat, lon, entry.latitude, entry.longitude)
                if distance > radius:
                    continue
            chosen.append((entry, distance))
        if query.near:
            chosen.sort(key=lambda pair: pair[1] or 0.0)
        return chosen

    def answer(
        self, query: ListQuery, *, read: str, now: datetime, compress: bool, max_age: int
    ) -> Entry:
        """The list answer for `query`, joined from the entries' bytes, with the ETag of
        its content (`content_etag`), the same on every worker and node at any time."""
        if query.near is None:
            remembered = self.answers.get(read)
            if remembered is not None:
                return remembered
            compress = True  # it will be served again, to phones that take gzip
        parts = []
        valid_until = None
        for chosen, distance in self.select(query):
            raw = chosen.summary if query.summary else chosen.full
            if distance is not None:
                raw = b'%s,"distance_km":%s}' % (raw[:-1], orjson.dumps(round(distance, 1)))
            parts.append(raw)
            if chosen.valid_until is not None:
                valid_until = min(valid_until or chosen.valid_until, chosen.valid_until)
        # the keys in sorted order, as the entries' own: without `as_of`, the body is its
        # content as `content_etag` writes it, so the ETag needs no second parse
        items = b'"cursor":%d,"items":[%s]}' % (self.version, b",".join(parts))
        body = b'{"as_of":%s,%s' % (orjson.dumps(now.isoformat()), items)
        gzipped = None
        if compress and len(body) >= MIN_GZIP_BYTES:
            gzipped = gzip.compress(body, 6, mtime=0)
        # with a position, `distance_km` goes last in each item, out of order
        canonical = query.near is None
        etag = canonical_etag(read, b"{", items) if canonical else content_etag(read, body)
        entry = Entry(
            body,
            gzipped,
            etag,
            "application/json",
            public_headers(etag, max_age, self.locale),
            valid_until,
        )
        if query.near is None:
            if len(self.answers) >= MAX_REMEMBERED_ANSWERS:
                self.answers.clear()
            self.answers[read] = entry
        return entry


#: reads what some checkpoints' entries show: (session, ids or None for all, now) ->
#: whatever `Render` takes, read once and rendered in each language
Load = Callable[[Session, list[str] | None, datetime], Any]
#: renders the entries of the checkpoints in `changed` (their changed_version by id)
#: from what `Load` read: (loaded, changed, locale, now) -> entries by id
Render = Callable[[Any, Mapping[str, int], str, datetime], dict[str, ListEntry]]


@dataclass(frozen=True)
class _Loaded:
    """What one read of the database gave, kept for the other languages' renders."""

    version: int
    #: the checkpoints it covers; None: every one
    ids: frozenset[str] | None
    at: float
    data: Any

    def covers(self, version: int, ids: Iterable[str], now: float) -> bool:
        return (
            self.version == version
            and now - self.at < LOAD_REUSE_SECONDS
            and (self.ids is None or self.ids.issuperset(ids))
        )


#: how long one read of the database serves the other languages' renders (at one data
#: version): the entries it gives are checked against `valid_until` like any other
LOAD_REUSE_SECONDS = 1.0


@cache
def _changed_versions() -> Select[str, int, int]:
    """Each checkpoint's changed_version, with the data version in the same statement (one
    snapshot). Built once: building it costs more than running it."""
    return select(Checkpoint.id, Checkpoint.changed_version, versions.current_column()).order_by(
        Checkpoint.id
    )


@dataclass
class EntryStore:
    """Each language's newest catalog, in this worker, and how to make one."""

    load: Load
    render: Render
    catalogs: dict[str, Catalog] = field(default_factory=dict)
    _loaded: _Loaded | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self, locale: str, version: int | None, now: float) -> Catalog | None:
        """The language's catalog if it is at `version` and still reads true at `now`;
        with `version` None, whatever catalog there is (the database is down)."""
        catalog = self.catalogs.get(locale)
        if catalog is None or version is None:
            return catalog
        if catalog.version != version or not catalog.fresh(now):
            return None
        return catalog

    def synced(self, session: Session, locale: str, now: datetime) -> Catalog:
        """The language's catalog at the database's current data version, rendering only
        the entries whose checkpoint changed since or whose content turned. What the
        database said is read once per write for every language."""
        with self._lock:
            rows = session.execute(_changed_versions()).all()
            version = rows[0][2] if rows else versions.current(session)
            stamp = now.timestamp()
            old = self.catalogs.get(locale)
            if old is not None and old.version == version and old.fresh(stamp):
                return old
            kept = {e.id: e for e in old.entries} if old else {}
            changed = {
                checkpoint_id: changed_version
                for checkpoint_id, changed_version, _ in rows
                if (entry := kept.get(checkpoint_id)) is None
                or entry.changed_version != changed_version
                or not entry.fresh(stamp)
            }
            if changed:
                loaded = self._loaded
                if loaded is None or not loaded.covers(version, changed, stamp):
                    ids = None if len(changed) == len(rows) else sorted(changed)
                    data = self.load(session, ids, now)
                    loaded = _Loaded(version, frozenset(ids) if ids else None, stamp, data)
                    self._loaded = loaded
                kept.update(self.render(loaded.data, changed, locale, now))
            entries = tuple(kept[row_id] for row_id, _, _ in rows if row_id in kept)
            times = [e.valid_until for e in entries if e.valid_until is not None]
            catalog = Catalog(locale, version, entries, min(times) if times else None)
            self.catalogs[locale] = catalog
            return catalog


def summary_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """What a list screen shows of a full list item: no paired checkpoint, hours,
    sources, e-queue or reporting; status as its state, queues as their waits."""
    status = item["status"]
    return {
        "id": item["id"],
        "name": item["name"],
        "country": item["country"],
        "kind": item["kind"],
        "location": {"lat": item["location"]["lat"], "lon": item["location"]["lon"]},
        "open_now": item["hours"]["open_now"],
        "status": (
            {"state": status["state"], "state_text": status["state_text"]} if status else None
        ),
        "queues": [{key: queue[key] for key in SUMMARY_QUEUE_KEYS} for queue in item["queues"]],
    }


#: brings a language's catalog to the database's data version, outside any request:
#: (locale) -> the catalog, or None when the database could not be read
Sync = Callable[[str], Catalog | None]


def assembler(
    store: EntryStore, *, path: str, max_age: int, clock: Callable[[], float], sync: Sync
) -> Any:
    """The list's `Assembler` for FastReads: answers from the catalog before Flask runs,
    bringing it to the reader's data version first when a write moved it (the first
    request after each write then skips Flask's dispatch too). Anything it cannot read as
    `CheckpointListArgs`, and a database it cannot read, go on to Flask, which answers
    the problem."""
    schema = CheckpointListArgs()

    def assemble(query_string: str, locale: str, version: int | None, accepts_gzip: bool) -> Any:
        values = parse_qs(query_string, keep_blank_values=True)
        if any(len(given) > 1 for given in values.values()):
            return None
        try:
            args = schema.load({name: given[0] for name, given in values.items()})
        except ma.ValidationError:
            return None
        catalog = store.current(locale, version, clock())
        if catalog is None and version is not None:
            catalog = sync(locale)
            # never older than the version the reader was told about
            if catalog is not None and catalog.version < version:
                catalog = None
        if catalog is None:
            return None
        query = ListQuery.from_args(args)
        keep = not query.per_phone
        entry = catalog.answer(
            query,
            read=read_key(path, query_string, locale),
            now=utcnow(),
            compress=accepts_gzip or keep,
            max_age=max_age,
        )
        return entry, keep

    return assemble
