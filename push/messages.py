"""Notifications rendered in the reader's language, sized for FCM.

Texts come from the gettext catalogs (the same ones the API uses); times and durations
come from CLDR through Babel.

How long a message lives, and what replaces what. FCM keeps at most 4 *collapsible*
messages (4 collapse keys) for a device that is offline, and drops the rest unseen; a
phone out of coverage near the border for an afternoon may follow 6 checkpoints or more.
So the two things are kept apart:

- ``collapse_key`` says what replaces what *on the screen*: the Android notification tag,
  ``apns-collapse-id``, the Web Push ``Topic``. A checkpoint's status is ``cp-<id>``, its
  queue alerts ``queue-<id>``, a planned closure ``plan-<plan>-<id>``.
- ``fcm_collapse_key`` says what FCM may collapse while the device is offline. Status and
  planned-closure messages have none: FCM stores non-collapsible messages (up to 100 per
  device), so each followed checkpoint's closure is delivered when the phone is back, and
  the newest state replaces the older one on screen by its tag. Queue alerts share one
  key, ``queue`` (only the newest matters, and they live an hour), broadcasts another,
  ``broadcast``: a device never holds more than 2 of FCM's 4 collapse keys. Should a
  device ever pass 100 stored messages, FCM drops them and tells the app
  (``onDeletedMessages``), which then reads the statuses from the API.

A status message lives until the checkpoint's next status change, as far as it is known:
until the end of the planned closure that set it, else 12 hours (a newer status replaces
it anyway). Queue alerts live 1 hour; planned-closure announcements until the closure
begins, at most a day.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from content.checkpoints.labels import DIRECTION_LABELS, LANE_LABELS, REASON_LABELS
from content.checkpoints.models import Checkpoint, Direction, Lane, Reason, State
from content.errors import N_
from content.locales import format_clock, format_moment, format_wait, pick, translations

#: an alert older than this is worthless
TTL_SECONDS = 3600
#: a status message lives until the next status change, this long at most
STATUS_TTL_SECONDS = 12 * 3600
#: FCM collapse keys (what FCM may collapse for an offline device); see above
QUEUE_FCM_COLLAPSE_KEY = "queue"
BROADCAST_FCM_COLLAPSE_KEY = "broadcast"
#: FCM's limits on the whole message: 4096 bytes, and 2048 for topic messages
MAX_TOKEN_MESSAGE_BYTES = 4096
MAX_TOPIC_MESSAGE_BYTES = 2048
MAX_BODY_CHARS = 400

_STATE_SENTENCES = {
    State.OPEN: N_("Open since %(time)s."),
    State.CLOSED: N_("Closed since %(time)s."),
    State.RESTRICTED: N_("Working with restrictions since %(time)s."),
}
_REASON_SENTENCE = N_("Reason: %(reason)s.")
#: a status a planned closure or restriction set: when it is planned to end
_UNTIL_SENTENCE = N_("Planned until %(end)s.")
_PLANNED_SENTENCES = {
    State.CLOSED: N_("Closure planned from %(start)s to %(end)s."),
    State.RESTRICTED: N_("Restrictions planned from %(start)s to %(end)s."),
}
_CANCELLED_SENTENCES = {
    State.CLOSED: N_("The closure planned from %(start)s to %(end)s is cancelled."),
    State.RESTRICTED: N_("The restrictions planned from %(start)s to %(end)s are cancelled."),
}
#: an announcement is worth showing for a day, and never after its closure has begun
PLANNED_TTL_SECONDS = 24 * 3600
MIN_TTL_SECONDS = 60
_ALERT_TITLE = N_("%(checkpoint)s: the queue is shorter")
_ALERT_BODY = N_(
    "%(lane)s, %(direction)s: the wait is now %(wait)s, under the %(threshold)s you asked for."
)


@dataclass(frozen=True)
class Notification:
    """What a phone shows, plus data for the app; the target is added when sending."""

    title: str
    body: str
    #: what it replaces on screen (notification tag, apns-collapse-id, Web Push Topic)
    collapse_key: str
    data: dict[str, str] = field(default_factory=dict)
    ttl_seconds: int = TTL_SECONDS
    #: what FCM may collapse for an offline device; None: never collapsed
    fcm_collapse_key: str | None = None

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)


def collapse_key(checkpoint_id: str) -> str:
    """One visible status notification per checkpoint: the newest replaces the older."""
    return f"cp-{checkpoint_id}"[:64]


def queue_collapse_key(checkpoint_id: str) -> str:
    """One visible queue alert per checkpoint, apart from its status notification."""
    return f"queue-{checkpoint_id}"[:64]


def status_ttl_seconds(since: datetime, until: datetime | None, now: datetime | None) -> int:
    """Until the next status change when it is known (a planned closure's end), else 12
    hours; never less than a minute."""
    if until is None:
        return STATUS_TTL_SECONDS
    left = int((until - (now or since)).total_seconds())
    return max(MIN_TTL_SECONDS, min(STATUS_TTL_SECONDS, left))


def checkpoint_name(checkpoint: Checkpoint, locale: str) -> str:
    return pick(checkpoint.names, locale, checkpoint.id)


def status_change(
    checkpoint: Checkpoint,
    *,
    state: State,
    reason: Reason | None,
    since: datetime,
    locale: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> Notification:
    """A checkpoint's new state; `until` when a planned closure or restriction set it.
    It lives until then (the next status change), at most 12 hours."""
    gettext = translations(locale).gettext
    local_time = format_clock(since, checkpoint.timezone, locale)
    body = gettext(_STATE_SENTENCES[state]) % {"time": local_time}
    body += _reason_sentence(reason, locale)
    data = {"type": "status", "checkpoint": checkpoint.id, "state": state.value}
    if until is not None:
        end = format_moment(until, checkpoint.timezone, locale)
        body += " " + gettext(_UNTIL_SENTENCE) % {"end": end}
        data["until"] = until.isoformat()
    return Notification(
        title=checkpoint_name(checkpoint, locale),
        body=_clip(body),
        collapse_key=collapse_key(checkpoint.id),
        data=data,
        ttl_seconds=status_ttl_seconds(since, until, now),
    )


def planned_collapse_key(checkpoint_id: str, planned_id: int) -> str:
    """One visible notification per planned closure: its cancellation replaces its
    announcement, and neither replaces the checkpoint's status notification."""
    return f"plan-{planned_id}-{checkpoint_id}"[:64]


def planned(
    checkpoint: Checkpoint,
    *,
    planned_id: int,
    cancelled: bool,
    state: State,
    reason: Reason | None,
    starts_at: datetime,
    ends_at: datetime,
    locale: str,
    now: datetime,
) -> Notification:
    """A closure or restriction announced ahead, or its cancellation."""
    gettext = translations(locale).gettext
    sentences = _CANCELLED_SENTENCES if cancelled else _PLANNED_SENTENCES
    body = gettext(sentences[state]) % {
        "start": format_moment(starts_at, checkpoint.timezone, locale),
        "end": format_moment(ends_at, checkpoint.timezone, locale),
    }
    if not cancelled:
        body += _reason_sentence(reason, locale)
    until_start = int((starts_at - now).total_seconds())
    return Notification(
        title=checkpoint_name(checkpoint, locale),
        body=_clip(body),
        collapse_key=planned_collapse_key(checkpoint.id, planned_id),
        data={
            "type": "planned",
            "event": "cancelled" if cancelled else "announced",
            "checkpoint": checkpoint.id,
            "planned": str(planned_id),
            "state": state.value,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
        ttl_seconds=max(MIN_TTL_SECONDS, min(PLANNED_TTL_SECONDS, until_start)),
    )


def _reason_sentence(reason: Reason | None, locale: str) -> str:
    """« Reason: bad weather.», or nothing without a reason."""
    if reason is None:
        return ""
    gettext = translations(locale).gettext
    label = gettext(REASON_LABELS[reason])
    # the label stands alone elsewhere ("Bad weather"); mid-sentence it starts lower case
    return " " + gettext(_REASON_SENTENCE) % {"reason": label[:1].lower() + label[1:]}


def queue_alert(
    checkpoint: Checkpoint,
    *,
    direction: Direction,
    lane: Lane,
    wait_minutes: int,
    below_minutes: int,
    locale: str,
) -> Notification:
    gettext = translations(locale).gettext
    body = gettext(_ALERT_BODY) % {
        "lane": gettext(LANE_LABELS[lane]),
        "direction": gettext(DIRECTION_LABELS[direction]).lower(),
        "wait": format_wait(wait_minutes, locale),
        "threshold": format_wait(below_minutes, locale),
    }
    return Notification(
        title=gettext(_ALERT_TITLE) % {"checkpoint": checkpoint_name(checkpoint, locale)},
        body=_clip(body),
        collapse_key=queue_collapse_key(checkpoint.id),
        fcm_collapse_key=QUEUE_FCM_COLLAPSE_KEY,
        data={
            "type": "queue",
            "checkpoint": checkpoint.id,
            "direction": direction.value,
            "lane": lane.value,
            "wait_minutes": str(wait_minutes),
        },
    )


def broadcast(
    title: str, body: str, *, key: str, data: dict[str, str] | None = None
) -> Notification:
    return Notification(
        title=title[:120],
        body=_clip(body),
        collapse_key=key[:64],
        data=dict(data or {}),
        fcm_collapse_key=BROADCAST_FCM_COLLAPSE_KEY,
    )


def _clip(text: str) -> str:
    return text if len(text) <= MAX_BODY_CHARS else text[: MAX_BODY_CHARS - 1] + "…"
