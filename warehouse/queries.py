"""Read queries: aggregate in SQL, return small tidy DataFrames with documented columns.

Every page, API endpoint and export calls these, so a figure is computed one way only. Queries read
the summary tables kept fresh at load time, never the split-level observation rows, and work the
same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Select, func, select

from analysis.disclosure import KEY_MODULUS
from warehouse import models as m
from warehouse.filters import Filters
from warehouse.version import per_version, read_version
from warehouse.window import end_in_window, fy_ok, period_ok, start_in_window

OM = m.ObservationMonthly.__table__
PRJ = m.Project.__table__


def _frame(engine: Engine, stmt, columns: list[str]) -> pd.DataFrame:  # noqa: ANN001 - any selectable
    """The rows as a DataFrame, built from plain tuples: given SQLAlchemy Rows, pandas probes each one
    for a ``dtype`` attribute (a failed key lookup per row), ~40 ms for 10,000 rows instead of ~4."""
    with engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(stmt).all()]
    return pd.DataFrame(rows, columns=columns)


@per_version
def area_codes_for(engine: Engine, area: str) -> list[str]:
    """An area and, for a county, its districts (observations are recorded against districts)."""
    with engine.connect() as conn:
        children = list(conn.scalars(select(m.Area.area_code).where(m.Area.parent_code == area)))
    return [area, *children]


def scope_conditions(engine: Engine, f: Filters, table=OM) -> list:  # noqa: ANN001
    """WHERE conditions for the slicers (area, priority, stream, project) on a summary table."""
    conds = []
    if f.area:
        conds.append(table.c.area_code.in_(area_codes_for(engine, f.area)))
    if f.project:
        conds.append(table.c.project_code == f.project)
    project_conds = []
    if f.org:  # a partner's scope: only their organisation's projects, in the SQL itself
        project_conds.append(PRJ.c.org_code == f.org)
    if f.priority:
        project_conds.append(PRJ.c.priority_code == f.priority)
    if f.stream:
        project_conds.append(PRJ.c.funding_stream == f.stream)
    if project_conds:
        conds.append(table.c.project_code.in_(select(PRJ.c.project_code).where(*project_conds)))
    return conds


@per_version
def project_org(engine: Engine, code: str) -> str:
    """The organisation running a project ('' when there is no such project)."""
    with engine.connect() as conn:
        return conn.execute(select(PRJ.c.org_code).where(PRJ.c.project_code == code)).scalar() or ""


@per_version
def data_runs_to(engine: Engine) -> str:
    """The latest month with any observation ('' when the warehouse is empty)."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(OM.c.period)).where(period_ok(OM.c.period))).scalar() or ""


def data_version(engine: Engine) -> int:
    """Changes whenever a file loads: the newest batch id. Cache keys include it (read from the
    database each call: ``warehouse.version.current_version`` reads it once per request)."""
    return read_version(engine)


@per_version
def metrics(engine: Engine) -> pd.DataFrame:
    """Columns: metric_code, name, unit, aggregation, priority_code, source, higher_is_better, definition."""
    t = m.Metric.__table__
    cols = ["metric_code", "name", "unit", "aggregation", "priority_code", "source", "higher_is_better", "definition"]
    return _frame(engine, select(*[t.c[c] for c in cols]).order_by(t.c.priority_code, t.c.metric_code), cols)


@per_version
def areas(engine: Engine) -> pd.DataFrame:
    """Columns: area_code, area_name, area_type, parent_code, population."""
    t = m.Area.__table__
    cols = ["area_code", "area_name", "area_type", "parent_code", "population"]
    return _frame(engine, select(*[t.c[c] for c in cols]).order_by(t.c.area_name), cols)


@per_version
def priorities(engine: Engine) -> pd.DataFrame:
    """Columns: priority_code, name, description."""
    t = m.Priority.__table__
    cols = ["priority_code", "name", "description"]
    return _frame(engine, select(*[t.c[c] for c in cols]).order_by(t.c.priority_code), cols)


@per_version
def projects(engine: Engine) -> pd.DataFrame:
    """Columns: project_code, project_name, org_code, org_name, priority_code, funding_stream, start_date, end_date."""
    o = m.Organisation.__table__
    stmt = (
        select(PRJ.c.project_code, PRJ.c.project_name, PRJ.c.org_code, o.c.org_name, PRJ.c.priority_code,
               PRJ.c.funding_stream, start_in_window(PRJ.c.start_date), end_in_window(PRJ.c.end_date))
        .select_from(PRJ.outerjoin(o, o.c.org_code == PRJ.c.org_code))
        .order_by(PRJ.c.project_code)
    )
    return _frame(engine, stmt, ["project_code", "project_name", "org_code", "org_name", "priority_code",
                                 "funding_stream", "start_date", "end_date"])


@per_version
def funding_streams(engine: Engine) -> pd.DataFrame:
    """Columns: funding_stream, source_body (one row per stream)."""
    t = m.Funding.__table__
    stmt = select(t.c.funding_stream, func.min(t.c.source_body)).group_by(t.c.funding_stream).order_by(
        t.c.funding_stream)
    return _frame(engine, stmt, ["funding_stream", "source_body"])


def monthly_totals(engine: Engine, f: Filters, first: str = "", last: str = "",
                   by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Sum of values per metric and month within the slicers.

    Columns: metric_code, period, financial_year, quarter, [by...], value, value_key (the disclosure
    cell key of each row, ``analysis.disclosure``). ``by`` may hold project_code and/or area_code.
    """
    extra = [OM.c[c] for c in by]
    conds = scope_conditions(engine, f)
    if first:
        conds.append(OM.c.period >= first)
    if last:
        conds.append(OM.c.period <= last)
    stmt = (
        select(OM.c.metric_code, OM.c.period, func.min(OM.c.financial_year), func.min(OM.c.quarter), *extra,
               func.sum(OM.c.value), func.sum(OM.c.cell_key))
        .where(*conds)
        .group_by(OM.c.metric_code, OM.c.period, *extra)
        .order_by(OM.c.metric_code, OM.c.period)
    )
    frame = _frame(engine, stmt, ["metric_code", "period", "financial_year", "quarter", *by, "value", "value_key"])
    frame["value_key"] = frame["value_key"].fillna(0).astype("int64") % KEY_MODULUS
    return frame


def targets(engine: Engine, f: Filters, financial_year: str | None = None) -> pd.DataFrame:
    """The targets that apply to the view. Columns: metric_code, financial_year, target_value.

    No slicer: partnership targets. A project: its targets. An area: that area's targets. A priority
    or funding stream: the sum of the targets of the projects in it.
    """
    t = m.Target.__table__
    conds = [fy_ok(t.c.financial_year)] + ([] if financial_year is None else [t.c.financial_year == financial_year])
    if f.project:
        conds += [t.c.scope == "project", t.c.scope_code == f.project]
    elif f.area and not (f.priority or f.stream or f.org):
        conds += [t.c.scope == "area", t.c.scope_code == f.area]
    elif f.priority or f.stream or f.org:
        project_conds = [PRJ.c.org_code == f.org] if f.org else []
        if f.priority:
            project_conds.append(PRJ.c.priority_code == f.priority)
        if f.stream:
            project_conds.append(PRJ.c.funding_stream == f.stream)
        conds += [t.c.scope == "project", t.c.scope_code.in_(select(PRJ.c.project_code).where(*project_conds))]
    else:
        conds += [t.c.scope == "partnership"]
    stmt = (
        select(t.c.metric_code, t.c.financial_year, func.sum(t.c.target_value))
        .where(*conds)
        .group_by(t.c.metric_code, t.c.financial_year)
    )
    return _frame(engine, stmt, ["metric_code", "financial_year", "target_value"])


def expected_returns(engine: Engine, f: Filters | None = None) -> pd.DataFrame:
    """Project quarters a return was due for, with when it arrived.

    Columns: project_code, financial_year, quarter, submitted_on (None when missing). Expected
    quarters are computed in ``analysis.returns``; this returns the submissions so that logic stays
    testable. The table is read once per data version (``all_submissions``) and cut to the view's
    project or organisation here: every view used to read it whole from the database.
    """
    table = all_submissions(engine)
    if f and f.project:
        table = table[table["project_code"] == f.project]
    if f and f.org:
        own = projects(engine)
        table = table[table["project_code"].isin(own.loc[own["org_code"] == f.org, "project_code"])]
    return table.reset_index(drop=True)


@per_version
def all_submissions(engine: Engine) -> pd.DataFrame:
    """Every return submission: project_code, financial_year, quarter, submitted_on."""
    r = m.ReturnSubmission.__table__
    stmt = select(r.c.project_code, r.c.financial_year, r.c.quarter, r.c.submitted_on).where(
        fy_ok(r.c.financial_year))
    return _frame(engine, stmt, ["project_code", "financial_year", "quarter", "submitted_on"])


def project_conditions(engine: Engine, f: Filters) -> list:
    """WHERE conditions on the project table for the slicers (project, priority, stream, area).

    A funding-stream filter means the project's own stream, an area filter the projects working
    there (``project_area``). The projects grid, returns and money queries all select projects
    through this, so a slicer picks the same projects everywhere.
    """
    conds = []
    if f.org:  # a partner's scope: only their organisation's projects, in the SQL itself
        conds.append(PRJ.c.org_code == f.org)
    if f.project:
        conds.append(PRJ.c.project_code == f.project)
    if f.priority:
        conds.append(PRJ.c.priority_code == f.priority)
    if f.stream:
        conds.append(PRJ.c.funding_stream == f.stream)
    if f.area:
        pa = m.ProjectArea.__table__
        conds.append(PRJ.c.project_code.in_(
            select(pa.c.project_code).where(pa.c.area_code.in_(area_codes_for(engine, f.area)))))
    return conds


def project_codes_in_scope(engine: Engine, f: Filters) -> Select:
    """A SELECT of the codes of the projects within the slicers, to use in ``IN (...)``."""
    return select(PRJ.c.project_code).where(*project_conditions(engine, f))


def project_scope(engine: Engine, f: Filters) -> pd.DataFrame:
    """Projects within the slicers. Columns: project_code, project_name, priority_code, funding_stream,
    start_date, end_date."""
    stmt = select(PRJ.c.project_code, PRJ.c.project_name, PRJ.c.priority_code, PRJ.c.funding_stream,
                  start_in_window(PRJ.c.start_date), end_in_window(PRJ.c.end_date)).where(
        *project_conditions(engine, f)).order_by(PRJ.c.project_code)
    return _frame(engine, stmt, ["project_code", "project_name", "priority_code", "funding_stream", "start_date",
                                 "end_date"])
