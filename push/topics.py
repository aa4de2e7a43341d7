"""FCM topic names, and keeping each device's subscriptions in step with what it follows.

Why topics: a status change at a busy checkpoint must reach every follower at once, in
each follower's language. With a topic per (checkpoint, locale) that is one FCM request
per language, whatever the number of followers, and FCM does the fan-out. Queue alerts
are personal (each device has its own threshold), so they go per device.

Topics: ``all.<locale>``, ``country.<CC>.<locale>`` (devices following any checkpoint of
that country) and ``cp.<checkpoint>.<locale>``. Subscriptions are changed by the push
worker (outbox rows), never inside a web request.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from content.checkpoints.models import Checkpoint
from push.models import Device, DeviceTopic, Follow, MessageKind, OutboxLane, OutboxMessage

TOPIC_PATTERN = re.compile(r"^[a-zA-Z0-9\-_.~%]+$")


def _checked(topic: str) -> str:
    if not TOPIC_PATTERN.match(topic):
        raise ValueError(f"not a valid FCM topic name: {topic!r}")
    return topic


def all_topic(locale: str) -> str:
    return _checked(f"all.{locale}")


def country_topic(country: str, locale: str) -> str:
    return _checked(f"country.{country.upper()}.{locale}")


def checkpoint_topic(checkpoint_id: str, locale: str) -> str:
    return _checked(f"cp.{checkpoint_id}.{locale}")


def desired_topics(session: Session, device: Device) -> set[str]:
    rows = session.execute(
        select(Follow.checkpoint_id, Checkpoint.country)
        .join(Checkpoint, Checkpoint.id == Follow.checkpoint_id)
        .where(Follow.device_id == device.id)
    )
    topics = {all_topic(device.locale)}
    for checkpoint_id, country in rows:
        topics.add(checkpoint_topic(checkpoint_id, device.locale))
        topics.add(country_topic(country, device.locale))
    return topics


def sync(session: Session, device: Device, *, previous_token: str | None = None) -> None:
    """Queue the subscribe/unsubscribe calls that bring the device's topics in step.

    With ``previous_token`` (the token changed), the old token leaves every topic and
    the new one joins them all.
    """
    current = set(
        session.scalars(select(DeviceTopic.topic).where(DeviceTopic.device_id == device.id))
    )
    # topic subscriptions need an FCM token: a device with only an installation ID has none
    wanted = desired_topics(session, device) if device.token else set()
    if previous_token is not None and previous_token != device.token:
        for topic in sorted(current):
            _enqueue(session, MessageKind.TOPIC_UNSUBSCRIBE, previous_token, topic, None)
        current_for_token: set[str] = set()
    else:
        current_for_token = current
    for topic in sorted(wanted - current_for_token):
        _enqueue(session, MessageKind.TOPIC_SUBSCRIBE, device.token, topic, device.id)
    for topic in sorted(current_for_token - wanted):
        _enqueue(session, MessageKind.TOPIC_UNSUBSCRIBE, device.token, topic, device.id)
    for topic in current - wanted:
        session.execute(
            delete(DeviceTopic).where(
                DeviceTopic.device_id == device.id, DeviceTopic.topic == topic
            )
        )
    session.add_all(DeviceTopic(device_id=device.id, topic=topic) for topic in wanted - current)
    session.flush()


def leave_all(session: Session, device: Device) -> None:
    """Queue unsubscribes for every topic of a device that is about to be deleted."""
    for topic in session.scalars(
        select(DeviceTopic.topic)
        .where(DeviceTopic.device_id == device.id)
        .order_by(DeviceTopic.topic)
    ):
        _enqueue(session, MessageKind.TOPIC_UNSUBSCRIBE, device.token, topic, None)


def _enqueue(
    session: Session, kind: MessageKind, token: str | None, topic: str, device_id: int | None
) -> None:
    if token is None:
        return
    session.add(
        OutboxMessage(
            kind=kind, token=token, topic=topic, device_id=device_id, lane=OutboxLane.TOPICS
        )
    )
