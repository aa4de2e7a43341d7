"""Test data with sensible defaults; every field can be overridden by keyword.

What is stored goes through the service that owns it (so its checks and side effects
run as in production) and is flushed, never committed: the test decides when to commit.
`checkpoint` builds a model row, added only when given a session.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from content.accounts import service as accounts
from content.accounts.models import Agency, Role, User
from content.accounts.service import SYSTEM, Actor
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign
from content.checkpoints import crowd, planned
from content.checkpoints import service as checkpoints
from content.checkpoints.models import (
    Checkpoint,
    CrowdReport,
    Direction,
    Kind,
    Lane,
    PlannedStatus,
    QueueHourly,
    Reason,
    State,
)

# the service's input for one queue report, imported here only: tests ask this module
from content.checkpoints.service import QueueObservation as QueueReportData
from content.customs import service as customs
from content.customs.models import CustomsRule
from content.locales import KNOWN_LOCALES
from push import devices, outbox
from push.models import Device, MessageKind, MessageStatus, OutboxMessage, Platform, QueueAlert

USER_PASSWORD = "correct horse battery staple"
#: who makes test data where a service asks: an admin may do anything
TESTER = Actor("test", Role.ADMIN)

_serial = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


def checkpoint(session: Session | None = None, **overrides: Any) -> Checkpoint:
    """A road checkpoint in Kazakhstan towards Kyrgyzstan, cars both ways, hours unknown;
    added and flushed when a session is given."""
    fields: dict[str, Any] = {
        "id": _unique("kz-test"),
        "country": "KZ",
        "neighbor": "KG",
        "kind": Kind.ROAD,
        "latitude": 43.0,
        "longitude": 75.0,
        "location_accuracy_m": 1000,
        "timezone": "Asia/Almaty",
        "hours_known": False,
        "always_open": False,
        "hours": None,
        "lanes": [Lane.CAR.value],
        "directions": [Direction.EXIT.value, Direction.ENTRY.value],
        "names": {"en": "Test checkpoint"},
    }
    fields.update(overrides)
    row = Checkpoint(**fields)
    if session is not None:
        session.add(row)
        session.flush()
    return row


def queue_report(**overrides: Any) -> QueueReportData:
    """One queue report as the checkpoint service takes it: cars leaving Kazakhstan at
    Kordai (a seeded checkpoint), 35 minutes, observed 5 minutes ago."""
    fields: dict[str, Any] = {
        "checkpoint_id": "kz-kordai",
        "direction": Direction.EXIT,
        "lane": Lane.CAR,
        "wait_minutes": 35,
        "observed_at": datetime.now(UTC) - timedelta(minutes=5),
    }
    fields.update(overrides)
    return QueueReportData(**fields)


def record_queue(
    session: Session,
    *,
    now: datetime | None = None,
    check_age: bool = True,
    **overrides: Any,
) -> checkpoints.RecordedQueueReport:
    """Record one `queue_report(**overrides)` through the service, posted by no agency,
    and fire its queue alerts as the push worker would (`fire_queue_alerts`)."""
    (recorded,) = checkpoints.record_queues(
        session, poster=None, reports=[queue_report(**overrides)], now=now, check_age=check_age
    )
    fire_queue_alerts(session)
    return recorded


def fire_queue_alerts(session: Session, *, batch_size: int = outbox.EXPAND_BATCH) -> int:
    """Expand every waiting queue-report job into its alerts, in order, in the session (the
    push worker does it in its own transactions); returns how many fired."""
    jobs = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == MessageKind.QUEUE_REPORT)
        .order_by(OutboxMessage.id)
    ).all()
    fired = 0
    for job in jobs:
        progress = dict(job.payload)
        while True:
            batch, last = outbox.expand_queue_report(session, progress, batch_size=batch_size)
            fired += batch
            if last is None:
                break
            progress["after_alert"] = last
        session.delete(job)
    session.flush()
    return fired


def queue_hourly(session: Session, **overrides: Any) -> QueueHourly:
    """One hour's rolled-up aggregate (what is left of its reports after pruning): cars
    leaving Kazakhstan at Kordai, one report of 35 minutes; `median_wait` alone is what the
    typical week and the forecast read."""
    fields: dict[str, Any] = {
        "checkpoint_id": "kz-kordai",
        "direction": Direction.EXIT,
        "lane": Lane.CAR,
        "hour": datetime(2026, 11, 30, 10, tzinfo=UTC),
        "median_wait": 35.0,
    }
    fields.update(overrides)
    wait = fields["median_wait"]
    fields.setdefault("reports", 1)
    fields.setdefault("min_wait", math.floor(wait))
    fields.setdefault("max_wait", math.ceil(wait))
    row = QueueHourly(**fields)
    session.add(row)
    session.flush()
    return row


def crossing(
    session: Session, *, exit_overrides: Any = None, entry_overrides: Any = None
) -> tuple[Checkpoint, Checkpoint]:
    """A road crossing from Kazakhstan into Kyrgyzstan: the Kazakh checkpoint and its Kyrgyz
    partner, paired both ways, cars both ways, hours unknown; each side's fields can be
    overridden (`exit_overrides` for the Kazakh one, `entry_overrides` for the Kyrgyz)."""
    exit_side = checkpoint(session, **(exit_overrides or {}))
    entry_side = checkpoint(
        session,
        **{
            "id": _unique("kg-test"),
            "country": "KG",
            "neighbor": "KZ",
            "timezone": "Asia/Bishkek",
            "latitude": exit_side.latitude - 0.01,
            "longitude": exit_side.longitude,
            "paired_id": exit_side.id,
            **(entry_overrides or {}),
        },
    )
    exit_side.paired_id = entry_side.id
    session.flush()
    return exit_side, entry_side


def weekly_history(
    session: Session,
    *,
    checkpoint_id: str,
    direction: Direction,
    lane: Lane,
    at: datetime,
    waits: list[int],
    now: datetime,
) -> None:
    """One queue report at `at`'s hour of the week in each of the weeks before it, the
    first wait a week before, the next two weeks before, and so on."""
    for weeks, wait in enumerate(waits, start=1):
        record_queue(
            session,
            now=now,
            check_age=False,
            checkpoint_id=checkpoint_id,
            direction=direction,
            lane=lane,
            wait_minutes=wait,
            observed_at=at - timedelta(weeks=weeks),
        )


def queue_report_json(**overrides: Any) -> dict[str, Any]:
    """One queue report as a border service posts it to the API, observed now."""
    fields: dict[str, Any] = {
        "direction": "exit",
        "lane": "car",
        "wait_minutes": 35,
        "observed_at": datetime.now(UTC).isoformat(),
    }
    fields.update(overrides)
    return fields


def planned_closure(session: Session, **overrides: Any) -> PlannedStatus:
    """A closure of Kordai for a public holiday, announced by a Kazakh officer, from
    tomorrow for a day (`overrides` go to `planned.announce`)."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    fields: dict[str, Any] = {
        "actor": TESTER,
        "poster": accounts.Poster(agency_id=None, country="KZ"),
        "checkpoint_id": "kz-kordai",
        "state": State.CLOSED,
        "starts_at": start,
        "ends_at": start + timedelta(days=1),
        "reason": Reason.HOLIDAY,
    }
    fields.update(overrides)
    return planned.announce(session, **fields)


def agency(
    session: Session,
    *,
    country: str = "KZ",
    name: str | None = None,
    checkpoint_ids: list[str] | None = None,
) -> Agency:
    """A border service of the country, for all its checkpoints unless scoped."""
    return accounts.create_agency(
        session,
        actor=SYSTEM,
        country=country,
        name=name or _unique(f"Test agency {country}"),
        checkpoint_ids=checkpoint_ids,
    )


def agency_key(session: Session, **agency_overrides: Any) -> str:
    """A new agency's raw API key (`agency_overrides` go to `agency`)."""
    made = agency(session, **agency_overrides)
    _, raw_key = accounts.issue_key(session, actor=SYSTEM, agency=made)
    return raw_key


def user(
    session: Session,
    *,
    role: Role = Role.EDITOR,
    email: str | None = None,
    password: str = USER_PASSWORD,
    country: str | None = None,
) -> User:
    """A console user with `USER_PASSWORD`; an editor unless told otherwise."""
    return accounts.create_user(
        session,
        actor=SYSTEM,
        email=email or f"{_unique(role.value)}@myborder.test",
        password=password,
        role=role,
        country=country,
    )


def device(
    session: Session,
    *,
    token: str | None = None,
    platform: Platform = Platform.ANDROID,
    locale: str = "kk",
    **overrides: Any,
) -> Device:
    """A registered Android phone reading Kazakh (its secret is not kept)."""
    registered, _ = devices.register(
        session, token=token or _unique("test-token"), platform=platform, locale=locale, **overrides
    )
    return registered


def reporter(session: Session, *, age: timedelta = timedelta(hours=1)) -> tuple[Device, str]:
    """A device registered `age` ago (a crowd report needs one at least 10 minutes old),
    and its secret."""
    registered, secret = devices.register(
        session, token=_unique("test-token"), platform=Platform.ANDROID, locale="kk"
    )
    registered.created_at = datetime.now(UTC) - age
    session.flush()
    return registered, secret


def reporting_device(session: Session, *, age: timedelta = timedelta(hours=1)) -> Device:
    """A device registered `age` ago; its secret is not kept."""
    registered, _secret = reporter(session, age=age)
    return registered


def crowd_report(
    session: Session, reporter: Device, *, now: datetime | None = None, **overrides: Any
) -> CrowdReport:
    """A traveller's report through the service: cars leaving Kazakhstan at Kordai, 40
    minutes, crossed 10 minutes before `now`, sent from the checkpoint's point."""
    now = now or datetime.now(UTC)
    fields: dict[str, Any] = {
        "checkpoint_id": "kz-kordai",
        "direction": Direction.EXIT,
        "lane": Lane.CAR,
        "waited_minutes": 40,
        "crossed_at": now - timedelta(minutes=10),
        "latitude": 43.037,
        "longitude": 74.711,
        **overrides,
    }
    return crowd.submit(
        session,
        reporter=crowd.Reporter(reporter.id, reporter.created_at),
        now=now,
        **fields,
    )


def kordai_car_alert(session: Session, device: Device, **overrides: Any) -> QueueAlert:
    """The device's alert for when the car queue leaving Kazakhstan at Kordai drops below
    30 minutes."""
    fields: dict[str, Any] = {
        "checkpoint_id": "kz-kordai",
        "direction": Direction.EXIT,
        "lane": Lane.CAR,
        "below_minutes": 30,
        **overrides,
    }
    return devices.add_alert(session, device, **fields)


#: what a queue alert in the outbox carries, short: tests and benchmarks of sending
ALERT_PAYLOAD = {
    "title": "t",
    "body": "b",
    "collapse_key": "cp-kz-kordai",
    "data": {},
    "ttl_seconds": 3600,
}


def pending_alerts(
    session: Session, tokens: Sequence[str], *, payload: dict[str, Any] | None = None
) -> None:
    """A Russian-reading phone per token with one queue alert to it due now, as the outbox
    holds them after a queue post. Inserted in bulk, past the services: thousands of rows
    for tests of sending and for the push benchmark."""
    now = datetime.now(UTC)
    session.execute(
        insert(Device),
        [
            {
                "token": token,
                "platform": Platform.ANDROID,
                "locale": "ru",
                "secret_hash": token,
                "created_at": now,
                "updated_at": now,
            }
            for token in tokens
        ],
    )
    session.execute(
        insert(OutboxMessage),
        [
            {
                "kind": MessageKind.QUEUE_ALERT,
                "status": MessageStatus.PENDING,
                "token": token,
                "payload": payload or ALERT_PAYLOAD,
                "attempts": 0,
                "available_at": now,
                "created_at": now,
                "expires_at": now + timedelta(hours=1),
            }
            for token in tokens
        ],
    )


def campaign_translations(prefix: str = "") -> dict[str, dict[str, str]]:
    """Every field of a campaign's text, filled in every served language."""
    return {
        locale: {
            "title": f"{prefix}Title {locale}",
            "summary": f"Summary {locale}",
            "body": f"Body in **{locale}**.",
            "image_alt": f"Alt {locale}",
        }
        for locale in KNOWN_LOCALES
    }


def campaign(
    session: Session, *, actor: Actor = TESTER, slug: str | None = None, **fields: Any
) -> Campaign:
    """A draft campaign translated into every language (`fields` as the service takes)."""
    return campaigns.create(
        session,
        actor=actor,
        slug=slug or _unique("test-campaign"),
        fields={"translations": campaign_translations(), **fields},
    )


def customs_rule(session: Session, *, actor: Actor = TESTER, **overrides: Any) -> CustomsRule:
    """A demo customs rule for the EAEU (Kazakhstan and Kyrgyzstan), both ways, declare
    above the limit, in force since 2020; `key` and `category` are required."""
    key = overrides["key"]
    fields: dict[str, Any] = {
        "countries": ["KZ", "KG"],
        "scope": "eaeu",
        "direction": "both",
        "mode": "all",
        "above_limit": "declare",
        "titles": {locale: f"{key} ({locale})" for locale in KNOWN_LOCALES},
        "explanations": {locale: f"explanation ({locale})" for locale in KNOWN_LOCALES},
        "source": {"act": "test data", "url": "https://example.test/rule"},
        "effective_from": date(2020, 1, 1),
        "effective_from_precision": "day",
        "demo": True,
    }
    fields.update(overrides)
    return customs.create_rule(session, actor=actor, fields=fields)
