"""Substance search matches Uzbek names whatever apostrophe is typed (review §9)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from content.customs import service as customs

# «koʻknori» (poppy straw): the Uzbek name as the seed writes it, with ʻ U+02BB
UZ_NAME = "ko\u02bbknori"


@pytest.fixture
def poppy(session: Session) -> None:
    customs.upsert_substance(
        session, actor=None, key="zz-poppy-straw", names={"uz": [UZ_NAME]}, rules=[]
    )


@pytest.mark.parametrize(
    "query",
    ["ko'knori", "ko\u2018knori", "ko\u2019knori", "ko\u02bcknori", "ko\u02bbknori", "KO`KNORI"],
    ids=["ascii", "left-quote", "right-quote", "modifier-apostrophe", "turned-comma", "grave"],
)
@pytest.mark.usefixtures("poppy")
def test_any_apostrophe_finds_the_uzbek_name(session: Session, query: str) -> None:
    assert [s.key for s in customs.search_substances(session, query)] == ["zz-poppy-straw"]


def test_names_stored_with_another_apostrophe_are_found(session: Session) -> None:
    substance = customs.upsert_substance(
        session, actor=None, key="zz-poppy-straw", names={"uz": [UZ_NAME]}, rules=[]
    )
    substance.search_text = "ko\u2018knori|zz-poppy-straw"  # as written before the fold
    session.flush()
    assert [s.key for s in customs.search_substances(session, "ko\u02bbknori")] == [
        "zz-poppy-straw"
    ]
