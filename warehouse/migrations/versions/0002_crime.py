"""police.uk street-level crime: rows as loaded and the monthly summaries

Revision ID: 0002_crime
Revises: 0001
Create Date: 2026-11-24

Hand-written (a branch of its own from the base schema); matches warehouse/crime_models.py.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_crime"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crime",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False, autoincrement=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("crime_id", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.Text(), nullable=False),
        sa.Column("falls_within", sa.String(length=100), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("lsoa_code", sa.String(length=9), nullable=False),
        sa.Column("lsoa_name", sa.Text(), nullable=False),
        sa.Column("crime_type", sa.String(length=100), nullable=False),
        sa.Column("last_outcome_category", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "crime_slice",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("falls_within", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "falls_within"),
    )
    op.create_table(
        "crime_monthly",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("lsoa_code", sa.String(length=9), nullable=False),
        sa.Column("crime_type", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "area_code", "lsoa_code", "crime_type"),
    )
    with op.batch_alter_table("crime_monthly") as batch_op:
        batch_op.create_index("ix_crime_monthly_type_month", ["crime_type", "month"], unique=False)
    op.create_table(
        "crime_area_monthly",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("crime_type", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "area_code", "crime_type"),
    )


def downgrade() -> None:
    op.drop_table("crime_area_monthly")
    with op.batch_alter_table("crime_monthly") as batch_op:
        batch_op.drop_index("ix_crime_monthly_type_month")
    op.drop_table("crime_monthly")
    op.drop_table("crime_slice")
    op.drop_table("crime")
