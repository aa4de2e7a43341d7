"""Expected waits, the best crossings and a coming closing, as readers see them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from content.checkpoints.models import Checkpoint
from content.checkpoints.outlook import (
    BestCrossings,
    Closing,
    Crossing,
    DriveEstimate,
    WaitEstimate,
)
from content.errors import N_
from content.locales import format_number, format_quantity, pick

DRIVE_METHOD = N_(
    "Drive time is an estimate: the straight-line distance × %(factor)s, driven at "
    "%(speed)s. No route is planned; the road may be longer or slower."
)


def present_checkpoint_ref(checkpoint: Checkpoint, locale: str) -> dict[str, Any]:
    return {
        "id": checkpoint.id,
        "name": pick(checkpoint.names, locale, checkpoint.id),
        "name_verified": checkpoint.name_verified,
        "country": checkpoint.country,
    }


def present_wait(estimate: WaitEstimate) -> dict[str, Any]:
    return {"at": estimate.at, "p50": estimate.p50, "p80": estimate.p80, "basis": estimate.basis}


def present_drive(drive: DriveEstimate, locale: str) -> dict[str, Any]:
    return {
        "method": gettext(
            DRIVE_METHOD,
            factor=format_number(drive.detour_factor, locale),
            speed=format_quantity(drive.speed_kmh, "speed-kilometer-per-hour", locale),
        ),
        "detour_factor": drive.detour_factor,
        "speed_kmh": drive.speed_kmh,
    }


def present_crossing(crossing: Crossing, locale: str) -> dict[str, Any]:
    return {
        "checkpoint": present_checkpoint_ref(crossing.checkpoint, locale),
        "partner": present_checkpoint_ref(crossing.partner, locale),
        "distance_km": round(crossing.distance_km, 1),
        "drive_minutes": crossing.drive_minutes,
        "exit_wait": present_wait(crossing.exit_wait),
        "entry_wait": present_wait(crossing.entry_wait),
        "total_minutes": crossing.total_minutes,
        "range": list(crossing.range) if crossing.range else None,
        "basis": crossing.basis,
        "open_at_arrival": crossing.open_at_arrival,
    }


def present_best_crossings(best: BestCrossings, locale: str) -> dict[str, Any]:
    return {
        "items": [present_crossing(c, locale) for c in best.items],
        "drive": present_drive(best.drive, locale),
    }


def present_closing(closing: Closing | None) -> dict[str, Any] | None:
    if closing is None:
        return None
    return {
        "closes_at": closing.closes_at,
        "minutes_left": closing.minutes_left,
        "wait_minutes": closing.wait.p50,
        "likely_to_clear": closing.likely_to_clear,
        "basis": closing.wait.basis,
    }
