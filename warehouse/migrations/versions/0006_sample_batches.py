"""load batches say whether they loaded the bundled synthetic sample

Revision ID: 0006_sample_batches
Revises: 0001
Create Date: 2026-12-04

Hand-written (a branch of its own from the base schema). The dashboard shows its "synthetic data"
notice, and loads the sample on a first start, from what the database itself records: a batch
with ``sample`` true means the database holds the sample; real batches never set it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_sample_batches"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("load_batch", sa.Column("sample", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("load_batch", "sample")  # in place (SQLite 3.35+): a rebuild fails once rows are referenced
