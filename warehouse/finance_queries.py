"""Read queries for money: funding streams, grants awarded to projects and spend reported per quarter.

Aggregate in SQL, return small tidy DataFrames (money as float pounds), same on SQLite and
PostgreSQL. The slicers select projects the way every page does (``queries.project_codes_in_scope``): a
funding-stream filter means the project's own stream, an area filter the projects working there.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, func, select

from analysis.disclosure import KEY_MODULUS
from warehouse import models as m
from warehouse.filters import Filters
from warehouse.queries import _frame, project_codes_in_scope
from warehouse.window import fy_ok

OM = m.ObservationMonthly.__table__
FUND = m.Funding.__table__
GRANT = m.Grant.__table__
SPEND = m.Spend.__table__


def _money(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Numeric columns arrive as Decimal (or None); pages and charts want float pounds."""
    for col in columns:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def funding_by_stream(engine: Engine, stream: str = "") -> pd.DataFrame:
    """Money each stream brought per year. Columns: funding_stream, source_body, financial_year, amount_gbp."""
    conds = [FUND.c.funding_stream == stream] if stream else []
    stmt = (select(FUND.c.funding_stream, FUND.c.source_body, FUND.c.financial_year, FUND.c.amount_gbp)
            .where(fy_ok(FUND.c.financial_year), *conds).order_by(FUND.c.financial_year, FUND.c.funding_stream))
    return _money(_frame(engine, stmt, ["funding_stream", "source_body", "financial_year", "amount_gbp"]),
                  "amount_gbp")


def grants_by_stream(engine: Engine, stream: str = "") -> pd.DataFrame:
    """Grants awarded per stream and year. Columns: funding_stream, financial_year, awarded_gbp, projects."""
    conds = [GRANT.c.funding_stream == stream] if stream else []
    stmt = (select(GRANT.c.funding_stream, GRANT.c.financial_year, func.sum(GRANT.c.awarded_gbp),
                   func.count(func.distinct(GRANT.c.project_code)))
            .where(fy_ok(GRANT.c.financial_year), *conds).group_by(GRANT.c.funding_stream, GRANT.c.financial_year)
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
            .where(fy_ok(GRANT.c.financial_year), *conds)
            .order_by(GRANT.c.project_code, GRANT.c.financial_year, GRANT.c.funding_stream))
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
            .where(fy_ok(SPEND.c.financial_year), *conds)
            .order_by(SPEND.c.project_code, SPEND.c.financial_year, SPEND.c.quarter))
    frame = _money(_frame(engine, stmt, ["project_code", "financial_year", "quarter", "spend_gbp"]), "spend_gbp")
    frame["quarter"] = frame["quarter"].map(_quarter_numbers(frame["quarter"])).astype(int)
    return frame


def _quarter_number(stored: object) -> int:
    """The ledger stores a quarter as 'Q1'..'Q4' (older loads: 1-4); pages want the number."""
    return int(str(stored).upper().lstrip("Q"))


def _quarter_numbers(stored: pd.Series) -> dict[object, int]:
    """``_quarter_number`` of each distinct stored value: parsing four values, not every row."""
    return {value: _quarter_number(value) for value in stored.unique()}


def project_outcomes(engine: Engine, f: Filters, first: str, last: str, metrics: Sequence[str]) -> pd.DataFrame:
    """What each project within the slicers recorded of ``metrics`` from ``first`` to ``last`` (months,
    inclusive), on all its areas: the outcomes cost per outcome divides spend by.

    Columns: project_code, metric_code, value, value_key (the disclosure cell key: these are counts of
    people, published only through ``service.gate``). Summed in SQL over months and areas at once, which
    reads a year of the 1M-row benchmark in ~10 ms where ``queries.monthly_totals`` takes ~40 ms.
    For counts (the outcome measures: the loader keeps them whole) the sum is exact in any order, so
    it equals adding up monthly totals; a fractional measure (hours, pounds) could differ in the last
    digit and should be read through ``monthly_totals``.
    """
    stmt = (select(OM.c.project_code, OM.c.metric_code, func.sum(OM.c.value), func.sum(OM.c.cell_key))
            .where(OM.c.period >= first, OM.c.period <= last, OM.c.metric_code.in_(list(metrics)),
                   OM.c.project_code.in_(project_codes_in_scope(engine, f)))
            .group_by(OM.c.project_code, OM.c.metric_code)
            .order_by(OM.c.project_code, OM.c.metric_code))
    frame = _frame(engine, stmt, ["project_code", "metric_code", "value", "value_key"])
    frame["value_key"] = frame["value_key"].fillna(0).astype("int64") % KEY_MODULUS
    return frame


def spend_quarters_reported(engine: Engine, financial_year: str) -> int:
    """The latest quarter (1-4) of a year for which any project reported spend; 0 when none.

    The spend ledger is loaded as a whole, so this is how far the year's money figures run.
    """
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(SPEND.c.quarter)).where(
            SPEND.c.financial_year == financial_year)).scalar()
    return _quarter_number(latest) if latest else 0
