"""Reads on a cache miss from a real streaming replica (DATABASE_REPLICA_URL), the data
version from the primary: a replica whose replay is paused never has its old data served
under the version of a newer write. PostgreSQL only: the cluster and its replica are the
test's own (initdb, pg_basebackup -R), in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.app import create_app
from faults import servers
from tests import factories
from tests.conftest import bearer, migrated

pytestmark = pytest.mark.slow

CHECKPOINT = "kz-kordai"
DETAIL = f"/v1/checkpoints/{CHECKPOINT}?lang=en"


@pytest.fixture(scope="module")
def primary_and_replica(
    database_url: str,
) -> Iterator[tuple[str, str, str, servers.Postgres]]:
    """A primary with the schema and the reference checkpoints, and its replica caught up:
    their database URLs, an agency key for Kazakhstan, and the replica's server."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a streaming replica needs PostgreSQL (TEST_DATABASE_URL)")
    try:
        servers.postgres_bin()
    except RuntimeError as error:
        pytest.skip(str(error))
    with servers.postgres() as primary, servers.replica(primary) as replica:
        primary_url = primary.create_database("myborder")
        engine = migrated(primary_url)
        with Session(engine) as session:
            key = factories.agency_key(session, country="KZ")
            session.commit()
        engine.dispose()
        servers.wait_until(lambda: servers.replayed(primary, replica), 30, "replica catch-up")
        replica_url = replica.url.rpartition("/")[0] + "/myborder"
        yield primary_url, replica_url, key, replica


@pytest.fixture
def nodes(
    primary_and_replica: tuple[str, str, str, servers.Postgres], tmp_path: Path
) -> Iterator[list[Flask]]:
    """Two app nodes on the primary and its replica."""
    primary_url, replica_url, _, _ = primary_and_replica
    apps = [node(primary_url, replica_url, tmp_path / f"images{n}") for n in range(2)]
    yield apps
    for app in apps:
        database = app.extensions["db"]
        database.engine.dispose()
        database.replica.dispose()


def node(primary_url: str, replica_url: str, image_dir: Path) -> Flask:
    app = create_app(
        {
            "database_url": primary_url,
            "database_replica_url": replica_url,
            "image_dir": str(image_dir),
            "version_ttl_seconds": 0,
            "rate_limits_enabled": False,
        }
    )
    app.config["TESTING"] = True
    return app


def replica_statements(app: Flask) -> list[str]:
    """Every statement the app sends to its replica from now on."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(app.extensions["db"].replica, "before_cursor_execute", record)
    return sent


def test_no_node_serves_the_paused_replicas_old_data_under_a_newer_version(
    primary_and_replica: tuple[str, str, str, servers.Postgres], nodes: list[Flask]
) -> None:
    _, replica_url, key, replica_server = primary_and_replica
    clients = [app.test_client() for app in nodes]
    on_replica = [replica_statements(app) for app in nodes]

    before = [client.get(DETAIL) for client in clients]
    assert all(answer.status_code == 200 for answer in before)
    assert all(sent for sent in on_replica), "a caught-up replica serves the misses"
    old_etag = before[0].headers["ETag"]
    assert before[1].headers["ETag"] == old_etag

    with psycopg.connect(replica_url.replace("+psycopg", ""), autocommit=True) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
        try:
            posted = clients[0].post(
                f"/v1/checkpoints/{CHECKPOINT}/status",
                json={"state": "closed", "reason": "holiday"},
                headers=bearer(key),
            )
            assert posted.status_code == 201, posted.get_json()
            # the replica really is behind: it still has no such status
            held = replica.execute(
                "SELECT count(*) FROM status_report WHERE checkpoint_id = %s",
                (CHECKPOINT,),
            ).fetchone()
            assert held == (0,)

            during = [client.get(DETAIL) for client in clients]
        finally:
            replica.execute("SELECT pg_wal_replay_resume()")

    for answer in during:
        assert answer.status_code == 200
        assert (answer.get_json()["status"] or {}).get("state") == "closed"
        assert answer.headers["ETag"] != old_etag
    new_etag = during[0].headers["ETag"]
    assert during[1].headers["ETag"] == new_etag

    # replay resumed: the same answer, whichever database renders it next
    for app in nodes:
        app.extensions["response_cache"].entries.clear()
    servers.wait_until(
        lambda: all(client.get(DETAIL).headers["ETag"] == new_etag for client in clients),
        30,
        "replica resumed",
    )

    # the replica goes away: misses are read on the primary, not answered with 503
    replica_server.stop()
    try:
        for app in nodes:
            app.extensions["response_cache"].entries.clear()
        for client in clients:
            answer = client.get(DETAIL)
            assert answer.status_code == 200
            assert answer.headers["ETag"] == new_etag
    finally:
        replica_server.start()
