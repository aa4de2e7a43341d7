"""Translation status: drafts on save, outdated on a reference change (not on a minor edit),
confirm and review, publishing refused, readers served the fallback, the word diff."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign, CampaignStatus
from content.customs import service as customs
from content.customs.models import CustomsRule
from content.errors import Conflict, Forbidden, Invalid
from content.locales import has_latin
from content.translations import service as translations
from content.translations.models import TranslationState, TranslationStatus
from content.versions import current
from tests import factories

EDITOR = Actor("user:1 e@test", Role.EDITOR)
OTHER_EDITOR = Actor("user:2 f@test", Role.EDITOR)
PUBLISHER = Actor("user:3 p@test", Role.PUBLISHER)
DRAFT, OUTDATED = TranslationStatus.DRAFT, TranslationStatus.OUTDATED
UP_TO_DATE, REVIEWED = TranslationStatus.UP_TO_DATE, TranslationStatus.REVIEWED
MISSING = TranslationStatus.MISSING


def _campaign(session: Session) -> Campaign:
    return factories.campaign(session, actor=EDITOR, slug="status-test")


def _update(
    session: Session, campaign: Campaign, translations_: dict, *, minor: bool = False
) -> None:
    fields: dict = {"translations": translations_}
    if minor:
        fields["minor_edit"] = True
    campaigns.update(
        session, actor=EDITOR, campaign=campaign, expected_version=campaign.version, fields=fields
    )


def _field(session: Session, item: Campaign | CustomsRule, locale: str, field: str):
    return translations.statuses(session, item)[locale].fields[field]


def test_a_new_campaign_is_a_draft_in_every_language_with_ru_its_reference(
    session: Session,
) -> None:
    campaign = _campaign(session)
    states = translations.statuses(session, campaign)
    assert campaign.reference_locale == "ru"
    assert states["ru"].is_reference
    assert not states["tg"].is_reference
    assert {locale: s.status for locale, s in states.items()} == dict.fromkeys(
        translations.TRACKED_LOCALES, DRAFT
    )
    # image_alt is there in every language; a button label nowhere: it does not apply
    assert set(states["tg"].fields) == {"title", "summary", "body", "image_alt"}
    assert states["tg"].fields["title"].confirmed_reference == "Title ru"


def test_changing_the_reference_outdates_that_field_in_every_other_language(
    session: Session,
) -> None:
    campaign = _campaign(session)
    _update(session, campaign, {"ru": {"body": "Штраф 100 000 тенге."}})
    states = translations.statuses(session, campaign)
    for locale in ("en", "kk", "ky", "uz", "tg", "tk"):
        assert states[locale].fields["body"].status == OUTDATED
        assert states[locale].fields["title"].status == DRAFT
        assert states[locale].status == OUTDATED
        assert states[locale].outdated_fields() == ["body"]
    assert states["ru"].status == DRAFT  # the reference itself is never outdated
    body = states["tg"].fields["body"]
    assert body.confirmed_reference == "Body in **ru**."
    assert body.reference_diff() == [
        ("del", "Body in **ru**."),
        ("ins", "Штраф 100 000 тенге."),
    ]


def test_a_translation_written_in_the_same_save_is_a_draft_not_outdated(
    session: Session,
) -> None:
    campaign = _campaign(session)
    _update(session, campaign, {"ru": {"title": "Новый"}, "tg": {"title": "Нав"}})
    assert _field(session, campaign, "tg", "title").status == DRAFT
    assert _field(session, campaign, "tg", "title").confirmed_reference == "Новый"
    assert _field(session, campaign, "kk", "title").status == OUTDATED


def test_an_unchanged_text_changes_no_status(session: Session) -> None:
    campaign = _campaign(session)
    translations.confirm(session, campaign, "tg", actor=EDITOR)
    _update(session, campaign, {"tg": {"title": "Title tg"}, "ru": {"title": "Title ru"}})
    assert translations.statuses(session, campaign)["tg"].status == UP_TO_DATE


def test_a_reference_written_after_a_translation_does_not_outdate_it(
    session: Session,
) -> None:
    campaign = campaigns.create(
        session,
        actor=EDITOR,
        slug="kazakh-first",
        fields={
            "translations": {"kk": {"title": "Тақырып", "summary": "Қысқаша", "body": "Мәтін"}}
        },
    )
    _update(session, campaign, {"ru": {"title": "Заголовок", "summary": "Кратко", "body": "Текст"}})
    title = _field(session, campaign, "kk", "title")
    assert (title.status, title.confirmed_reference) == (DRAFT, "Заголовок")
    _update(session, campaign, {"ru": {"title": "Новый заголовок"}})
    title = _field(session, campaign, "kk", "title")
    assert title.status == OUTDATED
    assert title.reference_diff() == [("del", "Заголовок"), ("ins", "Новый заголовок")]


def test_a_minor_edit_keeps_statuses_and_moves_what_they_were_confirmed_against(
    session: Session,
) -> None:
    campaign = _campaign(session)
    translations.confirm(session, campaign, "tg", actor=EDITOR)
    _update(session, campaign, {"ru": {"title": "Title ru."}}, minor=True)
    tg = _field(session, campaign, "tg", "title")
    assert (tg.status, tg.confirmed_reference) == (UP_TO_DATE, "Title ru.")
    assert _field(session, campaign, "kk", "title").status == DRAFT
    # a later real change diffs from the minor edit on
    _update(session, campaign, {"ru": {"title": "Title ru changed."}})
    tg = _field(session, campaign, "tg", "title")
    assert tg.status == OUTDATED
    assert tg.reference_diff() == [("equal", "Title ru"), ("ins", " changed"), ("equal", ".")]


def test_confirming_makes_a_language_up_to_date_against_the_current_reference(
    session: Session,
) -> None:
    campaign = _campaign(session)
    _update(session, campaign, {"ru": {"summary": "Новое"}})
    assert translations.confirm(session, campaign, "tg", actor=EDITOR) == [
        "title",
        "summary",
        "body",
        "image_alt",
    ]
    states = translations.statuses(session, campaign)
    assert states["tg"].status == UP_TO_DATE
    assert states["tg"].fields["summary"].confirmed_reference == "Новое"
    assert states["kk"].status == OUTDATED  # one language at a time
    # a confirmed translation edited again is a draft
    _update(session, campaign, {"tg": {"summary": "Нав"}})
    assert _field(session, campaign, "tg", "summary").status == DRAFT
    assert _field(session, campaign, "tg", "title").status == UP_TO_DATE


def test_the_reference_and_an_empty_language_cannot_be_confirmed(session: Session) -> None:
    campaign = _campaign(session)
    with pytest.raises(Conflict):
        translations.confirm(session, campaign, "ru", actor=EDITOR)
    _update(
        session,
        campaign,
        {"tk": {"title": "", "summary": "", "body": "", "image_alt": ""}},
    )
    assert translations.statuses(session, campaign)["tk"].status == MISSING
    with pytest.raises(Conflict):
        translations.confirm(session, campaign, "tk", actor=EDITOR)
    rows = session.scalars(
        select(TranslationState).where(
            TranslationState.item_key == campaign.slug, TranslationState.locale == "tk"
        )
    )
    assert list(rows) == []  # an emptied field keeps no status


def test_review_needs_a_publisher_or_another_editor(session: Session) -> None:
    campaign = _campaign(session)
    _update(session, campaign, {"ru": {"title": "Новый"}})
    with pytest.raises(Forbidden):
        translations.review(session, campaign, "kk", actor=EDITOR)  # the last writer
    translations.review(session, campaign, "kk", actor=OTHER_EDITOR)
    translations.review(session, campaign, "ru", actor=PUBLISHER)
    states = translations.statuses(session, campaign)
    assert states["kk"].status == REVIEWED
    assert states["kk"].fields["title"].confirmed_reference == "Новый"
    assert states["ru"].status == REVIEWED
    translations.confirm(session, campaign, "tg", actor=OTHER_EDITOR)
    with pytest.raises(Forbidden):
        translations.review(session, campaign, "tg", actor=OTHER_EDITOR)  # confirmed it


def test_a_missing_required_field_makes_the_language_missing(session: Session) -> None:
    campaign = _campaign(session)
    _update(session, campaign, {"tk": {"body": ""}})
    states = translations.statuses(session, campaign)
    assert states["tk"].status == MISSING
    assert states["tk"].fields["body"].status == MISSING


def test_a_new_reference_language_outdates_nothing(session: Session) -> None:
    campaign = _campaign(session)
    translations.review(session, campaign, "en", actor=PUBLISHER)
    campaigns.update(
        session,
        actor=EDITOR,
        campaign=campaign,
        expected_version=campaign.version,
        fields={"reference_locale": "en", "translations": {"en": {"title": "New title"}}},
    )
    states = translations.statuses(session, campaign)
    assert states["en"].is_reference
    # its text changed in the same save is a draft again; the rest stays reviewed
    assert states["en"].fields["title"].status == DRAFT
    assert states["en"].fields["summary"].status == REVIEWED
    assert states["en"].fields["summary"].confirmed_reference is None
    assert states["ru"].status == DRAFT
    assert states["tg"].fields["title"].confirmed_reference == "New title"
    with pytest.raises(Invalid):
        campaigns.update(
            session,
            actor=EDITOR,
            campaign=campaign,
            expected_version=campaign.version,
            fields={"reference_locale": "fr"},
        )


def test_mark_written_makes_a_draft_and_outdates_from_the_reference(session: Session) -> None:
    campaign = _campaign(session)
    translations.confirm(session, campaign, "tg", actor=EDITOR)
    campaign.translations["tg"].title = "Нав"  # written by some other path: an import
    translations.mark_written(session, campaign, "tg", ["title"], actor=EDITOR)
    assert _field(session, campaign, "tg", "title").status == DRAFT
    assert _field(session, campaign, "tg", "body").status == UP_TO_DATE
    campaign.translations["ru"].body = "Новый текст"
    translations.mark_written(session, campaign, "ru", ["body"], actor=EDITOR)
    assert _field(session, campaign, "tg", "body").status == OUTDATED
    assert _field(session, campaign, "ru", "body").status == DRAFT
    with pytest.raises(ValueError, match="no translated field"):
        translations.mark_written(session, campaign, "tg", ["slug"], actor=EDITOR)


def _approved(session: Session) -> Campaign:
    campaign = _campaign(session)
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="submit")
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="approve")
    return campaign


def test_publishing_refuses_outdated_languages_under_the_same_setting(session: Session) -> None:
    campaign = _approved(session)
    _update(session, campaign, {"ru": {"summary": "Новое"}})
    with pytest.raises(Invalid) as refused:
        campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert [p.path for p in refused.value.problems] == [
        f"translations.{locale}" for locale in ("kk", "uz", "ky", "tg", "tk")
    ]
    assert refused.value.problems[0].params == {"language": "Kazakh"}
    for locale in ("kk", "uz", "ky", "tg"):
        translations.confirm(session, campaign, locale, actor=PUBLISHER)
    with pytest.raises(Invalid) as refused:
        campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert [p.path for p in refused.value.problems] == ["translations.tk"]
    # English is not one of the six: its outdated text does not hold publishing back
    translations.confirm(session, campaign, "tk", actor=PUBLISHER)
    assert translations.statuses(session, campaign)["en"].status == OUTDATED
    campaigns.transition(session, actor=PUBLISHER, campaign=campaign, action="publish")
    assert campaign.status == CampaignStatus.PUBLISHED


def test_publishing_without_the_setting_lets_outdated_languages_through(
    session: Session,
) -> None:
    campaign = _approved(session)
    _update(session, campaign, {"ru": {"summary": "Новое"}})
    campaigns.transition(
        session, actor=PUBLISHER, campaign=campaign, action="publish", require_complete=False
    )
    assert campaign.status == CampaignStatus.PUBLISHED


def test_a_scheduled_publication_waits_for_outdated_languages(session: Session) -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    campaign = _approved(session)
    _update(session, campaign, {"ru": {"title": "Новый"}})
    campaigns.schedule(
        session, actor=PUBLISHER, campaign=campaign, publish_at=now, unpublish_at=None
    )
    assert campaigns.apply_schedules(session, now=now + timedelta(minutes=1)) == []
    assert campaign.status == CampaignStatus.APPROVED
    for locale in ("kk", "uz", "ky", "tg", "tk"):
        translations.confirm(session, campaign, locale, actor=PUBLISHER)
    assert campaigns.apply_schedules(session, now=now + timedelta(minutes=2)) == [
        "publish status-test"
    ]


def test_localize_falls_back_from_an_outdated_language(session: Session) -> None:
    campaign = _campaign(session)
    assert campaigns.localize(campaign, "tg").locale == "tg"
    served = campaigns.localize(campaign, "tg", outdated={"tg"})
    assert (served.locale, served.translation.title) == ("ru", "Title ru")
    assert campaigns.localize(campaign, "tg", outdated={"tg", "ru"}).locale == "en"


def _rule(session: Session) -> CustomsRule:
    return factories.customs_rule(
        session,
        actor=EDITOR,
        key="status-cash",
        category="cash",
        explanations={
            "ru": "Штраф 100 000 тенге.",
            "tg": "Ҷарима 100 000 тенге.",
            "kk": "Айыппұл 100 000 теңге.",
        },
    )


def _revise(session: Session, rule: CustomsRule, actor: Actor = EDITOR, **fields) -> CustomsRule:
    return customs.revise_rule(
        session, actor=actor, key=rule.key, expected_version=rule.version, fields=fields
    )


def test_a_rule_keeps_its_statuses_by_key_across_versions(session: Session) -> None:
    rule = _rule(session)
    customs.confirm_translation(
        session, actor=EDITOR, key=rule.key, locale="tg", expected_version=1
    )
    new = _revise(session, rule, explanations={**rule.explanations, "ru": "Штраф 200 000 тенге."})
    assert new.version == 2
    states = translations.statuses(session, new)
    assert states["tg"].fields["explanation"].status == OUTDATED
    assert states["tg"].fields["title"].status == UP_TO_DATE
    assert states["tg"].fields["explanation"].reference_diff() == [
        ("equal", "Штраф "),
        ("del", "100"),
        ("ins", "200"),
        ("equal", " 000 тенге."),
    ]
    # languages without an explanation: the field applies (the reference has one), missing
    assert states["tk"].fields["explanation"].status == MISSING
    assert states["tk"].status == MISSING
    assert [r.key for r in customs.latest_rules(session, outdated_in="tg")] == ["status-cash"]
    assert customs.latest_rules(session, outdated_in="tk") == []


def test_a_minor_edit_of_a_rule_outdates_nothing(session: Session) -> None:
    rule = _rule(session)
    new = _revise(
        session,
        rule,
        explanations={**rule.explanations, "ru": "Штраф: 100 000 тенге."},
        minor_edit=True,
    )
    assert translations.outdated(session, translations.CUSTOMS_RULE, [new.key]) == {}
    explanation = _field(session, new, "tg", "explanation")
    assert (explanation.status, explanation.confirmed_reference) == (
        DRAFT,
        "Штраф: 100 000 тенге.",
    )


def test_confirming_a_rule_tells_readers_caches_and_needs_the_current_version(
    session: Session,
) -> None:
    rule = _rule(session)
    new = _revise(session, rule, explanations={**rule.explanations, "ru": "Штраф 200 000."})
    before = current(session)
    from content.errors import PreconditionFailed

    with pytest.raises(PreconditionFailed):
        customs.confirm_translation(
            session, actor=EDITOR, key=rule.key, locale="tg", expected_version=1
        )
    confirmed = customs.confirm_translation(
        session, actor=EDITOR, key=rule.key, locale="tg", expected_version=new.version
    )
    assert confirmed.version == 2  # no new version of the rule
    assert current(session) > before
    assert translations.statuses(session, new)["tg"].status == UP_TO_DATE
    customs.review_translation(
        session, actor=PUBLISHER, key=rule.key, locale="tg", expected_version=2
    )
    assert translations.statuses(session, new)["tg"].status == REVIEWED


def test_localize_rule_serves_the_fallback_for_an_outdated_language(session: Session) -> None:
    rule = _rule(session)
    assert customs.localize_rule(rule, "tg") == (
        "status-cash (tg)",
        "Ҷарима 100 000 тенге.",
        "tg",
    )
    assert customs.localize_rule(rule, "tg", outdated={"tg"}) == (
        "status-cash (ru)",
        "Штраф 100 000 тенге.",
        "ru",
    )
    # title and explanation come from one language: Turkmen has no explanation and
    # Russian is outdated, so the reader gets the rule whole in a current language
    assert customs.localize_rule(rule, "tk", outdated={"ru"}) == (
        "status-cash (kk)",
        "Айыппұл 100 000 теңге.",
        "kk",
    )
    # every complete language outdated: the chain's, rather than nothing
    assert customs.localize_rule(rule, "tk", outdated={"ru", "kk", "tg"})[2] == "ru"


def test_word_diff_marks_words_removed_and_added() -> None:
    assert translations.word_diff("a fine of 100", "a fine of 200 or more") == [
        ("equal", "a fine of "),
        ("del", "100"),
        ("ins", "200 or more"),
    ]
    assert translations.word_diff("one two three", "one 2 3") == [
        ("equal", "one "),
        ("del", "two three"),
        ("ins", "2 3"),
    ]
    assert translations.word_diff("", "") == []
    assert translations.word_diff("<b>", "<i>") == [
        ("equal", "<"),
        ("del", "b"),
        ("ins", "i"),
        ("equal", ">"),
    ]


def test_a_derived_locale_reads_its_base_in_its_script_unless_the_base_is_outdated(
    session: Session,
) -> None:
    campaign = _campaign(session)
    served = campaigns.localize(campaign, "uz-Cyrl")
    assert served.locale == "uz-Cyrl"
    assert not has_latin(served.translation.title)
    fallback = campaigns.localize(campaign, "uz-Cyrl", outdated={"uz"})
    assert (fallback.locale, fallback.translation.title) == ("ru", "Title ru")


def test_a_rule_in_a_derived_locale_is_transliterated_or_falls_back_when_outdated(
    session: Session,
) -> None:
    rule = _rule(session)
    title, explanation, served = customs.localize_rule(rule, "kk-Latn")
    assert served == "kk-Latn"
    assert not has_cyrillic(title + explanation)
    assert explanation.startswith("Aiyppūl")
    # kk-Latn falls back to English before Russian (the Latin script first), when the
    # English is whole: here it has a title but no explanation, so Russian it is
    _, _, served = customs.localize_rule(rule, "kk-Latn", outdated={"kk"})
    assert served == "ru"
    rule.explanations = {**rule.explanations, "en": "A fine of 100,000 tenge."}
    assert customs.localize_rule(rule, "kk-Latn", outdated={"kk"}) == (
        "status-cash (en)",
        "A fine of 100,000 tenge.",
        "en",
    )


def has_cyrillic(text: str) -> bool:
    return any("CYRILLIC" in unicodedata.name(char, "") for char in text)
