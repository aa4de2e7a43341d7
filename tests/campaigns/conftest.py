"""Campaign texts for the tests."""

from __future__ import annotations

from content.locales import KNOWN_LOCALES
from tests.conftest import USER_PASSWORD

PASSWORD = USER_PASSWORD


def full_translations(prefix: str = "") -> dict[str, dict[str, str]]:
    return {
        locale: {
            "title": f"{prefix}Title {locale}",
            "summary": f"Summary {locale}",
            "body": f"Body in **{locale}**.",
            "image_alt": f"Alt {locale}",
        }
        for locale in KNOWN_LOCALES
    }
