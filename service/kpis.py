"""The headline KPI view: every metric's value, target, status and trend for a set of filters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import fy_months
from analysis.outcomes import CRIME_DEFINED, crime_defined_monthly
from analysis.progress import KPI_COLUMNS, SINCE, derive_kpis, kpi_table
from analysis.stocks import STOCK_NOTES, apply_levels, typed_notes
from charts.kpi_text import counted_as
from service.gate import People, publish, view
from service.stocks import stock_levels
from warehouse import crime_queries, queries
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
    if table.empty:
        return dataclasses.replace(result, table=table)
    table["counted_as"] = [counted_as(u, a) for u, a in zip(table["unit"], table["aggregation"], strict=True)]
    return dataclasses.replace(result, table=table[[*KPI_COLUMNS, *STOCK_NOTES, "counted_as"]])


def crime_measures(engine: Engine, f: Filters, info: pd.DataFrame, reported: set[str]) -> pd.DataFrame:
    """Monthly values of outcome measures defined on police recorded crime (``analysis.outcomes``) for
    the view's areas, when no project reports them. Crime is not recorded by project, priority or funding
    stream, so a view sliced by those has none."""
    wanted = set(info["metric_code"]) & set(CRIME_DEFINED) - reported
    if not wanted or f.project or f.priority or f.stream:
        return crime_defined_monthly(pd.DataFrame(columns=["month", "crime_type", "count"]), set())
    areas = queries.areas(engine)
    if f.area:
        kids = areas.loc[areas["parent_code"] == f.area, "area_code"].tolist()
        codes = kids or [f.area]
    else:  # the partnership's own areas: not the "outside" and "no location" buckets
        codes = areas.loc[areas["area_type"].isin(["district", "unitary"]), "area_code"].tolist()
    counts = crime_queries.crime_counts(engine, ("month", "crime_type"), first=SINCE, areas=codes)
    return crime_defined_monthly(counts, wanted)


@view(People("table", "value", "value_key"), People("table", "previous", "previous_key"),
      People("table", "total_since_2019", "total_key"), People("monthly"), derive=_derive)
def kpi_view(engine: Engine, f: Filters, limit: int) -> KpiView:
    """Every metric's figures for the view. Seasonal profiles (the expected position for the time of
    year) are learnt from the published months (``publish``), so they give no exact count away."""
    data_to = queries.data_runs_to(engine)
    if not data_to:
        empty = pd.DataFrame(columns=["metric_code", "value", "value_key", "previous", "previous_key",
                                      "total_since_2019", "total_key"])
        return KpiView(f, "", "", "", "", empty, pd.DataFrame(columns=["metric_code", "period", "value", "value_key"]))
    first, last = f.months(data_to)
    fy = f.year(data_to)
    monthly = queries.monthly_totals(engine, f, first=SINCE)[["metric_code", "period", "value", "value_key"]]
    info = queries.metrics(engine)
    monthly = pd.concat([monthly, crime_measures(engine, f, info, set(monthly["metric_code"]))], ignore_index=True)
    targets = queries.targets(engine, f)  # every year's: a view across 31 March takes each month's own year
    table = kpi_table(monthly, info, targets, first, last, data_to, fy_months(fy),
                      history=publish(engine, monthly, limit))
    levels = {code: pair for (code, _g), pair in stock_levels(engine, f, info, min(last, data_to)).items()}
    table = typed_notes(pd.DataFrame(apply_levels(table.to_dict("records"), levels),
                                     columns=[*table.columns, *STOCK_NOTES]))
    return KpiView(f, first, last, fy, data_to, table, monthly)
