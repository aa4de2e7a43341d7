"""Seeding customs rules: a rule whose start date does not say how exact it is never loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from content.accounts import service as accounts
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
    assert loader.load_customs(session, tmp_path) == loader.CustomsLoad()
    assert session.get_one(CustomsRule, rule.id).effective_from_precision == "year"


#: two rules and a substance as a seed file holds them
FILE = """
[[rule]]
key = "t-cash"
countries = ["KZ"]
direction = "entry"
mode = "all"
category = "cash"
limit_value = {cash_limit}
limit_currency = "USD"
effective_from = "2019-01-01"
effective_from_precision = "day"
[rule.title]
en = "Cash"
[rule.source]
act = "test data"
url = "https://example.test/cash"
{second_rule}
[[substance]]
key = "t-tramadol"
names = {{ en = ["tramadol"] }}
[[substance.rule]]
country = "KZ"
action = "{tramadol_action}"
source = {{ url = "https://example.test/tramadol" }}
"""

SECOND_RULE = """
[[rule]]
key = "t-alcohol"
countries = ["KZ"]
direction = "entry"
mode = "all"
category = "alcohol"
limit_quantity = 3
limit_unit = "l"
effective_from = "2019-01-01"
effective_from_precision = "day"
[rule.title]
en = "Alcohol"
[rule.source]
act = "test data"
url = "https://example.test/alcohol"
"""


def _write(
    path: Path, *, cash_limit: int = 10000, with_alcohol: bool = True, action: str = "declare"
) -> None:
    (path / "kz.toml").write_text(
        FILE.format(
            cash_limit=cash_limit,
            second_rule=SECOND_RULE if with_alcohol else "",
            tramadol_action=action,
        ),
        encoding="utf-8",
    )


def _keys_in_force(session: Session) -> list[str]:
    return sorted(r.key for r in customs.in_force(session, country="KZ", on=date(2026, 1, 1)))


def test_a_database_seeded_earlier_follows_the_files(session: Session, tmp_path: Path) -> None:
    """Review §2, §3, §10: rules were corrected, split and removed in the files; a
    database seeded before must not keep serving the old ones."""
    _write(tmp_path)
    assert loader.load_customs(session, tmp_path) == loader.CustomsLoad(added=2, substances_added=1)
    assert loader.load_customs(session, tmp_path) == loader.CustomsLoad()  # nothing changed

    _write(tmp_path, cash_limit=5000, with_alcohol=False, action="permit")
    assert loader.load_customs(session, tmp_path) == loader.CustomsLoad(
        revised=1, withdrawn=1, substances_replaced=1
    )
    assert _keys_in_force(session) == ["t-cash"]
    cash = customs.latest(session, "t-cash")
    assert (cash.version, cash.limit_value) == (2, 5000)
    assert [r.version for r in customs.rule_versions(session, cash)] == [1, 2]  # the old stays
    substance = customs.search_substances(session, "tramadol")[0]
    assert [r.action for r in substance.rules] == ["permit"]
    actions = [
        (e.actor, e.action, e.object_id)
        for e in accounts.audit_log(session)
        if e.object_type in ("customs_rule", "substance")
    ]
    assert ("system:seed", "revise", "t-cash") in actions
    assert ("system:seed", "withdraw", "t-alcohol") in actions
    assert ("system:seed", "upsert", "t-tramadol") in actions
    assert loader.load_customs(session, tmp_path) == loader.CustomsLoad()


def test_what_an_editor_changed_since_the_seed_is_left_alone(
    session: Session, tmp_path: Path
) -> None:
    _write(tmp_path)
    loader.load_customs(session, tmp_path)
    editor = accounts.Actor("user:1 editor@example.test")
    cash = customs.latest(session, "t-cash")
    customs.revise_rule(
        session, actor=editor, key="t-cash", expected_version=cash.version,
        fields={"limit_value": 7000},
    )  # fmt: skip
    customs.upsert_substance(
        session, actor=editor, key="t-tramadol", names={"en": ["tramadol"]},
        rules=[{"country": "KZ", "action": "prohibited", "source": {"url": "https://e.test"}}],
    )  # fmt: skip
    _write(tmp_path, cash_limit=5000, with_alcohol=False, action="permit")
    assert loader.load_customs(session, tmp_path) == loader.CustomsLoad(withdrawn=1, kept_edited=2)
    assert customs.latest(session, "t-cash").limit_value == 7000
    rules = customs.search_substances(session, "tramadol")[0].rules
    assert [r.action for r in rules] == ["prohibited"]


def test_seeding_the_real_files_twice_changes_nothing(session: Session) -> None:
    first = loader.load_customs(session)
    assert first.added > 50
    assert first.substances_added >= 10
    assert loader.load_customs(session) == loader.CustomsLoad()
