"""The engine, and one database session per request that the request commits once; and a
replica's engine, which public reads may use on a cache miss once it has replayed the data
version they are cached under."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from content import versions

log = logging.getLogger(__name__)


def make_engine(
    url: str, *, connect_timeout: int = 5, prepare_threshold: int | None = 5, **kwargs: Any
) -> Engine:
    """An engine for the URL; SQLite gets foreign keys and a busy timeout. A PostgreSQL
    server that does not answer fails a connection after `connect_timeout` seconds, so a
    request gets a 503 instead of hanging until gunicorn kills its worker. psycopg
    prepares a statement run `prepare_threshold` times on a connection; None never does
    (PgBouncer in transaction mode before 1.21 hands the next transaction another server
    connection, where the prepared statement does not exist)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # let SQLAlchemy, not pysqlite, decide where transactions begin, so that
            # SAVEPOINTs work (SQLAlchemy's documented recipe for pysqlite)
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql(f"BEGIN {_sqlite_begin_mode(connection)}")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault(
        "connect_args",
        {"connect_timeout": connect_timeout, "prepare_threshold": prepare_threshold},
    )
    return create_engine(url, **kwargs)


#: requests that only read: their transactions need not wait for the write lock
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_begin_mode(connection: Any) -> str:
    """IMMEDIATE, so that a transaction that will write takes the write lock when it
    begins and waits for it (the busy timeout). A DEFERRED one that reads first fails at
    its first write with "database is locked", at once, whenever another connection
    committed in between (WAL mode gives no busy wait there). Reads say DEFERRED: the
    `sqlite_begin` execution option, or a GET, HEAD or OPTIONS request."""
    mode = connection.get_execution_options().get("sqlite_begin")
    if mode is None:
        mode = "DEFERRED" if has_request_context() and request.method in READ_METHODS else ""
    return str(mode or "IMMEDIATE")


class Database:
    """Holds the engine and the session factory, and the replica's if there is one; one
    per app."""

    def __init__(self, engine: Engine, replica: Engine | None = None) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
        self.replica = replica
        self.replica_sessionmaker = (
            sessionmaker(bind=replica, expire_on_commit=False) if replica is not None else None
        )

    def replica_session(self, *, at_least: int) -> Session | None:
        """A session on the replica when it has replayed data version `at_least` (read on
        the primary), else None: the caller reads on the primary. Replay only moves on, so
        everything read after this check is at least as new as that version."""
        if self.replica_sessionmaker is None or at_least < 0:
            return None
        session = self.replica_sessionmaker()
        try:
            if versions.current(session) >= at_least:
                return session
            log.info("replica behind data version %s: reading on the primary", at_least)
        except OperationalError as error:
            log.warning("replica unavailable, reading on the primary: %s", error)
            session.invalidate()
            return None
        session.close()
        return None

    def init_app(self, app: Flask) -> None:
        app.extensions["db"] = self
        app.teardown_appcontext(_close_session)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def get_db() -> Database:
    db: Database = current_app.extensions["db"]
    return db


def get_session() -> Session:
    """The session of the current request (or app context), created on first use."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except OperationalError as error:
        # the server went away after the request's work was done (a write commits before
        # its answer): the answer stands, and the dead connection leaves the pool
        log.warning("database connection lost while closing a session: %s", error)
        session.invalidate()
