"""Shared fixtures: a real database per test on SQLite and, when reachable, on PostgreSQL.

PostgreSQL tests each get a schema of their own in the ``test`` database, so runs never see each
other's rows and nothing needs cleaning by hand.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from warehouse.db import make_engine, upgrade_to_head

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SHARED = ROOT.parent / "shared" / "data"
PG_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why the PostgreSQL variant is skipped."""
    try:
        import psycopg

        with psycopg.connect(PG_BASE.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable here"
        return f"PostgreSQL not reachable at {PG_BASE}: {exc}"


_PG_REASON = postgres_reason()
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def new_database(backend: str, tmp_path: Path) -> tuple[Engine, str, callable]:
    """A fresh, migrated database; returns the engine, its URL and a clean-up function."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        return engine, url, engine.dispose
    if _PG_REASON:
        pytest.skip(_PG_REASON)
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade_to_head(engine)

    def cleanup() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, url, cleanup


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty migrated database, once on SQLite and once on PostgreSQL."""
    eng, _url, cleanup = new_database(request.param, tmp_path)
    yield eng
    cleanup()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``engine`` but yields the URL, for tests that run the command line as a subprocess."""
    eng, url, cleanup = new_database(request.param, tmp_path)
    eng.dispose()
    yield url
    cleanup()


@pytest.fixture(scope="session", params=BACKENDS)
def sample_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database holding the whole bundled sample data set, shared by read-only tests."""
    from etl.demo import demo_files
    from etl.loader import load_file

    eng, _url, cleanup = new_database(request.param, tmp_path_factory.mktemp("sample"))
    for path in demo_files(SAMPLE):
        result = load_file(eng, path, sample=True)
        assert result.ok, [str(p) for p in result.problems[:5]]
    yield eng
    cleanup()


@pytest.fixture
def exact_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Disclosure control off (SUPPRESSION_THRESHOLD=0), for tests that state exact sums to prove an
    aggregation rule; the disclosure tests (tests/*/test_disclosure*.py) run with the default."""
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", "0")


def free_port() -> int:
    """A TCP port nobody is listening on, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
