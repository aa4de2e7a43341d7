"""Exchange files on the console: the campaign tab's and the customs pages' "Export for
translator (.po)" and "Import translation", with what was not imported flashed."""

from __future__ import annotations

import html
import re
from io import BytesIO

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.campaigns import service as campaigns
from content.customs import service as customs
from content.translations import exchange
from content.translations import service as translations
from content.translations.models import TranslationStatus
from tests import factories
from tests.api.console.test_console import csrf, sign_in
from tests.content.translations.test_exchange import HAND_EDITED, translate

EDIT = "/console/campaigns/fines"


def _flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash \w+"[^>]*>(.*?)</p>', page)]


def test_a_campaign_tab_exports_and_imports(client: FlaskClient, session: Session) -> None:
    factories.campaign(session, slug="fines")
    session.commit()
    sign_in(client, session, Role.EDITOR)
    page = client.get(f"{EDIT}?tab=tg").get_data(as_text=True)
    assert "data-export" in page
    assert "data-import" in page
    assert 'action="/console/campaigns/fines/translations/po"' in page
    assert 'name="locale" value="tg"' in page
    assert "data-export" not in client.get(f"{EDIT}?tab=ru").get_data(as_text=True)

    exported = client.get("/console/campaigns/fines/translations/po?locale=tg")
    assert exported.status_code == 200
    assert exported.mimetype == exchange.CONTENT_TYPE
    assert exported.headers["Content-Disposition"] == 'attachment; filename="fines-tg.po"'
    filled = translate(exported.data, {"campaign/fines/title": "Ҷаримаҳо"})
    token = csrf(client, f"{EDIT}?tab=tg")
    imported = client.post(
        "/console/campaigns/fines/translations/po?lang=en",
        data={"csrf_token": token, "locale": "tg", "file": (BytesIO(filled), "fines-tg.po")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert imported.headers["Location"].endswith("/console/campaigns/fines?tab=tg")
    campaign = campaigns.get_or_raise(session, "fines")
    session.refresh(campaign)
    assert campaign.translations["tg"].title == "Ҷаримаҳо"
    state = translations.statuses(session, campaign)["tg"].fields["title"]
    assert state.status == TranslationStatus.DRAFT
    shown = _flashes(client.get(f"{EDIT}?tab=tg").get_data(as_text=True))
    assert shown == ["Imported 1 text into Tajik: it is a draft now, ready for review."]


def test_a_rejected_unit_is_flashed(client: FlaskClient, session: Session) -> None:
    factories.campaign(session, slug="fines")
    session.commit()
    sign_in(client, session, Role.EDITOR)
    token = csrf(client, f"{EDIT}?tab=tg&lang=en")
    client.post(
        "/console/campaigns/fines/translations/po",
        data={
            "csrf_token": token,
            "locale": "tg",
            "file": (BytesIO(HAND_EDITED.read_bytes()), "fines-tg.po"),
        },
        content_type="multipart/form-data",
    )
    shown = _flashes(client.get(f"{EDIT}?tab=tg").get_data(as_text=True))
    assert shown == [
        "Imported 2 texts into Tajik: they are drafts now, ready for review.",
        "Not imported, campaign/fines/summary: The reference text changed after the file was "
        "exported: translate the new text.",
    ]
    refused = client.post(
        "/console/campaigns/fines/translations/po",
        data={"csrf_token": token, "locale": "tg", "file": (BytesIO(b"not a po"), "x.po")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302
    page = client.get(f"{EDIT}?tab=tg").get_data(as_text=True)
    assert "The file is not a PO file that can be read." in html.unescape(page)


def test_customs_rules_export_and_import(client: FlaskClient, session: Session) -> None:
    factories.customs_rule(session, key="t-cash", category="cash")
    session.commit()
    sign_in(client, session, Role.EDITOR)
    page = client.get("/console/customs/rules/t-cash").get_data(as_text=True)
    assert 'action="/console/customs/translations/po"' in page
    assert '<option value="tg">' in page
    assert '<option value="ru">' not in page  # the rule's reference language
    listed = client.get("/console/customs?country=KZ").get_data(as_text=True)
    assert 'name="country" value="KZ"' in listed

    exported = client.get("/console/customs/translations/po?locale=kk&key=t-cash")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == 'attachment; filename="customs-t-cash-kk.po"'
    filled = translate(exported.data, {"customs_rule/t-cash/title": "Қолма-қол ақша"})
    token = csrf(client, "/console/customs/rules/t-cash")
    imported = client.post(
        "/console/customs/translations/po",
        data={
            "csrf_token": token,
            "locale": "kk",
            "key": "t-cash",
            "file": (BytesIO(filled), "customs-t-cash-kk.po"),
        },
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert imported.headers["Location"].endswith("/console/customs/rules/t-cash")
    rule = customs.latest(session, "t-cash")
    assert rule.version == 2
    assert rule.titles["kk"] == "Қолма-қол ақша"
    assert translations.statuses(session, rule)["kk"].fields["title"].status == (
        TranslationStatus.DRAFT
    )
    everything = client.get("/console/customs/translations/po?locale=kk&country=KZ")
    assert 'filename="customs-kz-kk.po"' in everything.headers["Content-Disposition"]
