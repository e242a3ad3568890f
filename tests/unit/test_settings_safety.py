"""Production mode cannot be opened by mistake: each unsafe setting stops the start with a reason."""

from __future__ import annotations

import secrets

import pytest

from settings import (
    DEFAULT_DATABASE_URL,
    DEV_DISCLOSURE_KEY,
    DEV_SECRET_KEY,
    Settings,
    UnsafeConfiguration,
    load_settings,
)

GOOD_KEY = secrets.token_urlsafe(48)
GOOD_DISCLOSURE_KEY = secrets.token_urlsafe(48)
PG = "postgresql+psycopg://vvu@db/vvu"


def prod(**changes: object) -> Settings:
    base = {"app_env": "production", "secret_key": GOOD_KEY, "disclosure_key": GOOD_DISCLOSURE_KEY, "database_url": PG}
    return Settings(**{**base, **changes})  # type: ignore[arg-type]


def test_a_safe_production_configuration_starts() -> None:
    prod().check_safe()
    prod(cache_url="redis://:longpassword@cache:6379/0").check_safe()
    prod(cache_url="rediss://cache:6380/0").check_safe()


@pytest.mark.parametrize("env", ["prod", "Production", "production ", "staging", "dev", ""])
def test_an_app_env_typo_is_refused_not_treated_as_development(env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", env)
    settings = load_settings()
    if env.strip() in ("", "production"):
        # blank means the default (development); surrounding spaces are trimmed, the word must be exact
        return
    with pytest.raises(UnsafeConfiguration, match="APP_ENV"):
        settings.check_safe()


@pytest.mark.parametrize("key", ["", DEV_DISCLOSURE_KEY, "short-key", "d" * 48, "ab" * 24, GOOD_KEY])
def test_weak_or_shared_disclosure_keys_are_refused(key: str) -> None:
    with pytest.raises(UnsafeConfiguration, match="DISCLOSURE_KEY"):
        prod(disclosure_key=key).check_safe()


@pytest.mark.parametrize("key", ["", DEV_SECRET_KEY, "short-key", "s" * 48, "ab" * 24, "0123456789" * 4])
def test_weak_secret_keys_are_refused(key: str) -> None:
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY"):
        prod(secret_key=key).check_safe()


def test_the_embedded_sqlite_default_debug_and_open_redis_are_refused() -> None:
    with pytest.raises(UnsafeConfiguration, match="DATABASE_URL"):
        prod(database_url=DEFAULT_DATABASE_URL).check_safe()
    with pytest.raises(UnsafeConfiguration, match="DATABASE_URL"):
        prod(database_url="sqlite:////srv/vvu.sqlite3").check_safe()
    prod(database_url="sqlite:////srv/vvu.sqlite3", allow_sqlite=True).check_safe()
    with pytest.raises(UnsafeConfiguration, match="DEBUG"):
        prod(debug=True).check_safe()
    with pytest.raises(UnsafeConfiguration, match="CACHE_URL"):
        prod(cache_url="redis://127.0.0.1:6379/12").check_safe()
    prod(cache_url="redis://127.0.0.1:6379/12", allow_insecure_redis=True).check_safe()


def test_development_stays_open_on_a_laptop() -> None:
    Settings().check_safe()


def test_a_malformed_boolean_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG", "perhaps")
    with pytest.raises(UnsafeConfiguration, match="DEBUG"):
        load_settings()
