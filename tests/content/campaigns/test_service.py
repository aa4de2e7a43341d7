"""Schedules, completeness and the demo campaigns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign, CampaignStatus
from content.errors import Invalid
from content.seed import loader
from tests import factories

PUBLISHER = Actor("user:1 p@test", Role.PUBLISHER)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _approved(session: Session, slug: str = "scheduled") -> campaigns.Campaign:
    campaign = factories.campaign(session, actor=PUBLISHER, slug=slug)
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="submit")
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="approve")
    return campaign


def test_schedules_publish_and_withdraw_on_time(session: Session) -> None:
    campaign = _approved(session)
    campaigns.schedule(
        session,
        actor=PUBLISHER,
        campaign=campaign,
        publish_at=NOW + timedelta(hours=1),
        unpublish_at=NOW + timedelta(hours=2),
    )
    assert campaigns.apply_schedules(session, now=NOW) == []
    assert campaign.status == CampaignStatus.APPROVED
    assert campaigns.apply_schedules(session, now=NOW + timedelta(hours=1)) == ["publish scheduled"]
    assert campaign.status == CampaignStatus.PUBLISHED
    assert campaigns.public(session, now=NOW + timedelta(minutes=90)) == [campaign]
    assert campaigns.apply_schedules(session, now=NOW + timedelta(hours=2)) == [
        "unpublish scheduled"
    ]
    assert campaigns.public(session, now=NOW + timedelta(hours=3)) == []


def test_start_and_end_limit_what_the_public_sees(session: Session) -> None:
    campaign = _approved(session, "window")
    campaigns.update(
        session,
        actor=PUBLISHER,
        campaign=campaign,
        expected_version=campaign.version,
        fields={"starts_at": NOW, "ends_at": NOW + timedelta(days=1)},
    )
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert campaigns.public(session, now=NOW - timedelta(minutes=1)) == []
    assert campaigns.public(session, now=NOW + timedelta(hours=1)) == [campaign]
    assert campaigns.public(session, now=NOW + timedelta(days=2)) == []


def test_demo_campaigns_are_complete_published_and_labelled(session: Session) -> None:
    assert loader.load_demo_campaigns(session) == 2
    assert loader.load_demo_campaigns(session) == 0
    for campaign in campaigns.list_(session):
        assert campaign.demo
        assert campaign.status == CampaignStatus.PUBLISHED
        assert campaign.sources
        assert all(not gaps for gaps in campaigns.completeness(campaign).values())
        for locale in ("kk", "ru", "uz", "ky", "tg", "tk", "en"):
            localized = campaigns.localize(campaign, locale)
            assert localized is not None
            assert localized.locale == locale


def test_user_create_command(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["user", "create", "new.editor@myborder.test", "--role", "editor"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "new.editor@myborder.test (editor)" in result.output


NOT_HTTPS = [
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://example.org/",
    "https://evil.example@ok.example/",
    "https://user:pw@ok.example/",
    "https:ok.example",
    "https:///ok.example",
    "https://ok.example/ x",
    "https://ok.example\\@evil.example/",
    "HTTPS://ok.example/",
    "//ok.example/",
    "",
]


@pytest.mark.parametrize("url", NOT_HTTPS)
def test_the_service_refuses_a_cta_url_that_is_not_https(session: Session, url: str) -> None:
    """A caller that skips the schemas (CLI, seed, a script) still cannot store one."""
    translations = factories.campaign_translations()
    translations["ru"]["cta_url"] = url
    with pytest.raises(Invalid) as refused:
        campaigns.create(
            session, actor=PUBLISHER, slug="cta", fields={"translations": translations}
        )
    assert [p.path for p in refused.value.problems] == ["translations.ru.cta_url"]
    session.rollback()
    assert session.scalar(select(Campaign).where(Campaign.slug == "cta")) is None


@pytest.mark.parametrize("url", NOT_HTTPS[:5])
def test_the_service_refuses_a_cta_url_on_update_and_restore(session: Session, url: str) -> None:
    campaign = _approved(session, "cta-update")
    session.commit()
    with pytest.raises(Invalid):
        campaigns.update(
            session,
            actor=PUBLISHER,
            campaign=campaign,
            expected_version=campaign.version,
            fields={"translations": {"kk": {"cta_url": url}}},
        )
    session.rollback()
    campaign = campaigns.get_or_raise(session, "cta-update")
    # a revision saved before links were checked is not restored either
    revision = campaigns.revisions(session, campaign)[0]
    snapshot = dict(revision.snapshot)
    snapshot["translations"] = {"kk": {**snapshot["translations"]["kk"], "cta_url": url}}
    revision.snapshot = snapshot
    with pytest.raises(Invalid):
        campaigns.restore(
            session,
            actor=PUBLISHER,
            campaign=campaign,
            number=revision.number,
            expected_version=campaign.version,
        )


@pytest.mark.parametrize(
    "url",
    ["https://ok.example", "https://unodc.org/LSS/Page/NPS", "https://a.b.example:8443/x?y#z"],
)
def test_the_service_keeps_an_https_cta_url(session: Session, url: str) -> None:
    translations = factories.campaign_translations()
    translations["ru"]["cta_url"] = url
    campaign = campaigns.create(
        session, actor=PUBLISHER, slug="cta-ok", fields={"translations": translations}
    )
    assert campaign.translations["ru"].cta_url == url


def _labelled(translations: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The texts with each language's demo label in the summary and the body."""
    return {
        locale: {
            **texts,
            "summary": f"{campaigns.DEMO_LABELS[locale]}. {texts['summary']}",
            "body": f"*{campaigns.DEMO_LABELS[locale]}.*\n\n{texts['body']}",
        }
        for locale, texts in translations.items()
    }


def _approved_demo(session: Session, translations: dict[str, dict[str, str]]) -> Campaign:
    campaign = factories.campaign(
        session, actor=PUBLISHER, slug="demo", demo=True, translations=translations
    )
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="submit")
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="approve")
    return campaign


def test_a_demo_campaign_without_its_label_is_not_published(session: Session) -> None:
    translations = factories.campaign_translations()
    campaign = _approved_demo(session, translations)
    with pytest.raises(Invalid) as refused:
        campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert sorted(p.path for p in refused.value.problems) == sorted(
        f"translations.{locale}" for locale in campaigns.DEMO_LABELS
    )
    assert {p.params["label"] for p in refused.value.problems} == set(
        campaigns.DEMO_LABELS.values()
    )
    assert campaign.status == CampaignStatus.APPROVED

    # labelled in every language but Turkmen: Turkmen alone is named
    labelled = _labelled(translations)
    campaigns.update(
        session,
        actor=PUBLISHER,
        campaign=campaign,
        expected_version=campaign.version,
        fields={"translations": {**labelled, "tk": translations["tk"]}},
    )
    with pytest.raises(Invalid) as refused:
        campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert [p.path for p in refused.value.problems] == ["translations.tk"]

    campaigns.update(
        session,
        actor=PUBLISHER,
        campaign=campaign,
        expected_version=campaign.version,
        fields={"translations": {"tk": labelled["tk"]}},
    )
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert campaign.status == CampaignStatus.PUBLISHED


def test_the_scheduler_leaves_an_unlabelled_demo_campaign_unpublished(session: Session) -> None:
    campaign = _approved_demo(session, factories.campaign_translations())
    campaigns.schedule(
        session, actor=PUBLISHER, campaign=campaign, publish_at=NOW, unpublish_at=None
    )
    assert campaigns.apply_schedules(session, now=NOW + timedelta(minutes=1)) == []
    assert campaign.status == CampaignStatus.APPROVED


def test_a_published_demo_campaign_keeps_its_label(session: Session) -> None:
    translations = _labelled(factories.campaign_translations())
    campaign = _approved_demo(session, translations)
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    with pytest.raises(Invalid) as refused:
        campaigns.update(
            session,
            actor=PUBLISHER,
            campaign=campaign,
            expected_version=campaign.version,
            fields={"translations": {"uz": {"body": "Body in uz."}}},
        )
    assert [p.path for p in refused.value.problems] == ["translations.uz"]


def test_a_campaign_that_is_not_demo_needs_no_label(session: Session) -> None:
    campaign = _approved(session, "official")
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert campaign.status == CampaignStatus.PUBLISHED
    assert len(campaigns.demo_label_missing(campaign)) == len(campaign.translations)


@pytest.mark.parametrize(
    ("texts", "missing"),
    [
        # the label in the title and the body, in any case, with or without emphasis
        (
            {
                "title": "DEMO, RESMI HABAR DÄL: x",
                "summary": "s",
                "body": "**Demo**, resmi habar däl",
            },
            [],
        ),
        # in the summary, across a line break
        (
            {
                "title": "t",
                "summary": "Demo, resmi\nhabar däl.",
                "body": "_Demo, resmi habar däl._",
            },
            [],
        ),
        # only in the body: a list of campaigns shows no label
        ({"title": "t", "summary": "s", "body": "Demo, resmi habar däl."}, ["tk"]),
        # only in the summary: the opened campaign shows none
        ({"title": "t", "summary": "Demo, resmi habar däl.", "body": "b"}, ["tk"]),
        # another language's label does not count
        (
            {
                "title": "Demo, not an official message",
                "summary": "s",
                "body": "Demo, not an official message",
            },
            ["tk"],
        ),
        # the old word for demo ("test") is not the label
        ({"title": "Synag", "summary": "synag", "body": "synag"}, ["tk"]),
    ],
)
def test_demo_label_missing_reads_what_a_reader_sees(
    texts: dict[str, str], missing: list[str]
) -> None:
    assert campaigns.demo_label_missing({"tk": texts}) == missing


def test_demo_label_missing_skips_a_language_with_no_text() -> None:
    assert campaigns.demo_label_missing({"kk": {"title": "", "summary": "", "body": " "}}) == []


def _published(session: Session, slug: str, **fields: object) -> Campaign:
    campaign = factories.campaign(session, actor=PUBLISHER, slug=slug, **fields)
    for action in ("submit", "approve", "publish"):
        campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action=action)
    return campaign


def test_the_next_change_is_the_next_start_or_end_of_a_published_campaign(
    session: Session,
) -> None:
    assert campaigns.next_change(session, NOW) is None
    _published(session, "running", ends_at=NOW + timedelta(hours=3))
    _published(
        session, "coming", starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=5)
    )
    _published(
        session, "ended", starts_at=NOW - timedelta(days=2), ends_at=NOW - timedelta(hours=1)
    )
    draft = factories.campaign(
        session, actor=PUBLISHER, slug="draft", starts_at=NOW + timedelta(hours=1)
    )
    assert draft.status == CampaignStatus.DRAFT  # unpublished: it starts nothing
    assert campaigns.next_change(session, NOW) == NOW + timedelta(hours=2)
    assert campaigns.next_change(session, NOW + timedelta(hours=2)) == NOW + timedelta(hours=3)
    assert campaigns.next_change(session, NOW + timedelta(hours=4)) == NOW + timedelta(hours=5)
    assert campaigns.next_change(session, NOW + timedelta(hours=5)) is None
