"""Console page of translation status: every campaign and every customs rule × language,
colour-coded, filtered to one language and status ("what do I need to translate into
Turkmen"), each cell a link to that language's tab of the item's edit page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import render_template, request, url_for

from api.console import blp, signed_in
from api.db import get_session
from api.i18n import current_locale, native_name
from content.accounts.models import EDITORS
from content.campaigns import service as campaigns
from content.customs import service as customs
from content.translations import service as translations
from content.translations.models import TranslationStatus


@dataclass(frozen=True)
class Row:
    kind: str
    key: str
    label: str
    #: each shown language's status and the link to its tab
    cells: list[tuple[str, TranslationStatus, str]]
    reference_locale: str


@blp.get("/translations")
@signed_in(*EDITORS)
def translation_status() -> Any:
    """Every item's translation status by language: ?locale=tk&status=outdated narrows it."""
    locale = request.args.get("locale", "")
    locale = locale if locale in translations.TRACKED_LOCALES else ""
    status = request.args.get("status", "")
    wanted = TranslationStatus(status) if status in {s.value for s in TranslationStatus} else None
    shown = [locale] if locale else list(translations.TRACKED_LOCALES)
    db = get_session()
    found = campaigns.list_(db)
    rules = customs.latest_rules(db)
    campaign_states = translations.statuses_of(db, found)
    rule_states = translations.statuses_of(db, rules)
    rows = [
        _row(
            translations.CAMPAIGN,
            c.slug,
            c.slug,
            c.reference_locale,
            campaign_states[c.slug],
            shown,
            url_for("console.campaign_edit", slug=c.slug),
        )
        for c in found
    ]
    rows += [
        _row(
            translations.CUSTOMS_RULE,
            r.key,
            customs.localize_rule(r, current_locale())[0] or r.key,
            r.reference_locale,
            rule_states[r.key],
            shown,
            url_for("console.customs_rule", key=r.key),
        )
        for r in rules
        if not r.retired
    ]
    if wanted is not None:
        rows = [row for row in rows if any(s == wanted for _code, s, _url in row.cells)]
    return render_template(
        "console/translations.html",
        rows=rows,
        shown=[(code, native_name(code)) for code in shown],
        locale=locale,
        status=wanted.value if wanted else "",
        statuses=list(translations.SEVERITY),
        tracked=[(code, native_name(code)) for code in translations.TRACKED_LOCALES],
    )


def _row(
    kind: str,
    key: str,
    label: str,
    reference_locale: str,
    states: dict[str, translations.LanguageState],
    shown: list[str],
    page: str,
) -> Row:
    """An item's row: each shown language's status, linked to its tab of the item's `page`."""
    cells = [(code, states[code].status, f"{page}?{urlencode({'tab': code})}") for code in shown]
    return Row(kind, key, label, cells, reference_locale)
