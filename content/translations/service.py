"""Per-language translation status of campaigns and customs rules.

Each item (a campaign, keyed by slug; a customs rule, keyed by its `key`, so that the
status survives its revisions) has a reference language (`reference_locale`, Russian by
default). Each translated field of each other language has a status:

- `missing`: no text (only where the field applies: a required field, or one the
  reference language has);
- `draft`: written (through an ordinary save, an import, or before statuses existed) and
  not confirmed since;
- `up_to_date`: confirmed against the current reference text ("Confirm translation");
- `outdated`: the reference text changed after the translation was written or confirmed;
- `reviewed`: a reviewer (a publisher), or another user than the one who last wrote or
  confirmed it, checked it against the current reference text.

A language's status is the worst of its fields, worst first: missing, outdated, draft,
up_to_date, reviewed. The reference language is never outdated: its fields are draft
when written, reviewed when reviewed.

Every save of an item calls `record_save` with its texts from before the save; code that
writes texts some other way calls `mark_written` after writing them. Both make written
fields `draft`, and a changed reference field `outdated` in every other language that has
text for it, unless the save is a minor edit.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from content import versions
from content.accounts.models import PUBLISHERS
from content.accounts.service import Actor
from content.campaigns.models import Campaign, CampaignStatus
from content.customs.models import CustomsRule
from content.db import utcnow
from content.errors import N_, Conflict, FieldProblem, Forbidden, Invalid, NotFound
from content.translations.models import TranslationState, TranslationStatus

Item = Campaign | CustomsRule
CAMPAIGN = "campaign"
CUSTOMS_RULE = "customs_rule"
KINDS = (CAMPAIGN, CUSTOMS_RULE)
#: the languages whose status is kept: the region's six and English, in the console's order
TRACKED_LOCALES = ("en", "ru", "kk", "ky", "uz", "tg", "tk")
#: the translated fields of each kind of item, and those every language needs
FIELDS = {
    CAMPAIGN: ("title", "summary", "body", "image_alt", "cta_label"),
    CUSTOMS_RULE: ("title", "explanation"),
}
REQUIRED = {CAMPAIGN: ("title", "summary", "body"), CUSTOMS_RULE: ("title",)}
#: the longest text each translated field takes (in characters): what the admin API's
#: schemas accept and what an exchange file tells its translator
LENGTH_LIMITS = {
    CAMPAIGN: {"title": 200, "summary": 500, "body": 20000, "image_alt": 300, "cta_label": 100},
    CUSTOMS_RULE: {"title": 2000, "explanation": 2000},
}
#: worst first: a language's status is the first of these any of its fields has
SEVERITY = (
    TranslationStatus.MISSING,
    TranslationStatus.OUTDATED,
    TranslationStatus.DRAFT,
    TranslationStatus.UP_TO_DATE,
    TranslationStatus.REVIEWED,
)

#: {locale: {field: text}}, every tracked locale and field present ("" when empty)
Texts = dict[str, dict[str, str]]


@dataclass(frozen=True)
class FieldState:
    status: TranslationStatus
    #: the reference text the field was last written or confirmed against (None: not
    #: known, or the reference language itself)
    confirmed_reference: str | None
    #: the reference language's text of the field now
    reference: str

    def reference_diff(self) -> list[tuple[str, str]]:
        """What changed in the reference since the translation was last confirmed."""
        return word_diff(self.confirmed_reference or "", self.reference)


@dataclass(frozen=True)
class LanguageState:
    locale: str
    status: TranslationStatus
    #: the fields that apply to the language (a field neither it nor the reference has,
    #: and that is not required, is left out)
    fields: dict[str, FieldState]
    is_reference: bool

    def outdated_fields(self) -> list[str]:
        return [f for f, s in self.fields.items() if s.status == TranslationStatus.OUTDATED]


# -- items --------------------------------------------------------------------------


def kind_of(item: Item) -> str:
    return CAMPAIGN if isinstance(item, Campaign) else CUSTOMS_RULE


def key_of(item: Item) -> str:
    return item.slug if isinstance(item, Campaign) else item.key


def texts(item: Item) -> Texts:
    """An item's translated texts, by language and field."""
    result: Texts = {}
    for locale in TRACKED_LOCALES:
        if isinstance(item, Campaign):
            translation = item.translations.get(locale)
            result[locale] = {
                f: (getattr(translation, f) or "") if translation else "" for f in FIELDS[CAMPAIGN]
            }
        else:
            result[locale] = {
                "title": (item.titles or {}).get(locale) or "",
                "explanation": (item.explanations or {}).get(locale) or "",
            }
    return result


def is_public(item: Item) -> bool:
    """Whether travellers may read the item now or later (a status change can change what
    they are served)."""
    return not isinstance(item, Campaign) or item.status == CampaignStatus.PUBLISHED


def check_reference_locale(locale: str, path: str = "reference_locale") -> None:
    if locale not in TRACKED_LOCALES:
        raise Invalid([FieldProblem(path, N_("Unknown language."))])


# -- reading statuses ---------------------------------------------------------------


def statuses(session: Session, item: Item) -> dict[str, LanguageState]:
    """Each tracked language's status, overall and by field."""
    return statuses_of(session, [item])[key_of(item)]


def statuses_of(session: Session, items: Iterable[Item]) -> dict[str, dict[str, LanguageState]]:
    """`statuses` of many items of one kind, read in one query; by item key."""
    items = list(items)
    if not items:
        return {}
    kind = kind_of(items[0])
    rows = _rows(session, kind, [key_of(item) for item in items])
    return {key_of(item): _assemble(kind, item, rows.get(key_of(item), {})) for item in items}


def outdated(
    session: Session, kind: str, keys: Collection[str] | None = None
) -> dict[str, dict[str, set[str]]]:
    """The outdated fields of each item of a kind (of `keys` only, when given), by item key
    and language; items and languages with none are left out."""
    query = select(TranslationState.item_key, TranslationState.locale, TranslationState.field)
    query = query.where(
        TranslationState.kind == kind, TranslationState.status == TranslationStatus.OUTDATED
    )
    if keys is not None:
        query = query.where(TranslationState.item_key.in_(list(keys)))
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for key, locale, field in session.execute(query):
        found[key][locale].add(field)
    return {key: dict(by_locale) for key, by_locale in found.items()}


def keys_outdated_in(kind: str, locale: str) -> Select[str]:
    """The keys of the items of a kind with an outdated field in a language, as a select
    for `in_()`."""
    return select(TranslationState.item_key).where(
        TranslationState.kind == kind,
        TranslationState.locale == locale,
        TranslationState.status == TranslationStatus.OUTDATED,
    )


def outdated_locales(session: Session, item: Item, locales: Collection[str]) -> list[str]:
    """Which of `locales` have an outdated field, in the order given."""
    found = outdated(session, kind_of(item), [key_of(item)]).get(key_of(item), {})
    return [locale for locale in locales if found.get(locale)]


def _rows(
    session: Session, kind: str, keys: Collection[str]
) -> dict[str, dict[tuple[str, str], TranslationState]]:
    found: dict[str, dict[tuple[str, str], TranslationState]] = defaultdict(dict)
    for row in session.scalars(
        select(TranslationState).where(
            TranslationState.kind == kind, TranslationState.item_key.in_(list(keys))
        )
    ):
        found[row.item_key][(row.locale, row.field)] = row
    return found


def _assemble(
    kind: str, item: Item, rows: Mapping[tuple[str, str], TranslationState]
) -> dict[str, LanguageState]:
    current = texts(item)
    reference = item.reference_locale
    result = {}
    for locale in TRACKED_LOCALES:
        fields: dict[str, FieldState] = {}
        for field in FIELDS[kind]:
            text = current[locale][field].strip()
            reference_text = current.get(reference, {}).get(field, "")
            applies = field in REQUIRED[kind] or bool(reference_text.strip())
            row = rows.get((locale, field))
            if not text:
                if applies:
                    fields[field] = FieldState(TranslationStatus.MISSING, None, reference_text)
                continue
            status = row.status if row is not None else TranslationStatus.DRAFT
            if status == TranslationStatus.MISSING or (
                locale == reference and status == TranslationStatus.OUTDATED
            ):
                status = TranslationStatus.DRAFT
            confirmed = row.confirmed_reference if row is not None else None
            fields[field] = FieldState(
                status, None if locale == reference else confirmed, reference_text
            )
        overall = min(
            (state.status for state in fields.values()),
            key=SEVERITY.index,
            default=TranslationStatus.MISSING,
        )
        result[locale] = LanguageState(locale, overall, fields, locale == reference)
    return result


# -- writing statuses ---------------------------------------------------------------


def record_save(
    session: Session,
    item: Item,
    before: Texts | None,
    *,
    actor: Actor,
    minor_edit: bool = False,
    before_reference: str | None = None,
) -> None:
    """After an ordinary save of an item (its texts were `before`, None for a new item):

    - a field whose text changed becomes `draft` (`missing` when emptied), remembering the
      reference text it was written against;
    - a changed reference field makes that field `outdated` in every other language that
      has text for it and did not change it in the same save, unless `minor_edit` (or the
      reference had no text for it before): then statuses stay and the reference text they
      count as confirmed against is the new one;
    - a new reference language (`before_reference` differs) outdates nothing: the other
      languages count as confirmed against its texts, keeping their statuses.
    """
    kind, key = kind_of(item), key_of(item)
    after = texts(item)
    reference = item.reference_locale
    rows = _rows(session, kind, [key]).get(key, {})
    empty: Texts = {locale: dict.fromkeys(FIELDS[kind], "") for locale in TRACKED_LOCALES}
    before = before or empty
    reference_before = before[reference]
    if before_reference is not None and before_reference != reference:
        for (locale, field), row in rows.items():
            if locale == reference:
                row.confirmed_reference = None
                if row.status == TranslationStatus.OUTDATED:
                    row.status = TranslationStatus.DRAFT
            else:
                row.confirmed_reference = after[reference][field]
        reference_before = after[reference]  # no reference change to spread
    for field in FIELDS[kind]:
        new_reference = after[reference][field]
        old_reference = reference_before[field]
        written = [
            locale for locale in TRACKED_LOCALES if before[locale][field] != after[locale][field]
        ]
        if new_reference != old_reference:
            # a reference text written for the first time has no earlier meaning that a
            # translation written before it could be out of step with: as a minor edit
            first_written = not old_reference.strip()
            for locale in TRACKED_LOCALES:
                if locale == reference or locale in written or not after[locale][field].strip():
                    continue
                found = rows.get((locale, field))
                if minor_edit or first_written:
                    # a draft from before statuses were kept stays one
                    kept = found or _new_row(session, rows, kind, key, locale, field, actor)
                    kept.confirmed_reference = new_reference
                    continue
                baseline = found.confirmed_reference if found is not None else None
                if baseline is None:
                    baseline = old_reference
                if baseline != new_reference:
                    stale = found or _new_row(session, rows, kind, key, locale, field, actor)
                    stale.status = TranslationStatus.OUTDATED
                    stale.confirmed_reference = baseline
                    stale.changed_at = utcnow()
        for locale in written:
            if locale == reference and minor_edit and (locale, field) in rows:
                continue  # a minor edit leaves the reference's own status as it was
            _written(session, rows, kind, key, locale, field, after, reference, actor)
    session.flush()


def mark_written(
    session: Session, item: Item, locale: str, fields: Iterable[str], *, actor: Actor
) -> None:
    """Call after writing texts of an item some other way than its service's save (an
    import, a script): the fields become `draft` in that language (`missing` if empty),
    written against the current reference text. Written into the reference language, they
    make every other language's field that was not confirmed against the new text
    `outdated`. Tells readers' caches when the item is public."""
    kind, key = kind_of(item), key_of(item)
    current = texts(item)
    reference = item.reference_locale
    rows = _rows(session, kind, [key]).get(key, {})
    for field in fields:
        if field not in FIELDS[kind]:
            raise ValueError(f"{kind} has no translated field {field}")
        _written(session, rows, kind, key, locale, field, current, reference, actor)
        if locale != reference:
            continue
        for other in TRACKED_LOCALES:
            if other == reference or not current[other][field].strip():
                continue
            row = rows.get((other, field))
            if row is None or row.confirmed_reference != current[reference][field]:
                if row is None:
                    row = _new_row(session, rows, kind, key, other, field, actor)
                row.status = TranslationStatus.OUTDATED
    session.flush()
    if is_public(item):
        versions.bump(session)


def confirm(session: Session, item: Item, locale: str, *, actor: Actor) -> list[str]:
    """Confirm a translation: the language's fields that have text become `up_to_date`,
    confirmed against the reference text as it is now. Returns the fields confirmed."""
    check_locale(locale)
    if locale == item.reference_locale:
        raise Conflict(
            N_("This is the reference language: there is nothing to confirm it against.")
        )
    return _settle(session, item, locale, TranslationStatus.UP_TO_DATE, actor)


def review(session: Session, item: Item, locale: str, *, actor: Actor) -> list[str]:
    """Mark a language reviewed: its fields that have text become `reviewed` (confirmed
    against the reference text as it is now). A publisher may review any text; an editor
    only text that someone else last wrote or confirmed."""
    check_locale(locale)
    kind, key = kind_of(item), key_of(item)
    if actor.role not in PUBLISHERS:
        rows = _rows(session, kind, [key]).get(key, {})
        if any(row.changed_by == actor.label for (lang, _f), row in rows.items() if lang == locale):
            raise Forbidden(
                N_("You wrote or confirmed this translation: someone else must review it.")
            )
    return _settle(session, item, locale, TranslationStatus.REVIEWED, actor)


def _settle(
    session: Session, item: Item, locale: str, status: TranslationStatus, actor: Actor
) -> list[str]:
    kind, key = kind_of(item), key_of(item)
    current = texts(item)
    reference = item.reference_locale
    rows = _rows(session, kind, [key]).get(key, {})
    settled = []
    for field in FIELDS[kind]:
        if not current[locale][field].strip():
            continue
        row = rows.get((locale, field)) or _new_row(session, rows, kind, key, locale, field, actor)
        row.status = status
        row.confirmed_reference = None if locale == reference else current[reference][field]
        row.changed_by = actor.label
        row.changed_at = utcnow()
        settled.append(field)
    if not settled:
        raise Conflict(N_("This language has no text yet: there is nothing to confirm."))
    session.flush()
    return settled


def check_locale(locale: str) -> None:
    """Refuse (404) a language whose status is not kept."""
    if locale not in TRACKED_LOCALES:
        raise NotFound(N_("Unknown language."))


def check_target(item: Item, locale: str) -> None:
    """Refuse a language to translate an item into: unknown (404), or its reference (409)."""
    check_locale(locale)
    if locale == item.reference_locale:
        raise Conflict(N_("This is the reference language: there is nothing to translate it into."))


def _written(
    session: Session,
    rows: dict[tuple[str, str], TranslationState],
    kind: str,
    key: str,
    locale: str,
    field: str,
    current: Texts,
    reference: str,
    actor: Actor,
) -> None:
    row = rows.get((locale, field))
    if not current[locale][field].strip():
        if row is not None:
            session.delete(row)
            del rows[(locale, field)]
        return
    if row is None:
        row = _new_row(session, rows, kind, key, locale, field, actor)
    row.status = TranslationStatus.DRAFT
    row.confirmed_reference = None if locale == reference else current[reference][field]
    row.changed_by = actor.label
    row.changed_at = utcnow()


def _new_row(
    session: Session,
    rows: dict[tuple[str, str], TranslationState],
    kind: str,
    key: str,
    locale: str,
    field: str,
    actor: Actor,
) -> TranslationState:
    row = TranslationState(
        kind=kind,
        item_key=key,
        locale=locale,
        field=field,
        status=TranslationStatus.DRAFT,
        changed_by=actor.label,
        changed_at=utcnow(),
    )
    session.add(row)
    rows[(locale, field)] = row
    return row


# -- showing what changed -----------------------------------------------------------

#: words, runs of punctuation and runs of space, each a token of the diff
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word by word, how `old` became `new`: ("equal" | "del" | "ins", text) pieces, in
    order, each change's removed words before its added ones (plain text: the page escapes
    it). Space alone between two changes belongs to them."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    # a change, then a space, then a change: one change
    for i in range(1, len(pieces) - 1):
        piece, text = pieces[i]
        between_changes = pieces[i - 1][0] != "equal" and pieces[i + 1][0] != "equal"
        if piece == "equal" and not text.strip() and between_changes:
            pieces[i] = ("both", text)
    merged: list[tuple[str, str]] = []
    run: dict[str, str] = {"del": "", "ins": ""}
    for piece, text in [*pieces, ("equal", "")]:
        if piece == "equal":
            merged.extend((kind, run[kind]) for kind in ("del", "ins") if run[kind])
            run = {"del": "", "ins": ""}
            if text:
                merged.append(("equal", text))
            continue
        for kind in ("del", "ins"):
            if piece in (kind, "both"):
                run[kind] += text
    return merged


def present(states: Mapping[str, LanguageState]) -> dict[str, Any]:
    """Statuses as the admin API gives them: per language, overall and by field."""
    return {
        locale: {
            "status": state.status.value,
            "reference": state.is_reference,
            "fields": {field: s.status.value for field, s in state.fields.items()},
        }
        for locale, state in states.items()
    }
