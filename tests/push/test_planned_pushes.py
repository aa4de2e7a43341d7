"""A planned closure's pushes, from the service to the fake FCM server through the worker
and the real SDK: announced, started, ended, and cancelled, in each follower's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.service import Actor, Poster
from content.checkpoints import planned
from content.checkpoints.models import Checkpoint, Reason, State
from content.checkpoints.service import set_status
from content.locales import KNOWN_LOCALES, format_moment
from push import devices, messages
from push.worker import Worker
from tests import factories
from tests.push.conftest import FakeFCM

OFFICER = Actor("user:1 officer@kz.test")
KZ = Poster(agency_id=None, country="KZ")


def _drain(worker: Worker) -> int:
    total = 0
    while handled := worker.run_once():
        total += handled
    return total


def _followers(session: Session, worker: Worker) -> None:
    for token, locale in (("kk-phone", "kk"), ("ru-phone", "ru")):
        devices.follow(session, factories.device(session, token=token, locale=locale), "kz-kordai")
    session.commit()
    _drain(worker)


def _sent(fake_fcm: FakeFCM) -> dict[str, dict[str, Any]]:
    """The last message to each topic."""
    return {m["topic"]: m for m in fake_fcm.messages()}


#: the day after tomorrow, 08:00 to 20:00 at Kordai (UTC+5)
START = (datetime.now(UTC) + timedelta(days=2)).replace(hour=3, minute=0, second=0, microsecond=0)
END = START + timedelta(hours=12)


def _day(locale: str) -> str:
    """The day of START as Babel writes it with a time ("16 дек."), in Kordai's zone."""
    return format_moment(START, "Asia/Almaty", locale).rsplit(" ", 1)[0].rstrip(",")


def _announce(session: Session) -> Any:
    """Kordai closed for a public holiday from START to END."""
    return planned.announce(
        session,
        actor=OFFICER,
        poster=KZ,
        checkpoint_id="kz-kordai",
        state=State.CLOSED,
        starts_at=START,
        ends_at=END,
        reason=Reason.HOLIDAY,
    )


def test_moments_are_written_as_the_language_writes_them() -> None:
    moment = datetime(2026, 12, 16, 15, 0, tzinfo=UTC)
    assert format_moment(moment, "Asia/Almaty", "ru") == "16 дек., 20:00"
    assert format_moment(moment, "Asia/Almaty", "kk") == "16 жел., 20:00"
    assert (
        format_moment(moment, "Asia/Almaty", "en") == "Dec 16, 8:00\u202fPM"
    )  # CLDR: a narrow no-break space


def test_announced_started_and_ended_in_each_language(
    session: Session, worker: Worker, fake_fcm: FakeFCM
) -> None:
    _followers(session, worker)
    set_status(session, poster=None, checkpoint_id="kz-kordai", state=State.OPEN)
    session.commit()
    _drain(worker)
    fake_fcm.reset()

    entry = _announce(session)
    session.commit()
    assert _drain(worker) == 2
    sent = _sent(fake_fcm)
    assert set(sent) == {"cp.kz-kordai.kk", "cp.kz-kordai.ru"}
    russian, kazakh = sent["cp.kz-kordai.ru"], sent["cp.kz-kordai.kk"]
    assert russian["notification"]["title"] == "Кордай"
    ru, kk = _day("ru"), _day("kk")
    assert russian["notification"]["body"] == (
        f"Плановое закрытие с {ru}, 08:00 до {ru}, 20:00. Причина: праздничный день."
    )
    assert kazakh["notification"]["body"] == (
        f"Жоспарлы жабылу: {kk}, 08:00 – {kk}, 20:00. Себебі: мереке күні."
    )
    assert kazakh["data"]["type"] == "planned"
    assert kazakh["data"]["event"] == "announced"
    assert kazakh["data"]["planned"] == str(entry.id)
    assert "collapse_key" not in kazakh["android"]  # FCM keeps it for an offline phone
    assert kazakh["android"]["notification"]["tag"] == f"plan-{entry.id}-kz-kordai"

    fake_fcm.reset()
    planned.apply_planned(session, now=entry.starts_at)
    session.commit()
    assert _drain(worker) == 2
    sent = _sent(fake_fcm)
    assert sent["cp.kz-kordai.ru"]["data"]["type"] == "status"
    assert sent["cp.kz-kordai.ru"]["data"]["state"] == "closed"
    assert sent["cp.kz-kordai.ru"]["notification"]["body"] == (
        f"Закрыт с 08:00. Причина: праздничный день. По плану — до {_day('ru')}, 20:00."
    )
    assert sent["cp.kz-kordai.kk"]["notification"]["body"] == (
        "08:00 уақытынан бастап жабық. Себебі: мереке күні. "
        f"Жоспар бойынша аяқталу уақыты: {_day('kk')}, 20:00."
    )
    assert sent["cp.kz-kordai.kk"]["android"]["notification"]["tag"] == "cp-kz-kordai"

    fake_fcm.reset()
    planned.apply_planned(session, now=entry.ends_at)
    session.commit()
    assert _drain(worker) == 2
    sent = _sent(fake_fcm)
    assert sent["cp.kz-kordai.ru"]["notification"]["body"] == "Открыт с 20:00."
    assert sent["cp.kz-kordai.kk"]["data"]["state"] == "open"


def test_cancelled_in_each_language(session: Session, worker: Worker, fake_fcm: FakeFCM) -> None:
    _followers(session, worker)
    entry = _announce(session)
    session.commit()
    _drain(worker)
    fake_fcm.reset()
    planned.cancel(
        session,
        actor=OFFICER,
        poster=KZ,
        checkpoint_id="kz-kordai",
        planned_id=entry.id,
    )
    session.commit()
    assert _drain(worker) == 2
    sent = _sent(fake_fcm)
    ru, kk = _day("ru"), _day("kk")
    assert sent["cp.kz-kordai.ru"]["notification"]["body"] == (
        f"Плановое закрытие с {ru}, 08:00 до {ru}, 20:00 отменено."
    )
    assert sent["cp.kz-kordai.kk"]["notification"]["body"] == (
        f"Жоспарлы жабылудың ({kk}, 08:00 – {kk}, 20:00) күші жойылды."
    )
    assert sent["cp.kz-kordai.kk"]["data"]["event"] == "cancelled"
    # it replaces the announcement on the phone
    assert sent["cp.kz-kordai.kk"]["android"]["notification"]["tag"] == (
        f"plan-{entry.id}-kz-kordai"
    )


@pytest.mark.parametrize("locale", KNOWN_LOCALES)
def test_the_largest_planned_messages_fit_fcm_limits(session: Session, locale: str) -> None:
    longest = max(session.scalars(select(Checkpoint)), key=lambda c: len(c.names.get(locale, "")))
    longest.names = {**longest.names, locale: longest.names[locale] * 3}
    start = datetime(2026, 12, 16, 3, 0, tzinfo=UTC)
    for cancelled in (False, True):
        notification = messages.planned(
            longest,
            planned_id=2**31 - 1,
            cancelled=cancelled,
            state=State.RESTRICTED,
            reason=Reason.MAINTENANCE,
            starts_at=start,
            ends_at=start + timedelta(days=300),
            locale=locale,
            now=start - timedelta(days=300),
        )
        payload = notification.as_payload()
        body = {
            "topic": f"cp.{longest.id}.{locale}",
            "notification": {"title": payload["title"], "body": payload["body"]},
            "data": payload["data"],
            "android": {
                "collapse_key": payload["collapse_key"],
                "ttl": "86400s",
                "notification": {"tag": payload["collapse_key"]},
            },
            "apns": {"headers": {"apns-collapse-id": payload["collapse_key"]}},
            "webpush": {"headers": {"TTL": "86400", "Topic": payload["collapse_key"][:32]}},
        }
        size = len(json.dumps(body, ensure_ascii=False).encode())
        assert size <= messages.MAX_TOPIC_MESSAGE_BYTES
        assert payload["ttl_seconds"] == messages.PLANNED_TTL_SECONDS
