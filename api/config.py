"""Every setting, read from the environment once, typed, with its default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'myborder.db'}"
#: where Firebase publishes the keys that sign App Check tokens (firebase-admin's own URL)
GOOGLE_APP_CHECK_JWKS_URL = "https://firebaseappcheck.googleapis.com/v1/jwks"
#: the app's read limit when READ_RATE_LIMIT is unset and no proxy is in front
DEFAULT_READ_RATE_LIMIT = "600 per minute"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _prepare_threshold() -> int | None:
    """psycopg's prepare_threshold; `none` (or `off`) never prepares, for a pooler in
    transaction mode that cannot keep prepared statements (PgBouncer before 1.21)."""
    raw = os.environ.get("DATABASE_PREPARE_THRESHOLD", "").strip().lower()
    if raw in {"none", "off"}:
        return None
    return int(raw) if raw else 5


@dataclass
class Settings:
    """The service's configuration. README.md documents each field."""

    env: str = field(default_factory=lambda: os.environ.get("MYBORDER_ENV", "development"))
    database_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    #: a streaming replica that public reads may use on a cache miss; "" uses the primary
    database_replica_url: str = field(
        default_factory=lambda: os.environ.get("DATABASE_REPLICA_URL", "")
    )
    database_prepare_threshold: int | None = field(default_factory=_prepare_threshold)
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", ""))
    default_locale: str = field(default_factory=lambda: os.environ.get("DEFAULT_LOCALE", "ru"))
    queue_stale_after_minutes: int = field(
        default_factory=lambda: _env_int("QUEUE_STALE_AFTER_MINUTES", 90)
    )
    max_body_bytes: int = field(default_factory=lambda: _env_int("MAX_BODY_BYTES", 1024 * 1024))
    public_cache_seconds: int = field(default_factory=lambda: _env_int("PUBLIC_CACHE_SECONDS", 5))
    public_cache_enabled: bool = field(
        default_factory=lambda: os.environ.get("PUBLIC_CACHE", "on").lower() not in {"off", "0"}
    )
    database_connect_timeout_seconds: int = field(
        default_factory=lambda: _env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 5)
    )
    version_ttl_seconds: float = field(
        default_factory=lambda: float(os.environ.get("VERSION_TTL_SECONDS", "0.5"))
    )
    push_backend: str = field(default_factory=lambda: os.environ.get("PUSH_BACKEND", "fake"))
    fake_fcm_url: str = field(
        default_factory=lambda: os.environ.get("FAKE_FCM_URL", "http://127.0.0.1:8001")
    )
    firebase_credentials: str = field(
        default_factory=lambda: (
            os.environ.get("FIREBASE_CREDENTIALS")
            or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
        )
    )
    firebase_project_id: str = field(
        default_factory=lambda: os.environ.get("FIREBASE_PROJECT_ID", "")
    )
    fcm_http_timeout_seconds: int = field(
        default_factory=lambda: _env_int("FCM_HTTP_TIMEOUT_SECONDS", 10)
    )
    push_max_attempts: int = field(default_factory=lambda: _env_int("PUSH_MAX_ATTEMPTS", 10))
    push_lease_seconds: int = field(default_factory=lambda: _env_int("PUSH_LEASE_SECONDS", 60))
    #: the workers' shared pace, within FCM's quotas (600,000 a minute; 3,000 a second)
    push_sends_per_minute: int = field(
        default_factory=lambda: _env_int("PUSH_SENDS_PER_MINUTE", 540_000)
    )
    push_subscriptions_per_second: int = field(
        default_factory=lambda: _env_int("PUSH_SUBSCRIPTIONS_PER_SECOND", 2_500)
    )
    device_retention_days: int = field(
        default_factory=lambda: _env_int("DEVICE_RETENTION_DAYS", 270)
    )
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    rate_limits_enabled: bool = field(
        default_factory=lambda: os.environ.get("RATE_LIMITS", "on").lower() not in {"off", "0"}
    )
    request_log: bool = field(
        default_factory=lambda: os.environ.get("REQUEST_LOG", "on").lower() not in {"off", "0"}
    )
    log_format: str = field(default_factory=lambda: os.environ.get("LOG_FORMAT", "json"))
    # public reads per client IP in the app: a figure ("600 per minute") or "off"; unset,
    # it is off behind a proxy (TRUSTED_PROXIES > 0: nginx's limit_req does it) and
    # 600 a minute otherwise. See read_rate_limit_in_app.
    read_rate_limit: str = field(default_factory=lambda: os.environ.get("READ_RATE_LIMIT", ""))
    # failed sign-ins per client IP, and per account from one client IP (the lockout)
    sign_in_ip_rate_limit: str = field(
        default_factory=lambda: os.environ.get("SIGN_IN_IP_RATE_LIMIT", "20 per 15 minutes")
    )
    sign_in_account_rate_limit: str = field(
        default_factory=lambda: os.environ.get("SIGN_IN_ACCOUNT_RATE_LIMIT", "5 per 15 minutes")
    )
    # how many reverse proxies in front set X-Forwarded-For (nginx: 1); 0 trusts none
    trusted_proxies: int = field(default_factory=lambda: _env_int("TRUSTED_PROXIES", 0))
    # Firebase App Check on device registration and crowd reports: off, optional, required
    app_check: str = field(default_factory=lambda: os.environ.get("APP_CHECK", "off").lower())
    app_check_jwks_url: str = field(
        default_factory=lambda: os.environ.get("APP_CHECK_JWKS_URL", GOOGLE_APP_CHECK_JWKS_URL)
    )
    # device registrations per client IP when the request carries a valid App Check token
    app_check_registration_rate_limit: str = field(
        default_factory=lambda: os.environ.get("APP_CHECK_REGISTRATION_RATE_LIMIT", "1000 per hour")
    )
    cors_origins: str = field(default_factory=lambda: os.environ.get("CORS_ORIGINS", ""))
    metrics_token: str = field(default_factory=lambda: os.environ.get("METRICS_TOKEN", ""))
    campaigns_require_all_locales: bool = field(
        default_factory=lambda: (
            os.environ.get("CAMPAIGNS_REQUIRE_ALL_LOCALES", "true").lower()
            not in {"0", "false", "no"}
        )
    )
    #: whether readers are served a translation with an outdated field (off: they get
    #: the fallback language, as for a missing one)
    translations_serve_outdated: bool = field(
        default_factory=lambda: (
            os.environ.get("TRANSLATIONS_SERVE_OUTDATED", "false").lower()
            in {"1", "true", "yes", "on"}
        )
    )
    image_dir: str = field(
        default_factory=lambda: (
            os.environ.get("IMAGE_DIR") or str(PROJECT_ROOT / "instance" / "images")
        )
    )
    image_max_side_pixels: int = field(
        default_factory=lambda: _env_int("IMAGE_MAX_SIDE_PIXELS", 4096)
    )

    @property
    def image_path(self) -> Path:
        return Path(self.image_dir)

    @property
    def read_rate_limit_in_app(self) -> str | None:
        """The app's own per-IP read limit, or None when it is off."""
        if self.read_rate_limit.strip().lower() in {"off", "0"}:
            return None
        if self.read_rate_limit.strip():
            return self.read_rate_limit
        # behind nginx the front limits reads per address (deploy/nginx.conf, limit_req)
        return None if self.trusted_proxies else DEFAULT_READ_RATE_LIMIT

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
        if self.push_backend not in {"fake", "firebase", "log"}:
            raise RuntimeError("PUSH_BACKEND must be fake, firebase or log")
        if self.is_production and self.push_backend == "fake":
            # the fake sender posts every message, device tokens included, over plain HTTP
            # to whatever listens on FAKE_FCM_URL; it is the default only for development
            raise RuntimeError(
                "PUSH_BACKEND=fake is for development and tests: set PUSH_BACKEND=firebase "
                "(or log) in production"
            )
        if self.is_production and self.rate_limits_enabled and not self.redis_url:
            raise RuntimeError(
                "REDIS_URL must be set in production: without it every gunicorn worker keeps "
                "its own rate-limit counters, so each limit allows workers × its figure"
            )
        if self.push_backend == "firebase" and not self.firebase_credentials:
            raise RuntimeError(
                "PUSH_BACKEND=firebase needs FIREBASE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS"
            )
        if self.push_sends_per_minute < 1 or self.push_subscriptions_per_second < 1:
            raise RuntimeError(
                "PUSH_SENDS_PER_MINUTE and PUSH_SUBSCRIPTIONS_PER_SECOND must be at least 1"
            )
        if self.device_retention_days < 1:
            raise RuntimeError("DEVICE_RETENTION_DAYS must be at least 1")
        # the lease must outlast the slowest send: one timeout per batch call, with room
        if self.push_lease_seconds < 3 * self.fcm_http_timeout_seconds:
            raise RuntimeError("PUSH_LEASE_SECONDS must be at least 3 × FCM_HTTP_TIMEOUT_SECONDS")
        if self.app_check not in {"off", "optional", "required"}:
            raise RuntimeError("APP_CHECK must be off, optional or required")
        if self.app_check != "off" and not (self.firebase_project_id or self.firebase_credentials):
            raise RuntimeError(
                "APP_CHECK needs the Firebase project: set FIREBASE_PROJECT_ID (or "
                "FIREBASE_CREDENTIALS, whose project is used)"
            )
        if self.queue_stale_after_minutes <= 0:
            raise RuntimeError("QUEUE_STALE_AFTER_MINUTES must be positive")
