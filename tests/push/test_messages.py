"""Push texts read as one sentence in every language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from content.checkpoints.models import Reason, State
from push import messages
from tests import factories


def _closure(locale: str) -> str:
    checkpoint = factories.checkpoint(id="kz-kordai", names={"en": "Kordai"})
    notification = messages.status_change(
        checkpoint,
        state=State.CLOSED,
        reason=Reason.WEATHER,
        since=datetime(2026, 12, 2, 6, 30, tzinfo=UTC),
        locale=locale,
    )
    return notification.body


@pytest.mark.parametrize(
    ("locale", "reason"),
    [
        ("en", "Reason: bad weather."),
        ("ru", "Причина: неблагоприятные погодные условия."),
        ("kk", "Себебі: қолайсыз ауа райы."),
    ],
)
def test_the_reason_label_is_lower_case_after_the_colon(locale: str, reason: str) -> None:
    """Review 2026-12 §11: «Причина: Неблагоприятные…» had a capital after the colon."""
    assert _closure(locale).endswith(" " + reason)
