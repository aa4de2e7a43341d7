"""Waits, units and money in every Cyrillic locale, through the functions the API, push
texts and the console use: CLDR where it has the data, content.locales.UNIT_PATTERNS where
it has not, and never a Latin letter (review §7)."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from api.i18n import force_locale
from api.presenters.customs import format_amount, limit_text
from content.checkpoints.models import Checkpoint, Direction, Lane
from content.customs.checker import UNITS
from content.locales import (
    CYRILLIC_LOCALES,
    KNOWN_LOCALES,
    fallback_chain,
    format_clock,
    format_day,
    format_money,
    format_number,
    format_quantity,
    format_wait,
    has_latin,
    pick,
)
from content.seed import loader
from push import messages
from tests import factories

WAITS = (0, 1, 5, 59, 60, 61, 95, 1440, 1500, 4320)
SEED_RULES = loader.read_customs()["rule"]


def test_latin_letters_are_found_in_mixed_script() -> None:
    assert has_latin("2 MБ")  # Kazakh CLDR's megabyte: a Latin M before a Cyrillic Б
    assert has_latin("1 h ва 35 min")
    assert not has_latin("2 МБ, 1 соат ва 35 дақиқа, 10 000 $, 25 кг")


@pytest.mark.parametrize("locale", CYRILLIC_LOCALES)
def test_every_wait_is_in_the_locales_script(locale: str) -> None:
    for minutes in WAITS:
        text = format_wait(minutes, locale)
        assert not has_latin(text), (minutes, text)
        for number in {minutes // 1440, minutes % 1440 // 60, minutes % 60} - {0}:
            assert str(number) in text, (minutes, text)


def test_tajik_waits_and_units_are_tajik_words() -> None:
    assert format_wait(5, "tg") == "5 дақиқа"
    assert format_wait(95, "tg") == "1 соат ва 35 дақиқа"
    assert format_wait(1500, "tg") == "1 рӯз ва 1 соат"
    assert format_quantity(1.5, "volume-liter", "tg") == "1,5 л"  # the number is Babel's
    assert format_quantity(25, "mass-kilogram", "tg") == "25 кг"
    assert format_quantity(2, "digital-megabyte", "kk") == "2 МБ"
    assert format_money(100_000_000, "UZS", "tg").endswith(" сӯми Ӯзбекистон")
    assert format_money(10_000, "USD", "tg").endswith(" доллари ИМА")  # not «US$»


@pytest.mark.parametrize("locale", CYRILLIC_LOCALES)
def test_every_seeded_limit_is_in_the_locales_script(app: Flask, locale: str) -> None:
    limited = [rule for rule in SEED_RULES if rule.get("limit_unit") or rule.get("limit_currency")]
    assert limited
    with app.test_request_context(), force_locale(locale):
        for unit in UNITS:  # every unit the checker accepts, seeded or not
            text = format_amount(250, unit, locale)
            assert text, unit
            assert not has_latin(text), (unit, text)
        for rule in limited:
            shaped = SimpleNamespace(
                limit_value=rule.get("limit_value"),
                limit_currency=rule.get("limit_currency"),
                limit_quantity=rule.get("limit_quantity"),
                limit_unit=rule.get("limit_unit"),
            )
            text = limit_text(shaped, locale)  # type: ignore[arg-type]  # a stand-in rule
            assert text, rule["key"]
            assert not has_latin(text), (rule["key"], text)


@pytest.mark.parametrize("locale", CYRILLIC_LOCALES)
def test_queue_alerts_are_in_the_locales_script(session: Session, locale: str) -> None:
    checkpoint = session.get(Checkpoint, "kz-kordai")
    assert checkpoint is not None
    for minutes in WAITS:
        alert = messages.queue_alert(
            checkpoint,
            direction=Direction.EXIT,
            lane=Lane.CAR,
            wait_minutes=minutes,
            below_minutes=minutes + 95,
            locale=locale,
        )
        assert not has_latin(alert.body), alert.body


def test_tajik_api_answers_waits_and_limits_in_tajik(client: FlaskClient, session: Session) -> None:
    factories.record_queue(session, wait_minutes=95)
    loader.load_customs(session)
    session.commit()

    queue = client.get("/v1/checkpoints/kz-kordai?lang=tg").get_json()["queues"][0]
    assert queue["wait_text"] == "1 соат ва 35 дақиқа"

    rules = client.get("/v1/customs/rules?country=KZ&lang=tg").get_json()["items"]
    limits = {r["key"]: r["limit"]["text"] for r in rules if r["limit"]["text"]}
    assert limits["eaeu-alcohol-entry"] == "3 л"
    assert all(not has_latin(text) for text in limits.values()), limits


def test_kazakh_request_too_large_names_megabytes_in_cyrillic(client: FlaskClient) -> None:
    response = client.post(
        "/v1/checkpoints/kz-kordai/status?lang=kk",
        data=json.dumps({"state": "open", "message": "x" * (1024 * 1024)}),
        content_type="application/json",
    )
    assert response.status_code == 413
    detail = response.get_json()["detail"]
    assert "МБ" in detail
    assert not has_latin(detail), detail


@pytest.mark.parametrize("locale", ["kk", "ky", "tg", "tk", "uz"])
def test_the_regions_languages_fall_back_to_russian_then_english(locale: str) -> None:
    assert fallback_chain(locale) == (locale, "ru", "en")


def test_russian_and_english_fall_back_to_each_other() -> None:
    assert fallback_chain("ru") == ("ru", "en")
    assert fallback_chain("en") == ("en", "ru")


def test_pick_follows_the_chain_and_skips_empty_texts() -> None:
    names = {"en": "Kordai", "ru": "Кордай", "kk": ""}
    assert pick(names, "kk", "kz-kordai") == "Кордай"
    assert pick(names, "en", "kz-kordai") == "Kordai"
    assert pick({"en": "Kordai"}, "tg", "kz-kordai") == "Kordai"
    assert pick({"ru": "Кордай"}, "en", "kz-kordai") == "Кордай"


def test_pick_takes_any_language_before_the_default() -> None:
    assert pick({"uz": "Doʻstlik"}, "kk", "uz-dostlik") == "Doʻstlik"
    assert pick({}, "kk", "uz-dostlik") == "uz-dostlik"
    assert pick({"kk": []}, "kk", ["poppy"]) == ["poppy"]


@pytest.mark.parametrize("locale", KNOWN_LOCALES)
def test_templates_pick_in_the_requests_language(app: Flask, locale: str) -> None:
    names = {"en": "Kordai", "ru": "Кордай"}
    with app.test_request_context(f"/?lang={locale}"):
        app.preprocess_request()
        text = render_template_string("{{ names|pick(id) }}", names=names, id="kz-kordai")
    assert text == pick(names, locale, "kz-kordai")
    assert text == ("Kordai" if locale == "en" else "Кордай")


def test_numbers_days_and_times_are_cldr_s_and_in_the_reader_s_script() -> None:
    moment = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)
    assert format_number(1234.5, "ru") == "1\xa0234,5"
    assert format_day(date(2026, 12, 14), "ru") == "14 декабря 2026\u202fг."
    assert format_clock(moment, "Asia/Almaty", "ru") == "20:00"
    # Uzbek in Cyrillic formats as CLDR's uz_Cyrl; Kazakh in Latin as kk, transliterated
    day_uz = format_day(date(2026, 12, 14), "uz-Cyrl")
    day_kk = format_day(date(2026, 12, 14), "kk-Latn")
    assert day_uz
    assert not has_latin(day_uz)
    assert day_kk
    assert not any("CYRILLIC" in unicodedata.name(c, "") for c in day_kk)
    assert day_kk != format_day(date(2026, 12, 14), "kk")
    assert format_clock(moment, "Asia/Tashkent", "uz-Cyrl") == "20:00"
    assert format_number(1234.5, "kk-Latn") == format_number(1234.5, "kk")
