"""Translatable names of translation statuses and of the languages whose status is kept
(gettext msgids)."""

from content.errors import N_
from content.translations.models import TranslationStatus

STATUS_LABELS = {
    TranslationStatus.MISSING: N_("Missing"),
    TranslationStatus.DRAFT: N_("Draft"),
    TranslationStatus.UP_TO_DATE: N_("Up to date"),
    TranslationStatus.OUTDATED: N_("Outdated"),
    TranslationStatus.REVIEWED: N_("Reviewed"),
}
#: the languages' names in the reader's language, for messages that name one
LANGUAGE_NAMES = {
    "en": N_("English"),
    "ru": N_("Russian"),
    "kk": N_("Kazakh"),
    "ky": N_("Kyrgyz"),
    "uz": N_("Uzbek"),
    "tg": N_("Tajik"),
    "tk": N_("Turkmen"),
}
#: what each translated field is called on the console
FIELD_LABELS = {
    "title": N_("Title"),
    "summary": N_("Summary"),
    "body": N_("Text (Markdown)"),
    "image_alt": N_("Image description (alt text)"),
    "cta_label": N_("Button label"),
    "explanation": N_("Explanation"),
}
