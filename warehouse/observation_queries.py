"""Observation values grouped any way the pages and the API ask, aggregated in SQL.

Reads the summary table ``observation_monthly`` (joined with ``project`` for the priority and
``metric`` for how a metric aggregates). One statement serves every grouping, on SQLite and
PostgreSQL alike.

Flows and stocks. Most metrics are flows (people started, hours delivered): a period's value is the
sum of its months, added up here in SQL (``grouped_values``). Stocks (aggregation ``latest``: a
level such as ACTIVE_CASELOAD; ``cumulative``: a running total such as ORGS_FUNDED) are not sums:
``stock_series`` reads the project x area rows that ``analysis.stocks`` carries forward.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, String, and_, cast, func, literal_column, select

from analysis.disclosure import KEY_MODULUS
from analysis.fiscal import add_months
from warehouse import models as m
from warehouse.filters import Filters
from warehouse.queries import OM, PRJ, _frame, scope_conditions
from warehouse.window import end_in_window

MET = m.Metric.__table__

# group_by word -> output column name
GROUP_COLUMNS = {
    "metric": "metric_code",
    "month": "month",
    "quarter": "quarter",
    "financial_year": "financial_year",
    "area": "area_code",
    "project": "project_code",
    "priority": "priority_code",
}


def _dimension(name: str):  # noqa: ANN202 - SQL expression
    if name == "metric":
        return OM.c.metric_code
    if name == "month":
        return OM.c.period
    if name == "quarter":
        # An inline constant, not a bound parameter: PostgreSQL must see the GROUP BY and SELECT
        # expressions as the same expression.
        return OM.c.financial_year + literal_column("' Q'", String) + cast(OM.c.quarter, String)
    if name == "financial_year":
        return OM.c.financial_year
    if name == "area":
        return OM.c.area_code
    if name == "project":
        return OM.c.project_code
    if name == "priority":
        return PRJ.c.priority_code
    raise ValueError(f"cannot group by {name!r}")


def grouped_values(engine: Engine, f: Filters, first: str, last: str, group_by: Sequence[str],
                   metric: str = "") -> pd.DataFrame:
    """Values per group within the slicers and the months [first, last].

    ``group_by``: words from GROUP_COLUMNS; ``metric`` is always a grouping (values of different
    metrics are never added together) and is put first when not named. Columns: the group columns
    in that order (metric_code, month, quarter like ``2024/25 Q1``, financial_year, area_code,
    project_code, priority_code), then ``value`` and ``value_key`` (the disclosure cell key of the rows
    counted in ``value``, see ``analysis.disclosure``). Sorted by the group columns.
    """
    words = list(dict.fromkeys(group_by))
    if "metric" not in words:
        words.insert(0, "metric")
    unknown = [w for w in words if w not in GROUP_COLUMNS]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}")
    names = [GROUP_COLUMNS[w] for w in words]
    dims = [_dimension(w).label(n) for w, n in zip(words, names, strict=True)]

    conds = scope_conditions(engine, f)
    if first:
        conds.append(OM.c.period >= first)
    if last:
        conds.append(OM.c.period <= last)
    if metric:
        conds.append(OM.c.metric_code == metric)
    # Flows only: stocks (levels, running totals) are not sums over months; analysis.stocks carries
    # them forward per project x area (service.observations adds their groups).
    conds.append(OM.c.metric_code.in_(select(MET.c.metric_code).where(MET.c.aggregation == "sum")))
    source = OM.join(PRJ, PRJ.c.project_code == OM.c.project_code) if "priority" in words else OM
    group = [_dimension(w) for w in words]
    stmt = (
        select(*dims, func.sum(OM.c.value), func.sum(OM.c.cell_key))
        .select_from(source)
        .where(*conds)
        .group_by(*group)
        .order_by(*group)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=[*names, "value", "value_key"])
    frame["value"] = frame["value"].astype(float)
    frame["value_key"] = frame["value_key"].fillna(0).astype("int64") % KEY_MODULUS
    return frame


STOCK_COLUMNS = ["metric_code", "project_code", "area_code", "period", "value", "value_key"]


def stock_series(engine: Engine, f: Filters, metrics: Sequence[str], first: str, last: str,
                 carry_months: int, running: Sequence[str] = ()) -> pd.DataFrame:
    """The rows ``analysis.stocks`` needs for stock metrics at months from ``first`` to ``last``.

    Every project x area row of ``metrics`` from ``carry_months`` before ``first`` to ``last`` (a level
    is carried at most that far), and for the ``running`` totals (carried for ever) also each series'
    last row before that. Columns: STOCK_COLUMNS (value_key: the row's disclosure cell key).
    """
    if not metrics or not last:
        return pd.DataFrame(columns=STOCK_COLUMNS)
    start = add_months(first, -carry_months)
    conds = scope_conditions(engine, f)
    cols = [OM.c.metric_code, OM.c.project_code, OM.c.area_code, OM.c.period, OM.c.value, OM.c.cell_key]
    recent = select(*cols).where(OM.c.metric_code.in_(list(metrics)), OM.c.period.between(start, last), *conds)
    parts = [recent]
    if running:
        before = (select(OM.c.metric_code, OM.c.project_code, OM.c.area_code, func.max(OM.c.period).label("period"))
                  .where(OM.c.metric_code.in_(list(running)), OM.c.period < start, *conds)
                  .group_by(OM.c.metric_code, OM.c.project_code, OM.c.area_code).subquery("before"))
        b = before.c
        parts.append(select(*cols).select_from(OM.join(before, and_(
            OM.c.metric_code == b.metric_code, OM.c.project_code == b.project_code, OM.c.area_code == b.area_code,
            OM.c.period == b.period))))
    frames = [_frame(engine, stmt, STOCK_COLUMNS) for stmt in parts]
    frame = pd.concat([fr for fr in frames if not fr.empty], ignore_index=True) if any(
        not fr.empty for fr in frames) else frames[0]
    frame["value"] = frame["value"].astype(float)
    frame["value_key"] = frame["value_key"].fillna(0).astype("int64") % KEY_MODULUS
    return frame


def project_end_months(engine: Engine) -> dict[str, str]:
    """project_code -> the month its project ends ('YYYY-MM'); ongoing projects are absent."""
    with engine.connect() as conn:
        rows = conn.execute(select(PRJ.c.project_code, end_in_window(PRJ.c.end_date))
                            .where(PRJ.c.end_date.is_not(None))).all()
    return {code: end.strftime("%Y-%m") for code, end in rows if end is not None}
