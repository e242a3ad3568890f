"""Read queries for one project's page and for the projects grid: details, areas, targets, load history.

Small tidy DataFrames with documented columns; the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select, union

from warehouse import models as m
from warehouse.queries import _frame
from warehouse.window import end_in_window, start_in_window

PRJ = m.Project.__table__
LB = m.LoadBatch.__table__
OBS = m.Observation.__table__

DETAIL_COLUMNS = ["project_code", "project_name", "org_code", "org_name", "org_type", "priority_code",
                  "priority_name", "funding_stream", "source_body", "start_date", "end_date"]
LOAD_COLUMNS = ["batch_id", "file_name", "kind", "loaded_at", "loaded_by", "rows_loaded", "rows_rejected",
                "outcome", "message", "first_period", "last_period", "project_rows"]


def project_detail(engine: Engine, code: str) -> pd.DataFrame:
    """The project's reference data, one row (none for an unknown code). Columns: DETAIL_COLUMNS."""
    o = m.Organisation.__table__
    p = m.Priority.__table__
    fund = (select(m.Funding.funding_stream, func.min(m.Funding.source_body).label("source_body"))
            .group_by(m.Funding.funding_stream).subquery())
    stmt = (
        select(PRJ.c.project_code, PRJ.c.project_name, PRJ.c.org_code, o.c.org_name, o.c.org_type,
               PRJ.c.priority_code, p.c.name, PRJ.c.funding_stream, fund.c.source_body,
               start_in_window(PRJ.c.start_date), end_in_window(PRJ.c.end_date))
        .select_from(PRJ.outerjoin(o, o.c.org_code == PRJ.c.org_code)
                     .outerjoin(p, p.c.priority_code == PRJ.c.priority_code)
                     .outerjoin(fund, fund.c.funding_stream == PRJ.c.funding_stream))
        .where(PRJ.c.project_code == code)
    )
    return _frame(engine, stmt, DETAIL_COLUMNS)


def project_areas(engine: Engine, code: str) -> pd.DataFrame:
    """Areas the project works in. Columns: area_code, area_name, area_type."""
    pa = m.ProjectArea.__table__
    a = m.Area.__table__
    stmt = (select(pa.c.area_code, a.c.area_name, a.c.area_type)
            .select_from(pa.outerjoin(a, a.c.area_code == pa.c.area_code))
            .where(pa.c.project_code == code).order_by(a.c.area_name))
    return _frame(engine, stmt, ["area_code", "area_name", "area_type"])


def project_targets(engine: Engine, financial_year: str | None = None, code: str = "") -> pd.DataFrame:
    """Project-scope targets (every project, or one). Columns: project_code, metric_code, financial_year,
    target_value."""
    t = m.Target.__table__
    conds = [t.c.scope == "project"]
    if financial_year:
        conds.append(t.c.financial_year == financial_year)
    if code:
        conds.append(t.c.scope_code == code)
    stmt = (select(t.c.scope_code, t.c.metric_code, t.c.financial_year, t.c.target_value).where(*conds)
            .order_by(t.c.scope_code, t.c.metric_code, t.c.financial_year))
    return _frame(engine, stmt, ["project_code", "metric_code", "financial_year", "target_value"])


def project_metric_codes(engine: Engine, code: str) -> list[str]:
    """Metrics the project reports (any month) or has a project target for, sorted."""
    om = m.ObservationMonthly.__table__
    t = m.Target.__table__
    stmt = union(
        select(om.c.metric_code).where(om.c.project_code == code),
        select(t.c.metric_code).where(t.c.scope == "project", t.c.scope_code == code),
    )
    with engine.connect() as conn:
        return sorted(conn.scalars(stmt))


def project_load_history(engine: Engine, code: str) -> pd.DataFrame:
    """Load batches that touched the project, newest first. Columns: LOAD_COLUMNS.

    A batch touched it when it was a file for this project (``load_batch.project_code``, refused
    files included), loaded observation rows for it (current or since revised), or loaded its
    reference rows (the project itself, its targets, grants, spend or return dates).
    ``project_rows``: current observation rows of this project that came from the batch.
    """
    h = m.ObservationHistory.__table__
    t = m.Target.__table__
    ids = union(
        select(LB.c.id.label("batch_id")).where(LB.c.project_code == code),
        select(OBS.c.batch_id).where(OBS.c.project_code == code),
        select(h.c.batch_id).where(h.c.project_code == code),
        select(h.c.replaced_by_batch_id).where(h.c.project_code == code),
        select(PRJ.c.batch_id).where(PRJ.c.project_code == code),
        select(t.c.batch_id).where(t.c.scope == "project", t.c.scope_code == code),
        select(m.Grant.batch_id).where(m.Grant.project_code == code),
        select(m.Spend.batch_id).where(m.Spend.project_code == code),
        select(m.ReturnSubmission.batch_id).where(m.ReturnSubmission.project_code == code),
    ).subquery()
    counts = (select(OBS.c.batch_id, func.count().label("n")).where(OBS.c.project_code == code)
              .group_by(OBS.c.batch_id).subquery())
    stmt = (
        select(LB.c.id, LB.c.file_name, LB.c.kind, LB.c.loaded_at, LB.c.loaded_by, LB.c.rows_loaded,
               LB.c.rows_rejected, LB.c.outcome, LB.c.message, LB.c.first_period, LB.c.last_period,
               func.coalesce(counts.c.n, 0))
        .select_from(LB.outerjoin(counts, counts.c.batch_id == LB.c.id))
        .where(LB.c.id.in_(select(ids.c.batch_id)))
        .order_by(LB.c.loaded_at.desc(), LB.c.id.desc())
    )
    return _frame(engine, stmt, LOAD_COLUMNS)
