"""Read queries for the data quality page and API: load batches and the problems of refused files."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from warehouse import models as m
from warehouse.filters import REQUEST_ORG
from warehouse.queries import PRJ, _frame

LB = m.LoadBatch.__table__
RR = m.RejectedRow.__table__
BATCH_COLUMNS = ["batch_id", "file_name", "kind", "loaded_at", "loaded_by", "rows_loaded", "rows_rejected",
                 "outcome", "message"]
REJECTION_COLUMNS = ["batch_id", "file_name", "kind", "loaded_at", "loaded_by", "row_number", "column_name",
                     "value", "reason"]


def _org_batches() -> list:
    """A partner's scope (warehouse.filters.REQUEST_ORG): only batches of their own projects' returns.
    Not cached anywhere, so the scope read here cannot leak through a cache key."""
    org = REQUEST_ORG.get()
    return [LB.c.project_code.in_(select(PRJ.c.project_code).where(PRJ.c.org_code == org))] if org else []


def recent_batches(engine: Engine, limit: int = 25) -> pd.DataFrame:
    """The newest load attempts first, loaded and refused alike. Columns: BATCH_COLUMNS."""
    stmt = (
        select(LB.c.id, LB.c.file_name, LB.c.kind, LB.c.loaded_at, LB.c.loaded_by, LB.c.rows_loaded,
               LB.c.rows_rejected, LB.c.outcome, LB.c.message)
        .where(*_org_batches())
        .order_by(LB.c.id.desc())
        .limit(limit)
    )
    return _frame(engine, stmt, BATCH_COLUMNS)


def batch_counts(engine: Engine) -> dict[str, int]:
    """Number of load attempts by outcome (loaded, rejected)."""
    with engine.connect() as conn:
        rows = conn.execute(select(LB.c.outcome, func.count()).group_by(LB.c.outcome)).all()
    return {outcome: int(n) for outcome, n in rows}


def recent_rejections(engine: Engine, files: int = 5, limit: int = 500) -> pd.DataFrame:
    """Every problem of the ``files`` most recently refused files, newest file first, in row order.

    Columns: REJECTION_COLUMNS (row_number is the spreadsheet row, 0 for the whole file).
    """
    latest = (select(LB.c.id).where(LB.c.outcome == "rejected", *_org_batches()).order_by(LB.c.id.desc())
              .limit(files).subquery())
    stmt = (
        select(LB.c.id, LB.c.file_name, LB.c.kind, LB.c.loaded_at, LB.c.loaded_by, RR.c.row_number,
               RR.c.column_name, RR.c.value, RR.c.reason)
        .select_from(RR.join(LB, LB.c.id == RR.c.batch_id))
        .where(LB.c.id.in_(select(latest.c.id)))
        .order_by(LB.c.id.desc(), RR.c.row_number, RR.c.column_name, RR.c.id)
        .limit(limit)
    )
    return _frame(engine, stmt, REJECTION_COLUMNS)


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows currently held in the tables a load changes (tests use it to prove a refusal changed nothing)."""
    models = {"observations": m.Observation, "observation_monthly": m.ObservationMonthly,
              "observation_breakdown": m.ObservationBreakdown, "observation_history": m.ObservationHistory,
              "returns": m.ReturnSubmission, "projects": m.Project, "metrics": m.Metric, "areas": m.Area,
              "targets": m.Target}
    with engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(model)).scalar_one()
                for name, model in models.items()}
