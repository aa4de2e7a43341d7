"""What a traveller can expect: the wait at a checkpoint at a given moment, the best
crossing into a country by total time, and whether the queue clears before a closing.

Everything here answers "what wait to expect at a moment" through one function,
`expected_wait`, which asks its sources in order (`SOURCES`) and takes the first that
knows. A source that does not know answers None; when none knows, the wait is unknown
and served as such, never guessed.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.checkpoints import forecast, planned, typical
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    CurrentStatus,
    Direction,
    Kind,
    Lane,
    State,
    StatusReport,
)
from content.checkpoints.service import distance_km, is_open_at, next_close

#: a lane's current queue report stands for the wait while it is this recent …
CURRENT_FRESH_FOR = timedelta(hours=2)
#: … and only for moments this close to now; later, the queue will have moved
CURRENT_HORIZON = timedelta(hours=1)

# The drive to a checkpoint is estimated, not routed: there is no routing engine. Both
# numbers are assumptions of this service, not facts about the roads, and every answer
# serves them beside the estimate (`DriveEstimate`). Roads are longer than the straight
# line between two points and slower than their speed limits; by how much was not measured
# for the roads here, so 1.3 and 60 km/h are round working numbers, to be replaced when
# a source or our own trips give better ones.
#: road distance taken as the straight-line distance times this
DETOUR_FACTOR = 1.3
#: average driving speed, km/h
AVERAGE_SPEED_KMH = 60.0

#: a checkpoint that is not open 24 hours warns this long before it closes
CLOSING_WARNING = timedelta(hours=6)


class Basis(enum.StrEnum):
    """What an expected wait rests on, weakest first."""

    TYPICAL = "typical"  # the typical week: the same hour of the week, the last 8 weeks
    FORECAST = "forecast"  # a stored forecast that earned being shown
    CURRENT = "current"  # the lane's latest report, fresh, for a moment close to now


#: the order of trust: a sum of two estimates is only as good as the weaker one
_STRENGTH = {Basis.TYPICAL: 0, Basis.FORECAST: 1, Basis.CURRENT: 2}


@dataclass(frozen=True)
class WaitEstimate:
    """The wait expected at `at`, in minutes: the median and the 80th percentile. Unknown
    when no source knows (both None, basis None)."""

    at: datetime
    p50: int | None = None
    p80: int | None = None
    basis: Basis | None = None

    @property
    def known(self) -> bool:
        return self.p50 is not None


def weakest(*bases: Basis | None) -> Basis | None:
    """The weakest basis of several estimates; None when any of them is unknown."""
    if any(basis is None for basis in bases):
        return None
    return min((b for b in bases if b is not None), key=_STRENGTH.__getitem__)


# --- the wait at a moment -------------------------------------------------------------

#: a source of expected waits: (session, checkpoint, direction, lane, at, now) -> estimate
#: or None when it does not know
Source = Callable[[Session, Checkpoint, Direction, Lane, datetime, datetime], "WaitEstimate | None"]


def current_wait(
    session: Session,
    checkpoint: Checkpoint,
    direction: Direction,
    lane: Lane,
    at: datetime,
    now: datetime,
) -> WaitEstimate | None:
    """The lane's current report, when it is fresh and `at` is close to now.

    One report has no spread: p80 is served equal to p50 rather than a made-up band."""
    if abs(at - now) > CURRENT_HORIZON:
        return None
    queue = session.get(CurrentQueue, (checkpoint.id, direction, lane))
    if queue is None or queue.observed_at < now - CURRENT_FRESH_FOR:
        return None
    return WaitEstimate(at, queue.wait_minutes, queue.wait_minutes, Basis.CURRENT)


def forecast_wait(
    session: Session,
    checkpoint: Checkpoint,
    direction: Direction,
    lane: Lane,
    at: datetime,
    now: datetime,
) -> WaitEstimate | None:
    """The stored forecast for `at`'s hour, where it is current and earned being shown
    there (it beat the typical week in its backtest at that horizon)."""
    point = forecast.earned_point(
        session, checkpoint.id, direction=direction, lane=lane, at=at, now=now
    )
    if point is None or point["p50"] is None:
        return None
    p80 = point["p80"] if point["p80"] is not None else point["p50"]
    return WaitEstimate(at, round(point["p50"]), round(p80), Basis.FORECAST)


def typical_wait(
    session: Session,
    checkpoint: Checkpoint,
    direction: Direction,
    lane: Lane,
    at: datetime,
    now: datetime,
) -> WaitEstimate | None:
    """The typical week at `at`'s hour of the week in the checkpoint's time zone, from the
    8 weeks before now with the holidays of both sides left out; None when that hour has
    fewer than 3 hours of reports."""
    end = now.replace(minute=0, second=0, microsecond=0)
    profile = typical.week_before(session, checkpoint, direction=direction, lane=lane, end=end)
    slot = typical.slot_at(checkpoint, at)
    if np.isnan(profile.p50[slot]):
        return None
    return WaitEstimate(at, round(profile.p50[slot]), round(profile.p80[slot]), Basis.TYPICAL)


#: asked in this order; the first that knows answers: the current report close to now,
#: then a stored forecast that earned being shown for that hour, then the typical week
SOURCES: tuple[Source, ...] = (current_wait, forecast_wait, typical_wait)


def expected_wait(
    session: Session,
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    at: datetime,
    now: datetime,
) -> WaitEstimate:
    """The wait expected at `at` for one lane and direction of a checkpoint."""
    for source in SOURCES:
        estimate = source(session, checkpoint, direction, lane, at, now)
        if estimate is not None:
            return estimate
    return WaitEstimate(at)


def open_at(session: Session, checkpoint: Checkpoint, moment: datetime) -> bool | None:
    """Whether the checkpoint will be open at `moment`; None when nothing tells.

    A planned closure or restriction covering the moment decides first. Otherwise the
    status then: the posted one, which stands until the next post (no post says when it
    ends), except that a plan in progress that ends before the moment hands back the
    status it replaced (open when there was none), as it will. Closed means closed; open
    means open unless the schedule says it is closed then. Restricted says nothing about a
    given lane, so it is unknown. Without a status, the schedule decides; unknown hours
    give None."""
    plans = planned.upcoming(session, [checkpoint.id]).get(checkpoint.id, [])
    scheduled = is_open_at(checkpoint, moment)
    covering = next((p for p in plans if p.starts_at <= moment < p.ends_at), None)
    if covering is not None:
        return False if covering.state == State.CLOSED or scheduled is False else None
    status = session.get(CurrentStatus, checkpoint.id)
    state = status.state if status is not None else None
    ending = next((p for p in plans if p.started_at is not None and p.ends_at <= moment), None)
    if ending is not None:
        replaced = (
            session.get(StatusReport, ending.replaced_report_id)
            if ending.replaced_report_id is not None
            else None
        )
        state = replaced.state if replaced is not None else State.OPEN
    if state == State.CLOSED or scheduled is False:
        return False
    if state == State.RESTRICTED:
        return None
    if state == State.OPEN:
        return True
    return scheduled


# --- the best crossing ----------------------------------------------------------------


@dataclass(frozen=True)
class DriveEstimate:
    """How drive times are estimated, served with them."""

    detour_factor: float = DETOUR_FACTOR
    speed_kmh: float = AVERAGE_SPEED_KMH

    def minutes(self, straight_km: float) -> int:
        return math.ceil(straight_km * self.detour_factor / self.speed_kmh * 60)


@dataclass(frozen=True)
class Crossing:
    """One way into the country: out through `checkpoint`, in through its `partner`."""

    checkpoint: Checkpoint
    partner: Checkpoint
    distance_km: float  # straight line from the origin to the checkpoint
    drive_minutes: int
    exit_wait: WaitEstimate  # at the checkpoint, on arrival
    entry_wait: WaitEstimate  # at the partner, once through the exit queue
    open_at_arrival: bool | None

    @property
    def total_minutes(self) -> int | None:
        if self.exit_wait.p50 is None or self.entry_wait.p50 is None:
            return None
        return self.drive_minutes + self.exit_wait.p50 + self.entry_wait.p50

    @property
    def range(self) -> tuple[int, int] | None:
        """[total with median waits, total with 80th-percentile waits]; the drive time is
        one estimate in both."""
        if self.total_minutes is None or self.exit_wait.p80 is None or self.entry_wait.p80 is None:
            return None
        return self.total_minutes, self.drive_minutes + self.exit_wait.p80 + self.entry_wait.p80

    @property
    def basis(self) -> Basis | None:
        return weakest(self.exit_wait.basis, self.entry_wait.basis)


@dataclass(frozen=True)
class BestCrossings:
    items: list[Crossing]
    drive: DriveEstimate


def candidates(
    session: Session, *, to_country: str, lane: Lane
) -> list[tuple[Checkpoint, Checkpoint]]:
    """Road checkpoints into `to_country` whose partner is known, that let `lane` out on
    this side and in on the other, with that partner."""
    query = (
        select(Checkpoint)
        .where(Checkpoint.kind == Kind.ROAD)
        .where(Checkpoint.neighbor == to_country.upper())
        .where(Checkpoint.paired_id.is_not(None))
        .order_by(Checkpoint.id)
    )
    pairs = []
    for checkpoint in session.scalars(query):
        partner = session.get(Checkpoint, checkpoint.paired_id)
        if (
            partner is not None
            and partner.country == checkpoint.neighbor
            and _serves(checkpoint, Direction.EXIT, lane)
            and _serves(partner, Direction.ENTRY, lane)
        ):
            pairs.append((checkpoint, partner))
    return pairs


def _serves(checkpoint: Checkpoint, direction: Direction, lane: Lane) -> bool:
    return lane.value in checkpoint.lanes and direction.value in checkpoint.directions


def best_crossings(
    session: Session,
    *,
    origin_lat: float,
    origin_lon: float,
    to_country: str,
    lane: Lane,
    depart_at: datetime,
    now: datetime,
) -> BestCrossings:
    """The crossings into `to_country`, best first.

    Each is timed as a trip: the drive to the checkpoint, its exit queue on arrival, then
    the partner's entry queue once through. The order: crossings closed at arrival last;
    before them, those with a known total, then those without (no plan can rest on them);
    within each, open at arrival before unknown, then the shortest total (or drive)."""
    drive = DriveEstimate()
    crossings = []
    for checkpoint, partner in candidates(session, to_country=to_country, lane=lane):
        km = distance_km(origin_lat, origin_lon, checkpoint.latitude, checkpoint.longitude)
        minutes = drive.minutes(km)
        arrival = depart_at + timedelta(minutes=minutes)
        exit_wait = expected_wait(
            session, checkpoint, direction=Direction.EXIT, lane=lane, at=arrival, now=now
        )
        # through the exit queue, on to the partner's entry queue; its end is unknown
        # when the exit wait is, and the total then is too
        at_partner = arrival + timedelta(minutes=exit_wait.p50 or 0)
        entry_wait = expected_wait(
            session, partner, direction=Direction.ENTRY, lane=lane, at=at_partner, now=now
        )
        opens = (open_at(session, checkpoint, arrival), open_at(session, partner, at_partner))
        crossings.append(
            Crossing(
                checkpoint=checkpoint,
                partner=partner,
                distance_km=km,
                drive_minutes=minutes,
                exit_wait=exit_wait,
                entry_wait=entry_wait,
                open_at_arrival=_all_open(*opens),
            )
        )
    crossings.sort(key=_rank)
    return BestCrossings(crossings, drive)


def _all_open(*opens: bool | None) -> bool | None:
    if False in opens:
        return False
    if None in opens:
        return None
    return True


def _rank(crossing: Crossing) -> tuple[bool, bool, int, int, int, str]:
    openness = {True: 0, None: 1, False: 2}[crossing.open_at_arrival]
    total = crossing.total_minutes
    return (
        crossing.open_at_arrival is False,
        total is None,
        openness,
        total or 0,
        crossing.drive_minutes,
        crossing.checkpoint.id,
    )


# --- closing time ---------------------------------------------------------------------


@dataclass(frozen=True)
class Closing:
    """A checkpoint closing soon, and whether a traveller joining the queue now gets
    through before it does."""

    closes_at: datetime
    minutes_left: int
    #: the longest expected wait now among its lanes and directions (unknown if none known)
    wait: WaitEstimate
    likely_to_clear: bool | None


def closing(session: Session, checkpoint: Checkpoint, *, now: datetime) -> Closing | None:
    """The closing within 6 hours of a checkpoint with known, limited hours; None when it
    is open 24 hours, its hours are unknown, it is closed now by its schedule, or it
    closes later.

    The queue is judged by the longest median wait expected now among the lanes and
    directions that have one: likely to clear when it fits in the time left. Lanes without
    any estimate are not counted; with none at all, likely_to_clear is None."""
    closes_at = next_close(checkpoint, now)
    if closes_at is None or closes_at - now > CLOSING_WARNING:
        return None
    minutes_left = int((closes_at - now).total_seconds() // 60)
    estimates = [
        expected_wait(session, checkpoint, direction=Direction(d), lane=Lane(lane), at=now, now=now)
        for d in checkpoint.directions
        for lane in checkpoint.lanes
    ]
    known = [e for e in estimates if e.p50 is not None]
    if not known:
        return Closing(closes_at, minutes_left, WaitEstimate(now), None)
    longest = max(known, key=lambda e: e.p50 or 0)
    likely = longest.p50 is not None and longest.p50 <= minutes_left
    return Closing(closes_at, minutes_left, longest, likely)


def next_closing_change(checkpoint: Checkpoint, *, now: datetime) -> datetime | None:
    """When `closing` next reads differently with the same data: the moment it appears,
    6 hours before the close, and from then on each time `minutes_left` drops by one.
    None when no close is ahead (the schedule's next opening is another boundary)."""
    closes_at = next_close(checkpoint, now)
    if closes_at is None:
        return None
    if closes_at - now > CLOSING_WARNING:
        return closes_at - CLOSING_WARNING
    minutes_left = int((closes_at - now).total_seconds() // 60)
    return closes_at - timedelta(minutes=minutes_left)
