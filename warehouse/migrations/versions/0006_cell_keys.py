"""cell keys for disclosure control: a record key on every summary row, and the code keys they mix

Revision ID: 0006_cell_keys
Revises: 0005_monthly_cover
Create Date: 2026-12-04

Counts of people are published with the cell key method (analysis.disclosure): each summary row
carries a fixed pseudo-random key, and a published cell's key is the sum of its rows' keys. The keys
are mixed in SQL from one secret-keyed number per code (``disclosure_key``). The covering indexes gain
the key so the pages' reads stay index-only. Existing summary rows are rebuilt so that they get keys.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_cell_keys"
down_revision = "0005_monthly_cover"
branch_labels = None
depends_on = None

COVER = ["metric_code", "period", "project_code", "area_code", "financial_year", "quarter", "value"]
BY_AREA = ["area_code", "metric_code", "period", "project_code", "financial_year", "quarter", "value"]


def upgrade() -> None:
    op.create_table(
        "disclosure_key",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("key", sa.BigInteger(), nullable=False),
    )
    with op.batch_alter_table("observation_monthly") as batch:
        batch.add_column(sa.Column("cell_key", sa.BigInteger(), nullable=False, server_default="0"))
    with op.batch_alter_table("observation_breakdown") as batch:
        batch.add_column(sa.Column("cell_key", sa.BigInteger(), nullable=False, server_default="0"))
    op.drop_index("ix_obs_monthly_cover", table_name="observation_monthly")
    op.drop_index("ix_obs_monthly_area", table_name="observation_monthly")
    op.create_index("ix_obs_monthly_cover", "observation_monthly", [*COVER, "cell_key"])
    op.create_index("ix_obs_monthly_area", "observation_monthly", [*BY_AREA, "cell_key"])

    from warehouse.summaries import rebuild_all_observation_summaries

    rebuild_all_observation_summaries(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_obs_monthly_area", table_name="observation_monthly")
    op.drop_index("ix_obs_monthly_cover", table_name="observation_monthly")
    op.create_index("ix_obs_monthly_cover", "observation_monthly", COVER)
    op.create_index("ix_obs_monthly_area", "observation_monthly", BY_AREA)
    with op.batch_alter_table("observation_breakdown") as batch:
        batch.drop_column("cell_key")
    with op.batch_alter_table("observation_monthly") as batch:
        batch.drop_column("cell_key")
    op.drop_table("disclosure_key")
