"""Configuration for every part of the application, read from the environment in one place.

Why one module: the ETL, the dashboard, the benchmarks and the tests must agree on which database
they talk to and which disclosure rule is in force. Defaults are safe for a laptop; production mode
(``APP_ENV=production``) refuses to start with defaults that would be unsafe on a server.
"""

from __future__ import annotations

import math
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'vvu.sqlite3'}"
DEV_SECRET_KEY = "development-only-secret-key-change-me"
DEV_DISCLOSURE_KEY = "development-only-disclosure-key-change-me"
APP_ENVS = ("development", "production")
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128  # estimated entropy (per-character Shannon entropy times length)


class UnsafeConfiguration(RuntimeError):
    """Raised when production mode is asked for with a default that would leak or weaken data."""


DEFAULT_REPORT_CONTACT = "Essex VVU performance team (set REPORT_CONTACT)"


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
    debug: bool = False
    allow_sqlite: bool = False  # production: accept a SQLite file other than the bundled default (a trial)
    allow_insecure_redis: bool = False  # production: accept a Redis URL without password or TLS (a closed network)
    session_idle_minutes: int = 30
    login_max_failures: int = 5  # per user name and per address, within login_window_seconds
    login_window_seconds: int = 900
    lockout_seconds: int = 900
    login_concurrency: int = 1  # password hashes computed at once per process: a flood cannot starve other requests
    # Loads (etl.dates, etl.replace_rule): dates from 1 April of the programme's first financial year
    # to the end of the current month plus a margin; planned dates (project ends, targets, funding) may
    # reach a few financial years ahead; a file may remove at most this share of the rows it replaces.
    data_first_year: int = 2015
    date_margin_months: int = 3
    plan_horizon_years: int = 10
    replace_max_share: float = 0.5
    preview_minutes: int = 30  # a checked upload may be confirmed for this long (etl.preview)
    report_contact: str = DEFAULT_REPORT_CONTACT  # the Home Office return's contact (its cover sheet)
    digest_memo: str = ""  # the loader's file-digest memo (etl.digest_memo); blank = default place, "off"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    def check_safe(self) -> None:
        """Refuse production mode with anything that would open it by mistake.

        Why so strict: the data concern vulnerable children. A typo in ``APP_ENV``, a key anyone can
        guess, the bundled SQLite file, debug pages or a Redis anyone on the network can write (and so
        poison the cache) must stop the start, not warn.
        """
        if self.app_env not in APP_ENVS:
            raise UnsafeConfiguration(f"APP_ENV must be exactly 'development' or 'production', not {self.app_env!r}")
        if not self.production:
            return
        problems = []
        key_problem = secret_key_problem(self.secret_key)
        if key_problem:
            problems.append(key_problem)
        if self.database_url == DEFAULT_DATABASE_URL:
            problems.append("DATABASE_URL must be set (the embedded SQLite default holds the demo data)")
        elif self.database_url.startswith("sqlite") and not self.allow_sqlite:
            problems.append("DATABASE_URL names a SQLite file: use PostgreSQL, or set ALLOW_SQLITE=1 for a "
                            "single-machine trial")
        if self.debug:
            problems.append("DEBUG must be off in production")
        if self.cache_url and not self.allow_insecure_redis:
            cache_problem = redis_url_problem(self.cache_url)
            if cache_problem:
                problems.append(cache_problem)
        if self.suppression_threshold < 1:
            problems.append("SUPPRESSION_THRESHOLD must be at least 1 in production")
        disclosure_problem = secret_key_problem(self.disclosure_key, "DISCLOSURE_KEY", DEV_DISCLOSURE_KEY)
        if disclosure_problem:
            problems.append(disclosure_problem)
        elif self.disclosure_key == self.secret_key:
            problems.append("DISCLOSURE_KEY must differ from SECRET_KEY (rotating one must not change the other)")
        if problems:
            raise UnsafeConfiguration("; ".join(problems))


def secret_key_problem(key: str, name: str = "SECRET_KEY", default: str = DEV_SECRET_KEY) -> str:
    """Why ``key`` is not fit to be the secret ``name`` ('' when it is): sessions and the shared cache
    (SECRET_KEY), disclosure control's record keys (DISCLOSURE_KEY)."""
    if not key or key == default:
        return f"{name} must be set (it is missing or the development default)"
    if len(key) < MIN_SECRET_LENGTH:
        return f"{name} must be at least {MIN_SECRET_LENGTH} characters"
    counts = Counter(key)
    bits = -sum(c / len(key) * math.log2(c / len(key)) for c in counts.values()) * len(key)
    repetitive = len(zlib.compress(key.encode(), 9)) < len(key) * 0.75  # a pattern repeated, such as 0123456789 x4
    if bits < MIN_SECRET_BITS or len(counts) < 10 or repetitive:
        return (f"{name} looks guessable (too few distinct characters); make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    return ""


def redis_url_problem(url: str) -> str:
    """Why a Redis URL is unsafe in production ('' when it has a password or uses TLS)."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss", "unix"):
        return f"CACHE_URL must be a redis:// or rediss:// URL, not {parsed.scheme!r}"
    if parsed.scheme == "rediss" or parsed.password:
        return ""
    return ("CACHE_URL has no password and no TLS: anyone who can reach Redis could poison the cache; "
            "add a password (redis://:PASSWORD@host/0), use rediss://, or set ALLOW_INSECURE_REDIS=1 "
            "on a network only this app can reach")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise UnsafeConfiguration(f"{name} must be 1/0, true/false, yes/no or on/off, got {raw[:20]!r}")


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
    first_year, margin = _int("DATA_FIRST_YEAR", 2015), _int("DATE_MARGIN_MONTHS", 3)
    horizon, share = _int("PLAN_HORIZON_YEARS", 10), _float("REPLACE_MAX_SHARE", 0.5)
    if not (1900 <= first_year <= 2100 and 0 <= margin <= 120 and 0 <= horizon <= 100 and 0 <= share <= 1):
        raise UnsafeConfiguration("DATA_FIRST_YEAR must be a year (1900-2100), DATE_MARGIN_MONTHS 0-120, "
                                  "PLAN_HORIZON_YEARS 0-100 and REPLACE_MAX_SHARE between 0 and 1")
    return Settings(
        database_url=os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        host=os.environ.get("HOST", "").strip() or "127.0.0.1",
        port=_int("PORT", 8050),
        app_env=os.environ.get("APP_ENV", "development").strip() or "development",
        secret_key=os.environ.get("SECRET_KEY", "").strip() or DEV_SECRET_KEY,
        cache_url=os.environ.get("CACHE_URL", "").strip(),
        suppression_threshold=_int("SUPPRESSION_THRESHOLD", 9),
        disclosure_key=os.environ.get("DISCLOSURE_KEY", "").strip() or DEV_DISCLOSURE_KEY,
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
        warm_cache=_bool("WARM_CACHE", True),
        grip_ring_inner_m=inner,
        grip_ring_outer_m=outer,
        debug=_bool("DEBUG", False),
        allow_sqlite=_bool("ALLOW_SQLITE", False),
        allow_insecure_redis=_bool("ALLOW_INSECURE_REDIS", False),
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", 30),
        login_max_failures=_int("LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_int("LOGIN_WINDOW_SECONDS", 900),
        lockout_seconds=_int("LOCKOUT_SECONDS", 900),
        login_concurrency=_int("LOGIN_CONCURRENCY", 1),
        data_first_year=first_year,
        date_margin_months=margin,
        plan_horizon_years=horizon,
        replace_max_share=share,
        preview_minutes=_int("PREVIEW_MINUTES", 30),
        report_contact=os.environ.get("REPORT_CONTACT", "").strip()[:200] or DEFAULT_REPORT_CONTACT,
        digest_memo=os.environ.get("DIGEST_MEMO", "").strip(),
    )
