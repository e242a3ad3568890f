"""The engine built from ``DATABASE_URL`` and the one way to bring a database to the latest schema."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from settings import PROJECT_ROOT, load_settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The migration heads (one per topic branch). A database whose alembic_version holds exactly these is
# at the latest schema, so start-up need not import alembic (~0.2 s of every ``python -m etl``
# command). tests/integration/test_migration_upgrade.py fails when a migration is added and this is not.
HEADS = frozenset({"0002_crime", "0006_access", "0006_cell_keys", "0006_grip_periods", "0006_sample_batches",
                   "0015_returns_trust", "0016_board_pack"})


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs, the driver the project pins."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str | None = None) -> Engine:
    """A new engine; SQLite gets foreign keys, WAL and a busy timeout so web workers can share it."""
    url = normalise_url(url or load_settings().database_url)
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process (engines hold connection pools)."""
    return make_engine(url)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Create or migrate the schema; safe to call on every start.

    "heads": each topic (crime, Grip, reporting) keeps its own migration branch from the base schema.
    """
    if at_heads(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")


def at_heads(engine: Engine) -> bool:
    """True when the database's recorded revisions are exactly ``HEADS`` (nothing to migrate)."""
    try:
        with engine.connect() as conn:
            versions = {v for (v,) in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:  # no alembic_version table yet: a new database
        return False
    return versions == HEADS


def is_empty(engine: Engine) -> bool:
    """True when no reference data has been loaded yet (fresh database)."""
    from sqlalchemy import func, select

    from warehouse.models import Metric

    if "metric" not in inspect(engine).get_table_names():
        return True
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Metric)).scalar_one() == 0
