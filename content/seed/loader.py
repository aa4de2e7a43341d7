"""Load reference checkpoints (idempotently) and, on request, labelled demo data."""

from __future__ import annotations

import math
import random
import secrets
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts import service as accounts
from content.accounts.models import AuditEntry, Role
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign
from content.checkpoints import equeue, freshness, series
from content.checkpoints import service as checkpoints
from content.checkpoints.models import (
    Checkpoint,
    Direction,
    EqueueFact,
    Kind,
    Lane,
    QueueReport,
    Reason,
    State,
    StatusReport,
)
from content.checkpoints.service import QueueObservation
from content.customs import service as customs
from content.customs.models import DATE_PRECISIONS, CustomsRule, ExchangeRate, Substance
from content.db import utcnow
from content.seed import demo_queues

SEED_DIR = Path(__file__).resolve().parent
CHECKPOINTS_FILE = SEED_DIR / "checkpoints.toml"
#: demo history: 8 weeks for the typical week, 4 for the forecast's backtest, and slack
DEMO_DAYS = 16 * 7
HOUR = timedelta(hours=1)


def read_checkpoints(path: Path = CHECKPOINTS_FILE) -> list[dict[str, Any]]:
    with path.open("rb") as file:
        entries: list[dict[str, Any]] = tomllib.load(file)["checkpoint"]
    return entries


def load_checkpoints(session: Session, path: Path = CHECKPOINTS_FILE) -> int:
    """Insert or update every checkpoint in the file; returns how many there are."""
    entries = read_checkpoints(path)
    for entry in entries:
        checkpoint = session.get(Checkpoint, entry["id"]) or Checkpoint(id=entry["id"])
        checkpoint.country = entry["country"]
        checkpoint.neighbor = entry.get("neighbor")
        checkpoint.kind = Kind(entry["kind"])
        checkpoint.latitude = entry["lat"]
        checkpoint.longitude = entry["lon"]
        checkpoint.location_accuracy_m = entry["accuracy_m"]
        checkpoint.timezone = entry["timezone"]
        # hours no source confirmed are unknown, whatever always_open says
        checkpoint.hours_known = entry.get("hours_known", False)
        checkpoint.always_open = entry.get("always_open", False)
        checkpoint.hours = entry.get("hours")
        checkpoint.lanes = [Lane(lane).value for lane in entry.get("lanes", [])]
        checkpoint.directions = [Direction(d).value for d in entry.get("directions", [])]
        checkpoint.names = dict(entry["name"])
        checkpoint.name_verified = entry.get("name_verified", True)
        checkpoint.sources = list(entry.get("source", []))
        checkpoint.paired_id = None
        session.add(checkpoint)
    session.flush()
    # names, hours and places may have changed: every entry readers keep is read again
    version = versions.bump(session)
    for entry in entries:
        checkpoint = session.get_one(Checkpoint, entry["id"])
        checkpoint.paired_id = entry.get("paired")
        checkpoint.changed_version = version
    load_equeues(session, entries)
    return len(entries)


#: who the seed's changes are audited as
SEED_ACTOR = accounts.Actor("system:seed")


def load_equeues(session: Session, entries: list[dict[str, Any]]) -> int:
    """The checkpoints' cited e-queue facts (`[[checkpoint.equeue]]`); returns how many
    were written. A fact someone set since the seed wrote it (an admin, a border service)
    is left as they set it; a seeded fact no longer in the file is removed."""
    written = 0
    for entry in entries:
        seeded = {
            (fact.direction, fact.lane): fact
            for fact in equeue.by_checkpoint(session, [entry["id"]]).get(entry["id"], [])
            if fact.updated_by == SEED_ACTOR.label
        }
        for item in entry.get("equeue", []):
            direction = Direction(item["direction"]) if "direction" in item else None
            wanted = equeue.EqueueInput(
                direction=direction,
                lane=Lane(item["lane"]),
                required=item["required"],
                system=item.get("system"),
                booking_url=item.get("booking_url"),
            )
            sources = list(item.get("source", []))
            key = (equeue.stored_direction(direction), wanted.lane)
            current = session.get(EqueueFact, (entry["id"], *key))
            seeded.pop(key, None)
            if current is not None and (
                current.updated_by != SEED_ACTOR.label or _same_equeue(current, wanted, sources)
            ):
                continue
            equeue.set_(
                session,
                actor=SEED_ACTOR,
                poster=None,
                checkpoint_id=entry["id"],
                facts=[wanted],
                sources=sources,
            )
            written += 1
        for stored, lane in seeded:  # seeded facts no longer in the file
            equeue.remove(
                session,
                actor=SEED_ACTOR,
                checkpoint_id=entry["id"],
                direction=equeue.served_direction(stored),
                lane=lane,
            )
    return written


def _same_equeue(fact: EqueueFact, wanted: equeue.EqueueInput, sources: list[Any]) -> bool:
    return (
        fact.required == wanted.required
        and fact.system == wanted.system
        and fact.booking_url == wanted.booking_url
        and fact.sources == sources
    )


def has_demo_data(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(StatusReport.demo.is_(True)))))


def load_demo(
    session: Session, *, now: datetime | None = None, seed: int = 2026, days: int = DEMO_DAYS
) -> tuple[int, int]:
    """Plausible current statuses and `days` of hourly queue history (16 weeks unless
    told) for every road checkpoint, direction and lane; see content/seed/demo_queues.py.

    Everything it writes is marked ``demo`` so that nobody mistakes it for real figures.
    Returns (statuses, queue reports) written.
    """
    now = now or utcnow()
    rng = random.Random(seed)  # noqa: S311  # demo figures, not secrets
    waits_rng = np.random.default_rng(seed)
    road = list(session.scalars(select(Checkpoint).where(Checkpoint.kind == Kind.ROAD)))
    statuses = 0
    for checkpoint in session.scalars(select(Checkpoint).order_by(Checkpoint.id)):
        state, reason = State.OPEN, None
        if rng.random() < 0.1:
            state, reason = State.RESTRICTED, rng.choice([Reason.MAINTENANCE, Reason.TECHNICAL])
        checkpoints.set_status(
            session,
            poster=None,
            checkpoint_id=checkpoint.id,
            state=state,
            reason=reason,
            now=now - timedelta(minutes=rng.randint(5, 300)),
            demo=True,
        )
        statuses += 1

    history: list[dict[str, Any]] = []
    latest: list[QueueObservation] = []
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    hours = days * 24 + 1  # up to the hour in progress
    hour_starts = [start + index * HOUR for index in range(hours)]
    for checkpoint in road:
        slots, local_dates = series.local_calendar(start, hours, checkpoint.timezone)
        sides = tuple(c for c in (checkpoint.country, checkpoint.neighbor) if c)
        holiday = series.holiday_mask(local_dates, sides)
        for direction in map(Direction, checkpoint.directions):
            for lane in map(Lane, checkpoint.lanes):
                queue = demo_queues.demo_queue(
                    waits_rng,
                    base=demo_queues.BASE_WAIT[lane] * waits_rng.uniform(0.5, 1.6),
                    slots=slots,
                    holiday=holiday,
                    lane=lane,
                    direction=direction,
                )
                observed_at = now - timedelta(minutes=rng.randint(3, 40))
                # history ends before the current report's hour, so that report is the newest
                current = (observed_at.replace(minute=0, second=0, microsecond=0) - start) // HOUR
                waits = queue.waits.astype(int).tolist()
                lanes_open = _whole_or_none(queue.lanes_open)
                vehicles = _whole_or_none(queue.vehicles_waiting)
                minutes = waits_rng.integers(0, 59, hours).tolist()
                history += [
                    {
                        "checkpoint_id": checkpoint.id,
                        "direction": direction,
                        "lane": lane,
                        "wait_minutes": waits[index],
                        "lanes_open": lanes_open[index],
                        "vehicles_waiting": vehicles[index],
                        "observed_at": hour_starts[index] + _MINUTES[minutes[index]],
                        "posted_at": hour_starts[index] + _MINUTES[59],
                        "demo": True,
                    }
                    for index in np.flatnonzero(queue.reported[:current]).tolist()
                ]
                latest.append(
                    QueueObservation(
                        checkpoint_id=checkpoint.id,
                        direction=direction,
                        lane=lane,
                        wait_minutes=waits[current],
                        observed_at=observed_at,
                        lanes_open=lanes_open[current],
                        vehicles_waiting=vehicles[current],
                    )
                )
    if history:  # Core's executemany: the ORM's bulk insert takes twice as long
        session.connection().execute(
            insert(QueueReport.metadata.tables[QueueReport.__tablename__]), history
        )
    # the history bypasses record_queues: its recent hours count towards `reporting` here
    recent = now - timedelta(hours=freshness.KEPT_HOURS + 1)
    freshness.note_reports(
        session,
        [
            freshness.OfficialReport(
                row["checkpoint_id"], row["observed_at"], row["posted_at"], demo=True
            )
            for row in history
            if row["posted_at"] >= recent
        ],
        now=now,
    )
    checkpoints.record_queues(session, poster=None, reports=latest, now=now, demo=True)
    return statuses, len(history) + len(latest)


_MINUTES = [timedelta(minutes=minute) for minute in range(60)]


def _whole_or_none(values: np.ndarray) -> list[int | None]:
    return [None if math.isnan(v) else int(v) for v in values.tolist()]


#: one demo agency per country, so a newcomer can post for any checkpoint
DEMO_AGENCIES = {
    "KZ": "Demo: State Border Service of Kazakhstan",
    "KG": "Demo: Border Service of Kyrgyzstan",
    "TJ": "Demo: Border Troops of Tajikistan",
    "TM": "Demo: State Border Service of Turkmenistan",
    "UZ": "Demo: Border Troops of Uzbekistan",
}


def issue_demo_keys(session: Session, *, actor: accounts.Actor) -> dict[str, str]:
    """Create the demo agencies if needed and give each a fresh key; {country: raw key}."""
    keys = {}
    existing = {a.name: a for a in accounts.list_agencies(session)}
    for country, name in DEMO_AGENCIES.items():
        agency = existing.get(name) or accounts.create_agency(
            session, actor=actor, country=country, name=name
        )
        _, keys[country] = accounts.rotate_key(session, actor=actor, agency=agency)
    return keys


CAMPAIGNS_FILE = SEED_DIR / "campaigns.toml"
DEMO_USERS = {
    Role.EDITOR: ("editor@demo.myborder.local", None),
    Role.PUBLISHER: ("publisher@demo.myborder.local", None),
    Role.ADMIN: ("admin@demo.myborder.local", None),
    Role.BORDER_OFFICER: ("officer.kz@demo.myborder.local", "KZ"),
}


def issue_demo_users(session: Session, *, actor: accounts.Actor) -> dict[str, str]:
    """One demo user per role, each with a fresh random password; {email: password}."""
    logins = {}
    existing = {u.email: u for u in accounts.list_users(session)}
    for role, (email, country) in DEMO_USERS.items():
        password = secrets.token_urlsafe(12)
        user = existing.get(email)
        if user is None:
            accounts.create_user(
                session, actor=actor, email=email, password=password, role=role, country=country
            )
        else:
            accounts.set_password(session, user, password)
        logins[email] = password
    return logins


def issue_demo_credentials(
    session: Session, *, actor: accounts.Actor
) -> tuple[dict[str, str], dict[str, str]]:
    """Fresh demo agency keys and user passwords, audited as one reset (never the secrets)."""
    keys = issue_demo_keys(session, actor=actor)
    logins = issue_demo_users(session, actor=actor)
    accounts.audit(
        session,
        actor=actor,
        action="reset_demo_credentials",
        object_type="demo",
        object_id="credentials",
        after={"agency_countries": sorted(keys), "users": sorted(logins)},
    )
    return keys, logins


def load_demo_campaigns(session: Session, path: Path = CAMPAIGNS_FILE) -> int:
    """Publish the demo campaigns (labelled demo) that are not there yet."""
    if not path.exists():
        return 0
    with path.open("rb") as file:
        entries = tomllib.load(file)["campaign"]
    loaded = 0
    system = accounts.Actor("system:seed", Role.ADMIN)
    for entry in entries:
        if session.scalar(select(Campaign).where(Campaign.slug == entry["slug"])) is not None:
            continue
        campaign = campaigns.create(
            session,
            actor=system,
            slug=entry["slug"],
            fields={
                "priority": entry.get("priority", 0),
                "countries": entry.get("countries", []),
                "checkpoints": entry.get("checkpoints", []),
                "starts_at": entry.get("starts_at"),
                "ends_at": entry.get("ends_at"),
                "demo": entry.get("demo", True),
                "sources": entry.get("source", []),
                "translations": entry["translations"],
            },
        )
        for action in ("submit", "approve", "publish"):
            campaigns.transition(session, actor=system, campaign=campaign, action=action)
        loaded += 1
    return loaded


CUSTOMS_DIR = SEED_DIR / "customs"
RATES_FILE = SEED_DIR / "rates.toml"


def read_customs(directory: Path = CUSTOMS_DIR) -> dict[str, list[dict[str, Any]]]:
    """Every `[[rule]]` and `[[substance]]` of the customs files, in file-name order."""
    data: dict[str, list[dict[str, Any]]] = {"rule": [], "substance": []}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as file:
            parsed = tomllib.load(file)
        for kind in data:
            data[kind].extend(parsed.get(kind, []))
    return data


class SeedError(ValueError):
    """A seed file breaks a rule of the data; nothing is loaded from it."""


def check_rule_entry(entry: dict[str, Any]) -> None:
    """Refuse a seeded rule that does not say how exact its start date is."""
    precision = entry.get("effective_from_precision")
    if precision not in DATE_PRECISIONS:
        raise SeedError(
            f"customs rule {entry.get('key')!r}: effective_from_precision must be one of "
            f"{', '.join(DATE_PRECISIONS)}, not {precision!r}"
        )


SEED_ACTOR = accounts.Actor("system:seed")


@dataclass
class CustomsLoad:
    """What `load_customs` changed."""

    added: int = 0
    revised: int = 0
    withdrawn: int = 0
    #: rules and substances an editor changed after the seed last did: left as they are
    kept_edited: int = 0
    substances_added: int = 0
    substances_replaced: int = 0


def _edited_since_seeded(session: Session, object_type: str, key: str) -> bool:
    """True when the last change to this rule or substance was made by someone other
    than the seed: an editor's version then wins over the file's."""
    actor = session.scalar(
        select(AuditEntry.actor)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == key)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return actor is not None and actor != SEED_ACTOR.label


def _rule_fields_of(entry: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in entry.items() if k not in ("title", "explanation")}
    fields["titles"] = entry["title"]
    fields["explanations"] = entry.get("explanation", {})
    return fields


def _differs(rule: CustomsRule, fields: dict[str, Any]) -> bool:
    current = customs.rule_snapshot(rule)
    wanted = customs.rule_snapshot(CustomsRule(**customs.rule_fields(fields)))
    names = (*customs.RULE_FIELDS, "effective_from", "effective_to")
    return any(current.get(name) != wanted.get(name) for name in names)


def load_customs(session: Session, directory: Path = CUSTOMS_DIR) -> CustomsLoad:
    """Bring the customs rules and substances in line with the seed files.

    The files are the sourced truth, so a database seeded earlier follows them: a rule
    not there yet is added; a rule whose file entry changed gets a new version (the old
    one stays readable); a rule the files no longer hold (its source did not stand up) is
    withdrawn. What an editor changed after the seed is left alone, and counted. A rule
    seeded before its date had a precision gets the file's precision in place, as long
    as its first version still starts on the file's date."""
    data = read_customs(directory)
    for entry in data["rule"]:
        check_rule_entry(entry)
    done = CustomsLoad()
    in_files = {entry["key"] for entry in data["rule"]}
    for entry in data["rule"]:
        key = entry["key"]
        first = session.scalar(
            select(CustomsRule).where(CustomsRule.key == key, CustomsRule.version == 1)
        )
        if first is None:
            customs.create_rule(session, actor=SEED_ACTOR, fields=_rule_fields_of(entry))
            done.added += 1
            continue
        if first.effective_from_precision == "unknown" and first.effective_from.isoformat() == str(
            entry["effective_from"]
        ):
            first.effective_from_precision = entry["effective_from_precision"]
            session.flush()
        current = customs.latest(session, key)
        if not _differs(current, _rule_fields_of(entry)):
            continue
        if _edited_since_seeded(session, "customs_rule", key):
            done.kept_edited += 1
            continue
        customs.revise_rule(
            session,
            actor=SEED_ACTOR,
            key=key,
            expected_version=current.version,
            fields=_rule_fields_of(entry),
        )
        done.revised += 1
    seeded_keys = set(
        session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.object_type == "customs_rule",
                AuditEntry.action == "create",
                AuditEntry.actor == SEED_ACTOR.label,
            )
        )
    )
    for key in sorted(seeded_keys - in_files):
        live = session.scalar(
            select(CustomsRule).where(
                CustomsRule.key == key,
                CustomsRule.superseded_at.is_(None),
                CustomsRule.retired.is_(False),
            )
        )
        if live is None:
            continue
        if _edited_since_seeded(session, "customs_rule", key):
            done.kept_edited += 1
            continue
        customs.withdraw_rule(session, actor=SEED_ACTOR, key=key)
        done.withdrawn += 1
    for entry in data["substance"]:
        rules_in = [
            {
                "country": r["country"],
                "action": r["action"],
                "max_quantity": r.get("max_quantity"),
                "unit": r.get("unit"),
                "source": r.get("source", {}),
            }
            for r in entry.get("rule", [])
        ]
        substance = session.scalar(select(Substance).where(Substance.key == entry["key"]))
        if substance is None:
            customs.upsert_substance(
                session, actor=None, key=entry["key"], names=entry["names"], rules=rules_in
            )
            done.substances_added += 1
            continue
        stored = [
            {
                "country": r.country,
                "action": r.action,
                "max_quantity": r.max_quantity,
                "unit": r.unit,
                "source": r.source,
            }
            for r in substance.rules
        ]
        by_country = sorted(rules_in, key=lambda r: r["country"])
        if substance.names == entry["names"] and stored == by_country:
            continue
        if _edited_since_seeded(session, "substance", entry["key"]):
            done.kept_edited += 1
            continue
        customs.upsert_substance(
            session, actor=SEED_ACTOR, key=entry["key"], names=entry["names"], rules=rules_in
        )
        done.substances_replaced += 1
    return done


def load_demo_rates(session: Session, path: Path = RATES_FILE) -> int:
    """Approximate demo exchange rates, labelled demo, unless rates are already there."""
    if session.scalar(select(ExchangeRate.id).limit(1)) is not None:
        return 0
    with path.open("rb") as file:
        data = tomllib.load(file)
    as_of = date.fromisoformat(data["as_of"])
    for currency, per_usd in data["per_usd"].items():
        customs.set_rate(
            session,
            actor=SEED_ACTOR,
            currency=currency,
            per_usd=per_usd,
            as_of=as_of,
            source=data["source"],
            demo=True,
        )
    return len(data["per_usd"])
