"""Observation values grouped any way the pages and the API ask, aggregated in SQL.

Reads the summary table ``observation_monthly`` (joined with ``project`` for the priority and
``metric`` for how a metric aggregates). One statement serves every grouping, on SQLite and
PostgreSQL alike.

Sum and latest metrics. Most metrics are flows (people started, hours delivered): a period's value
is the sum of its months. ``latest`` metrics (ORGS_FUNDED, ACTIVE_CASELOAD) are stocks: summing
their months would count the same organisations or cases once per month, so a group's value is the
value of the **last month with data in that group** (summed over the projects and areas in it), as
``analysis.progress.aggregate`` does for the headline cards. Grouped by month the two rules agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine, String, and_, case, cast, func, literal_column, select

from analysis.disclosure import KEY_MODULUS
from warehouse import models as m
from warehouse.filters import Filters
from warehouse.queries import OM, PRJ, scope_conditions

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
    source = OM.join(PRJ, PRJ.c.project_code == OM.c.project_code) if "priority" in words else OM

    # Per group and month first; the window finds each group's last month with data.
    partition = [_dimension(w) for w in words]
    monthly = (
        select(*dims, OM.c.period.label("period_"), func.sum(OM.c.value).label("value_"),
               func.sum(OM.c.cell_key).label("key_"),
               func.max(OM.c.period).over(partition_by=partition).label("last_period_"))
        .select_from(source)
        .where(*conds)
        .group_by(*partition, OM.c.period)
        .subquery("monthly")
    )
    not_counted = and_(MET.c.aggregation == "latest", monthly.c.period_ != monthly.c.last_period_)
    keep = case((not_counted, None), else_=monthly.c.value_)
    keep_key = case((not_counted, None), else_=monthly.c.key_)
    out_cols = [monthly.c[n] for n in names]
    stmt = (
        select(*out_cols, func.sum(keep), func.sum(keep_key))
        .select_from(monthly.join(MET, MET.c.metric_code == monthly.c.metric_code))
        .group_by(*out_cols)
        .order_by(*out_cols)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=[*names, "value", "value_key"])
    frame["value"] = frame["value"].astype(float)
    frame["value_key"] = frame["value_key"].fillna(0).astype("int64") % KEY_MODULUS
    return frame
