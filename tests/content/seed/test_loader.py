"""Reference data is complete and sourced; demo data is labelled and loads once."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.service import SYSTEM
from content.checkpoints.models import (
    Checkpoint,
    CurrentQueue,
    CurrentStatus,
    Direction,
    Kind,
    Lane,
    QueueReport,
)
from content.seed import loader

ENTRIES = loader.read_checkpoints()
LOCALES = {"en", "ru", "kk", "ky", "uz", "tg", "tk"}
# every checkpoint named in shared/reference/README.md
REFERENCE_IDS = {
    "kz-kordai",
    "kg-ak-zhol",
    "kz-sypatai-batyr",
    "kz-baurzhan-konysbaev",
    "uz-yallama",
    "kz-merke",
    "kg-kayindy",
    "kz-kuryk-seaport",
    "kz-zhibek-zholy",
    "tj-pakhtaobod",
    "uz-kudukli",
    "tj-ayvaj",
    "uz-gulbahor",
    "tm-farap",
    "uz-alat",
    "tm-serhetabat",
    "tm-imamnazar",
    "kg-bor-dobo",
    "kg-karamyk",
    "kg-dostuk",
    "kg-manas-airport",
}


def test_every_reference_checkpoint_is_there() -> None:
    assert {entry["id"] for entry in ENTRIES} >= REFERENCE_IDS


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry["id"])
def test_each_checkpoint_is_complete_and_sourced(entry: dict) -> None:
    assert set(entry["name"]) == LOCALES
    assert all(name.strip() for name in entry["name"].values())
    assert entry["source"], "every checkpoint cites a source"
    assert all(source["url"].startswith(("https://", "http://")) for source in entry["source"])
    assert entry["country"] in {"KZ", "KG", "TJ", "TM", "UZ"}
    assert entry["id"].startswith(entry["country"].lower() + "-")
    ZoneInfo(entry["timezone"])
    Kind(entry["kind"])
    for lane in entry["lanes"]:
        Lane(lane)
    for direction in entry["directions"]:
        Direction(direction)
    assert -90 <= entry["lat"] <= 90
    assert -180 <= entry["lon"] <= 180


def test_pairs_point_at_each_other() -> None:
    by_id = {entry["id"]: entry for entry in ENTRIES}
    for entry in ENTRIES:
        if "paired" in entry:
            partner = by_id[entry["paired"]]
            assert partner["paired"] == entry["id"]
            assert partner["country"] == entry.get("neighbor")


def test_loading_twice_changes_nothing(session: Session) -> None:
    count = session.scalar(select(func.count()).select_from(Checkpoint))
    loader.load_checkpoints(session)
    loader.load_checkpoints(session)
    assert session.scalar(select(func.count()).select_from(Checkpoint)) == count == len(ENTRIES)


def test_loading_again_marks_every_checkpoint_changed(session: Session) -> None:
    """A name or opening hours fixed in the file reach phones that sync by cursor, and
    every worker's list entries are rendered again."""
    before = versions.current(session)
    loader.load_checkpoints(session)
    changed = session.scalars(select(Checkpoint.changed_version)).all()
    assert len(changed) == len(ENTRIES)
    assert all(version > before for version in changed)


def test_demo_data_is_labelled_and_loads_once(session: Session) -> None:
    assert not loader.has_demo_data(session)
    # three weeks: the seed writes 16 (loader.DEMO_DAYS), which takes seconds
    statuses, reports = loader.load_demo(session, days=21)
    assert statuses == len(ENTRIES)
    assert reports > 0
    assert loader.has_demo_data(session)
    assert session.scalar(select(func.count()).where(QueueReport.demo.is_(False))) == 0
    assert all(s.demo for s in session.scalars(select(CurrentStatus)))
    assert all(q.demo for q in session.scalars(select(CurrentQueue)))
    road_lanes = {
        (e["id"], d, lane)
        for e in ENTRIES
        if e["kind"] == "road"
        for d in e["directions"]
        for lane in e["lanes"]
    }
    current = {
        (q.checkpoint_id, q.direction.value, q.lane.value)
        for q in session.scalars(select(CurrentQueue))
    }
    assert current == road_lanes
    # 21 days of hourly history for each road lane, less the hours nobody reported
    per_lane = reports / len(road_lanes)
    assert 0.7 * 21 * 24 <= per_lane <= 21 * 24 + 1
    newest = session.scalar(select(func.max(QueueReport.observed_at)))
    oldest = session.scalar(select(func.min(QueueReport.observed_at)))
    assert newest is not None
    assert oldest is not None
    assert timedelta(days=20) < newest - oldest <= timedelta(days=21, hours=1)
    # the current report of each lane is its newest
    for queue in session.scalars(select(CurrentQueue)):
        lane_newest = session.scalar(
            select(func.max(QueueReport.observed_at)).where(
                QueueReport.checkpoint_id == queue.checkpoint_id,
                QueueReport.direction == queue.direction,
                QueueReport.lane == queue.lane,
            )
        )
        assert lane_newest == queue.observed_at


def test_demo_keys_one_agency_per_country(session: Session) -> None:
    keys = loader.issue_demo_keys(session, actor=SYSTEM)
    again = loader.issue_demo_keys(session, actor=SYSTEM)
    assert set(keys) == {"KZ", "KG", "TJ", "TM", "UZ"}
    assert keys["KZ"] != again["KZ"]


BY_ID = {entry["id"]: entry for entry in ENTRIES}


def test_uzbek_names_use_one_apostrophe() -> None:
    """ʻ U+02BB, as the catalogs and the other seed files do (review §9)."""
    for entry in ENTRIES:
        assert not set(entry["name"]["uz"]) & set("'\u2018\u2019`\u02bc"), entry["id"]


def test_kazakh_names_are_not_copied_from_russian() -> None:
    """Kazakh writes ж, not the Russian дж (review §9: «Айвадж», «Тоджварон»)."""
    for entry in ENTRIES:
        assert "дж" not in entry["name"]["kk"].lower(), entry["id"]


def test_turkmen_writes_kazakh_and_kyrgyz_zh_one_way() -> None:
    """Ž, as Turkmen state media write «Kasym-Žomart Tokaýew» and «Sadyr Žaparow»."""
    for entry in ENTRIES:
        if entry["country"] in {"KZ", "KG"}:
            assert "j" not in entry["name"]["tk"].lower(), entry["id"]


def test_names_the_review_corrected() -> None:
    assert BY_ID["kg-kayindy"]["name"]["ru"] == "Каинды"
    assert BY_ID["tj-pakhtaobod"]["name"]["ru"] == "Пахтаобод"
    assert BY_ID["kz-kordai"]["name"]["uz"] == "Qorday"
    assert BY_ID["tj-ayvaj"]["name"]["kk"] == "Айваж"
    assert BY_ID["tj-tojvaron"]["name"]["kk"] == "Тожварон"
    # both transliterated from their own language, not one translated
    assert (BY_ID["kg-dostuk"]["name"]["tk"], BY_ID["uz-dustlik"]["name"]["tk"]) == (
        "Dostuk",
        "Dostlik",
    )


def test_only_unconfirmed_names_are_flagged() -> None:
    unverified = {e["id"] for e in ENTRIES if not e.get("name_verified", True)}
    assert unverified == {"tj-tojvaron"}


def test_hours_known_is_loaded(session: Session) -> None:
    for entry in ENTRIES:
        checkpoint = session.get_one(Checkpoint, entry["id"])
        assert checkpoint.hours_known is entry["hours_known"], entry["id"]
        assert checkpoint.location_accuracy_m == entry["accuracy_m"]
        assert checkpoint.name_verified is entry.get("name_verified", True)
