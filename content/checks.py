"""`flask content check`: what the service tells travellers, checked before it reaches
a phone. Flask-free: it reads the seed files and, when given one, a database session.

Each check looks at the same facts in the seed files and in the database, through one
shape (the seed files' own), so that a wrong fact typed into the console is caught as
surely as one committed to a file:

- glossary: the key customs terms in each language (locales/glossary.toml);
- script: no Latin letters in Cyrillic texts and no Cyrillic in Latin ones, no word that
  mixes scripts; the same for what uz-Cyrl and kk-Latn readers get, transliterated from
  uz and kk;
- source: https only, no proxy, mirror or aggregator, no internal names (e-queue booking
  addresses too);
- date_precision: every customs rule says how exact its `effective_from` is;
- partner_distance: partner checkpoints no further apart than their accuracy radii + 2 km;
- hours: opening hours known, or stated as unknown;
- demo_label: demo content says so in its visible text, in every language;
- languages: every seven-language field present in all seven languages.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content.campaigns.models import Campaign
from content.campaigns.service import demo_label_missing
from content.checkpoints.checks import (
    hours_problems,
    partner_distance_problems,
    placements_from_seed,
)
from content.checkpoints.models import Checkpoint, EqueueFact
from content.customs.models import DATE_PRECISIONS, CustomsRule, Substance
from content.glossary import Text, catalog_texts, check_glossary
from content.locales import DERIVED_LOCALES, KNOWN_LOCALES, derive
from content.sources import check_sources

SEED_DIR = Path(__file__).resolve().parent / "seed"
CYRILLIC_LOCALES = ("ru", "kk", "ky", "tg", "uz-Cyrl")
LATIN_LOCALES = ("en", "uz", "tk", "kk-Latn")
#: each stored language read in another script, and that script's locale
_DERIVED_FROM = {base: derived for derived, base in DERIVED_LOCALES.items()}

_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
#: what is not prose: links, Markdown link targets, %(placeholders)s, {placeholders}
_NOT_PROSE = re.compile(r"https?://\S+|\]\([^)]*\)|%\([a-z_]+\)[sd]|\{[a-z_]+\}|www\.\S+")
#: Uzbek oʻ and gʻ take the modifier letter ʻ (U+02BB), never a quote mark that looks like
#: it: search and sorting treat them as different letters
_UZBEK_LOOKALIKE = re.compile(r"[OoGg][‘’'`]")
_WORD = re.compile(r"[\w\u0400-\u04FF'ʻʼ‘’]+")
#: Latin words a Cyrillic text may carry: abbreviations written in capitals (UNODC,
#: INCB, USD, PVP) — never a unit or a word («min», «kg», «h»)
_ABBREVIATION = re.compile(r"^[A-Z0-9]{2,8}$|^[IVX]{1,4}$")
#: names written in Latin letters in every language: HTTP headers and media types that
#: API errors name for app developers, formats and products. Never a unit or a word a
#: traveller reads (min, h, kg)
TECHNICAL_NAMES = frozenset(
    {"Authorization", "Content", "Type", "application", "json", "If", "Match", "ETag"}
    | {"https", "id", "push", "alt", "Markdown", "Firebase", "WebP", "dry", "run"}
    | {"App", "Check"}  # Firebase App Check, a product's name
    | {"PO", "po", "fuzzy"}  # gettext's file format, its extension, its "needs work" flag
)


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    text: str


# --- the facts, in the seed files' shape -------------------------------------------


@dataclass
class Facts:
    """Everything the checks read: seed entries, or database rows in the same shape."""

    origin: str  # "seed" or "database"
    checkpoints: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    substances: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]


def seed_facts(seed_dir: Path = SEED_DIR) -> Facts:
    def load(path: Path) -> dict[str, Any]:
        with path.open("rb") as file:
            return tomllib.load(file)

    rules: list[dict[str, Any]] = []
    substances: list[dict[str, Any]] = []
    for path in sorted((seed_dir / "customs").glob("*.toml")):
        data = load(path)
        rules += [{**r, "_file": f"customs/{path.name}"} for r in data.get("rule", [])]
        substances += [{**s, "_file": f"customs/{path.name}"} for s in data.get("substance", [])]
    return Facts(
        origin="seed",
        checkpoints=load(seed_dir / "checkpoints.toml")["checkpoint"],
        rules=rules,
        substances=substances,
        campaigns=load(seed_dir / "campaigns.toml")["campaign"],
    )


def database_facts(session: Session) -> Facts:
    """The served facts: every checkpoint, every rule version in force or to come, every
    substance and campaign, turned into the seed files' shape."""
    equeues: dict[str, list[EqueueFact]] = {}
    for fact in session.scalars(select(EqueueFact)):
        equeues.setdefault(fact.checkpoint_id, []).append(fact)
    checkpoints = [
        {
            "id": c.id,
            "name": c.names,
            "source": c.sources,
            "lat": c.latitude,
            "lon": c.longitude,
            "accuracy_m": c.location_accuracy_m,
            "paired": c.paired_id,
            "hours_known": c.hours_known,
            "always_open": c.always_open,
            "hours": c.hours,
            "equeue": [
                {
                    "direction": f.direction.value,
                    "lane": f.lane.value,
                    "booking_url": f.booking_url,
                    "source": f.sources,
                }
                for f in equeues.get(c.id, [])
            ],
        }
        for c in session.scalars(select(Checkpoint).order_by(Checkpoint.id))
    ]
    rules = [
        {
            "key": r.key,
            "version": r.version,
            "title": r.titles,
            "explanation": r.explanations,
            "source": r.source,
            "effective_from_precision": r.effective_from_precision,
        }
        for r in session.scalars(
            select(CustomsRule)
            .where(CustomsRule.superseded_at.is_(None), CustomsRule.retired.is_(False))
            .order_by(CustomsRule.key)
        )
    ]
    substances = [
        {
            "key": s.key,
            "names": s.names,
            "rule": [{"country": r.country, "source": r.source} for r in s.rules],
        }
        for s in session.scalars(select(Substance).where(Substance.retired.is_(False)))
    ]
    campaigns = [
        {
            "slug": c.slug,
            "demo": c.demo,
            "source": c.sources,
            "translations": {
                locale: {
                    "title": t.title,
                    "summary": t.summary,
                    "body": t.body,
                    "image_alt": t.image_alt,
                    "cta_label": t.cta_label or "",
                    "cta_url": t.cta_url or "",
                }
                for locale, t in c.translations.items()
            },
        }
        for c in session.scalars(select(Campaign).order_by(Campaign.slug))
    ]
    return Facts("database", checkpoints, rules, substances, campaigns)


# --- texts -----------------------------------------------------------------------


def _texts(facts: Facts) -> Iterator[tuple[str, str, str, str]]:
    """(where, locale, kind, text) for every served text; kind is "name" or "prose"."""
    for c in facts.checkpoints:
        for locale, text in c.get("name", {}).items():
            yield f"checkpoint {c['id']} name", locale, "name", text
    for r in facts.rules:
        for field in ("title", "explanation"):
            for locale, text in r.get(field, {}).items():
                yield f"rule {r['key']} {field}", locale, "prose", text
    for camp in facts.campaigns:
        for locale, t in camp.get("translations", {}).items():
            for field in ("title", "summary", "body", "image_alt", "cta_label"):
                if t.get(field):
                    yield f"campaign {camp['slug']} {field}", locale, "prose", t[field]


# --- the checks --------------------------------------------------------------------


def check_script(where: str, locale: str, kind: str, text: str) -> list[Problem]:
    """A text in its locale's script: Cyrillic locales carry Latin letters only in
    abbreviations; Latin locales carry no Cyrillic; no word mixes the two."""
    problems = []
    prose = _NOT_PROSE.sub(" ", text)
    if locale == "uz":
        for found in _UZBEK_LOOKALIKE.finditer(prose):
            problems.append(
                Problem("script", where, f"uz: «{found.group()}» must be written with ʻ (U+02BB)")
            )
    for word in _WORD.findall(prose):
        if "_" in word:  # a field name such as dry_run
            continue
        for part in word.split("-"):
            latin, cyrillic = _LATIN.search(part), _CYRILLIC.search(part)
            if latin and cyrillic:
                problems.append(Problem("script", where, f"{locale}: «{part}» mixes scripts"))
            elif (
                locale in CYRILLIC_LOCALES
                and latin
                and not _ABBREVIATION.match(part)
                and part not in TECHNICAL_NAMES
            ):
                problems.append(Problem("script", where, f"{locale}: Latin «{part}»"))
            elif locale in LATIN_LOCALES and cyrillic and (kind == "name" or locale == "kk-Latn"):
                problems.append(Problem("script", where, f"{locale}: Cyrillic «{part}»"))
    return problems


def _check_derived_script(where: str, locale: str, kind: str, text: str) -> list[Problem]:
    """A uz or kk text as uz-Cyrl or kk-Latn readers get it, in their script."""
    derived = _DERIVED_FROM.get(locale)
    if derived is None:
        return []
    return check_script(where, derived, kind, derive(text, derived))


def check_languages(facts: Facts) -> list[Problem]:
    problems = []

    def need(where: str, texts: dict[str, Any] | None) -> None:
        missing = [loc for loc in KNOWN_LOCALES if not (texts or {}).get(loc)]
        if missing:
            problems.append(Problem("languages", where, "missing: " + ", ".join(missing)))

    for c in facts.checkpoints:
        need(f"checkpoint {c['id']} name", c.get("name"))
    for r in facts.rules:
        need(f"rule {r['key']} title", r.get("title"))
        need(f"rule {r['key']} explanation", r.get("explanation"))
    for camp in facts.campaigns:
        translations = camp.get("translations", {})
        for field in ("title", "summary", "body"):
            need(
                f"campaign {camp['slug']} {field}",
                {loc: t.get(field) for loc, t in translations.items()},
            )
    return problems


def check_date_precision(facts: Facts) -> list[Problem]:
    return [
        Problem(
            "date_precision",
            f"rule {r['key']}",
            "effective_from_precision must be one of " + ", ".join(DATE_PRECISIONS),
        )
        for r in facts.rules
        if r.get("effective_from_precision") not in DATE_PRECISIONS
    ]


def _sources(facts: Facts) -> Iterator[tuple[str, dict[str, Any]]]:
    for c in facts.checkpoints:
        for n, s in enumerate(c.get("source", []), 1):
            yield f"checkpoint {c['id']} source {n}", s
        for fact in c.get("equeue", []):
            where = (
                f"checkpoint {c['id']} e-queue {fact.get('direction', 'unstated')} {fact['lane']}"
            )
            if fact.get("booking_url"):
                yield f"{where} booking_url", {"url": fact["booking_url"]}
            for n, s in enumerate(fact.get("source", []), 1):
                yield f"{where} source {n}", s
    for r in facts.rules:
        if r.get("source"):
            yield f"rule {r['key']} source", r["source"]
    for sub in facts.substances:
        for rule in sub.get("rule", []):
            if rule.get("source"):
                yield f"substance {sub['key']} {rule.get('country')} source", rule["source"]
    for camp in facts.campaigns:
        for n, s in enumerate(camp.get("source", []), 1):
            yield f"campaign {camp['slug']} source {n}", s


def run(facts: Facts, *, catalogs: bool = False) -> list[Problem]:
    """Every check over these facts, and over the catalogs' messages when asked."""
    problems: list[Problem] = []
    texts = [Text(where, locale, text) for where, locale, _kind, text in _texts(facts)]
    messages = list(catalog_texts()) if catalogs else []
    for where, locale, kind, text in _texts(facts):
        problems += check_script(where, locale, kind, text)
        problems += _check_derived_script(where, locale, kind, text)
    for message in messages:
        problems += check_script(message.where, message.locale, "prose", message.text)
        problems += _check_derived_script(message.where, message.locale, "prose", message.text)
    problems += [
        Problem("glossary", p.where, f"{p.locale}: {p.message}")
        for p in check_glossary([*texts, *messages])
    ]
    problems += [
        Problem("source", p.where, f"{p.value}: {p.problem}")
        for p in check_sources([(facts.origin, where, source) for where, source in _sources(facts)])
    ]
    problems += check_date_precision(facts)
    problems += [
        Problem("partner_distance", f"checkpoint {p.checkpoint_id}", p.message)
        for p in partner_distance_problems(placements_from_seed(facts.checkpoints))
    ]
    problems += [
        Problem("hours", f"checkpoint {p.checkpoint_id}", p.message)
        for p in hours_problems(facts.checkpoints)
    ]
    for campaign in facts.campaigns:
        if campaign.get("demo"):
            missing = demo_label_missing(campaign.get("translations", {}))
            if missing:
                problems.append(
                    Problem(
                        "demo_label",
                        f"campaign {campaign['slug']}",
                        "no visible demo label in: " + ", ".join(missing),
                    )
                )
    problems += check_languages(facts)
    return [Problem(p.check, f"{facts.origin}: {p.where}", p.text) for p in problems]
