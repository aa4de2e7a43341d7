"""Exchange files for translators: a campaign's and customs rules' PO files, exported and
imported with Babel, a file edited by hand, and what an import refuses."""

from __future__ import annotations

import codecs
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select
from sqlalchemy.orm import Session

from content.accounts.models import AuditEntry, Role
from content.accounts.service import Actor
from content.campaigns import service as campaigns
from content.customs import service as customs
from content.errors import Conflict, Invalid, NotFound
from content.translations import exchange
from content.translations import service as translations
from content.translations.models import TranslationStatus
from tests import factories

EDITOR = Actor("user:7 editor@example.test", Role.EDITOR)
HAND_EDITED = Path(__file__).with_name("hand_edited_tg.po")


def translate(data: bytes, texts: dict[str, str], *, fuzzy: tuple[str, ...] = ()) -> bytes:
    """What a translator's tool does: fill in msgstrs (by msgctxt) and save the file."""
    catalog = read_po(BytesIO(data))
    for message in catalog:
        if message.context in texts:
            message.string = texts[message.context]
        if message.context in fuzzy:
            message.flags.add("fuzzy")
    out = BytesIO()
    write_po(out, catalog)
    return out.getvalue()


def status(session: Session, item: object, locale: str, field: str) -> TranslationStatus:
    return translations.statuses(session, item)[locale].fields[field].status  # type: ignore[arg-type]


def test_a_campaign_round_trip(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    translations.confirm(session, campaign, "tg", actor=factories.TESTER)
    exported = exchange.export_campaign(session, campaign, "tg", actor=EDITOR)
    catalog = read_po(BytesIO(exported))
    assert str(catalog.locale) == "tg"
    assert catalog.version == "campaign:fines@1:ru"
    units = {m.context: m for m in catalog if m.id}
    assert set(units) == {f"campaign/fines/{f}" for f in ("title", "summary", "body", "image_alt")}
    title = units["campaign/fines/title"]
    assert (title.id, title.string) == ("Title ru", "Title tg")
    assert title.auto_comments == ["Маърака: Сарлавҳа", *title.auto_comments[1:]]
    assert "200" in title.auto_comments[1]
    assert title.auto_comments[2] == "Ҳолати тарҷума: Мутобиқ."
    assert "20000" in units["campaign/fines/body"].auto_comments[1]

    body = 'Матн бо **тоҷикӣ**.\n\nСатри дуюм: «иқтибос» ва \\ "нохунак".'
    version = campaign.version
    result = exchange.import_campaign(
        session,
        campaign,
        translate(exported, {"campaign/fines/title": "Ҷаримаҳо", "campaign/fines/body": body}),
        "tg",
        actor=EDITOR,
    )
    assert result.imported == ["campaign/fines/title", "campaign/fines/body"]
    assert result.unchanged == ["campaign/fines/summary", "campaign/fines/image_alt"]
    assert result.rejected == []
    assert campaign.translations["tg"].title == "Ҷаримаҳо"
    assert campaign.translations["tg"].body == body
    assert campaign.version == version + 1
    assert campaigns.revision_number(session, campaign) == 2
    assert status(session, campaign, "tg", "title") == TranslationStatus.DRAFT
    assert status(session, campaign, "tg", "body") == TranslationStatus.DRAFT
    assert status(session, campaign, "tg", "summary") == TranslationStatus.UP_TO_DATE
    assert exchange.versions(result) == {"fines": campaign.version}


def test_a_missing_translation_is_exported_empty_and_imported(session: Session) -> None:
    translated = factories.campaign_translations()
    del translated["tk"]
    campaign = factories.campaign(session, slug="fines", translations=translated)
    exported = exchange.export_campaign(session, campaign, "tk", actor=EDITOR)
    units = {m.context: m for m in read_po(BytesIO(exported)) if m.id}
    assert units["campaign/fines/title"].string == ""
    assert units["campaign/fines/title"].auto_comments[2] == "Terjime ýagdaýy: Terjime ýok."
    filled = translate(
        exported, {f"campaign/fines/{f}": f"{f} tk" for f in ("title", "summary", "body")}
    )
    exchange.import_campaign(session, campaign, filled, "tk", actor=EDITOR)
    assert campaign.translations["tk"].summary == "summary tk"
    assert campaign.translations["tk"].image_alt == ""  # left empty: left as it was
    assert status(session, campaign, "tk", "summary") == TranslationStatus.DRAFT


def test_a_set_of_customs_rules_round_trip(session: Session) -> None:
    factories.customs_rule(session, key="t-cash", category="cash")
    factories.customs_rule(session, key="t-goods", category="goods", countries=["UZ"])
    factories.customs_rule(session, key="t-en", category="goods", reference_locale="tg")
    exported = exchange.export_rules(session, "tg", actor=EDITOR, country="kz")
    catalog = read_po(BytesIO(exported))
    assert catalog.version == "customs_rule:t-cash@1:ru"  # not UZ's, nor one written in tg
    assert [m.context for m in catalog if m.id] == [
        "customs_rule/t-cash/title",
        "customs_rule/t-cash/explanation",
    ]
    everything = read_po(BytesIO(exchange.export_rules(session, "tg", actor=EDITOR)))
    assert everything.version == "customs_rule:t-cash@1:ru,t-goods@1:ru"
    keyed = exchange.export_rules(session, "tg", actor=EDITOR, keys=["t-goods"])
    assert read_po(BytesIO(keyed)).version == "customs_rule:t-goods@1:ru"
    with pytest.raises(NotFound):
        exchange.export_rules(session, "tg", actor=EDITOR, keys=["t-nope"])

    filled = translate(
        exported,
        {
            "customs_rule/t-cash/title": "Пули нақд",
            "customs_rule/t-cash/explanation": "То 10 000 доллари ИМА бе эъломия.",
        },
    )
    result = exchange.import_rules(session, filled, "tg", actor=EDITOR)
    assert result.imported == ["customs_rule/t-cash/title", "customs_rule/t-cash/explanation"]
    rule = customs.latest(session, "t-cash")
    assert rule.version == 2  # a new version, as an editor's revision makes
    assert rule.titles["tg"] == "Пули нақд"
    assert rule.titles["ru"] == "t-cash (ru)"
    assert rule.explanations["tg"] == "То 10 000 доллари ИМА бе эъломия."
    assert status(session, rule, "tg", "title") == TranslationStatus.DRAFT
    assert status(session, rule, "tg", "explanation") == TranslationStatus.DRAFT
    assert len(customs.rule_versions(session, rule)) == 2
    assert exchange.versions(result) == {"t-cash": 2}


def test_a_file_edited_by_hand(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    result = exchange.import_campaign(
        session, campaign, HAND_EDITED.read_bytes(), "tg", actor=EDITOR
    )
    assert result.imported == ["campaign/fines/title", "campaign/fines/body"]
    assert [(r.unit, r.reason) for r in result.rejected] == [
        ("campaign/fines/summary", exchange.STALE)
    ]
    tg = campaign.translations["tg"]
    assert tg.title == "Ҷаримаҳо дар гузаргоҳ"
    assert tg.body == "Матн бо **тоҷикӣ**.\nСатри дуюм."
    assert tg.summary == "Summary tg"  # the stale unit: not imported
    assert tg.image_alt == "Alt tg"  # an empty msgstr: left as it was


def test_a_file_saved_by_a_windows_editor(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    saved = codecs.BOM_UTF8 + HAND_EDITED.read_bytes().replace(b"\n", b"\r\n")
    result = exchange.import_campaign(session, campaign, saved, "tg", actor=EDITOR)
    assert result.imported == ["campaign/fines/title", "campaign/fines/body"]
    assert campaign.translations["tg"].body == "Матн бо **тоҷикӣ**.\nСатри дуюм."


def test_a_unit_of_another_kind_is_rejected(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    exported = exchange.export_campaign(session, campaign, "tg", actor=EDITOR)
    catalog = read_po(BytesIO(exported))
    catalog.add("Title ru", "Сарлавҳа", context="customs_rule/fines/title")
    catalog.get("Summary ru", context="campaign/fines/summary").string = "Мухтасар"
    out = BytesIO()
    write_po(out, catalog)
    result = exchange.import_campaign(session, campaign, out.getvalue(), "tg", actor=EDITOR)
    assert result.imported == ["campaign/fines/summary"]
    assert [(r.unit, r.reason) for r in result.rejected] == [
        ("customs_rule/fines/title", exchange.UNKNOWN_UNIT)
    ]
    assert campaign.translations["tg"].title == "Title tg"


def test_the_reference_changed_after_the_export(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    exported = exchange.export_campaign(session, campaign, "tg", actor=EDITOR)
    campaigns.update(
        session,
        actor=EDITOR,
        campaign=campaign,
        expected_version=campaign.version,
        fields={"translations": {"ru": {"summary": "Новое резюме"}}},
    )
    filled = translate(exported, {"campaign/fines/title": "Ҷаримаҳо"})
    with pytest.raises(Conflict) as refused:
        exchange.import_campaign(session, campaign, filled, "tg", actor=EDITOR)
    assert refused.value.params == {"key": "fines", "exported": 1, "current": 2}
    assert campaign.translations["tg"].title == "Title tg"


def test_what_an_import_refuses(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    other = factories.campaign(session, slug="other")
    exported = exchange.export_campaign(session, campaign, "tg", actor=EDITOR)
    filled = translate(exported, {"campaign/fines/title": "Ҷаримаҳо"})
    for data in (b"\x89PNG\r\n\x1a\n\x00\x00", b"hello, world\n", b'{"title": "x"}'):
        with pytest.raises(Invalid) as not_po:
            exchange.import_campaign(session, campaign, data, "tg", actor=EDITOR)
        assert [p.path for p in not_po.value.problems] == ["file"]
    with pytest.raises(Invalid) as wrong_language:
        exchange.import_campaign(session, campaign, filled, "kk", actor=EDITOR)
    assert wrong_language.value.problems[0].params["file_language"] == "tg"
    with pytest.raises(Conflict):
        exchange.import_campaign(session, other, filled, "tg", actor=EDITOR)
    rules = exchange.export_rules(session, "tg", actor=EDITOR)
    with pytest.raises(Invalid):  # a customs rules file is not a campaign's
        exchange.import_campaign(session, campaign, rules, "tg", actor=EDITOR)
    with pytest.raises(NotFound):
        exchange.import_campaign(session, campaign, filled, "fr", actor=EDITOR)
    with pytest.raises(Conflict):
        exchange.export_campaign(session, campaign, "ru", actor=EDITOR)
    fuzzy = translate(
        exported, {"campaign/fines/title": "Ҷарима?"}, fuzzy=("campaign/fines/title",)
    )
    with pytest.raises(Invalid) as only_fuzzy:
        exchange.import_campaign(session, campaign, fuzzy, "tg", actor=EDITOR)
    assert [(p.path, p.message) for p in only_fuzzy.value.problems] == [
        ("campaign/fines/title", exchange.FUZZY)
    ]
    too_long = translate(exported, {"campaign/fines/title": "х" * 201})
    with pytest.raises(Invalid) as long_title:
        exchange.import_campaign(session, campaign, too_long, "tg", actor=EDITOR)
    assert long_title.value.problems[0].params == {"limit": 200}
    assert campaign.translations["tg"].title == "Title tg"


def test_a_fuzzy_unit_is_listed_and_the_rest_imported(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    exported = exchange.export_campaign(session, campaign, "tg", actor=EDITOR)
    filled = translate(
        exported,
        {"campaign/fines/title": "Ҷаримаҳо", "campaign/fines/summary": "Мухтасар?"},
        fuzzy=("campaign/fines/summary",),
    )
    result = exchange.import_campaign(session, campaign, filled, "tg", actor=EDITOR)
    assert result.imported == ["campaign/fines/title"]
    assert [(r.unit, r.reason) for r in result.rejected] == [
        ("campaign/fines/summary", exchange.FUZZY)
    ]
    assert campaign.translations["tg"].summary == "Summary tg"


def test_both_directions_are_audited(session: Session) -> None:
    campaign = factories.campaign(session, slug="fines")
    factories.customs_rule(session, key="t-cash", category="cash")
    exported = exchange.export_campaign(session, campaign, "tg", actor=EDITOR)
    exchange.import_campaign(
        session,
        campaign,
        translate(exported, {"campaign/fines/title": "Ҷаримаҳо"}),
        "tg",
        actor=EDITOR,
    )
    rules = exchange.export_rules(session, "kk", actor=EDITOR, keys=["t-cash"])
    exchange.import_rules(
        session,
        translate(rules, {"customs_rule/t-cash/title": "Қолма-қол ақша"}),
        "kk",
        actor=EDITOR,
    )
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(("export_translation", "import_translation")))
        .order_by(AuditEntry.id)
    ).all()
    assert [(r.actor, r.action, r.object_type, r.object_id) for r in rows] == [
        (EDITOR.label, "export_translation", "campaign", "fines"),
        (EDITOR.label, "import_translation", "campaign", "fines"),
        (EDITOR.label, "export_translation", "customs_rule", "t-cash"),
        (EDITOR.label, "import_translation", "customs_rule", "t-cash"),
    ]
    assert rows[0].after == {"locale": "tg", "items": ["fines@1:ru"], "units": 4}
    assert rows[1].after == {
        "locale": "tg",
        "items": ["fines"],
        "imported": 1,
        "unchanged": 3,
        "rejected": [],
    }
    assert rows[2].after == {"locale": "kk", "items": ["t-cash@1:ru"], "units": 2}
    assert rows[3].after["imported"] == 1
