"""Broadcasts (review 5e): a dry run, then a send that repeats its audience; a daily cap;
422 for a bad target or a past time; every send audited, from the API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.locales import KNOWN_LOCALES, SERVED_LOCALES
from push import devices, outbox
from push.models import Broadcast, MessageKind, OutboxMessage, Platform

URL = "/v1/admin/push/broadcasts"
TEXTS = {loc: {"title": f"T-{loc}", "body": f"B-{loc}"} for loc in KNOWN_LOCALES}


@pytest.fixture
def publisher(login: Callable[..., dict[str, str]]) -> dict[str, str]:
    return login(Role.PUBLISHER)


def _phones(session: Session, count: int, follow: str | None = None) -> None:
    for n in range(count):
        device, _ = devices.register(
            session, token=f"bc-{follow}-{n}", platform=Platform.ANDROID, locale="ru"
        )
        if follow:
            devices.follow(session, device, follow)
    session.commit()


def _broadcast_rows(session: Session) -> int:
    return (
        session.scalar(select(func.count()).where(OutboxMessage.kind == MessageKind.BROADCAST)) or 0
    )


def test_a_send_must_repeat_the_audience_of_its_dry_run(
    client: FlaskClient, session: Session, publisher: dict[str, str]
) -> None:
    _phones(session, 3, follow="kz-kordai")
    request = {"texts": TEXTS, "target": "country", "target_id": "kz"}
    dry = client.post(URL, json={**request, "dry_run": True}, headers=publisher)
    assert dry.status_code == 201, dry.get_json()
    assert dry.get_json()["audience_total"] == 3
    assert dry.get_json()["audience"]["ru"] == 3
    assert _broadcast_rows(session) == 0

    for confirm in (None, 2):
        refused = client.post(URL, json={**request, "confirm_audience": confirm}, headers=publisher)
        assert refused.status_code == 422, refused.get_json()
        assert "3" in refused.get_json()["errors"]["confirm_audience"][0]
    assert _broadcast_rows(session) == 0

    sent = client.post(URL, json={**request, "confirm_audience": 3}, headers=publisher)
    assert sent.status_code == 201, sent.get_json()
    body = sent.get_json()
    assert (body["dry_run"], body["audience_total"]) == (False, 3)
    # one per served language: uz-Cyrl and kk-Latn get the uz and kk texts transliterated
    assert _broadcast_rows(session) == len(SERVED_LOCALES)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "broadcast"))
    assert entry is not None
    assert entry.object_id == str(body["id"])
    assert entry.after["audience"] == 3
    assert entry.after["target_id"] == "KZ"


def test_at_most_five_broadcasts_in_a_day(
    client: FlaskClient, session: Session, publisher: dict[str, str]
) -> None:
    request = {"texts": TEXTS, "target": "all", "confirm_audience": 0}
    for _ in range(outbox.BROADCASTS_PER_DAY):
        assert client.post(URL, json=request, headers=publisher).status_code == 201
    refused = client.post(URL, json=request, headers=publisher)
    assert refused.status_code == 422, refused.get_json()
    assert "5" in refused.get_json()["errors"]["_request"][0]
    assert session.scalar(select(func.count()).select_from(Broadcast)) == 5
    # 24 hours later there is room again
    for broadcast in session.scalars(select(Broadcast)):
        broadcast.created_at -= timedelta(days=1, seconds=1)
    session.commit()
    assert client.post(URL, json=request, headers=publisher).status_code == 201


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"target": "checkpoint", "target_id": "no such/checkpoint"}, "target_id"),
        ({"target": "checkpoint", "target_id": "xx-nowhere"}, "target_id"),
        ({"target": "country", "target_id": "ZZ"}, "target_id"),
        ({"target": "country"}, "target_id"),
        ({"target": "checkpoint", "target_id": None}, "target_id"),
        ({"target": "all", "target_id": "KZ"}, "target_id"),
        ({"target": "all", "send_at": "1999-01-01T00:00:00Z"}, "send_at"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_bad_target_or_a_past_time_is_422_in_a_dry_run_and_a_send(
    client: FlaskClient,
    session: Session,
    publisher: dict[str, str],
    request_body: dict[str, Any],
    field: str,
    dry_run: bool,
) -> None:
    body = {"texts": TEXTS, **request_body, "dry_run": dry_run, "confirm_audience": 0}
    response = client.post(URL, json=body, headers=publisher)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert _broadcast_rows(session) == 0


def test_a_refusal_is_in_the_callers_language(
    client: FlaskClient, publisher: dict[str, str]
) -> None:
    response = client.post(
        URL,
        json={"texts": TEXTS, "target": "country", "target_id": "ZZ", "dry_run": True},
        headers={**publisher, "Accept-Language": "ru"},
    )
    assert response.status_code == 422
    message = response.get_json()["errors"]["target_id"][0]
    assert "ZZ" in message
    assert "No checkpoint" not in message


def test_a_later_send_at_is_kept(
    client: FlaskClient, session: Session, publisher: dict[str, str]
) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    body = {"texts": TEXTS, "target": "all", "send_at": later.isoformat(), "confirm_audience": 0}
    assert client.post(URL, json=body, headers=publisher).status_code == 201
    due = set(session.scalars(select(OutboxMessage.available_at)))
    assert len(due) == 1
    assert abs(due.pop() - later) < timedelta(seconds=1)


def test_the_cli_needs_the_dry_runs_audience_and_is_audited(
    app: Flask, session: Session, tmp_path: Path, os_user: str
) -> None:
    _phones(session, 2, follow="kz-kordai")
    texts_file = tmp_path / "texts.json"
    texts_file.write_text(json.dumps(TEXTS), encoding="utf-8")
    runner = app.test_cli_runner()
    base = ["push", "broadcast", str(texts_file), "--target", "checkpoint"]
    bad = runner.invoke(args=[*base, "--target-id", "no such/checkpoint", "--dry-run"])
    assert bad.exit_code == 1
    assert "target_id" in bad.output
    dry = runner.invoke(args=[*base, "--target-id", "kz-kordai", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "--confirm-audience 2" in dry.output
    unconfirmed = runner.invoke(args=[*base, "--target-id", "kz-kordai"])
    assert unconfirmed.exit_code == 1
    assert "The audience is now 2 devices" in unconfirmed.output
    assert _broadcast_rows(session) == 0
    sent = runner.invoke(args=[*base, "--target-id", "kz-kordai", "--confirm-audience", "2"])
    assert sent.exit_code == 0, sent.output
    broadcast = session.scalar(select(Broadcast))
    assert broadcast is not None
    assert broadcast.created_by == os_user
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "broadcast"))
    assert entry is not None
    assert (entry.actor, entry.object_id) == (os_user, str(broadcast.id))
