"""Settings.validate(): what production refuses to start with."""

from __future__ import annotations

from typing import Any

import pytest

from api.config import Settings

#: a production configuration that starts: every setting below is one it needs
PRODUCTION: dict[str, Any] = {
    "env": "production",
    "secret_key": "x" * 40,
    "push_backend": "firebase",
    "firebase_credentials": "/etc/myborder/firebase.json",
    "redis_url": "redis://127.0.0.1:6379/0",
    "rate_limits_enabled": True,
}


def test_a_complete_production_configuration_starts() -> None:
    Settings(**PRODUCTION).validate()


def test_production_refuses_the_fake_push_sender() -> None:
    """The fake sender posts every message, device tokens included, over plain HTTP."""
    with pytest.raises(RuntimeError, match="PUSH_BACKEND=fake is for development"):
        Settings(**{**PRODUCTION, "push_backend": "fake"}).validate()


def test_production_refuses_push_backend_left_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSH_BACKEND", raising=False)
    settings = Settings(**{k: v for k, v in PRODUCTION.items() if k != "push_backend"})
    assert settings.push_backend == "fake"  # the development default
    with pytest.raises(RuntimeError, match="PUSH_BACKEND=fake"):
        settings.validate()


def test_production_refuses_rate_limits_in_memory() -> None:
    """Memory storage counts per gunicorn worker: each limit would allow workers × it."""
    with pytest.raises(RuntimeError, match="REDIS_URL must be set in production"):
        Settings(**{**PRODUCTION, "redis_url": ""}).validate()


def test_development_keeps_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MYBORDER_ENV", "PUSH_BACKEND", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.env, settings.push_backend, settings.redis_url) == ("development", "fake", "")
    settings.validate()


def test_create_app_refuses_production_with_the_fake_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The refusal happens at start, before anything is served (gunicorn and flask alike)."""
    from api.app import create_app

    with pytest.raises(RuntimeError, match="PUSH_BACKEND=fake"):
        create_app({**PRODUCTION, "push_backend": "fake", "database_url": "sqlite://"})


def test_app_check_needs_a_mode_it_knows_and_a_firebase_project() -> None:
    with pytest.raises(RuntimeError, match="APP_CHECK must be off, optional or required"):
        Settings(app_check="on").validate()
    with pytest.raises(RuntimeError, match="APP_CHECK needs the Firebase project"):
        Settings(app_check="required", firebase_project_id="", firebase_credentials="").validate()
    Settings(app_check="required", firebase_project_id="myborder").validate()
    Settings(**{**PRODUCTION, "app_check": "required"}).validate()  # the service account's


@pytest.mark.parametrize(
    ("trusted_proxies", "read_rate_limit", "in_app"),
    [
        (0, "", "600 per minute"),  # no proxy in front: the app limits reads itself
        (1, "", None),  # behind nginx: its limit_req does, sized for carrier NAT
        (1, "1200 per minute", "1200 per minute"),  # switched on again explicitly
        (0, "off", None),
    ],
)
def test_the_apps_read_limit_is_off_behind_a_proxy_unless_asked_for(
    trusted_proxies: int, read_rate_limit: str, in_app: str | None
) -> None:
    settings = Settings(trusted_proxies=trusted_proxies, read_rate_limit=read_rate_limit)
    assert settings.read_rate_limit_in_app == in_app


@pytest.mark.parametrize(
    ("raw", "threshold"), [("", 5), ("0", 0), ("none", None), ("off", None), ("12", 12)]
)
def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler(
    monkeypatch: pytest.MonkeyPatch, raw: str, threshold: int | None
) -> None:
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", raw)
    assert Settings().database_prepare_threshold == threshold
