"""Exchange files for outside translators: a campaign, or a set of customs rules, for one
target language, as a gettext PO file written and read by Babel (babel.messages).

Why PO and not XLIFF: issue #19 accepts "XLIFF 2.x or PO" from a maintained library. The
maintained XLIFF library for Python (translate-toolkit) is GPL-3.0-or-later, which this
project does not take on, and hand-written XML is ruled out; Babel, already a dependency,
writes and reads PO. Every translation tool (Poedit, Weblate, Crowdin, OmegaT, Lokalize)
opens PO files.

The file:

- the header's `Language:` is the target language; `Project-Id-Version` is
  ``My Border <kind>:<key>@<version>:<reference>[,<key>@<version>:<reference>…]``: which
  items the file was exported from, each at which version (a campaign's latest revision
  number, a customs rule's version) and from which reference language. The header
  comment says the same in words.
- one unit per translated field whose reference text is not empty: msgctxt
  ``<kind>/<key>/<field>`` (``campaign/fines/title``, ``customs_rule/cash-kz/explanation``),
  msgid the reference language's text, msgstr the target language's text ("" when it
  has none), and an extracted comment (``#.``), in the target language, with the field's
  purpose, its length limit and its translation status.

A set of customs rules is the current version of every rule (`customs.latest_rules`:
withdrawn ones are left out), of one country's rules, or of given keys; a rule whose
reference language is the target language has nothing to translate and is left out.

Import (`import_file`) refuses, as a whole, a file that is not PO (422), is for another
language or not an exchange file of this kind (422), or was exported from other items or
from a version that has changed since (409). Then unit by unit: an empty msgstr leaves
the field as it is, as does a msgstr equal to the current text (the file arrives with
every current translation filled in); a fuzzy unit, one whose msgid is no longer the
reference text, one longer than its field's limit, or one naming no field of the file's
items is rejected and listed. The other units are imported: written through the item's
ordinary save (`campaigns.update`, `customs.revise_rule`: a new revision or version, its
ETag moves, the texts become `draft`). When units were rejected and none could be
imported, nothing is saved and the import is refused (422) with each rejected unit
listed. Both directions are audited: who, which items, which language, how many units.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from io import BytesIO

from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import PoFileError, read_po, write_po
from sqlalchemy.orm import Session

from content.accounts.service import Actor, audit
from content.campaigns import service as campaigns
from content.campaigns.models import Campaign
from content.customs import service as customs
from content.customs.models import CustomsRule
from content.errors import N_, Conflict, FieldProblem, Invalid, Label, NotFound
from content.locales import translations as catalogs
from content.translations import service as translations
from content.translations.labels import FIELD_LABELS, LANGUAGE_NAMES, STATUS_LABELS
from content.translations.models import TranslationStatus

PROJECT = "My Border"
CONTENT_TYPE = "text/x-gettext-translation"
KIND_LABELS = {translations.CAMPAIGN: N_("Campaign"), translations.CUSTOMS_RULE: N_("Customs rule")}
#: why a unit was not imported (msgids)
STALE = N_("The reference text changed after the file was exported: translate the new text.")
FUZZY = N_("Marked as fuzzy (needs work): not imported.")
TOO_LONG = N_("Longer than the limit of %(limit)s characters.")
UNKNOWN_UNIT = N_("No such text in the items of this file.")

_ITEM = re.compile(r"(?P<key>[a-z0-9]+(?:-[a-z0-9]+)*)@(?P<version>\d+):(?P<reference>[a-z]{2})")
_FILE = N_("The file is not a PO file that can be read.")

Item = Campaign | CustomsRule


@dataclass(frozen=True)
class Rejected:
    """A unit that was not imported: its msgctxt, why (a msgid) and the why's values."""

    unit: str
    reason: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class Imported:
    """What an import did: the units written, those left as they were, those refused."""

    locale: str
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    #: the items saved (a new rule version, or the campaign), each at its new `version`
    saved: list[Item] = field(default_factory=list)


def versions(result: Imported) -> dict[str, int]:
    """Each saved item's new version (its ETag), by key."""
    return {translations.key_of(item): item.version for item in result.saved}


# -- export -------------------------------------------------------------------------


def export_campaign(session: Session, campaign: Campaign, locale: str, *, actor: Actor) -> bytes:
    """A campaign's PO file for translating it into `locale`. Audited."""
    translations.check_target(campaign, locale)
    return _export(session, [campaign], locale, actor=actor, selection=campaign.slug)


def export_rules(
    session: Session,
    locale: str,
    *,
    actor: Actor,
    country: str | None = None,
    keys: Collection[str] = (),
) -> bytes:
    """The current customs rules' PO file for `locale`: every rule's, a country's, or
    those of `keys`. Audited."""
    translations.check_locale(locale)
    current = customs.latest_rules(session)
    unknown = sorted(set(keys) - {rule.key for rule in current})
    if unknown:
        raise NotFound(N_("No customs rule %(key)s."), key=unknown[0])
    rules = [
        rule
        for rule in current
        if (not country or country.upper() in rule.countries)
        and (not keys or rule.key in keys)
        and rule.reference_locale != locale
    ]
    selection = ",".join(sorted(keys)) or (country or "").upper() or "all"
    return _export(session, rules, locale, actor=actor, selection=selection)


def _export(
    session: Session, items: Sequence[Item], locale: str, *, actor: Actor, selection: str
) -> bytes:
    kind = translations.kind_of(items[0]) if items else translations.CUSTOMS_RULE
    note = _translator(locale)
    states = translations.statuses_of(session, items)
    identity = [_identity_of(session, item) for item in items]
    catalog = Catalog(
        locale=locale,
        project=PROJECT,
        version=f"{kind}:{','.join(identity)}",
        fuzzy=False,
        header_comment=_header_comment(kind, identity, locale),
    )
    units = 0
    for item in items:
        current = translations.texts(item)
        reference = item.reference_locale
        for name in translations.FIELDS[kind]:
            source = current[reference][name]
            if not source.strip():
                continue  # nothing to translate
            state = states[translations.key_of(item)][locale].fields.get(name)
            status = state.status if state else TranslationStatus.MISSING
            catalog.add(
                source,
                current[locale][name],
                auto_comments=_comments(kind, name, status, note),
                context=f"{kind}/{translations.key_of(item)}/{name}",
            )
            units += 1
    audit(
        session,
        actor=actor,
        action="export_translation",
        object_type=kind,
        object_id=selection[:200],
        after={"locale": locale, "items": identity, "units": units},
    )
    session.flush()
    out = BytesIO()
    write_po(out, catalog, width=0, omit_header=False)
    return out.getvalue()


def _identity_of(session: Session, item: Item) -> str:
    return f"{translations.key_of(item)}@{_version_of(session, item)}:{item.reference_locale}"


def _version_of(session: Session, item: Item) -> int:
    """What a file's version names: a campaign's latest revision (a save makes one; its
    workflow and confirmations do not), a rule's version."""
    if isinstance(item, Campaign):
        return campaigns.revision_number(session, item)
    return item.version


def _header_comment(kind: str, identity: list[str], locale: str) -> str:
    lines = [
        f"{PROJECT}: translation exchange file ({kind}), target language {locale}.",
        "Each unit: msgctxt <kind>/<key>/<field>, msgid the reference text, msgstr the "
        "translation.",
        "Exported from (key@version:reference language):",
        *(f"  {item}" for item in identity),
        "Fill in the msgstr lines only; leave msgctxt, msgid and this header as they are.",
    ]
    return "\n".join(f"# {line}".rstrip() for line in lines)


def _comments(
    kind: str, name: str, status: TranslationStatus, note: Callable[..., str]
) -> list[str]:
    return [
        f"{note(KIND_LABELS[kind])}: {note(FIELD_LABELS[name])}",
        note(N_("At most %(limit)s characters."), limit=translations.LENGTH_LIMITS[kind][name]),
        note(N_("Translation status: %(status)s."), status=note(STATUS_LABELS[status])),
    ]


def _translator(locale: str) -> Callable[..., str]:
    """Messages in the target language, for the translator's notes."""
    catalog = catalogs(locale)

    def note(message: str, **params: object) -> str:
        text = catalog.gettext(message)
        return text % params if params else text

    return note


# -- import -------------------------------------------------------------------------


def import_campaign(
    session: Session, campaign: Campaign, data: bytes, locale: str, *, actor: Actor
) -> Imported:
    """Import a translator's PO file of a campaign into `locale` (see the module)."""
    translations.check_target(campaign, locale)
    catalog = _read(data, translations.CAMPAIGN, locale)
    items = _items(session, catalog, translations.CAMPAIGN, expected=campaign.slug)
    result = _sort_units(catalog, translations.CAMPAIGN, items, locale)
    if result.imported:
        campaigns.update(
            session,
            actor=actor,
            campaign=campaign,
            expected_version=campaign.version,
            fields={"translations": {locale: _texts(catalog, result, campaign)}},
        )
        result.saved.append(campaign)
    _audit_import(session, result, translations.CAMPAIGN, items, actor)
    return result


def import_rules(session: Session, data: bytes, locale: str, *, actor: Actor) -> Imported:
    """Import a translator's PO file of customs rules into `locale`: each rule with an
    imported text gets a new version, as an editor's revision does."""
    translations.check_locale(locale)
    catalog = _read(data, translations.CUSTOMS_RULE, locale)
    items = _items(session, catalog, translations.CUSTOMS_RULE)
    result = _sort_units(catalog, translations.CUSTOMS_RULE, items, locale)
    for rule in (item for item in items.values() if isinstance(item, CustomsRule)):
        texts = _texts(catalog, result, rule)
        if not texts:
            continue
        fields: dict[str, object] = {}
        if "title" in texts:
            fields["titles"] = {**rule.titles, locale: texts["title"]}
        if "explanation" in texts:
            fields["explanations"] = {**(rule.explanations or {}), locale: texts["explanation"]}
        result.saved.append(
            customs.revise_rule(
                session, actor=actor, key=rule.key, expected_version=rule.version, fields=fields
            )
        )
    _audit_import(session, result, translations.CUSTOMS_RULE, items, actor)
    return result


def _read(data: bytes, kind: str, locale: str) -> Catalog:
    """The file as a Babel catalog, checked to be an exchange file of `kind` for `locale`."""
    try:
        # a Windows editor may have saved it with a byte order mark
        source = BytesIO(data.removeprefix(codecs.BOM_UTF8))
        catalog = read_po(source, ignore_obsolete=True, abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, UnknownLocaleError, ValueError) as error:
        raise Invalid([FieldProblem("file", _FILE)]) from error
    if catalog.project != PROJECT or not (catalog.version or "").startswith(f"{kind}:"):
        raise Invalid(
            [
                FieldProblem(
                    "file",
                    N_(
                        "The file is not an exchange file of this kind: export one here and "
                        "send it back translated."
                    ),
                )
            ]
        )
    language = catalog.locale_identifier or ""
    if language.replace("-", "_").split("_")[0] != locale:
        raise Invalid(
            [
                FieldProblem(
                    "file",
                    N_(
                        "The file's language is “%(file_language)s”, not the one chosen "
                        "(%(language)s)."
                    ),
                    {"file_language": language, "language": Label(LANGUAGE_NAMES[locale])},
                )
            ]
        )
    return catalog


def _items(
    session: Session, catalog: Catalog, kind: str, *, expected: str | None = None
) -> dict[str, Item]:
    """The items a file was exported from, by key, each checked to be still at the
    version the file names (409 otherwise)."""
    listed = (catalog.version or "")[len(kind) + 1 :]
    found: dict[str, Item] = {}
    for part in filter(None, listed.split(",")):
        match = _ITEM.fullmatch(part)
        if match is None:
            raise Invalid([FieldProblem("file", _FILE)])
        key, version = match["key"], int(match["version"])
        if expected is not None and key != expected:
            raise Conflict(N_("The file was exported for another item (%(key)s)."), key=key)
        item = _find(session, kind, key)
        current = _version_of(session, item)
        if current != version:
            raise Conflict(
                N_(
                    "%(key)s changed after the file was exported (version %(exported)s, now "
                    "%(current)s): export the file again."
                ),
                key=key,
                exported=version,
                current=current,
            )
        found[key] = item
    if expected is not None and expected not in found:
        raise Invalid([FieldProblem("file", _FILE)])
    return found


def _find(session: Session, kind: str, key: str) -> Item:
    try:
        if kind == translations.CAMPAIGN:
            return campaigns.get_or_raise(session, key)
        return customs.latest(session, key)
    except NotFound as error:  # the file names an item that is gone
        raise Conflict(
            N_("The file names an item that no longer exists: %(key)s."), key=key
        ) from error


def _sort_units(catalog: Catalog, kind: str, items: dict[str, Item], locale: str) -> Imported:
    """Which units to import, which are as they were, which are refused."""
    result = Imported(locale)
    texts = {key: translations.texts(item) for key, item in items.items()}
    for message in catalog:
        if not message.id:
            continue  # the header
        unit = message.context or ""
        if not _translated(message):
            continue  # an empty msgstr leaves the field as it is
        unit_kind, _slash, rest = unit.partition("/")
        key, _slash, name = rest.rpartition("/")
        item = items.get(key)
        if item is None or unit_kind != kind or name not in translations.FIELDS[kind]:
            result.rejected.append(Rejected(unit, UNKNOWN_UNIT))
            continue
        current = texts[key]
        text = str(message.string)
        if message.fuzzy:
            result.rejected.append(Rejected(unit, FUZZY))
        elif not isinstance(message.id, str) or message.id != current[item.reference_locale][name]:
            result.rejected.append(Rejected(unit, STALE))
        elif len(text) > translations.LENGTH_LIMITS[kind][name]:
            result.rejected.append(
                Rejected(unit, TOO_LONG, {"limit": translations.LENGTH_LIMITS[kind][name]})
            )
        elif text == current[locale][name]:
            result.unchanged.append(unit)
        else:
            result.imported.append(unit)
    if result.rejected and not result.imported:
        raise Invalid(
            [FieldProblem(r.unit or "file", r.reason, dict(r.params)) for r in result.rejected]
        )
    return result


def _translated(message: Message) -> bool:
    string = message.string
    if isinstance(string, tuple | list):
        return any(string)
    return bool(string and string.strip())


def _texts(catalog: Catalog, result: Imported, item: Item) -> dict[str, str]:
    """The imported texts of one item, by field."""
    prefix = f"{translations.kind_of(item)}/{translations.key_of(item)}/"
    wanted = {unit for unit in result.imported if unit.startswith(prefix)}
    return {
        str(message.context)[len(prefix) :]: str(message.string)
        for message in catalog
        if message.context in wanted
    }


def _audit_import(
    session: Session, result: Imported, kind: str, items: dict[str, Item], actor: Actor
) -> None:
    audit(
        session,
        actor=actor,
        action="import_translation",
        object_type=kind,
        object_id=",".join(sorted(items))[:200] or "-",
        after={
            "locale": result.locale,
            "items": sorted(items),
            "imported": len(result.imported),
            "unchanged": len(result.unchanged),
            "rejected": [rejected.unit for rejected in result.rejected],
        },
    )
    session.flush()
