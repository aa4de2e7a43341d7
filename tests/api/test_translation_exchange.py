"""Exchange files over the admin API: a PO download per language, an upload that imports
it, and what is refused, as problem JSON in the caller's language."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from content.accounts.models import Role
from content.translations import exchange
from tests import factories
from tests.content.translations.test_exchange import HAND_EDITED, translate

Login = Callable[..., dict[str, str]]
CAMPAIGN = "/v1/admin/campaigns/fines"
PO = f"{CAMPAIGN}/translations/tg/po"
RULES = "/v1/admin/customs/translations/tg/po"


def _upload(client: FlaskClient, url: str, data: bytes, headers: dict[str, str]) -> Any:
    return client.post(
        url,
        data={"file": (BytesIO(data), "tg.po")},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_a_campaign_round_trip_over_http(
    client: FlaskClient, login: Login, session: Session
) -> None:
    editor = login(Role.EDITOR)
    factories.campaign(session, slug="fines")
    session.commit()
    etag = client.get(CAMPAIGN, headers=editor).headers["ETag"]
    exported = client.get(PO, headers=editor)
    assert exported.status_code == 200
    assert exported.mimetype == exchange.CONTENT_TYPE
    assert exported.headers["Content-Disposition"] == 'attachment; filename="fines-tg.po"'
    filled = translate(exported.data, {"campaign/fines/title": "Ҷаримаҳо дар гузаргоҳ"})
    imported = _upload(client, PO, filled, editor)
    assert imported.status_code == 200, imported.get_json()
    body = imported.get_json()
    assert body["imported"] == ["campaign/fines/title"]
    assert body["rejected"] == []
    after = client.get(CAMPAIGN, headers=editor)
    assert after.headers["ETag"] != etag
    assert body["versions"] == {"fines": int(after.headers["ETag"].strip('"v'))}
    campaign = after.get_json()
    assert campaign["translations"]["tg"]["title"] == "Ҷаримаҳо дар гузаргоҳ"
    assert campaign["translation_status"]["tg"]["fields"]["title"] == "draft"


def test_customs_rules_round_trip_over_http(
    client: FlaskClient, login: Login, session: Session
) -> None:
    editor = login(Role.EDITOR)
    factories.customs_rule(session, key="t-cash", category="cash")
    factories.customs_rule(session, key="t-goods", category="goods")
    session.commit()
    exported = client.get(f"{RULES}?key=t-cash", headers=editor)
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == 'attachment; filename="customs-t-cash-tg.po"'
    everything = client.get(f"{RULES}?country=KZ", headers=editor)
    assert 'filename="customs-kz-tg.po"' in everything.headers["Content-Disposition"]
    filled = translate(
        everything.data,
        {"customs_rule/t-cash/title": "Пули нақд", "customs_rule/t-goods/title": "Мол"},
    )
    imported = _upload(client, RULES, filled, editor)
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["versions"] == {"t-cash": 2, "t-goods": 2}
    rule = client.get("/v1/admin/customs/rules/t-goods", headers=editor)
    assert rule.headers["ETag"] == '"v2"'
    assert rule.get_json()["titles"]["tg"] == "Мол"
    assert rule.get_json()["translation_status"]["tg"]["fields"]["title"] == "draft"


def test_the_hand_edited_file_lists_its_stale_unit(
    client: FlaskClient, login: Login, session: Session
) -> None:
    editor = login(Role.EDITOR)
    factories.campaign(session, slug="fines")
    session.commit()
    imported = _upload(client, PO, HAND_EDITED.read_bytes(), {**editor, "Accept-Language": "ru"})
    assert imported.status_code == 200, imported.get_json()
    body = imported.get_json()
    assert body["imported"] == ["campaign/fines/title", "campaign/fines/body"]
    assert body["rejected"] == [
        {
            "unit": "campaign/fines/summary",
            "reason": "Исходный текст изменился после экспорта файла: переведите новый текст.",
        }
    ]


def test_refusals_are_problems(client: FlaskClient, login: Login, session: Session) -> None:
    editor = {**login(Role.EDITOR), "Accept-Language": "en"}
    factories.campaign(session, slug="fines")
    factories.campaign(session, slug="other")
    session.commit()
    exported = client.get(PO, headers=editor).data
    filled = translate(exported, {"campaign/fines/title": "Ҷаримаҳо"})

    not_po = _upload(client, PO, b"\x89PNG\r\n\x1a\n", editor)
    assert not_po.status_code == 422
    assert not_po.mimetype == "application/problem+json"
    assert not_po.get_json()["errors"] == {"file": ["The file is not a PO file that can be read."]}

    wrong_language = _upload(client, f"{CAMPAIGN}/translations/kk/po", filled, editor)
    assert wrong_language.status_code == 422
    assert wrong_language.get_json()["errors"]["file"] == [
        "The file's language is “tg”, not the one chosen (Kazakh)."
    ]
    wrong_item = _upload(client, "/v1/admin/campaigns/other/translations/tg/po", filled, editor)
    assert wrong_item.status_code == 409
    assert wrong_item.get_json()["detail"] == "The file was exported for another item (fines)."

    fuzzy = translate(exported, {"campaign/fines/title": "?"}, fuzzy=("campaign/fines/title",))
    only_fuzzy = _upload(client, PO, fuzzy, editor)
    assert only_fuzzy.status_code == 422
    assert only_fuzzy.get_json()["errors"] == {
        "campaign/fines/title": ["Marked as fuzzy (needs work): not imported."]
    }

    etag = client.get(CAMPAIGN, headers=editor).headers["ETag"]
    saved = client.patch(
        CAMPAIGN,
        json={"translations": {"tg": {"summary": "Мухтасар"}}},
        headers={**editor, "If-Match": etag},
    )
    assert saved.status_code == 200
    stale = _upload(client, PO, filled, {**editor, "Accept-Language": "tg"})
    assert stale.status_code == 409
    assert stale.get_json()["title"] == "Зиддият"
    assert stale.get_json()["detail"] == (
        "fines пас аз содир шудани файл тағйир ёфт (таҳрири 1, ҳоло 2): файлро аз нав содир кунед."
    )

    assert client.get(f"{CAMPAIGN}/translations/ru/po", headers=editor).status_code == 409
    assert client.get(f"{CAMPAIGN}/translations/fr/po", headers=editor).status_code == 404
    assert client.post(PO, headers=editor).status_code == 422  # no file
    officer = login(Role.BORDER_OFFICER, "KZ")
    assert client.get(PO, headers=officer).status_code == 403
    assert _upload(client, PO, filled, officer).status_code == 403
    assert client.get(PO).status_code == 401
    assert client.get(RULES, headers=officer).status_code == 403


def test_the_endpoints_are_documented(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    export = paths["/v1/admin/campaigns/{slug}/translations/{locale}/po"]
    assert exchange.CONTENT_TYPE in export["get"]["responses"]["200"]["content"]
    assert set(export["post"]["responses"]) >= {"200", "401", "403", "404", "409", "422"}
    rules = paths["/v1/admin/customs/translations/{locale}/po"]
    assert set(rules["get"]["responses"]) >= {"200", "401", "403", "404", "422"}
    assert "multipart/form-data" in rules["post"]["requestBody"]["content"]
