"""Grip: each hotspot's own period, the patrol plan, and the richer effect summary

Revision ID: 0006_grip_periods
Revises: 0003_grip
Create Date: 2026-12-04

Hand-written; matches warehouse/grip_models.py (issue 13). grip_hotspot gains optional
active_from / active_to; grip_patrol_plan holds a randomised or planned schedule; grip_effect is
keyed by operation as well and says what its model used. grip_effect is a summary rebuilt at every
Grip load: rows written before this migration keep working (defaults below) until the next load.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_grip_periods"
down_revision = "0003_grip"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("grip_hotspot", sa.Column("active_from", sa.Date(), nullable=True))
    op.add_column("grip_hotspot", sa.Column("active_to", sa.Date(), nullable=True))
    op.create_table(
        "grip_patrol_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotspot_id", sa.String(length=40), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("assigned", sa.Boolean(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["load_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hotspot_id", "plan_date", name="uq_grip_plan_key"),
    )
    op.add_column("grip_effect", sa.Column("operation", sa.String(length=10), nullable=False, server_default="all"))
    op.add_column("grip_effect", sa.Column("in_model", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("grip_effect", sa.Column("days_modelled", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("grip_effect", sa.Column("hotspots_modelled", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("grip_effect", sa.Column("df", sa.Float(), nullable=True))
    op.add_column("grip_effect", sa.Column("exposed_patrolled", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("grip_effect", sa.Column("reference_patrolled", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("grip_effect", sa.Column("period_start", sa.Date(), nullable=True))
    op.add_column("grip_effect", sa.Column("period_end", sa.Date(), nullable=True))
    op.add_column("grip_effect", sa.Column("ring_inner_m", sa.Float(), nullable=True))
    op.add_column("grip_effect", sa.Column("ring_outer_m", sa.Float(), nullable=True))
    # Columns are added in place (a table rebuild would fail on SQLite with rows that others reference);
    # the unique key changes need a rebuild of grip_effect, which nothing references.
    with op.batch_alter_table("grip_effect") as batch_op:
        batch_op.drop_constraint("uq_grip_effect_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_grip_effect_key", ["operation", "offence_group", "measure", "comparison", "hotspot_id"])


def downgrade() -> None:
    op.execute("DELETE FROM grip_effect WHERE operation <> 'all' OR measure = 'ring' OR comparison = 'itt'")
    with op.batch_alter_table("grip_effect") as batch_op:
        batch_op.drop_constraint("uq_grip_effect_key", type_="unique")
        batch_op.create_unique_constraint("uq_grip_effect_key", ["offence_group", "measure", "comparison", "hotspot_id"])
        for col in ("ring_outer_m", "ring_inner_m", "period_end", "period_start", "reference_patrolled",
                    "exposed_patrolled", "df", "hotspots_modelled", "days_modelled", "in_model", "operation"):
            batch_op.drop_column(col)
    op.drop_table("grip_patrol_plan")
    with op.batch_alter_table("grip_hotspot") as batch_op:
        batch_op.drop_column("active_to")
        batch_op.drop_column("active_from")
