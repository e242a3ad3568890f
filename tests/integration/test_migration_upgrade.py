"""An existing, populated database upgrades in place: every migration after the base schema runs over
rows that other tables reference, with SQLite's foreign keys on (a table rebuild there fails: this
stopped any database older than the session's migrations from upgrading)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, func, select

from etl.loader import load_file
from tests.conftest import SAMPLE
from warehouse import models as m
from warehouse.db import alembic_config, upgrade_to_head


def test_a_populated_database_upgrades_from_the_base_schema(engine: Engine) -> None:
    for name in ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv",
                 "observations.csv"):
        assert load_file(engine, SAMPLE / name).ok, name
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(m.Observation)).scalar_one()
    command.downgrade(alembic_config(engine), "0001")  # every later branch undone; the base tables keep their rows
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Observation)).scalar_one() == rows
        assert conn.execute(select(func.count()).select_from(m.LoadBatch)).scalar_one() == 7
        keyed = conn.execute(select(func.count()).select_from(m.ObservationMonthly)
                             .where(m.ObservationMonthly.cell_key != 0)).scalar_one()
    assert keyed > 0  # the summaries were rebuilt with their disclosure keys
