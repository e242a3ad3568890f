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


def test_heads_constant_is_alembics_heads() -> None:
    """``warehouse.db.HEADS`` lets start-up skip alembic; it must name exactly the migration heads."""
    from alembic.script import ScriptDirectory

    from warehouse.db import HEADS

    assert set(ScriptDirectory.from_config(alembic_config(None)).get_heads()) == HEADS


def test_at_heads_only_when_fully_migrated(engine: Engine) -> None:
    from warehouse.db import at_heads

    assert at_heads(engine)  # the fixture's database was brought to the heads
    command.downgrade(alembic_config(engine), "0016_board_pack@-1")  # one branch one step back
    assert not at_heads(engine)
    upgrade_to_head(engine)  # so upgrade_to_head still runs alembic, and reaches the heads again
    assert at_heads(engine)
