"""Fixtures: one migrated database per run (SQLite, or a throwaway PostgreSQL database
when TEST_DATABASE_URL is set), reference checkpoints loaded once, and each test inside
a transaction that is rolled back."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.cli import alembic_config
from api.db import make_engine
from content.accounts.models import AuditEntry, Role
from content.accounts.service import SYSTEM
from content.customs import service as customs
from content.seed import loader
from tests import factories
from tests.factories import USER_PASSWORD


@contextmanager
def statements_sent(bind: Engine | Connection) -> Iterator[list[str]]:
    """Every SQL statement sent through `bind` (an engine, or the test's connection) inside
    the block, as sent: for tests that count what a read costs."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(bind, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(bind, "before_cursor_execute", record)


@contextmanager
def throwaway_database(tmp_dir: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or on TEST_DATABASE_URL's server."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        yield f"sqlite:///{tmp_dir / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"myborder_test_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(server_url).set(drivername="postgresql")
    admin_dsn = admin_url.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated(database_url: str) -> Engine:
    """Apply every migration and load the reference checkpoints; returns an engine."""
    command.upgrade(alembic_config(database_url), "head")
    engine = make_engine(database_url)
    with Session(engine) as session:
        loader.load_checkpoints(session)
        session.commit()
    return engine


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def committed_database(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A database of the test's own, for tests whose work must really commit
    (several processes or connections)."""
    with throwaway_database(tmp_path) as url:
        engine = migrated(url)
        yield url, engine
        leaks = AUDIT_SECRETS.scan_table(engine)
        engine.dispose()
        if leaks:
            pytest.fail(f"the audit table holds secrets: {leaks}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = migrated(database_url)
    yield engine
    leaks = AUDIT_SECRETS.scan_table(engine)
    engine.dispose()
    if leaks:
        pytest.fail(f"the audit table holds secrets: {leaks}")


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


def build_app(database_url: str, session_factory: sessionmaker[Session], image_dir: Path) -> Flask:
    """An app working in the test's transaction; two of them are two workers (or nodes)."""
    app = create_app(
        {
            "database_url": database_url,
            "image_dir": str(image_dir),
            # tests write through their own session too: read the data version every time
            "version_ttl_seconds": 0,
            # one client posts far more than a phone would; test_limits turns them on
            "rate_limits_enabled": False,
        }
    )
    app.config["TESTING"] = True
    app.extensions["db"].sessionmaker = session_factory
    return app


@pytest.fixture
def app(
    database_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[Flask]:
    app = build_app(database_url, session_factory, tmp_path / "images")
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def database_down(app: Flask) -> Iterator[Callable[[], None]]:
    """Calling it takes the app's database away (a server that refuses connections)."""
    db = app.extensions["db"]
    working = db.sessionmaker
    dead = make_engine("postgresql://postgres@127.0.0.1:1/gone")

    def go_down() -> None:
        db.sessionmaker = sessionmaker(bind=dead)

    yield go_down
    db.sessionmaker = working
    dead.dispose()


@pytest.fixture
def agency_key(session: Session) -> Any:
    """Make an agency for a country and return its raw API key."""

    def make(country: str = "KZ", checkpoint_ids: list[str] | None = None) -> str:
        raw_key = factories.agency_key(session, country=country, checkpoint_ids=checkpoint_ids)
        session.commit()
        return raw_key

    return make


@pytest.fixture
def login(client: FlaskClient, session: Session) -> Callable[..., dict[str, str]]:
    """Create a user of the role and return Authorization headers for them."""

    def make(role: Role, country: str | None = None) -> dict[str, str]:
        email = f"{role.value}-{country or 'x'}@myborder.test"
        factories.user(session, email=email, role=role, country=country)
        session.commit()
        response = client.post("/v1/auth/tokens", json={"email": email, "password": USER_PASSWORD})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return make


@pytest.fixture
def customs_data(session: Session) -> None:
    """EAEU-shaped test rules, a medicine and two exchange rates, for the customs tests."""
    factories.customs_rule(
        session, key="t-cash", category="cash", limit_value=10000, limit_currency="USD"
    )
    factories.customs_rule(
        session,
        key="t-alcohol",
        category="alcohol",
        limit_quantity=3,
        limit_unit="l",
        hard_limit_quantity=5,
        above_limit="duty",
        min_age=18,
        direction="entry",
    )
    factories.customs_rule(
        session,
        key="t-cigarettes",
        category="tobacco",
        limit_quantity=200,
        limit_unit="pieces",
        above_limit="duty",
        min_age=18,
        direction="entry",
    )
    factories.customs_rule(
        session,
        key="t-goods-air",
        category="goods",
        limit_value=10000,
        limit_currency="EUR",
        above_limit="duty",
        mode="air",
        direction="entry",
    )
    factories.customs_rule(
        session,
        key="t-goods-land",
        category="goods",
        limit_value=500,
        limit_currency="EUR",
        above_limit="duty",
        mode="road",
        direction="entry",
    )
    factories.customs_rule(
        session, key="t-weapons", category="prohibited", above_limit="prohibited"
    )
    customs.upsert_substance(
        session,
        actor=None,
        key="tramadol",
        names={
            "en": ["tramadol", "tramadol hydrochloride"],
            "ru": ["трамадол", "трамадол гидрохлорид"],
        },
        rules=[
            {
                "country": "KZ",
                "action": "prescription",
                "max_quantity": 50,
                "unit": "pieces",
                "source": {"url": "https://example.test/tramadol"},
            }
        ],
    )
    customs.set_rate(
        session, actor=SYSTEM, currency="EUR", per_usd=0.9, as_of=date(2026, 1, 1), source="test"
    )
    customs.set_rate(
        session, actor=SYSTEM, currency="KZT", per_usd=500, as_of=date(2026, 1, 1), source="test"
    )
    session.commit()


def bearer(raw_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw_key}"}


#: a border-service API key as the CLI prints it
API_KEY = re.compile(r"mbk_\w+_[\w-]+")


def issued_key(output: str) -> str:
    """The API key a `flask agency` command printed."""
    key = API_KEY.search(output)
    assert key, output
    return key.group()


def cli_agency(
    runner: FlaskCliRunner, *, country: str, name: str, checkpoint: str | None = None
) -> tuple[str, str]:
    """An agency made with `flask agency create` (narrowed to `checkpoint` when given):
    its id and the first key it printed."""
    args = ["agency", "create", "--country", country, "--name", name]
    if checkpoint:
        args += ["--checkpoint", checkpoint]
    created = runner.invoke(args=args)
    assert created.exit_code == 0, created.output
    return created.output.split()[1], issued_key(created.output)


def post_status(client: FlaskClient, key: str, checkpoint: str) -> int:
    """The HTTP status of an agency posting "open" for the checkpoint with `key`."""
    url = f"/v1/checkpoints/{checkpoint}/status"
    return client.post(url, json={"state": "open"}, headers=bearer(key)).status_code


@pytest.fixture(scope="session", autouse=True)
def _no_network() -> Iterator[None]:
    """Tests talk only to this machine: any other address is refused loudly."""
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            raise ConnectionRefusedError(f"tests may not reach {host}: network is blocked")
        return real_connect(sock, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]  # test guard
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]  # restore


class AuditSecrets:
    """Review 9: no audit entry may hold a key, a token, a device secret, a password or a
    CSRF token. Every password set on an account (hashed) and every device secret hashed
    during the run is remembered (not the fuzzer's sign-in guesses, which would match
    its other random strings); every audit entry written is checked as it is inserted (even
    in transactions later rolled back), and the audit tables of the test databases are
    scanned once more at the end."""

    FIXED = ("mbk_", "mbt_", "csrf_token")
    MIN_SECRET_LENGTH = 8  # shorter wrong passwords ("x") would match anything

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.leaks: list[str] = []

    def remember(self, secret: Any) -> None:
        if isinstance(secret, str) and len(secret) >= self.MIN_SECRET_LENGTH:
            self.secrets.add(secret)

    def found_in(self, text: str) -> list[str]:
        found = [fixed for fixed in self.FIXED if fixed in text]
        return found + [f"secret {s[:3]}…" for s in self.secrets if s in text]

    def check(self, entry: AuditEntry) -> None:
        text = json.dumps(
            [entry.actor, entry.action, entry.object_id, entry.before, entry.after], default=str
        )
        if found := self.found_in(text):
            self.leaks.append(f"{entry.action} {entry.object_id}: {found} in {text[:200]}")

    def scan_table(self, engine: Engine) -> list[str]:
        with Session(engine) as session:
            leaks = []
            for entry in session.scalars(select(AuditEntry)):
                text = json.dumps(
                    [entry.actor, entry.action, entry.object_id, entry.before, entry.after],
                    default=str,
                )
                if found := self.found_in(text):
                    leaks.append(f"row {entry.id} {entry.action}: {found} in {text[:200]}")
            return leaks


AUDIT_SECRETS = AuditSecrets()


@pytest.fixture(scope="session", autouse=True)
def _audit_secrets_hooks() -> Iterator[AuditSecrets]:
    """Remember the suite's passwords and device secrets; check every audit entry."""
    from push import devices

    real_hash = PasswordHasher.hash
    real_device_hash = devices._hash

    def hash_(hasher: PasswordHasher, password: Any, *args: Any, **kwargs: Any) -> str:
        AUDIT_SECRETS.remember(password)
        return real_hash(hasher, password, *args, **kwargs)

    def device_hash(secret: str) -> str:
        AUDIT_SECRETS.remember(secret)
        return real_device_hash(secret)

    def on_insert(_mapper: Any, _connection: Any, entry: AuditEntry) -> None:
        AUDIT_SECRETS.check(entry)

    PasswordHasher.hash = hash_  # type: ignore[method-assign]  # records test passwords
    devices._hash = device_hash
    event.listen(AuditEntry, "before_insert", on_insert)
    yield AUDIT_SECRETS
    event.remove(AuditEntry, "before_insert", on_insert)
    PasswordHasher.hash = real_hash  # type: ignore[method-assign]  # restore
    devices._hash = real_device_hash
    if AUDIT_SECRETS.leaks:
        pytest.fail(f"audit entries held secrets: {AUDIT_SECRETS.leaks}")


@pytest.fixture(autouse=True)
def _no_secrets_audited(_audit_secrets_hooks: AuditSecrets) -> Iterator[None]:
    """Fail the very test whose audit entry held a secret."""
    before = len(_audit_secrets_hooks.leaks)
    yield
    if leaks := _audit_secrets_hooks.leaks[before:]:
        pytest.fail(f"audit entries held secrets: {leaks}")


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def os_user(monkeypatch: pytest.MonkeyPatch) -> str:
    """The operating-system user running CLI commands; the actor the audit log names."""
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    return "cli:alice"
