"""Read queries for money: funding streams, grants awarded to projects and spend reported per quarter.

Aggregate in SQL, return small tidy DataFrames (money as float pounds), same on SQLite and
PostgreSQL. The slicers select projects the way every page does (``project_codes_in_scope``): a
funding-stream filter means the project's own stream, an area filter the projects working there.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from warehouse import models as m
from warehouse.filters import Filters
from warehouse.queries import _frame, area_codes_for

PRJ = m.Project.__table__
FUND = m.Funding.__table__
GRANT = m.Grant.__table__
SPEND = m.Spend.__table__


def _money(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Numeric columns arrive as Decimal (or None); pages and charts want float pounds."""
    for col in columns:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def project_codes_in_scope(engine: Engine, f: Filters):  # noqa: ANN201 - a SQLAlchemy Select
    """A SELECT of the project codes within the slicers (project, priority, stream, area)."""
    conds = []
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
    return select(PRJ.c.project_code).where(*conds)


def funding_by_stream(engine: Engine, stream: str = "") -> pd.DataFrame:
    """Money each stream brought per year. Columns: funding_stream, source_body, financial_year, amount_gbp."""
    conds = [FUND.c.funding_stream == stream] if stream else []
    stmt = (select(FUND.c.funding_stream, FUND.c.source_body, FUND.c.financial_year, FUND.c.amount_gbp)
            .where(*conds).order_by(FUND.c.financial_year, FUND.c.funding_stream))
    return _money(_frame(engine, stmt, ["funding_stream", "source_body", "financial_year", "amount_gbp"]),
                  "amount_gbp")


def grants_by_stream(engine: Engine, stream: str = "") -> pd.DataFrame:
    """Grants awarded per stream and year. Columns: funding_stream, financial_year, awarded_gbp, projects."""
    conds = [GRANT.c.funding_stream == stream] if stream else []
    stmt = (select(GRANT.c.funding_stream, GRANT.c.financial_year, func.sum(GRANT.c.awarded_gbp),
                   func.count(func.distinct(GRANT.c.project_code)))
            .where(*conds).group_by(GRANT.c.funding_stream, GRANT.c.financial_year)
            .order_by(GRANT.c.financial_year, GRANT.c.funding_stream))
    return _money(_frame(engine, stmt, ["funding_stream", "financial_year", "awarded_gbp", "projects"]),
                  "awarded_gbp")


def project_grants(engine: Engine, f: Filters, financial_year: str | None = None) -> pd.DataFrame:
    """Grants to the projects within the slicers, from every stream.

    Columns: project_code, funding_stream, financial_year, awarded_gbp.
    """
    conds = [GRANT.c.project_code.in_(project_codes_in_scope(engine, f))]
    if financial_year:
        conds.append(GRANT.c.financial_year == financial_year)
    stmt = (select(GRANT.c.project_code, GRANT.c.funding_stream, GRANT.c.financial_year, GRANT.c.awarded_gbp)
            .where(*conds).order_by(GRANT.c.project_code, GRANT.c.financial_year, GRANT.c.funding_stream))
    return _money(_frame(engine, stmt, ["project_code", "funding_stream", "financial_year", "awarded_gbp"]),
                  "awarded_gbp")


def project_spend(engine: Engine, f: Filters, financial_year: str | None = None) -> pd.DataFrame:
    """Quarterly spend of the projects within the slicers.

    Columns: project_code, financial_year, quarter (1-4), spend_gbp.
    """
    conds = [SPEND.c.project_code.in_(project_codes_in_scope(engine, f))]
    if financial_year:
        conds.append(SPEND.c.financial_year == financial_year)
    stmt = (select(SPEND.c.project_code, SPEND.c.financial_year, SPEND.c.quarter, SPEND.c.spend_gbp)
            .where(*conds).order_by(SPEND.c.project_code, SPEND.c.financial_year, SPEND.c.quarter))
    frame = _money(_frame(engine, stmt, ["project_code", "financial_year", "quarter", "spend_gbp"]), "spend_gbp")
    frame["quarter"] = frame["quarter"].map(lambda q: int(str(q).upper().lstrip("Q"))).astype(int)
    return frame


def spend_quarters_reported(engine: Engine, financial_year: str) -> int:
    """The latest quarter (1-4) of a year for which any project reported spend; 0 when none.

    The spend ledger is loaded as a whole, so this is how far the year's money figures run.
    """
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(SPEND.c.quarter)).where(
            SPEND.c.financial_year == financial_year)).scalar()
    return int(str(latest).upper().lstrip("Q")) if latest else 0
