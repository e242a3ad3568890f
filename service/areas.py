"""One metric by area for a view: count, residents and rate per 1,000, with disclosure control.

Values come from ``service.observations.observation_totals`` grouped by area (the function behind
the API); ``analysis.rates.area_table`` adds the county row (Essex County Council = the sum of its
12 districts) and the rates. For people metrics, counts from 1 to the suppression threshold are
hidden with ``analysis.disclosure.suppress``: within the county the districts and the county total
form one published line, so a lone hidden district gets company; the two unitaries have no
published total beside them, so only their own small counts are hidden. A hidden count hides its
rate too (the population is public, so the rate would give the count away).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.disclosure import suppress
from analysis.rates import AREA_COLUMNS, PER, area_table
from charts.maps import bounds
from service.cache import cached
from service.observations import metric_info, observation_totals
from settings import DATA_DIR, load_settings
from warehouse import queries
from warehouse.filters import Filters

MEASURES = ("count", "rate")
PEOPLE_UNITS = {"people"}
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


def _disclosure(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    hidden = pd.Series(False, index=table.index)
    parents = set(table.loc[table["parent_code"] != "", "parent_code"])
    groups = [(table["area_code"].eq(p) | table["parent_code"].eq(p), p) for p in parents]
    in_group = pd.Series(False, index=table.index)
    for mask, parent in groups:
        part = table[mask].set_index("area_code")[["value"]]
        done = suppress(part, ["value"], threshold=threshold, col_total_row=parent)
        hidden[mask] = done["value"].isna().to_numpy()
        in_group |= mask
    alone = table[~in_group].set_index("area_code")[["value"]]
    if len(alone):
        done = suppress(alone, ["value"], threshold=threshold)
        hidden[~in_group] = done["value"].isna().to_numpy()
    out = table.copy()
    out["suppressed"] = hidden
    out.loc[hidden, ["value", "rate"]] = float("nan")
    return out


def hidden_by_area(frame: pd.DataFrame, areas: pd.DataFrame, keys: list[str], threshold: int) -> pd.Series:
    """Which rows of a people table by area (area_code, value, ``keys``...) to hide, by the page's rule.

    Each group of ``keys`` (e.g. one metric and quarter) is completed to every area with its county
    total and passed through the same suppression as the areas page, so the API hides exactly the
    cells the page hides. Returns a boolean Series aligned with ``frame``.
    """
    hidden = pd.Series(False, index=frame.index)
    groups = frame.groupby(keys, sort=False, dropna=False) if keys else [((), frame)]
    for _key, part in groups:
        table = _disclosure(area_table(part[["area_code", "value"]], areas, PER), threshold)
        flags = dict(zip(table["area_code"], table["suppressed"], strict=True))
        hidden[part.index] = [bool(flags.get(code, False)) for code in part["area_code"]]
    return hidden


@cached
def area_view(engine: Engine, f: Filters, metric: str) -> AreaView:
    """The metric by area for the view's months; the area slicer is ignored (the map shows every area)."""
    info = metric_info(engine)
    row = info[info["metric_code"] == metric]
    if row.empty:
        raise ValueError(f"unknown metric {metric!r}")
    meta = row.iloc[0]
    scope = f.with_(area="")
    totals = observation_totals(engine, scope, ("metric", "area"), metric)
    table = area_table(totals.frame[["area_code", "value"]], queries.areas(engine), PER)
    table["suppressed"] = False
    people = meta["unit"] in PEOPLE_UNITS
    if people:
        table = _disclosure(table, load_settings().suppression_threshold)
    return AreaView(scope, metric, meta["name"], meta["unit"], meta["aggregation"], totals.first, totals.last,
                    totals.data_to, people, table[TABLE_COLUMNS])
