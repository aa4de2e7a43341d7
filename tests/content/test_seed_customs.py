"""Seeding customs rules: a rule whose start date does not say how exact it is never loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from content.customs import service as customs
from content.customs.models import CustomsRule
from content.seed import loader

#: a rule as a seed file holds it, without its date's precision
UNDATED_RULE = """
[[rule]]
key = "t-seeded"
countries = ["KZ"]
direction = "entry"
mode = "all"
category = "other"
effective_from = "2019-01-01"
{precision}
[rule.title]
en = "Seeded"
[rule.source]
act = "test data"
url = "https://example.test/seeded"
"""


@pytest.mark.parametrize("precision", ["", 'effective_from_precision = "roughly"'])
def test_the_loader_refuses_a_rule_that_does_not_say_how_exact_its_date_is(
    session: Session, tmp_path: Path, precision: str
) -> None:
    """Review §10: a placeholder date must never be loaded as if it were exact."""
    (tmp_path / "kz.toml").write_text(UNDATED_RULE.format(precision=precision), encoding="utf-8")
    with pytest.raises(loader.SeedError, match="t-seeded.*effective_from_precision"):
        loader.load_customs(session, tmp_path)
    assert customs.in_force(session, country="KZ", on=date(2026, 1, 1)) == []


def test_the_loader_gives_an_already_seeded_rule_its_date_precision(
    session: Session, tmp_path: Path
) -> None:
    """Rules seeded before the column existed are "unknown"; the next seed sets them."""
    (tmp_path / "kz.toml").write_text(
        UNDATED_RULE.format(precision='effective_from_precision = "year"'), encoding="utf-8"
    )
    loader.load_customs(session, tmp_path)
    rule = customs.latest(session, "t-seeded")
    rule.effective_from_precision = "unknown"  # as migration 0009 leaves it
    session.flush()
    assert loader.load_customs(session, tmp_path) == (0, 0)
    assert session.get_one(CustomsRule, rule.id).effective_from_precision == "year"
