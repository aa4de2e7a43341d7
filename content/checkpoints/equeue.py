"""E-queue facts: whether a lane must book a slot to cross, where, and how many vehicles
wait in its waiting zone.

A fact belongs to a checkpoint, a direction and a lane; each post replaces it whole.
The booking rule does not age, but the waiting-zone count does: it is served for
COUNT_SHOWN_FOR after it was posted, then as unknown (null), never as if it were now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.service import Actor, Poster, audit, ensure_may_post
from content.checkpoints.models import (
    Checkpoint,
    Direction,
    EqueueDirection,
    EqueueFact,
    Lane,
)
from content.checkpoints.service import get_or_raise, lane_problems
from content.db import utcnow
from content.errors import N_, FieldProblem, Invalid, NotFound
from content.sources import check_source_url

#: a waiting-zone count older than this is served as unknown: a queue that long ago says
#: little about now (the same two hours a queue report counts as current in the outlook)
COUNT_SHOWN_FOR = timedelta(hours=2)


@dataclass(frozen=True)
class EqueueInput:
    """One lane's e-queue fact as posted; `direction` None: the source names none."""

    direction: Direction | None
    lane: Lane
    required: bool
    system: str | None = None
    booking_url: str | None = None
    vehicles_in_waiting_zone: int | None = None


@dataclass(frozen=True)
class SetFact:
    fact: EqueueFact
    #: False when it replaced a fact of the same lane and direction
    created: bool


def stored_direction(direction: Direction | None) -> EqueueDirection:
    return EqueueDirection.UNSTATED if direction is None else EqueueDirection(direction.value)


def served_direction(direction: EqueueDirection) -> Direction | None:
    return None if direction == EqueueDirection.UNSTATED else Direction(direction.value)


def count_shown(fact: EqueueFact, now: datetime) -> int | None:
    """The waiting-zone count while it is recent; None once it is too old to show."""
    if fact.vehicles_in_waiting_zone is None or now - fact.updated_at > COUNT_SHOWN_FOR:
        return None
    return fact.vehicles_in_waiting_zone


def count_expires_at(fact: EqueueFact) -> datetime | None:
    """When the count stops being shown (None when there is none)."""
    if fact.vehicles_in_waiting_zone is None:
        return None
    return fact.updated_at + COUNT_SHOWN_FOR


#: every fact of some checkpoints (`ids`), built once
_FACTS = (
    select(EqueueFact)
    .where(EqueueFact.checkpoint_id.in_(bindparam("ids", expanding=True)))
    .order_by(EqueueFact.checkpoint_id, EqueueFact.lane, EqueueFact.direction)
)


def by_checkpoint(session: Session, checkpoint_ids: Iterable[str]) -> dict[str, list[EqueueFact]]:
    """Every fact of these checkpoints, by checkpoint, in lane and direction order."""
    wanted = sorted(set(checkpoint_ids))
    facts: dict[str, list[EqueueFact]] = {}
    for fact in session.scalars(_FACTS, {"ids": wanted}):
        facts.setdefault(fact.checkpoint_id, []).append(fact)
    return facts


def for_lane(facts: Sequence[EqueueFact], direction: Direction, lane: Lane) -> EqueueFact | None:
    """The fact about this direction and lane: its own, or else the lane's whose source
    names no direction."""
    own = next((f for f in facts if f.lane == lane and f.direction.value == direction.value), None)
    if own is not None:
        return own
    return next(
        (f for f in facts if f.lane == lane and f.direction == EqueueDirection.UNSTATED), None
    )


def list_(session: Session) -> list[EqueueFact]:
    """Every fact, for the console."""
    return list(
        session.scalars(
            select(EqueueFact).order_by(
                EqueueFact.checkpoint_id, EqueueFact.lane, EqueueFact.direction
            )
        )
    )


def set_(
    session: Session,
    *,
    actor: Actor,
    poster: Poster | None,
    checkpoint_id: str,
    facts: Sequence[EqueueInput],
    sources: list[dict[str, str]] | None = None,
    now: datetime | None = None,
    path: str = "equeues",
) -> list[SetFact]:
    """Replace the facts of these lanes, all or none, audited as `actor`.

    A border service (`poster`) posts only for checkpoints it may post status for, and
    names the direction; an admin (no poster) may leave it unstated. `path` is where the
    facts sit in the caller's body, to name a problem's place (`equeues.0.booking_url`)."""
    checkpoint = get_or_raise(session, checkpoint_id)
    if poster is not None:
        ensure_may_post(poster, checkpoint_id=checkpoint.id, country=checkpoint.country)
    problems: list[FieldProblem] = []
    seen: set[tuple[EqueueDirection, Lane]] = set()
    for index, item in enumerate(facts):
        problems += _problems(checkpoint, item, f"{path}.{index}", poster=poster)
        key = (stored_direction(item.direction), item.lane)
        if key in seen:
            problems.append(
                FieldProblem(f"{path}.{index}.lane", N_("This lane and direction are named twice."))
            )
        seen.add(key)
    if problems:
        raise Invalid(problems)
    now = now or utcnow()
    result = []
    for item in facts:
        direction = stored_direction(item.direction)
        fact = session.get(EqueueFact, (checkpoint.id, direction, item.lane))
        before = _shape(fact) if fact is not None else None
        created = fact is None
        if fact is None:
            fact = EqueueFact(checkpoint_id=checkpoint.id, direction=direction, lane=item.lane)
            session.add(fact)
        fact.required = item.required
        fact.system = item.system
        fact.booking_url = item.booking_url
        fact.vehicles_in_waiting_zone = item.vehicles_in_waiting_zone
        fact.updated_at = now
        fact.updated_by = actor.label
        fact.sources = list(sources or [])
        audit(
            session,
            actor=actor,
            action="set_equeue",
            object_type="checkpoint",
            object_id=checkpoint.id,
            before=before,
            after=_shape(fact),
        )
        result.append(SetFact(fact, created))
    checkpoint.changed_version = versions.bump(session)
    session.flush()
    return result


def remove(
    session: Session, *, actor: Actor, checkpoint_id: str, direction: Direction | None, lane: Lane
) -> None:
    """Delete one fact (an admin's correction), audited."""
    checkpoint = get_or_raise(session, checkpoint_id)
    fact = session.get(EqueueFact, (checkpoint.id, stored_direction(direction), lane))
    if fact is None:
        raise NotFound(N_("No e-queue fact for this lane and direction."))
    audit(
        session,
        actor=actor,
        action="remove_equeue",
        object_type="checkpoint",
        object_id=checkpoint.id,
        before=_shape(fact),
    )
    session.delete(fact)
    checkpoint.changed_version = versions.bump(session)
    session.flush()


def _problems(
    checkpoint: Checkpoint, item: EqueueInput, path: str, *, poster: Poster | None
) -> list[FieldProblem]:
    if item.direction is None and poster is not None:
        # a border service knows which way its queue runs
        return [FieldProblem(f"{path}.direction", N_("Name the direction."))]
    problems = lane_problems(
        checkpoint, direction=item.direction or Direction.EXIT, lane=item.lane, path=path
    )
    if item.direction is None:  # only the lane is named
        problems = [p for p in problems if not p.path.endswith(".direction")]
    if item.booking_url is not None and check_source_url(item.booking_url) is not None:
        problems.append(
            FieldProblem(
                f"{path}.booking_url",
                N_("The booking address must be the system's own https address."),
            )
        )
    return problems


def _shape(fact: EqueueFact) -> dict[str, Any]:
    """A fact as the audit log records it."""
    return {
        "direction": fact.direction.value,
        "lane": fact.lane.value,
        "required": fact.required,
        "system": fact.system,
        "booking_url": fact.booking_url,
        "vehicles_in_waiting_zone": fact.vehicles_in_waiting_zone,
    }
