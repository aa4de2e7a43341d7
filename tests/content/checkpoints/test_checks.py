"""The checkpoint data checks pass on the seed and catch what the content review found."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from content.checkpoints import checks
from content.checkpoints.service import distance_km
from content.seed import loader

ENTRIES = loader.read_checkpoints()
BY_ID = {entry["id"]: entry for entry in ENTRIES}


def test_partners_lie_within_their_accuracy_radii_in_the_seed() -> None:
    assert checks.partner_distance_problems(checks.placements_from_seed(ENTRIES)) == []


def test_partners_lie_within_their_accuracy_radii_in_the_database(session: Session) -> None:
    assert checks.partner_distance_problems(checks.placements_from_db(session)) == []


def test_two_town_centres_with_small_radii_are_a_problem() -> None:
    """Farap and Alat are town centres 32 km apart: a 3 km radius on each claims too much."""
    placements = [
        dataclasses.replace(p, accuracy_m=3000) if p.id in {"tm-farap", "uz-alat"} else p
        for p in checks.placements_from_seed(ENTRIES)
    ]
    problems = checks.partner_distance_problems(placements)
    assert [p.checkpoint_id for p in problems] in (["tm-farap"], ["uz-alat"])
    assert "32." in problems[0].message


def test_every_radius_is_set_and_town_centres_are_not_precise() -> None:
    assert all(isinstance(e["accuracy_m"], int) and e["accuracy_m"] > 0 for e in ENTRIES)
    # the review's 30 km points: town centres and "very approximate" estimates
    for checkpoint_id in ("tm-farap", "uz-alat", "kz-merke", "uz-yallama", "kg-karamyk"):
        assert BY_ID[checkpoint_id]["accuracy_m"] >= 15_000, checkpoint_id


def test_bor_dobo_is_no_longer_on_the_tajik_post() -> None:
    bor_dobo, kyzyl_art = BY_ID["kg-bor-dobo"], BY_ID["tj-kyzyl-art"]
    apart = distance_km(bor_dobo["lat"], bor_dobo["lon"], kyzyl_art["lat"], kyzyl_art["lon"])
    # the source puts the Kyrgyz post 8-25 km by road north of the pass
    assert 8 <= apart <= 25
    assert bor_dobo["lat"] > kyzyl_art["lat"]
    # its circle reaches from near the pass to 25 km out, so it claims no more than that
    assert apart + bor_dobo["accuracy_m"] / 1000 >= 25
    assert apart - bor_dobo["accuracy_m"] / 1000 <= 8


def test_hours_are_stated_or_marked_unknown() -> None:
    assert checks.hours_problems(ENTRIES) == []
    broken = [
        {"id": "a", "always_open": False},
        {"id": "b", "hours_known": True, "always_open": False},
        {"id": "c", "hours_known": False, "always_open": True},
    ]
    assert [p.checkpoint_id for p in checks.hours_problems(broken)] == ["a", "b", "c"]
