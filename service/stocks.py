"""Stock metrics' levels for a view, per project x area carried forward (``analysis.stocks``).

Shared by the KPI view, the projects grid and a project's page so a caseload is one figure whichever
asks. The observations API and the pages' groupings get theirs from ``service.observations``, by the
same rule. Exact figures with their cell keys: they reach surfaces only through ``service.gate``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import add_months
from analysis.stocks import CARRY_MONTHS, STOCK_AGGREGATIONS, StockLevel, level_at, levels_by
from warehouse.filters import Filters
from warehouse.observation_queries import project_end_months, stock_series


def stock_levels(engine: Engine, f: Filters, info: pd.DataFrame, month: str, by: str = "",
                 adjust: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                 ) -> dict[tuple[str, str], tuple[StockLevel, StockLevel]]:
    """(metric_code, group) -> (level at ``month``, level twelve months earlier) for every stock metric.

    ``by``: '' for the whole view (group ''), or a column such as project_code for one per group.
    ``adjust``: changes the series before levels are taken (a preview puts a checked file's rows in place
    of those it replaces), so a level is carried by this one rule whether the rows are loaded or not.
    """
    stocks = info[info["aggregation"].isin(STOCK_AGGREGATIONS)]
    if stocks.empty or not month:
        return {}
    year_before = add_months(month, -12)
    running = stocks.loc[stocks["aggregation"] == "cumulative", "metric_code"].tolist()
    series = stock_series(engine, f, stocks["metric_code"].tolist(), year_before, month, CARRY_MONTHS, running)
    if adjust is not None:
        series = adjust(series)
    ends = project_end_months(engine)
    kinds = dict(zip(stocks["metric_code"], stocks["aggregation"], strict=True))
    out: dict[tuple[str, str], tuple[StockLevel, StockLevel]] = {}
    for code, mine in series.groupby("metric_code", sort=False):
        if by:
            now, then = levels_by(mine, month, kinds[code], [by], ends), levels_by(mine, year_before, kinds[code], [by],
                                                                                    ends)
            for (group,), level in now.items():
                out[(code, group)] = (level, then.get((group,), StockLevel(year_before, 0.0, 0, 0, 0, "")))
        else:
            out[(code, "")] = (level_at(mine, month, kinds[code], ends), level_at(mine, year_before, kinds[code], ends))
    return out
