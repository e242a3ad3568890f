"""Configuration for every part of the application, read from the environment in one place.

Why one module: the ETL, the dashboard, the benchmarks and the tests must agree on which database
they talk to and which disclosure rule is in force. Defaults are safe for a laptop; production mode
(``APP_ENV=production``) refuses to start with defaults that would be unsafe on a server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'vvu.sqlite3'}"
DEV_SECRET_KEY = "development-only-secret-key-change-me"
DEV_DISCLOSURE_KEY = "development-only-disclosure-key-change-me"


class UnsafeConfiguration(RuntimeError):
    """Raised when production mode is asked for with a default that would leak or weaken data."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with laptop-safe defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8050
    app_env: str = "development"
    secret_key: str = DEV_SECRET_KEY
    cache_url: str = ""
    suppression_threshold: int = 9
    # Secret behind disclosure control's record keys (analysis.disclosure.record_key). Changing it
    # changes every perturbed count once (summaries are re-keyed on the next `etl init`/load).
    disclosure_key: str = DEV_DISCLOSURE_KEY
    max_upload_bytes: int = 20 * 1024 * 1024
    warm_cache: bool = True  # compute the common views ahead of visitors after each load (service.warm)
    grip_ring_inner_m: float = 100.0  # Grip displacement ring: from this many metres beyond a hotspot's radius
    grip_ring_outer_m: float = 250.0  # ... to this many
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    def check_safe(self) -> None:
        """Refuse production mode with development secrets or an embedded database default."""
        if not self.production:
            return
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.suppression_threshold < 1:
            problems.append("SUPPRESSION_THRESHOLD must be at least 1 in production")
        if self.disclosure_key == DEV_DISCLOSURE_KEY or len(self.disclosure_key) < 32:
            problems.append("DISCLOSURE_KEY must be set to a random value of at least 32 characters")
        if problems:
            raise UnsafeConfiguration("; ".join(problems))


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise UnsafeConfiguration(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise UnsafeConfiguration(f"{name} must be a number, got {raw!r}") from exc


def load_settings() -> Settings:
    """Read the environment now (not at import) so tests and tools can set variables first."""
    inner, outer = _float("GRIP_RING_INNER_M", 100.0), _float("GRIP_RING_OUTER_M", 250.0)
    if not 0 <= inner < outer:
        raise UnsafeConfiguration("GRIP_RING_INNER_M must be at least 0 and less than GRIP_RING_OUTER_M, got "
                                  f"{inner:g} and {outer:g}")
    return Settings(
        database_url=os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        host=os.environ.get("HOST", "").strip() or "127.0.0.1",
        port=_int("PORT", 8050),
        app_env=os.environ.get("APP_ENV", "development").strip().lower() or "development",
        secret_key=os.environ.get("SECRET_KEY", "").strip() or DEV_SECRET_KEY,
        cache_url=os.environ.get("CACHE_URL", "").strip(),
        suppression_threshold=_int("SUPPRESSION_THRESHOLD", 9),
        disclosure_key=os.environ.get("DISCLOSURE_KEY", "").strip() or DEV_DISCLOSURE_KEY,
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        warm_cache=os.environ.get("WARM_CACHE", "1").strip().lower() not in ("0", "false", "no", "off"),
        grip_ring_inner_m=inner,
        grip_ring_outer_m=outer,
    )
