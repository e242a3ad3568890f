"""The headline KPI view: every metric's value, target, status and trend for a set of filters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import fy_months
from analysis.progress import KPI_COLUMNS, SINCE, derive_kpis, kpi_table
from analysis.stocks import STOCK_NOTES, apply_levels
from service.gate import People, view
from service.stocks import stock_levels
from warehouse import queries
from warehouse.filters import Filters


@dataclass(frozen=True)
class KpiView:
    """What the overview, the API and snapshots show for one view (counts of people protected)."""

    filters: Filters
    first: str
    last: str
    financial_year: str
    data_to: str
    table: pd.DataFrame  # analysis.progress.KPI_COLUMNS, then analysis.stocks.STOCK_NOTES
    monthly: pd.DataFrame  # metric_code, period, value: every month since 2019 in the slicers


def _derive(result: KpiView, threshold: int) -> KpiView:
    table = derive_kpis(result.table, threshold)
    return dataclasses.replace(result, table=table[[*KPI_COLUMNS, *STOCK_NOTES]] if not table.empty else table)


@view(People("table", "value", "value_key"), People("table", "previous", "previous_key"),
      People("table", "total_since_2019", "total_key"), People("monthly"), derive=_derive)
def kpi_view(engine: Engine, f: Filters) -> KpiView:
    data_to = queries.data_runs_to(engine)
    if not data_to:
        empty = pd.DataFrame(columns=["metric_code", "value", "value_key", "previous", "previous_key",
                                      "total_since_2019", "total_key"])
        return KpiView(f, "", "", "", "", empty, pd.DataFrame(columns=["metric_code", "period", "value", "value_key"]))
    first, last = f.months(data_to)
    fy = f.year(data_to)
    monthly = queries.monthly_totals(engine, f, first=SINCE)[["metric_code", "period", "value", "value_key"]]
    info = queries.metrics(engine)
    targets = queries.targets(engine, f)  # every year's: a view across 31 March takes each month's own year
    table = kpi_table(monthly, info, targets, first, last, data_to, fy_months(fy))
    levels = {code: pair for (code, _g), pair in stock_levels(engine, f, info, min(last, data_to)).items()}
    table = pd.DataFrame(apply_levels(table.to_dict("records"), levels), columns=[*table.columns, *STOCK_NOTES])
    return KpiView(f, first, last, fy, data_to, table, monthly)
