"""One metric by area for a view: count, residents and rate per 1,000, with disclosure control.

Values come from ``service.observations.observation_totals`` grouped by area (the function behind
the API); ``analysis.rates.area_table`` adds the county row (Essex County Council = the sum of its
12 districts) and the rates. Counts of people pass the gate (``service.gate``): small ones are
hidden and the others carry their fixed adjustment, the county row included (it is its own cell,
with its own key), so differencing the county and its districts pins nothing. A hidden count hides its
rate too (the population is public, so the rate would give the count away).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.rates import AREA_COLUMNS, PER, area_table, with_rates
from charts.maps import bounds
from service.cache import cached
from service.gate import PEOPLE_UNIT, People, view
from service.observations import metric_info, observation_totals
from settings import DATA_DIR
from warehouse import queries
from warehouse.filters import Filters
from warehouse.observation_queries import grouped_values

MEASURES = ("count", "rate")
TABLE_COLUMNS = [*AREA_COLUMNS, "suppressed"]


def parse_measure(value: object) -> str:
    text = str(value or "").strip().lower()
    return text if text in MEASURES else "count"


@cached
def metrics_with_data(engine: Engine) -> list[tuple[str, str]]:
    """(code, name) of the metrics with any observation, in priority order: the page's choices."""
    totals = observation_totals(engine, Filters(month_from="2019-04"), ("metric",)).frame
    present = set(totals.loc[totals["value"].notna(), "metric_code"])
    info = metric_info(engine)
    return [(r.metric_code, r.name) for r in info.itertuples(index=False) if r.metric_code in present]


def parse_metric_choice(engine: Engine, value: object) -> str:
    """A metric with data (the requested one when valid; else YP_ENGAGED or the first with data)."""
    choices = [code for code, _name in metrics_with_data(engine)]
    text = str(value or "").strip().upper()
    if text in choices:
        return text
    return "YP_ENGAGED" if "YP_ENGAGED" in choices else (choices[0] if choices else "")


@cached
def map_areas(engine: Engine) -> pd.DataFrame:
    """The areas drawn on the map (lower tier: districts and unitaries). Columns: area_code, area_name."""
    areas = queries.areas(engine)
    lower = areas[areas["area_type"].isin(["district", "unitary"])]
    return lower[["area_code", "area_name"]].reset_index(drop=True)


@functools.lru_cache(maxsize=1)
def map_extent() -> tuple[float, float, float, float]:
    """(west, east, south, north) of the district boundaries (read once per process)."""
    return bounds(json.loads((DATA_DIR / "geo" / "districts.geojson").read_text(encoding="utf-8")))


@dataclass(frozen=True)
class AreaView:
    filters: Filters
    metric_code: str
    metric_name: str
    unit: str
    aggregation: str
    first: str
    last: str
    data_to: str
    people: bool
    table: pd.DataFrame  # TABLE_COLUMNS; value/rate are NaN where suppressed


def _derive(result: AreaView, threshold: int) -> AreaView:
    """Rates from the published counts, and which rows are hidden."""
    table = with_rates(result.table, PER)
    table["suppressed"] = table["value"].isna()
    return dataclasses.replace(result, table=table[TABLE_COLUMNS])


@view(People("table"), derive=_derive)
def area_view(engine: Engine, f: Filters, metric: str) -> AreaView:
    """The metric by area for the view's months; the area slicer is ignored (the map shows every area).

    Read exact from the warehouse (with cell keys) and published through the gate: the county row
    holds its districts' records, so it shows the same value as asking for the county itself.
    """
    info = metric_info(engine)
    row = info[info["metric_code"] == metric]
    if row.empty:
        raise ValueError(f"unknown metric {metric!r}")
    meta = row.iloc[0]
    scope = f.with_(area="")
    data_to = queries.data_runs_to(engine)
    first, last = scope.months(data_to) if data_to else ("", "")
    values = grouped_values(engine, scope, first, last, ("metric", "area"), metric) if data_to else \
        pd.DataFrame(columns=["metric_code", "area_code", "value", "value_key"])
    table = area_table(values[["area_code", "value", "value_key"]], queries.areas(engine), PER)
    table.insert(0, "metric_code", metric)
    people = meta["unit"] == PEOPLE_UNIT
    return AreaView(scope, metric, meta["name"], meta["unit"], meta["aggregation"], first, last, data_to, people,
                    table)
