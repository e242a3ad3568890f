"""Rates per head of population and roll-ups from districts to the county.

Pure functions, no I/O. Counts differ between areas mostly because populations differ (Basildon has
three times Maldon's residents), so the areas page offers a rate per 1,000 residents beside the
count. Observations are recorded against the 12 districts and the two unitary authorities; the
county (Essex County Council, E10000012) is the sum of its districts, never a separate figure.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.disclosure import sum_keys

PER = 1000
AREA_COLUMNS = ["area_code", "area_name", "area_type", "parent_code", "value", "population", "rate"]


def rate_per(count: float | None, population: float | None, per: int = PER) -> float:
    """``count`` per ``per`` residents; NaN when the count or a positive population is missing."""
    if count is None or population is None:
        return math.nan
    if isinstance(count, float) and math.isnan(count):
        return math.nan
    if isinstance(population, float) and math.isnan(population):
        return math.nan
    if population <= 0:
        return math.nan
    return float(count) * per / float(population)


def area_table(values: pd.DataFrame, areas: pd.DataFrame, per: int = PER, total_label: str = "") -> pd.DataFrame:
    """Value, population and rate for every area, with each parent (county) as the sum of its children.

    ``values``: area_code, value (areas with nothing reported may be absent: they count 0).
    ``areas``: area_code, area_name, area_type, parent_code, population.
    With a ``value_key`` column in ``values`` (disclosure cell keys), the result carries each row's
    cell key too. A parent's value and population are the sums over its children, so its rate is theirs pooled,
    not an average of their rates. With ``total_label``, a last row (area_code ``"TOTAL"``) sums
    every area without a parent (the unitaries and, through it, the county's districts).
    Returns AREA_COLUMNS: children ordered after their parent, parents and top-level areas by name.
    """
    by_area = dict(zip(values["area_code"], values["value"].astype(float), strict=True)) if len(values) else {}
    with_keys = "value_key" in values.columns
    key_of = dict(zip(values["area_code"], values["value_key"], strict=True)) if with_keys and len(values) else {}
    base = areas[["area_code", "area_name", "area_type", "parent_code", "population"]].copy()
    base["parent_code"] = base["parent_code"].fillna("").astype(str)
    children = base[base["parent_code"] != ""]
    parents = set(children["parent_code"])
    base["value"] = base["area_code"].map(lambda c: by_area.get(c, 0.0)).astype(float)
    base["population"] = base["population"].astype(float)
    if with_keys:  # a parent's cell holds its children's records, so its cell key is the sum of theirs
        base["value_key"] = base["area_code"].map(lambda c: int(key_of.get(c, 0))).astype("int64")
    for parent in parents:
        kids = base[base["parent_code"] == parent]
        base.loc[base["area_code"] == parent, "value"] = kids["value"].sum()
        base.loc[base["area_code"] == parent, "population"] = kids["population"].sum()
        if with_keys:
            base.loc[base["area_code"] == parent, "value_key"] = sum_keys(kids["value_key"])
    top = base[base["parent_code"] == ""].sort_values("area_name")
    ordered = []
    for row in top.itertuples(index=False):
        ordered.append(row._asdict())
        if row.area_code in parents:
            ordered.extend(base[base["parent_code"] == row.area_code].sort_values("area_name").to_dict("records"))
    keys = ["value_key"] if with_keys else []
    out = pd.DataFrame(ordered, columns=[*[c for c in AREA_COLUMNS if c != "rate"], *keys])
    if total_label:
        out.loc[len(out)] = {"area_code": "TOTAL", "area_name": total_label, "area_type": "total", "parent_code": "",
                             "value": float(top["value"].sum()), "population": float(top["population"].sum()),
                             **({"value_key": sum_keys(top["value_key"])} if with_keys else {})}
    out["rate"] = [rate_per(v, p, per) for v, p in zip(out["value"], out["population"], strict=True)]
    return out[[*AREA_COLUMNS, *keys]]


def with_rates(table: pd.DataFrame, per: int = PER) -> pd.DataFrame:
    """The table's rate column recomputed from its (possibly protected) value: a hidden count hides
    its rate too, since the population is public and the rate would give the count back."""
    out = table.copy()
    out["rate"] = [math.nan if pd.isna(v) else rate_per(float(v), p, per)
                   for v, p in zip(out["value"], out["population"], strict=True)]
    return out
