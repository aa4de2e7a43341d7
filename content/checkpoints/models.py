"""Checkpoints, their append-only status and queue history, and the current state.

History tables only grow. The ``current_*`` tables hold one row per checkpoint (status)
and per checkpoint, direction and lane (queue), updated in the same transaction as the
post, so reading what is true now never scans history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content.accounts.models import Agency
from content.db import Base, UTCDateTime, string_enum, utcnow


class Kind(enum.StrEnum):
    ROAD = "road"
    RAIL = "rail"
    AIR = "air"
    SEA = "sea"


class State(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    RESTRICTED = "restricted"


class Reason(enum.StrEnum):
    WEATHER = "weather"
    TECHNICAL = "technical"
    HOLIDAY = "holiday"
    SECURITY = "security"
    MAINTENANCE = "maintenance"
    OTHER = "other"


class Direction(enum.StrEnum):
    """Relative to the checkpoint's own country."""

    EXIT = "exit"
    ENTRY = "entry"


class Lane(enum.StrEnum):
    CAR = "car"
    TRUCK = "truck"
    BUS = "bus"
    PEDESTRIAN = "pedestrian"


class Source(enum.StrEnum):
    """Who supplied a queue figure."""

    #: the border service: an agency's key or a border officer on the console
    AGENCY = "agency"
    #: travellers' reports, aggregated
    CROWD = "crowd"
    #: an electronic queue (booking) system itself
    EQUEUE = "equeue"


class Method(enum.StrEnum):
    """How a queue figure was obtained."""

    OFFICER_ESTIMATE = "officer_estimate"
    SENSOR = "sensor"
    #: read off an electronic queue's booking calendar or waiting zone
    EQUEUE = "equeue"
    #: the robust median of travellers' reports: what crowd aggregation is, never posted
    CROWD_MEDIAN = "crowd_median"


class Checkpoint(Base):
    """A border crossing point. Reference data, loaded from content/seed/."""

    __tablename__ = "checkpoint"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    neighbor: Mapped[str | None] = mapped_column(String(2), nullable=True)
    kind: Mapped[Kind] = mapped_column(string_enum(Kind, 16))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    #: radius in metres around (latitude, longitude) within which the post lies, as far as
    #: the sources tell; a town centre gets the distance to wherever the post can be
    location_accuracy_m: Mapped[int] = mapped_column(Integer)
    paired_id: Mapped[str | None] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="SET NULL"), nullable=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    #: False when no source confirmed the opening hours: always_open and hours mean nothing
    hours_known: Mapped[bool] = mapped_column(Boolean, default=False)
    always_open: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"days": [1..7], "opens": "HH:MM", "closes": "HH:MM"}]; None when not known
    hours: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    lanes: Mapped[list[str]] = mapped_column(JSON)
    directions: Mapped[list[str]] = mapped_column(JSON)
    names: Mapped[dict[str, str]] = mapped_column(JSON)
    #: False when no source confirms the name (it is served, flagged as unverified)
    name_verified: Mapped[bool] = mapped_column(Boolean, default=True)
    sources: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: the data version of the last change to its status or queues (for delta sync)
    changed_version: Mapped[int] = mapped_column(Integer, default=0, index=True)


class StatusReport(Base):
    """One post of a checkpoint's state. Append-only."""

    __tablename__ = "status_report"
    __table_args__ = (Index("ix_status_report_checkpoint_posted", "checkpoint_id", "posted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    state: Mapped[State] = mapped_column(string_enum(State, 16))
    reason: Mapped[Reason | None] = mapped_column(string_enum(Reason, 16), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), nullable=True
    )
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class QueueReport(Base):
    """One observed wait for a direction and lane. Append-only."""

    __tablename__ = "queue_report"
    __table_args__ = (
        Index("ix_queue_report_lane_observed", "checkpoint_id", "direction", "lane", "observed_at"),
        # the agencies' freshness report: each agency's reports in a window, its newest
        Index("ix_queue_report_agency_posted", "agency_id", "posted_at"),
        CheckConstraint("wait_minutes >= 0 AND wait_minutes <= 4320", name="wait_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, 16))
    lane: Mapped[Lane] = mapped_column(string_enum(Lane, 16))
    wait_minutes: Mapped[int] = mapped_column(Integer)
    vehicles_waiting: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lanes_open: Mapped[int | None] = mapped_column(Integer, nullable=True)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), nullable=True
    )
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[Source] = mapped_column(
        string_enum(Source, 16), default=Source.AGENCY, server_default=Source.AGENCY.value
    )
    method: Mapped[Method] = mapped_column(
        string_enum(Method, 32),
        default=Method.OFFICER_ESTIMATE,
        server_default=Method.OFFICER_ESTIMATE.value,
    )


class CurrentStatus(Base):
    """The latest status of each checkpoint, kept in step with StatusReport."""

    __tablename__ = "current_status"

    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    report_id: Mapped[int] = mapped_column(ForeignKey("status_report.id", ondelete="CASCADE"))
    state: Mapped[State] = mapped_column(string_enum(State, 16))
    reason: Mapped[Reason | None] = mapped_column(string_enum(Reason, 16), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # when the checkpoint entered this state; a repeated post of the same state keeps it
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class CurrentQueue(Base):
    """The latest queue report per checkpoint, direction and lane."""

    __tablename__ = "current_queue"

    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, 16), primary_key=True)
    lane: Mapped[Lane] = mapped_column(string_enum(Lane, 16), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("queue_report.id", ondelete="CASCADE"))
    wait_minutes: Mapped[int] = mapped_column(Integer)
    vehicles_waiting: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lanes_open: Mapped[int | None] = mapped_column(Integer, nullable=True)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[Source] = mapped_column(
        string_enum(Source, 16), default=Source.AGENCY, server_default=Source.AGENCY.value
    )
    method: Mapped[Method] = mapped_column(
        string_enum(Method, 32),
        default=Method.OFFICER_ESTIMATE,
        server_default=Method.OFFICER_ESTIMATE.value,
    )
    #: the posting agency, whose name is `reported_by` (None: an officer, or demo data)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), nullable=True
    )

    agency: Mapped[Agency | None] = relationship(lazy="raise")


class CheckpointReporting(Base):
    """How recently and how steadily a checkpoint's official queue reports arrive: kept
    on every write, so the list serves it from one row per checkpoint.

    `fresh_hours` holds the hours (whole hours since the Unix epoch, UTC) that an
    official report made fresh over the last 8 days; see content.checkpoints.freshness.
    """

    __tablename__ = "checkpoint_reporting"

    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    last_official_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the report observed at last_official_at was demo data
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    fresh_hours: Mapped[list[int]] = mapped_column(JSON, default=list)


class QueueHourly(Base):
    """Hourly aggregates of queue reports, kept after the raw reports are pruned."""

    __tablename__ = "queue_hourly"

    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, 16), primary_key=True)
    lane: Mapped[Lane] = mapped_column(string_enum(Lane, 16), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    reports: Mapped[int] = mapped_column(Integer)
    min_wait: Mapped[int] = mapped_column(Integer)
    median_wait: Mapped[float] = mapped_column(Float)
    max_wait: Mapped[int] = mapped_column(Integer)


class PlannedStatus(Base):
    """A closure or restriction a border service announced ahead.

    At ``starts_at`` it becomes the checkpoint's status (a StatusReport like any post);
    at ``ends_at`` the status it replaced comes back, unless a newer post replaced it
    first. ``replaced_report_id`` and ``started_report_id`` are how it knows.
    """

    __tablename__ = "planned_status"
    __table_args__ = (
        Index("ix_planned_status_checkpoint_starts", "checkpoint_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    state: Mapped[State] = mapped_column(string_enum(State, 16))
    reason: Mapped[Reason | None] = mapped_column(string_enum(Reason, 16), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the announcing agency (None for a border officer in the console)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency.id", ondelete="SET NULL"), nullable=True
    )
    #: who announced it, as the audit log names them
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the status that was current when it started, to come back at the end
    replaced_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_report.id", ondelete="SET NULL"), nullable=True
    )
    #: the status post it made at the start: still current means nobody posted since
    started_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_report.id", ondelete="SET NULL"), nullable=True
    )
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Forecast(Base):
    """The latest forecast of one lane, as `flask forecast refresh` computed it: 24 hourly
    points, the backtest's accuracy per horizon, and whether it earned being shown."""

    __tablename__ = "forecast"

    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, 16), primary_key=True)
    lane: Mapped[Lane] = mapped_column(string_enum(Lane, 16), primary_key=True)
    #: the hour the first point covers (UTC); the series it was computed from ends there
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # [{"at": ISO 8601, "p50": minutes | null, "p80": minutes | null, "method": ...}]
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {"1h": "blend", "6h": ..., "24h": ...}: the method with the lowest backtest MAE
    methods: Mapped[dict[str, str]] = mapped_column(JSON)
    # {"1h": {"evaluated_hours", "mae": {method: minutes | null}, "method", "error_p80",
    #  "earned"}, ...}
    accuracy: Mapped[dict[str, Any]] = mapped_column(JSON)
    shown: Mapped[bool] = mapped_column(Boolean)
    #: why it is not (wholly) shown: a key of content.checkpoints.forecast.REASONS
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: the blend's fitted decay of the anomaly per hour
    decay: Mapped[float] = mapped_column(Float)
    # the typical week it fell back on: {"p50": [168], "p80": [168]} by local hour of week
    typical: Mapped[dict[str, list[float | None]]] = mapped_column(JSON)
    #: the lane's latest report was demo data
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class DistanceBucket(enum.StrEnum):
    """How far from the checkpoint a traveller was when reporting: all that is kept of
    the position they sent."""

    UNDER_1_KM = "0-1 km"
    UNDER_2_KM = "1-2 km"
    UNDER_5_KM = "2-5 km"
    #: only where the geofence is widened by the checkpoint's accuracy radius
    OVER_5_KM = "5+ km"


class CrowdReport(Base):
    """A traveller's word on how long they waited: shown beside the official figure,
    never instead of it. Never the coordinates, only the distance bucket; deleted with
    the device (the foreign key cascades)."""

    __tablename__ = "crowd_report"
    __table_args__ = (
        Index("ix_crowd_report_crossed_at", "crossed_at"),
        Index("ix_crowd_report_device_created", "device_id", "created_at"),
        Index("ix_crowd_report_created_at", "created_at"),
        CheckConstraint("waited_minutes >= 0 AND waited_minutes <= 4320", name="waited_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[str] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(string_enum(Direction, 16))
    lane: Mapped[Lane] = mapped_column(string_enum(Lane, 16))
    waited_minutes: Mapped[int] = mapped_column(Integer)
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # push's table, named by string: content does not import push's models
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    distance: Mapped[DistanceBucket] = mapped_column(string_enum(DistanceBucket, 16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a moderator hid it: it no longer counts
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_by: Mapped[str | None] = mapped_column(String(300), nullable=True)


class CrowdBlock(Base):
    """A device a moderator blocked from reporting: its reports stop counting, and it may
    send no more. Deleted with the device."""

    __tablename__ = "crowd_block"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the moderator, as the audit log names them
    blocked_by: Mapped[str] = mapped_column(String(300))


class EqueueDirection(enum.StrEnum):
    """The direction an e-queue fact is about: one of the checkpoint's, or `unstated` when
    its source tells of the lane without naming a direction (served as null)."""

    EXIT = "exit"
    ENTRY = "entry"
    UNSTATED = "unstated"


class EqueueFact(Base):
    """Whether a lane's vehicles must book a slot in an electronic queue to cross, where to
    book, and how many wait in its waiting zone. Set by admins in the console, posted by
    border services, or seeded from a cited source; one row per checkpoint, direction and
    lane, replaced whole by each post."""

    __tablename__ = "equeue_fact"
    __table_args__ = (
        CheckConstraint(
            "vehicles_in_waiting_zone IS NULL OR vehicles_in_waiting_zone >= 0",
            name="vehicles_not_negative",
        ),
    )

    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    direction: Mapped[EqueueDirection] = mapped_column(
        string_enum(EqueueDirection, 16), primary_key=True
    )
    lane: Mapped[Lane] = mapped_column(string_enum(Lane, 16), primary_key=True)
    #: booking a slot is mandatory (False: an e-queue exists, booking is optional)
    required: Mapped[bool] = mapped_column(Boolean)
    #: the system's own name (CarGoRuqsat); None when not known
    system: Mapped[str | None] = mapped_column(String(100), nullable=True)
    #: where to book: https only, the system's own site
    booking_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: vehicles in the waiting zone when posted; served only while recent
    vehicles_in_waiting_zone: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: when this fact was last set (and the count, with it, observed)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: who set it, as the audit log names them (`system:seed` for the seed)
    updated_by: Mapped[str] = mapped_column(String(200))
    # [{"title", "url", "note"}]: the citations of a seeded fact; [] for a posted one
    sources: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
