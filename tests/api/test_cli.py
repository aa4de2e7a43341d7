"""The command line: agencies and keys, seeding, applying planned closures."""

from __future__ import annotations

import functools
import getpass
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from api.cli import _apply_schedules, cli_actor
from content.checkpoints.models import CrowdReport, CurrentStatus, PlannedStatus, State
from content.seed import loader
from tests import factories
from tests.conftest import API_KEY, cli_agency, issued_key, post_status


def test_agency_create_rotate_revoke(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    agency_id, first_key = cli_agency(runner, country="KZ", name="KZ border")
    assert post_status(client, first_key, "kz-kordai") == 201
    second_key = issued_key(runner.invoke(args=["agency", "rotate-key", agency_id]).output)
    assert post_status(client, first_key, "kz-kordai") == 401
    assert post_status(client, second_key, "kz-kordai") == 201
    listed = runner.invoke(args=["agency", "list"])
    assert "KZ border" in listed.output
    revoked = runner.invoke(args=["agency", "revoke", agency_id])
    assert "revoked 1 key" in revoked.output
    assert post_status(client, second_key, "kz-kordai") == 401


def test_agency_key_narrowed_to_checkpoints(app: Flask, client: FlaskClient) -> None:
    _, key = cli_agency(
        app.test_cli_runner(), country="KZ", name="Kordai post", checkpoint="kz-kordai"
    )
    assert post_status(client, key, "kz-zhibek-zholy") == 403


def test_seed_with_demo_writes_credentials(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two days of demo history, not the seed's 16 weeks: this is about the credentials
    monkeypatch.setattr(loader, "load_demo", functools.partial(loader.load_demo, days=2))
    credentials = tmp_path / "demo-credentials.txt"
    result = app.test_cli_runner().invoke(
        args=["seed", "--demo", "--credentials-file", str(credentials)]
    )
    assert result.exit_code == 0, result.output
    assert "demo data:" in result.output
    assert len(API_KEY.findall(credentials.read_text())) == 5
    again = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert "already there" in again.output


def test_the_cli_actor_is_the_operating_system_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "alice")
    assert cli_actor().label == "cli:alice"

    def nobody() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", nobody)
    assert cli_actor().label == f"cli:uid{os.getuid()}"


def test_apply_planned_starts_what_is_due(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    now = datetime.now(UTC)
    closure = factories.planned_closure(
        session, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    session.commit()
    applied = app.test_cli_runner().invoke(args=["apply-planned"])
    assert applied.exit_code == 0, applied.output
    assert applied.output.strip() == f"start {closure.id} kz-kordai"
    assert client.get("/v1/checkpoints/kz-kordai").get_json()["status"]["state"] == "closed"


class _OneTick(threading.Event):
    """A stop event that stops the scheduler after its first round."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


def test_the_worker_thread_applies_planned_closures(
    app: Flask, session: Session, session_factory: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    closure = factories.planned_closure(
        session, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1)
    )
    session.commit()
    _apply_schedules(app.config["SETTINGS"], session_factory, _OneTick())
    session.expire_all()
    assert session.get(PlannedStatus, closure.id).started_at is not None
    assert session.get(CurrentStatus, "kz-kordai").state == State.CLOSED


def test_crowd_reports_are_pruned_by_the_worker_thread_and_history_prune(
    app: Flask, session: Session, session_factory: sessionmaker[Session]
) -> None:
    """Kept 30 days (README, "What we store about travellers"), without a cron job."""
    now = datetime.now(UTC)
    device = factories.reporting_device(session, age=timedelta(days=90))
    older = factories.crowd_report(session, device, now=now - timedelta(days=61))
    old = factories.crowd_report(session, device, now=now - timedelta(days=31))
    kept = factories.crowd_report(session, device, now=now - timedelta(days=29))
    old_id, older_id, kept_id = old.id, older.id, kept.id
    session.commit()
    _apply_schedules(app.config["SETTINGS"], session_factory, _OneTick())
    session.expire_all()
    assert session.get(CrowdReport, old_id) is None
    assert session.get(CrowdReport, older_id) is None
    assert session.get(CrowdReport, kept_id) is not None
    result = app.test_cli_runner().invoke(
        args=["history", "prune", "--crowd-older-than-days", "28"]
    )
    assert result.exit_code == 0, result.output
    assert "deleted 1 crowd report(s)" in result.output
    session.expire_all()
    assert session.get(CrowdReport, kept_id) is None
