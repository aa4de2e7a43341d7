"""Checks on checkpoint reference data, for tests and `flask content check`.

Each check takes plain records, built from the seed file or from the database, and returns
the problems it found (an empty list when all is well).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.checkpoints.models import Checkpoint
from content.checkpoints.service import distance_km

#: partner posts sit on either side of one border: this much more than their radii is wrong
PARTNER_SLACK_KM = 2.0


@dataclass(frozen=True)
class Placement:
    """Where a checkpoint is said to be, and how sure that is."""

    id: str
    latitude: float
    longitude: float
    accuracy_m: int
    paired_id: str | None


@dataclass(frozen=True)
class Problem:
    checkpoint_id: str
    message: str


def placements_from_seed(entries: Iterable[Mapping[str, Any]]) -> list[Placement]:
    return [
        Placement(e["id"], e["lat"], e["lon"], e["accuracy_m"], e.get("paired")) for e in entries
    ]


def placements_from_db(session: Session) -> list[Placement]:
    return [
        Placement(c.id, c.latitude, c.longitude, c.location_accuracy_m, c.paired_id)
        for c in session.scalars(select(Checkpoint).order_by(Checkpoint.id))
    ]


def partner_distance_problems(placements: Iterable[Placement]) -> list[Problem]:
    """Partners further apart than the sum of their accuracy radii plus 2 km: one point,
    or one radius, claims more precision than its source has (review §4: Bor-Dobo sat on
    the Tajik post; Farap–Alat were two town centres 32 km apart, each flagged alike)."""
    by_id = {p.id: p for p in placements}
    problems = []
    seen: set[frozenset[str]] = set()
    for placement in by_id.values():
        partner = by_id.get(placement.paired_id or "")
        if partner is None or frozenset((placement.id, partner.id)) in seen:
            continue
        seen.add(frozenset((placement.id, partner.id)))
        apart = distance_km(
            placement.latitude, placement.longitude, partner.latitude, partner.longitude
        )
        allowed = (placement.accuracy_m + partner.accuracy_m) / 1000 + PARTNER_SLACK_KM
        if apart > allowed:
            problems.append(
                Problem(
                    placement.id,
                    f"{apart:.1f} km from its partner {partner.id}; their accuracy radii "
                    f"allow at most {allowed:.1f} km",
                )
            )
    return problems


def hours_problems(entries: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Seed entries whose hours are neither stated nor marked unknown (review §6)."""
    problems = []
    for entry in entries:
        if "hours_known" not in entry:
            problems.append(Problem(entry["id"], "hours_known is missing"))
        elif entry["hours_known"] and not (entry.get("always_open") or entry.get("hours")):
            problems.append(Problem(entry["id"], "hours_known, but neither always_open nor hours"))
        elif not entry["hours_known"] and (entry.get("always_open") or entry.get("hours")):
            problems.append(Problem(entry["id"], "hours are not known, yet hours are given"))
    return problems
