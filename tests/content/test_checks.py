"""`flask content check` passes on the seed data and fails on content broken in each way
the December 2026 content review found."""

from __future__ import annotations

import copy
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from content import checks
from content.checkpoints.models import Checkpoint
from content.seed import loader


@pytest.fixture(scope="module")
def clean() -> checks.Facts:
    return checks.seed_facts()


def _new_problems(facts: checks.Facts, clean: checks.Facts) -> set[tuple[str, str]]:
    before = {(p.check, p.where) for p in checks.run(clean)}
    return {(p.check, p.where) for p in checks.run(facts)} - before


def _checkpoint(facts: checks.Facts, checkpoint_id: str) -> dict:
    return next(c for c in facts.checkpoints if c["id"] == checkpoint_id)


def _rule(facts: checks.Facts, key: str) -> dict:
    return next(r for r in facts.rules if r["key"] == key)


def _tm_cash_announce(f: checks.Facts) -> None:
    _rule(f, "tm-cash-entry")["title"]["tk"] = "Nagt puly getirmek: ählisini yglan etmeli"


def _latin_in_tajik(f: checks.Facts) -> None:
    _checkpoint(f, "kz-kordai")["name"]["tg"] = "Kordai"


def _mirror_source(f: checks.Facts) -> None:
    _checkpoint(f, "kz-kordai")["source"][0]["url"] = "https://perceptiode.com/Korday"


def _no_precision(f: checks.Facts) -> None:
    del _rule(f, "tm-cash-entry")["effective_from_precision"]


def _partner_far_away(f: checks.Facts) -> None:
    kordai = _checkpoint(f, "kz-kordai")
    kordai["lat"] += 0.5  # about 55 km north of Ak-Zhol
    kordai["accuracy_m"] = 1000


def _hours_unstated(f: checks.Facts) -> None:
    del _checkpoint(f, "kz-kordai")["hours_known"]


def _demo_unlabelled(f: checks.Facts) -> None:
    campaign = next(c for c in f.campaigns if c.get("demo"))
    ru = campaign["translations"]["ru"]
    label = "демо"
    for field in ("title", "summary", "body"):
        words = [w for w in ru[field].split(" ") if label not in w.casefold()]
        ru[field] = " ".join(words)


def _uzbek_quote_mark(f: checks.Facts) -> None:
    _checkpoint(f, "uz-dustlik")["name"]["uz"] = "Do‘stlik"


def _foreign_letter_in_uzbek(f: checks.Facts) -> None:
    """Fine in Uzbek Latin, but «é» has no Cyrillic letter: uz-Cyrl would read «Кафé»."""
    _checkpoint(f, "uz-dustlik")["name"]["uz"] = "Doʻstlik Café"


def _tajik_letter_in_kazakh(f: checks.Facts) -> None:
    """Cyrillic Kazakh has no «ӯ»: kk-Latn would keep it."""
    _checkpoint(f, "kz-kordai")["name"]["kk"] = "Қордӯй"


def _turkmen_missing(f: checks.Facts) -> None:
    del _checkpoint(f, "kz-kordai")["name"]["tk"]


BREAKAGES: dict[str, tuple[Callable[[checks.Facts], None], tuple[str, str]]] = {
    "announce-for-declare": (_tm_cash_announce, ("glossary", "seed: rule tm-cash-entry title")),
    "latin-in-cyrillic": (_latin_in_tajik, ("script", "seed: checkpoint kz-kordai name")),
    "mirror-source": (_mirror_source, ("source", "seed: checkpoint kz-kordai source 1")),
    "no-date-precision": (_no_precision, ("date_precision", "seed: rule tm-cash-entry")),
    "partner-too-far": (_partner_far_away, ("partner_distance", "seed: checkpoint kz-kordai")),
    "hours-unstated": (_hours_unstated, ("hours", "seed: checkpoint kz-kordai")),
    "demo-unlabelled": (_demo_unlabelled, ("demo_label", "seed: campaign")),
    "uzbek-quote-mark": (_uzbek_quote_mark, ("script", "seed: checkpoint uz-dustlik name")),
    "language-missing": (_turkmen_missing, ("languages", "seed: checkpoint kz-kordai name")),
    "not-in-uz-cyrl": (_foreign_letter_in_uzbek, ("script", "seed: checkpoint uz-dustlik name")),
    "not-in-kk-latn": (_tajik_letter_in_kazakh, ("script", "seed: checkpoint kz-kordai name")),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_the_check_finds_content_broken_in_each_way(clean: checks.Facts, name: str) -> None:
    breakage, (check, where) = BREAKAGES[name]
    broken = copy.deepcopy(clean)
    breakage(broken)
    found = _new_problems(broken, clean)
    assert any(c == check and w.startswith(where) for c, w in found), found


def test_the_seed_data_and_catalogs_pass(clean: checks.Facts) -> None:
    problems = checks.run(clean, catalogs=True)
    assert problems == []


def test_the_command_reads_a_seed_directory_and_exits_non_zero(app: Flask, tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    shutil.copytree(loader.SEED_DIR, seed, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    rules = seed / "customs" / "tm.toml"
    text = rules.read_text()
    assert 'effective_from_precision = "unknown"' in text
    rules.write_text(text.replace('effective_from_precision = "unknown"', "", 1))
    result = app.test_cli_runner().invoke(
        args=["content", "check", "--seed-dir", str(seed), "--no-database"]
    )
    assert result.exit_code == 1
    assert "date_precision" in result.output


def test_the_command_checks_the_database(app: Flask, session: Session) -> None:
    loader.load_checkpoints(session)
    session.commit()
    runner = app.test_cli_runner()
    kordai = session.scalars(select(Checkpoint).where(Checkpoint.id == "kz-kordai")).one()
    kordai.names = {**kordai.names, "kk": "Qorday"}  # typed into the console in Latin
    session.commit()
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "database: checkpoint kz-kordai name" in result.output
    assert "kk: Latin «Qorday»" in result.output


@pytest.mark.parametrize("made", [False, True], ids=["no-file", "not-migrated"])
def test_the_command_checks_the_files_when_there_is_no_database_yet(
    tmp_path: Path, made: bool
) -> None:
    """A fresh checkout: `flask content check` before `make seed` gave a traceback."""
    path = tmp_path / "instance" / "myborder.db"
    if made:
        path.parent.mkdir()
        sqlite3.connect(path).close()
    app = create_app({"database_url": f"sqlite:///{path}"})
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "checked the seed files and catalogs only" in result.output
    assert "content check: no problems" in result.output
    assert path.exists() == made  # nothing made on the way
    app.extensions["db"].engine.dispose()


def test_a_database_that_does_not_answer_is_an_error_not_a_skip() -> None:
    app = create_app({"database_url": "postgresql://postgres@127.0.0.1:1/none"})
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert "the database does not answer" in result.output
    assert "Traceback" not in result.output
    app.extensions["db"].engine.dispose()
