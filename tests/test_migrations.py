"""The migrations build exactly the schema the models describe, on this engine."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

import content.models  # noqa: F401  # registers every model
import push.models  # noqa: F401  # and push's
from api.cli import alembic_config
from api.db import make_engine
from content.db import Base
from tests.conftest import throwaway_database


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_0007_moves_the_narrowest_key_scope_onto_the_agency(tmp_path: Path) -> None:
    """Review 1c/1d: an agency narrowed to kz-kordai, then revoked and rotated, had a
    country-wide live key; the migration narrows it again, never widening anyone."""
    with throwaway_database(tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, "0006")
        engine = make_engine(url)
        with engine.begin() as connection:
            for agency_id, name in ((1, "widened"), (2, "whole"), (3, "disjoint"), (4, "keyless")):
                connection.execute(
                    text(
                        "INSERT INTO agency (id, country, name, created_at) "
                        "VALUES (:id, 'KZ', :name, CURRENT_TIMESTAMP)"
                    ),
                    {"id": agency_id, "name": name},
                )
            keys = [
                (1, '["kz-kordai"]', True),
                (1, None, False),
                (2, None, False),
                (3, '["kz-kordai"]', True),
                (3, '["kz-merke"]', False),
            ]
            for n, (agency_id, scope, revoked) in enumerate(keys):
                connection.execute(
                    text(
                        "INSERT INTO api_key (agency_id, prefix, key_hash, checkpoint_ids, "
                        "created_at, revoked_at) VALUES (:agency, :prefix, :hash, :scope, "
                        "CURRENT_TIMESTAMP, CASE WHEN :revoked THEN CURRENT_TIMESTAMP END)"
                    ),
                    {
                        "agency": agency_id,
                        "prefix": f"p{n}",
                        "hash": f"h{n}",
                        "scope": scope,
                        "revoked": revoked,
                    },
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, checkpoint_ids FROM agency ORDER BY id"))
            scopes = {
                agency_id: json.loads(scope) if isinstance(scope, str) else scope
                for agency_id, scope in rows
            }
        engine.dispose()
    assert scopes == {1: ["kz-kordai"], 2: None, 3: [], 4: None}


def test_0008_backfills_accuracy_and_hours_known(tmp_path: Path) -> None:
    """Review §4/§6: an approximate point must not come out more precise than it was, and
    hours count as known only where the row stated them."""
    with throwaway_database(tmp_path) as url:
        config = alembic_config(url)
        command.upgrade(config, "0007")
        engine = make_engine(url)
        with engine.begin() as connection:
            for checkpoint_id, approximate, always_open, hours in (
                ("xx-town", True, False, None),
                ("xx-airport", False, True, None),
                ("xx-day", True, False, '[{"days": [1], "opens": "08:00", "closes": "20:00"}]'),
                ("xx-json-null", True, False, "null"),
            ):
                connection.execute(
                    text(
                        "INSERT INTO checkpoint (id, country, kind, latitude, longitude, "
                        "location_approximate, timezone, always_open, hours, lanes, directions, "
                        "names, sources, changed_version) VALUES (:id, 'KZ', 'road', 0, 0, "
                        ":approximate, 'Asia/Almaty', :always_open, :hours, '[]', '[]', '{}', "
                        "'[]', 0)"
                    ),
                    {
                        "id": checkpoint_id,
                        "approximate": approximate,
                        "always_open": always_open,
                        "hours": hours,
                    },
                )
        command.upgrade(config, "0008")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, location_accuracy_m, hours_known, name_verified FROM checkpoint")
            )
            found = {row[0]: (row[1], bool(row[2]), bool(row[3])) for row in rows}
        engine.dispose()
    assert found == {
        "xx-town": (50_000, False, True),
        "xx-airport": (2_000, True, True),
        "xx-day": (50_000, True, True),
        "xx-json-null": (50_000, False, True),
    }
