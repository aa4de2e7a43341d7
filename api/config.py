"""Every setting, read from the environment once, typed, with its default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'myborder.db'}"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass
class Settings:
    """The service's configuration. README.md documents each field."""

    env: str = field(default_factory=lambda: os.environ.get("MYBORDER_ENV", "development"))
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", ""))
    default_locale: str = field(default_factory=lambda: os.environ.get("DEFAULT_LOCALE", "ru"))
    queue_stale_after_minutes: int = field(
        default_factory=lambda: _env_int("QUEUE_STALE_AFTER_MINUTES", 90)
    )
    max_body_bytes: int = field(default_factory=lambda: _env_int("MAX_BODY_BYTES", 1024 * 1024))
    public_cache_seconds: int = field(default_factory=lambda: _env_int("PUBLIC_CACHE_SECONDS", 10))

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def validate(self) -> None:
        """Fail at start-up on settings the service cannot run with."""
        from api.i18n import KNOWN_LOCALES

        if self.default_locale not in KNOWN_LOCALES:
            raise RuntimeError(
                f"DEFAULT_LOCALE={self.default_locale!r} is not one of {sorted(KNOWN_LOCALES)}"
            )
        if self.is_production and len(self.secret_key) < 32:
            raise RuntimeError("SECRET_KEY must be set to at least 32 characters in production")
        if self.queue_stale_after_minutes <= 0:
            raise RuntimeError("QUEUE_STALE_AFTER_MINUTES must be positive")
