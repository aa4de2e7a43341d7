"""Devices, what they follow, their queue alerts, and the outbox of notifications."""

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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from content.checkpoints.models import Direction, Lane
from content.db import Base, UTCDateTime, string_enum, utcnow


class Platform(enum.StrEnum):
    ANDROID = "android"
    IOS = "ios"
    WEB = "web"


class MessageKind(enum.StrEnum):
    STATUS_CHANGE = "status_change"
    #: a closure or restriction announced ahead, or its cancellation
    PLANNED = "planned"
    QUEUE_ALERT = "queue_alert"
    BROADCAST = "broadcast"
    TOPIC_SUBSCRIBE = "topic_subscribe"
    TOPIC_UNSUBSCRIBE = "topic_unsubscribe"
    #: a queue report whose alerts the worker fires, in batches (not a message itself)
    QUEUE_REPORT = "queue_report"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: gave up: invalid, expired, or out of attempts; kept and counted, never dropped
    DEAD = "dead"
    #: FCM said the token is gone; the device was deleted
    PRUNED = "pruned"


class OutboxLane(enum.IntEnum):
    """The worker's queues: notifications never wait behind topic (un)subscriptions."""

    NOTIFY = 0
    TOPICS = 1
    #: queue reports to expand into alerts: database work, no FCM call
    EXPAND = 2


class Device(Base):
    """A phone (or browser) with an FCM registration token, a Firebase installation ID, or
    both. Neither is ever served."""

    __tablename__ = "device"
    __table_args__ = (CheckConstraint("token IS NOT NULL OR fid IS NOT NULL", name="token_or_fid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: FCM registration token: topic subscriptions need it
    token: Mapped[str | None] = mapped_column(String(1024), unique=True, nullable=True)
    #: Firebase installation ID: messages to this one device go to it when given
    fid: Mapped[str | None] = mapped_column(String(1024), unique=True, nullable=True)
    platform: Mapped[Platform] = mapped_column(string_enum(Platform))
    locale: Mapped[str] = mapped_column(String(8))
    app_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: the app's last authenticated call, to the hour (written at most once an hour)
    last_seen_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, default=utcnow, index=True
    )


class Follow(Base):
    """The device wants to hear when this checkpoint's status changes."""

    __tablename__ = "follow"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    checkpoint_id: Mapped[str] = mapped_column(
        ForeignKey("checkpoint.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceTopic(Base):
    """An FCM topic the device's token is subscribed to (or being subscribed to)."""

    __tablename__ = "device_topic"

    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(200), primary_key=True)


class QueueAlert(Base):
    """Tell the device once when the wait drops below a threshold; re-arms with hysteresis."""

    __tablename__ = "queue_alert"
    # with id last: a queue report's alerts are read in id order, in batches
    __table_args__ = (Index("ix_queue_alert_lane", "checkpoint_id", "direction", "lane", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    checkpoint_id: Mapped[str] = mapped_column(ForeignKey("checkpoint.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(string_enum(Direction))
    lane: Mapped[Lane] = mapped_column(string_enum(Lane))
    below_minutes: Mapped[int] = mapped_column(Integer)
    armed: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Broadcast(Base):
    """An editors' message in every locale, to all devices, a country or a checkpoint."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # {"kk": {"title": "...", "body": "..."}, ...}
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    target: Mapped[str] = mapped_column(String(16))  # all | country | checkpoint
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """One thing to send to FCM, written in the same transaction as its cause."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "available_at"),
        Index("ix_outbox_message_lane_due", "status", "lane", "available_at"),
        UniqueConstraint("dedupe_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(string_enum(MessageKind))
    status: Mapped[MessageStatus] = mapped_column(
        string_enum(MessageStatus), default=MessageStatus.PENDING
    )
    # target: a device's token (kept here so an unsubscribe outlives the device) or a topic
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("device.id", ondelete="SET NULL"), nullable=True, index=True
    )
    token: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    #: the device's Firebase installation ID: used instead of the token when set
    fid: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lane: Mapped[int] = mapped_column(SmallInteger, default=OutboxLane.NOTIFY, server_default="0")
    # the FCM message without its target: notification, data, android, apns, webpush
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    fcm_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PushPace(Base):
    """The pace all push workers share when Redis is not configured: per lane, the moment
    (epoch seconds) from which the next request may go."""

    __tablename__ = "push_pace"

    lane: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)
