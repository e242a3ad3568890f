"""partner returns a unit can trust: previews, accepted warnings, receipt time, chasing, contacts

Revision ID: 0015_returns_trust
Revises: 0001
Create Date: 2026-12-04

Hand-written, a branch of its own from the base schema. Columns are added in place (never a batch
rebuild: load_batch and organisation rows are referred to by other rows).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_returns_trust"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("metric", sa.Column("max_per_month", sa.Float(), nullable=True))
    op.add_column("organisation", sa.Column("contact_name", sa.String(200), nullable=False, server_default=""))
    op.add_column("organisation", sa.Column("contact_email", sa.String(200), nullable=False, server_default=""))
    op.add_column("load_batch", sa.Column("received_at", sa.DateTime(), nullable=True))
    op.add_column("return_submission", sa.Column("date_on_form", sa.Date(), nullable=True))
    op.add_column("return_submission", sa.Column("submitter", sa.String(200), nullable=False, server_default=""))
    op.add_column("return_submission", sa.Column("submitter_email", sa.String(200), nullable=False,
                                                 server_default=""))
    op.create_table(
        "load_preview",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("org_code", sa.String(20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("data_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
    )
    op.create_table(
        "batch_warning",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("load_batch.id"), nullable=False),
        sa.Column("project_code", sa.String(20), nullable=False),
        sa.Column("area_code", sa.String(9), nullable=False),
        sa.Column("metric_code", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("accepted_by", sa.String(100), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_batch_warning_batch_id", "batch_warning", ["batch_id"])
    op.create_index("ix_batch_warning_figure", "batch_warning", ["project_code", "metric_code", "period"])
    op.create_table(
        "return_chase",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_code", sa.String(20), nullable=False),
        sa.Column("financial_year", sa.String(7), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("chased_at", sa.DateTime(), nullable=False),
        sa.Column("chased_by", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_return_chase_return", "return_chase", ["project_code", "financial_year", "quarter"])
    op.create_table(
        "return_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("load_batch.id"), nullable=False),
        sa.Column("project_code", sa.String(20), nullable=False),
        sa.Column("financial_year", sa.String(7), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("metric_code", sa.String(40), nullable=False),
        sa.Column("area_code", sa.String(9), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_return_note_batch_id", "return_note", ["batch_id"])
    op.create_index("ix_return_note_figure", "return_note", ["project_code", "metric_code"])


def downgrade() -> None:
    for table in ("return_note", "return_chase", "batch_warning", "load_preview"):
        op.drop_table(table)
    for table, column in (("return_submission", "submitter_email"), ("return_submission", "submitter"),
                          ("return_submission", "date_on_form"), ("load_batch", "received_at"),
                          ("organisation", "contact_email"), ("organisation", "contact_name"),
                          ("metric", "max_per_month")):
        op.drop_column(table, column)  # in place (SQLite 3.35+)
