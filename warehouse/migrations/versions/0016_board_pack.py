"""board pack and Home Office return: superseded snapshots, the exception report, Fingertips indicators

Revision ID: 0016_board_pack
Revises: 0004_reporting
Create Date: 2026-12-04

Hand-written (a branch from the reporting tables). Three new tables, nothing rebuilt:
``report_supersession`` records that a later approval of the same quarter replaced an approved
snapshot (who, when, why) without touching the locked snapshot row; ``measure_exception`` holds the
exception report's explanation and agreed action per measure and quarter; ``health_indicator`` holds
Fingertips all_data rows as published.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_board_pack"
down_revision = "0004_reporting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_supersession",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["report_snapshot.id"]),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["report_snapshot.id"]),
        sa.PrimaryKeyConstraint("snapshot_id"),
        sa.UniqueConstraint("superseded_by_id"),
    )
    op.create_table(
        "measure_exception",
        sa.Column("metric_code", sa.String(length=40), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("explanation", sa.String(length=2000), nullable=False),
        sa.Column("action", sa.String(length=2000), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("metric_code", "quarter"),
    )
    op.create_table(
        "health_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("indicator_name", sa.String(length=300), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("area_type", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=False),
        sa.Column("age", sa.String(length=40), nullable=False),
        sa.Column("category_type", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("time_period", sa.String(length=30), nullable=False),
        sa.Column("period_start", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("lower_ci95", sa.Float(), nullable=True),
        sa.Column("upper_ci95", sa.Float(), nullable=True),
        sa.Column("lower_ci998", sa.Float(), nullable=True),
        sa.Column("upper_ci998", sa.Float(), nullable=True),
        sa.Column("count", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("value_note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["load_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_health_indicator_batch_id", "health_indicator", ["batch_id"])
    op.create_index("ix_health_indicator_indicator_id", "health_indicator", ["indicator_id"])


def downgrade() -> None:
    op.drop_index("ix_health_indicator_indicator_id", table_name="health_indicator")
    op.drop_index("ix_health_indicator_batch_id", table_name="health_indicator")
    op.drop_table("health_indicator")
    op.drop_table("measure_exception")
    op.drop_table("report_supersession")
