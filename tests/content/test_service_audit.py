"""Every privileged action is audited by its service, whoever calls it (console, API, CLI,
seed): each test here calls the service directly, as a new caller would."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import AuditEntry, Role
from content.accounts.service import Actor, Poster
from content.campaigns import service as campaigns
from content.checkpoints import service as checkpoints
from content.checkpoints.models import Direction, Lane, State
from content.checkpoints.service import QueueObservation
from content.customs import service as customs
from content.locales import KNOWN_LOCALES
from content.seed import loader
from push import devices, outbox
from push.models import Platform

PASSWORD = "correct horse battery staple"
ADMIN = Actor("user:1 admin@x.test", Role.ADMIN, 1)
OFFICER_POSTER = Poster(agency_id=None, country="KZ")
OFFICER = Actor("user:2 officer@x.test", Role.BORDER_OFFICER, 2, "KZ")


@pytest.fixture
def agency_poster(session: Session) -> Poster:
    agency = accounts.create_agency(session, actor=ADMIN, country="KZ", name="KZ border")
    _key, raw = accounts.issue_key(session, actor=ADMIN, agency=agency)
    poster = accounts.poster_for_key(session, raw)
    assert poster is not None
    return poster


def audited(session: Session, action: str) -> list[AuditEntry]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


# -- accounts -------------------------------------------------------------------------


def test_create_user(session: Session) -> None:
    user = accounts.create_user(
        session, actor=ADMIN, email="New@X.test", password=PASSWORD, role=Role.EDITOR
    )
    (entry,) = audited(session, "create_user")
    assert (entry.actor, entry.object_id) == (ADMIN.label, str(user.id))
    assert entry.after == {"email": "new@x.test", "role": "editor"}


def test_create_agency_and_issue_key(session: Session) -> None:
    agency = accounts.create_agency(
        session, actor=ADMIN, country="kz", name="KZ post", checkpoint_ids=["kz-kordai"]
    )
    key, raw = accounts.issue_key(session, actor=ADMIN, agency=agency)
    (created,) = audited(session, "create_agency")
    assert created.after == {"name": "KZ post", "country": "KZ", "scope": ["kz-kordai"]}
    (issued,) = audited(session, "issue_key")
    assert (issued.actor, issued.object_id) == (ADMIN.label, str(agency.id))
    assert issued.after["key_prefix"] == key.prefix
    assert raw not in str(issued.after)  # the key itself is never kept


def test_set_scope(session: Session) -> None:
    agency = accounts.create_agency(session, actor=ADMIN, country="KZ", name="Scoped")
    accounts.set_scope(session, actor=ADMIN, agency=agency, checkpoint_ids=["kz-kordai"])
    (entry,) = audited(session, "set_agency_scope")
    assert (entry.before["scope"], entry.after["scope"]) == (None, ["kz-kordai"])


def test_rotate_key_is_one_entry(session: Session) -> None:
    agency = accounts.create_agency(session, actor=ADMIN, country="KZ", name="Rotated")
    first, _raw = accounts.issue_key(session, actor=ADMIN, agency=agency)
    second, _raw = accounts.rotate_key(session, actor=ADMIN, agency=agency)
    (entry,) = audited(session, "rotate_key")
    assert entry.before == {"key_prefixes": [first.prefix]}
    assert entry.after["key_prefix"] == second.prefix
    assert [e.after["key_prefix"] for e in audited(session, "issue_key")] == [first.prefix]
    assert audited(session, "revoke_keys") == []


def test_revoke_keys(session: Session) -> None:
    agency = accounts.create_agency(session, actor=ADMIN, country="KZ", name="Revoked")
    key, _raw = accounts.issue_key(session, actor=ADMIN, agency=agency)
    assert accounts.revoke_keys(session, actor=ADMIN, agency=agency) == 1
    (entry,) = audited(session, "revoke_keys")
    assert (entry.actor, entry.before) == (ADMIN.label, {"key_prefixes": [key.prefix]})


def test_sign_out_is_audited_as_the_user(session: Session) -> None:
    user = accounts.create_user(
        session, actor=ADMIN, email="out@x.test", password=PASSWORD, role=Role.EDITOR
    )
    version = user.session_version
    accounts.sign_out(session, user=user)
    assert user.session_version == version + 1
    (entry,) = audited(session, "sign_out")
    assert (entry.actor, entry.object_id) == (Actor.for_user(user).label, str(user.id))


def test_revoking_a_token_is_audited_as_its_user(session: Session) -> None:
    user = accounts.create_user(
        session, actor=ADMIN, email="tok@x.test", password=PASSWORD, role=Role.EDITOR
    )
    token, raw = accounts.issue_token(session, user=user)
    accounts.revoke_token(session, raw)
    accounts.revoke_token(session, raw)  # once revoked, nothing more happens
    (entry,) = audited(session, "revoke_token")
    assert (entry.actor, entry.object_id) == (Actor.for_user(user).label, str(token.id))


def test_demo_credentials_are_audited_as_one_reset_and_each_key(session: Session) -> None:
    keys, logins = loader.issue_demo_credentials(session, actor=ADMIN)
    (reset,) = audited(session, "reset_demo_credentials")
    assert reset.after == {"agency_countries": sorted(keys), "users": sorted(logins)}
    assert len(audited(session, "rotate_key")) == len(keys)


# -- the officer board and agency posts -----------------------------------------------


def test_an_agency_status_post(session: Session, agency_poster: Poster) -> None:
    checkpoints.set_status(
        session, actor=ADMIN, poster=None, checkpoint_id="kz-kordai", state=State.OPEN
    )
    checkpoints.set_status(
        session,
        actor=accounts.agency_actor(agency_poster),
        poster=agency_poster,
        checkpoint_id="kz-kordai",
        state=State.CLOSED,
        message="snow",
    )
    *_, entry = audited(session, "set_status")
    label = f"agency:{agency_poster.agency_id} KZ border"
    assert (entry.actor, entry.object_id) == (label, "kz-kordai")
    assert entry.before == {"state": "open"}
    assert entry.after == {"state": "closed", "reason": None, "message": "snow"}


def test_an_officer_status_post(session: Session) -> None:
    checkpoints.set_status(
        session, actor=OFFICER, poster=OFFICER_POSTER, checkpoint_id="kz-kordai", state=State.OPEN
    )
    (entry,) = audited(session, "set_status")
    assert entry.actor == OFFICER.label


def test_an_officers_queue_report_is_audited_an_agencys_is_not(
    session: Session, agency_poster: Poster
) -> None:
    """An agency's rows keep their agency (the trail); an officer's name no one."""

    def report(wait: int) -> list[QueueObservation]:
        observed = datetime.now(UTC)
        return [QueueObservation("kz-kordai", Direction.EXIT, Lane.CAR, wait, observed)]

    checkpoints.record_queues(
        session,
        actor=accounts.agency_actor(agency_poster),
        poster=agency_poster,
        reports=report(10),
    )
    assert audited(session, "record_queue") == []
    checkpoints.record_queues(session, actor=OFFICER, poster=OFFICER_POSTER, reports=report(42))
    (entry,) = audited(session, "record_queue")
    assert (entry.actor, entry.object_id) == (OFFICER.label, "kz-kordai")
    assert entry.after == {
        "direction": "exit",
        "lane": "car",
        "wait_minutes": 42,
        "method": "officer_estimate",
    }


def test_a_post_by_a_poster_must_name_its_actor(session: Session) -> None:
    agency_poster = Poster(agency_id=7, country="KZ", agency_name="KZ border")
    with pytest.raises(TypeError, match="actor"):
        checkpoints.set_status(
            session, poster=agency_poster, checkpoint_id="kz-kordai", state=State.OPEN
        )
    with pytest.raises(TypeError, match="actor"):
        checkpoints.record_queues(session, poster=OFFICER_POSTER, reports=[])


# -- broadcasts, rates, images --------------------------------------------------------


def test_a_broadcast(session: Session) -> None:
    devices.register(session, token="audit-phone", platform=Platform.ANDROID, locale="ru")
    texts = {locale: {"title": "T", "body": "B"} for locale in KNOWN_LOCALES}
    broadcast, total = outbox.create_broadcast(
        session, actor=ADMIN, texts=texts, target="all", target_id=None, confirm_audience=1
    )
    (entry,) = audited(session, "broadcast")
    assert (entry.actor, entry.object_id) == (ADMIN.label, str(broadcast.id))
    assert entry.after["audience"] == total == 1


def test_a_rate(session: Session) -> None:
    customs.set_rate(
        session, actor=ADMIN, currency="eur", per_usd=0.9, as_of=date(2026, 1, 2), source="ECB"
    )
    (entry,) = audited(session, "set_rate")
    assert (entry.actor, entry.object_id) == (ADMIN.label, "EUR")


def test_an_image_upload_also_of_a_known_image(session: Session, tmp_path: Path) -> None:
    png = io.BytesIO()
    PILImage.new("RGB", (4, 4), "red").save(png, "PNG")
    editor = Actor("user:3 editor@x.test", Role.EDITOR, 3)
    first = campaigns.store_image(session, actor=editor, data=png.getvalue(), image_dir=tmp_path)
    again = campaigns.store_image(session, actor=ADMIN, data=png.getvalue(), image_dir=tmp_path)
    assert first.id == again.id
    entries = audited(session, "upload_image")
    assert [(e.actor, e.object_id) for e in entries] == [
        (editor.label, str(first.id)),
        (ADMIN.label, str(first.id)),
    ]
