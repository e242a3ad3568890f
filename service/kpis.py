"""The headline KPI view: every metric's value, target, status and trend for a set of filters."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import fy_months
from analysis.progress import SINCE, kpi_table
from service.cache import cached
from warehouse import queries
from warehouse.filters import Filters


@dataclass(frozen=True)
class KpiView:
    """What the overview, the API and snapshots show for one view."""

    filters: Filters
    first: str
    last: str
    financial_year: str
    data_to: str
    table: pd.DataFrame  # analysis.progress.KPI_COLUMNS
    monthly: pd.DataFrame  # metric_code, period, value: every month since 2019 in the slicers


@cached
def kpi_view(engine: Engine, f: Filters) -> KpiView:
    data_to = queries.data_runs_to(engine)
    if not data_to:
        empty = pd.DataFrame()
        return KpiView(f, "", "", "", "", empty, empty)
    first, last = f.months(data_to)
    fy = f.year(data_to)
    monthly = queries.monthly_totals(engine, f, first=SINCE)[["metric_code", "period", "value"]]
    info = queries.metrics(engine)
    targets = queries.targets(engine, f, fy)
    table = kpi_table(monthly, info, targets, first, last, data_to, fy_months(fy))
    return KpiView(f, first, last, fy, data_to, table, monthly)
