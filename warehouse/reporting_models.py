"""Snapshot tables for Home Office reporting, and the read queries the ``reporting`` package needs.

A snapshot is frozen content: canonical JSON whose SHA-256 is its identity. Once approved, neither the
row nor its stored export bytes may change: ``reporting.snapshots`` refuses, and triggers created by
migration ``0004_reporting`` refuse too (on SQLite and PostgreSQL), so no code path can slip past.

The queries here read warehouse tables (load batches, the quarterly breakdown summary, observation
history) for snapshot content and for "changes since"; like every warehouse query they aggregate in
SQL and work the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    exists,
    func,
    select,
)
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Mapped, mapped_column

from warehouse import models as m
from warehouse.models import Base
from warehouse.queries import _frame

STATUS_DRAFT = "draft"
STATUS_APPROVED = "approved"
LOCKED_MESSAGE = "approved snapshots are immutable"


class ReportSnapshot(Base):
    """One frozen snapshot of a quarter and its financial year to date."""

    __tablename__ = "report_snapshot"
    __table_args__ = (CheckConstraint("status IN ('draft', 'approved')", name="ck_report_snapshot_status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(10), index=True)  # "2022/23 Q3"
    financial_year: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(10), default=STATUS_DRAFT)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    approved_by: Mapped[str] = mapped_column(String(100), default="")
    suppression_threshold: Mapped[int] = mapped_column(Integer)
    data_version: Mapped[int] = mapped_column(Integer)  # newest loaded batch id when made
    content: Mapped[str] = mapped_column(Text)  # canonical JSON (reporting.content.canonical_json)
    content_sha256: Mapped[str] = mapped_column(String(64))


class ReportExport(Base):
    """Export bytes rendered once at approval, so an approved snapshot's files never change."""

    __tablename__ = "report_export"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("report_snapshot.id"), primary_key=True)
    fmt: Mapped[str] = mapped_column(String(8), primary_key=True)  # xlsx | csv | pdf
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)


LB = m.LoadBatch.__table__
OBS = m.Observation.__table__
HIST = m.ObservationHistory.__table__
BRK = m.ObservationBreakdown.__table__
BATCH_COLUMNS = ["id", "file_name", "sha256", "kind", "loaded_at", "loaded_by"]


def batch_info(engine: Engine, ids: Iterable[int]) -> pd.DataFrame:
    """Load batches by id. Columns: id, file_name, sha256, kind, loaded_at, loaded_by (ordered by id)."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return pd.DataFrame(columns=BATCH_COLUMNS)
    stmt = select(*[LB.c[c] for c in BATCH_COLUMNS]).where(LB.c.id.in_(wanted)).order_by(LB.c.id)
    return _frame(engine, stmt, BATCH_COLUMNS)


def source_batch_ids(engine: Engine, last_period: str, financial_year: str) -> list[int]:
    """The loaded batches whose rows a snapshot up to ``last_period`` draws on.

    Observation batches with a row on or before ``last_period`` (the snapshot's totals since 2019 and
    last year's comparison read them), plus the batches of the reference rows it uses: areas,
    priorities, metrics, organisations, projects, the year's targets, funding, grants and spend, and
    return submissions. The per-batch EXISTS uses the batch index, so it stays cheap on big tables.
    """
    obs = select(LB.c.id).where(
        LB.c.outcome == "loaded",
        exists(select(OBS.c.id).where(OBS.c.batch_id == LB.c.id, OBS.c.period <= last_period)),
    )
    ref_tables = [
        (m.Area.__table__, None), (m.Priority.__table__, None), (m.Metric.__table__, None),
        (m.Organisation.__table__, None), (m.Project.__table__, None),
        (m.Target.__table__, financial_year), (m.Funding.__table__, financial_year),
        (m.Grant.__table__, financial_year), (m.Spend.__table__, financial_year),
        (m.ReturnSubmission.__table__, None),
    ]
    ids: set[int] = set()
    with engine.connect() as conn:
        ids.update(conn.scalars(obs))
        for table, fy in ref_tables:
            conds = [table.c.financial_year == fy] if fy else []
            ids.update(conn.scalars(select(table.c.batch_id).where(*conds).distinct()))
    return sorted(ids)


def batches_in_tables(engine: Engine, table_names: Iterable[str], period_column: str = "", first: str = "",
                      last: str = "") -> list[int]:
    """Distinct batch ids in other topics' tables (each has a ``batch_id`` column), e.g. the Grip tables;
    with ``period_column``, only rows whose month lies in [first, last]."""
    ids: set[int] = set()
    with engine.connect() as conn:
        for name in table_names:
            cols = [sa_column("batch_id"), *([sa_column(period_column)] if period_column else [])]
            t = sa_table(name, *cols)
            conds = [t.c[period_column].between(first, last)] if period_column else []
            ids.update(conn.scalars(select(t.c.batch_id).where(*conds).distinct()))
    return sorted(i for i in ids if i is not None)


def breakdown_totals(engine: Engine, financial_year: str, quarter: int, metric_codes: Iterable[str]) -> pd.DataFrame:
    """People by age band, sex and ethnicity for one quarter, over the whole partnership.

    Columns: metric_code, dimension, category, value (from the breakdown summary kept at load time).
    """
    codes = sorted(set(metric_codes))
    cols = ["metric_code", "dimension", "category", "value"]
    if not codes:
        return pd.DataFrame(columns=cols)
    stmt = (
        select(BRK.c.metric_code, BRK.c.dimension, BRK.c.category, func.sum(BRK.c.value))
        .where(BRK.c.financial_year == financial_year, BRK.c.quarter == quarter, BRK.c.metric_code.in_(codes))
        .group_by(BRK.c.metric_code, BRK.c.dimension, BRK.c.category)
        .order_by(BRK.c.metric_code, BRK.c.dimension, BRK.c.category)
    )
    return _frame(engine, stmt, cols)


def batches_touching(engine: Engine, metric_code: str, first: str, last: str) -> list[int]:
    """Batches whose rows now hold, or whose revisions replaced, a metric's values in [first, last]."""
    with engine.connect() as conn:
        current = set(conn.scalars(
            select(OBS.c.batch_id).where(OBS.c.metric_code == metric_code, OBS.c.period.between(first, last))
            .distinct()))
        replaced = set(conn.scalars(
            select(HIST.c.replaced_by_batch_id)
            .where(HIST.c.metric_code == metric_code, HIST.c.period.between(first, last)).distinct()))
    return sorted(current | replaced)


def target_batches(engine: Engine, metric_code: str, financial_year: str) -> list[int]:
    """Batches that hold a metric's partnership target for a year."""
    t = m.Target.__table__
    with engine.connect() as conn:
        return sorted(set(conn.scalars(select(t.c.batch_id).where(
            t.c.metric_code == metric_code, t.c.financial_year == financial_year, t.c.scope == "partnership"))))


class ReportSupersession(Base):
    """An approved snapshot replaced by a later approval of the same quarter: who, when and why.

    A fact of its own rather than a change to the approved row, which stays locked (its triggers refuse
    any update); the snapshot's status reads "superseded" because this row exists. ``snapshot_id`` is the
    primary key, so a snapshot can be superseded once; ``superseded_by_id`` is unique, so one approval
    replaces at most one earlier snapshot.
    """

    __tablename__ = "report_supersession"
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("report_snapshot.id"), primary_key=True)
    superseded_by_id: Mapped[int] = mapped_column(ForeignKey("report_snapshot.id"), unique=True)
    superseded_at: Mapped[datetime] = mapped_column(DateTime)
    superseded_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(2000))


class MeasureException(Base):
    """The exception report's entry for a measure off track or at risk in a quarter: a short explanation
    and the action agreed, entered by a manager. A snapshot freezes the entries of its quarter."""

    __tablename__ = "measure_exception"
    metric_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2024/25 Q2"
    explanation: Mapped[str] = mapped_column(String(2000))
    action: Mapped[str] = mapped_column(String(2000))
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
