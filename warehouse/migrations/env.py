"""Alembic environment: uses the engine handed over by warehouse.db, else DATABASE_URL."""

from __future__ import annotations

from alembic import context

# Every model module: a table whose module is not imported here is missing from the metadata, and
# ``alembic check`` / autogenerate would then propose dropping it.
from warehouse import (  # noqa: F401
    access_models,
    audit,
    crime_models,
    grip_models,
    models,
    outcome_models,
    reporting_models,
    returns_models,
)
from warehouse.db import make_engine
from warehouse.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `python -m etl init`")
run_migrations_online()
