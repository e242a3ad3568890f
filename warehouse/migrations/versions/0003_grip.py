"""Grip hotspot patrols: hotspots, patrols, incidents, crime harm weights and the effect summary

Revision ID: 0003_grip
Revises: 0001
Create Date: 2026-11-24

Hand-written (a branch of its own from the base schema); matches warehouse/grip_models.py.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_grip"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grip_hotspot",
        sa.Column("hotspot_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=9), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["load_batch.id"]),
        sa.PrimaryKeyConstraint("hotspot_id"),
    )
    op.create_table(
        "grip_patrol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hotspot_id", sa.String(length=40), nullable=False),
        sa.Column("patrol_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("officers", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["load_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hotspot_id", "patrol_date", "start_time", name="uq_grip_patrol_key"),
    )
    with op.batch_alter_table("grip_patrol") as batch_op:
        batch_op.create_index("ix_grip_patrol_date", ["patrol_date"], unique=False)
    op.create_table(
        "grip_incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_ref", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("offence_group", sa.String(length=20), nullable=False),
        sa.Column("hotspot_id", sa.String(length=40), nullable=False),
        sa.Column("hotspot_source", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["load_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_ref", name="uq_grip_incident_ref"),
    )
    with op.batch_alter_table("grip_incident") as batch_op:
        batch_op.create_index("ix_grip_incident_hotspot_day", ["hotspot_id", "occurred_on"], unique=False)
    op.create_table(
        "grip_harm_weight",
        sa.Column("offence_group", sa.String(length=20), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["load_batch.id"]),
        sa.PrimaryKeyConstraint("offence_group"),
    )
    op.create_table(
        "grip_effect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offence_group", sa.String(length=20), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("comparison", sa.String(length=10), nullable=False),
        sa.Column("hotspot_id", sa.String(length=40), nullable=False),
        sa.Column("exposed_days", sa.Integer(), nullable=False),
        sa.Column("reference_days", sa.Integer(), nullable=False),
        sa.Column("exposed_total", sa.Float(), nullable=False),
        sa.Column("reference_total", sa.Float(), nullable=False),
        sa.Column("exposed_mean", sa.Float(), nullable=True),
        sa.Column("reference_mean", sa.Float(), nullable=True),
        sa.Column("rate_ratio", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("pct_change", sa.Float(), nullable=True),
        sa.Column("dispersion", sa.Float(), nullable=True),
        sa.Column("patrol_minutes", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offence_group", "measure", "comparison", "hotspot_id", name="uq_grip_effect_key"),
    )


def downgrade() -> None:
    op.drop_table("grip_effect")
    op.drop_table("grip_harm_weight")
    with op.batch_alter_table("grip_incident") as batch_op:
        batch_op.drop_index("ix_grip_incident_hotspot_day")
    op.drop_table("grip_incident")
    with op.batch_alter_table("grip_patrol") as batch_op:
        batch_op.drop_index("ix_grip_patrol_date")
    op.drop_table("grip_patrol")
    op.drop_table("grip_hotspot")
