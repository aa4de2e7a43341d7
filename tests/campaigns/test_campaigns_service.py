"""Schedules, completeness and the demo campaigns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.campaigns.models import CampaignStatus
from content.seed import loader
from tests.campaigns.conftest import full_translations

PUBLISHER = Actor("user:1 p@test", Role.PUBLISHER)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _approved(session: Session, slug: str = "scheduled") -> campaigns.Campaign:
    campaign = campaigns.create(
        session, actor=PUBLISHER, slug=slug, fields={"translations": full_translations()}
    )
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
