"""reporting snapshots and their export bytes; triggers that lock approved snapshots

Revision ID: 0004_reporting
Revises: 0001
Create Date: 2026-11-24

Hand-written (a branch of its own from the base schema). The triggers make approval final in the
database itself: an approved snapshot row can be neither updated nor deleted, and its stored
exports can be neither added to, changed nor removed. Approval is allowed exactly once, from draft,
and may not change the content or its hash at the same time.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_reporting"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "approved snapshots are immutable"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER report_snapshot_no_update BEFORE UPDATE ON report_snapshot
    FOR EACH ROW WHEN OLD.status = 'approved'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER report_snapshot_approve_as_is BEFORE UPDATE ON report_snapshot
    FOR EACH ROW WHEN OLD.status <> 'approved' AND NEW.status = 'approved'
      AND (NEW.content <> OLD.content OR NEW.content_sha256 <> OLD.content_sha256)
    BEGIN SELECT RAISE(ABORT, 'approval may not change a snapshot''s content'); END""",
    f"""CREATE TRIGGER report_snapshot_no_delete BEFORE DELETE ON report_snapshot
    FOR EACH ROW WHEN OLD.status = 'approved'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER report_export_no_insert BEFORE INSERT ON report_export
    FOR EACH ROW WHEN (SELECT status FROM report_snapshot WHERE id = NEW.snapshot_id) = 'approved'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER report_export_no_update BEFORE UPDATE ON report_export
    FOR EACH ROW WHEN (SELECT status FROM report_snapshot WHERE id = OLD.snapshot_id) = 'approved'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER report_export_no_delete BEFORE DELETE ON report_export
    FOR EACH ROW WHEN (SELECT status FROM report_snapshot WHERE id = OLD.snapshot_id) = 'approved'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DROP = ["report_snapshot_no_update", "report_snapshot_approve_as_is", "report_snapshot_no_delete",
               "report_export_no_insert", "report_export_no_update", "report_export_no_delete"]

POSTGRES_SETUP = [
    f"""CREATE OR REPLACE FUNCTION report_snapshot_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'approved' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'UPDATE' AND NEW.status = 'approved'
         AND (NEW.content IS DISTINCT FROM OLD.content OR NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256) THEN
        RAISE EXCEPTION 'approval may not change a snapshot''s content' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION report_export_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE sid integer;
    BEGIN
      IF TG_OP = 'INSERT' THEN sid := NEW.snapshot_id; ELSE sid := OLD.snapshot_id; END IF;
      IF (SELECT status FROM report_snapshot WHERE id = sid) = 'approved' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER report_snapshot_lock BEFORE UPDATE OR DELETE ON report_snapshot
    FOR EACH ROW EXECUTE FUNCTION report_snapshot_guard()""",
    """CREATE TRIGGER report_export_lock BEFORE INSERT OR UPDATE OR DELETE ON report_export
    FOR EACH ROW EXECUTE FUNCTION report_export_guard()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS report_export_lock ON report_export",
    "DROP TRIGGER IF EXISTS report_snapshot_lock ON report_snapshot",
    "DROP FUNCTION IF EXISTS report_export_guard()",
    "DROP FUNCTION IF EXISTS report_snapshot_guard()",
]


def upgrade() -> None:
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("financial_year", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("suppression_threshold", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'approved')", name="ck_report_snapshot_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_report_snapshot_quarter", ["quarter"], unique=False)
    op.create_table(
        "report_export",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("fmt", sa.String(length=8), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["snapshot_id"], ["report_snapshot.id"]),
        sa.PrimaryKeyConstraint("snapshot_id", "fmt"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_SETUP:
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for statement in POSTGRES_DROP:
            op.execute(statement)
    op.drop_table("report_export")
    with op.batch_alter_table("report_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_report_snapshot_quarter")
    op.drop_table("report_snapshot")
