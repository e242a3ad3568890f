"""Summary tables kept fresh at load time, so pages never scan the split-level observation rows.

Called inside the loader's transaction for exactly the projects and months a file touched; a
refresh deletes the affected summary rows and rebuilds them with one GROUP BY each.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, delete, func, insert, literal, select, union_all

from analysis.fiscal import Quarter, parse_period
from warehouse.models import Observation, ObservationBreakdown, ObservationMonthly

SPLIT_DIMENSIONS = ("age_band", "sex", "ethnicity")


def refresh_observation_summaries(conn: Connection, project: str, first: str, last: str) -> None:
    """Rebuild monthly and breakdown summaries for one project between two months (inclusive)."""
    o = Observation.__table__
    mon = ObservationMonthly.__table__
    conn.execute(delete(mon).where(mon.c.project_code == project, mon.c.period.between(first, last)))
    monthly = (
        select(
            o.c.period, o.c.project_code, o.c.area_code, o.c.metric_code,
            func.min(o.c.financial_year), func.min(o.c.quarter), func.sum(o.c.value), func.count(),
        )
        .where(o.c.project_code == project, o.c.period.between(first, last))
        .group_by(o.c.period, o.c.project_code, o.c.area_code, o.c.metric_code)
    )
    conn.execute(
        insert(mon).from_select(
            ["period", "project_code", "area_code", "metric_code", "financial_year", "quarter", "value", "row_count"],
            monthly,
        )
    )

    # Breakdowns are quarterly, so widen the range to whole quarters.
    q_first = Quarter.of(parse_period(first)).first_month
    q_last = Quarter.of(parse_period(last)).last_month
    brk = ObservationBreakdown.__table__
    quarters = {(Quarter.of(parse_period(p)).fy, Quarter.of(parse_period(p)).number) for p in (q_first, q_last)}
    lo, hi = min(quarters), max(quarters)
    conn.execute(
        delete(brk).where(
            brk.c.project_code == project,
            (brk.c.financial_year > lo[0]) | and_(brk.c.financial_year == lo[0], brk.c.quarter >= lo[1]),
            (brk.c.financial_year < hi[0]) | and_(brk.c.financial_year == hi[0], brk.c.quarter <= hi[1]),
        )
    )
    parts = [
        select(
            o.c.financial_year, o.c.quarter, o.c.project_code, o.c.area_code, o.c.metric_code,
            literal(dim).label("dimension"), o.c[dim].label("category"), func.sum(o.c.value).label("value"),
        )
        .where(o.c.project_code == project, o.c.period.between(q_first, q_last))
        .group_by(o.c.financial_year, o.c.quarter, o.c.project_code, o.c.area_code, o.c.metric_code, o.c[dim])
        for dim in SPLIT_DIMENSIONS
    ]
    conn.execute(
        insert(brk).from_select(
            ["financial_year", "quarter", "project_code", "area_code", "metric_code", "dimension", "category", "value"],
            union_all(*parts),
        )
    )
