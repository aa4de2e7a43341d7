"""The seed's e-queue facts: cited, https, and left alone once someone else set them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.service import Actor
from content.checkpoints import equeue
from content.checkpoints.models import EqueueDirection, EqueueFact, Lane
from content.seed import loader
from content.sources import check_source_url

KORDAI_TRUCKS = ("kz-kordai", EqueueDirection.UNSTATED, Lane.TRUCK)


def test_the_seed_makes_kordai_trucks_book_in_cargoruqsat_citing_its_source(
    session: Session,
) -> None:
    fact = session.get(EqueueFact, ("kz-kordai", EqueueDirection.UNSTATED, Lane.TRUCK))
    assert fact is not None
    assert (fact.required, fact.system, fact.booking_url) == (
        True,
        "CarGoRuqsat",
        "https://cgr.qoldau.kz/",
    )
    assert fact.updated_by == "system:seed"
    urls = [source["url"] for source in fact.sources]
    assert any(url.startswith("https://sputnik.kg/") for url in urls)
    assert all(check_source_url(url) is None for url in [*urls, fact.booking_url])
    # no other seeded checkpoint has one: no source found showed them on an e-queue
    assert session.scalars(select(EqueueFact.checkpoint_id)).all() == ["kz-kordai"]


def test_a_reseed_leaves_a_fact_an_admin_set_and_restores_its_own(session: Session) -> None:
    entries = loader.read_checkpoints()
    admin = Actor("user:1 admin@test")
    equeue.set_(
        session,
        actor=admin,
        poster=None,
        checkpoint_id="kz-kordai",
        facts=[equeue.EqueueInput(None, Lane.TRUCK, required=False, system="Other")],
    )
    assert loader.load_equeues(session, entries) == 0
    fact = session.get(EqueueFact, KORDAI_TRUCKS)
    assert fact is not None
    assert (fact.required, fact.system) == (False, "Other")
    # once the seed's own fact is back, a reseed writes nothing new
    equeue.remove(session, actor=admin, checkpoint_id="kz-kordai", direction=None, lane=Lane.TRUCK)
    assert loader.load_equeues(session, entries) == 1
    assert loader.load_equeues(session, entries) == 0
    restored = session.get(EqueueFact, KORDAI_TRUCKS)
    assert restored is not None
    assert restored.updated_by == "system:seed"
