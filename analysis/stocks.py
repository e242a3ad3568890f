"""Stocks: a level (an active caseload) or a running total (organisations funded since 2019) at a month.

Pure (no I/O). A stock is reported by each project for each area it works in, month by month. Adding
up only the projects that happened to report in the latest month makes a caseload "fall" whenever a
return is late, so the level at a month is worked out per project x area series and then added up:

- **Level** (aggregation ``latest``, e.g. ACTIVE_CASELOAD): each open series' last reported level is
  carried forward for up to ``CARRY_MONTHS`` months; it is not carried past the project's end (a
  caseload ends with its project) nor beyond that limit (a series silent for longer is treated as not
  known, not as zero and not as unchanged forever).
- **Running total** (aggregation ``cumulative``, e.g. ORGS_FUNDED since 2019): each series' last value
  is carried for ever, also after its project ended: organisations funded by a closed fund were still
  funded, so the total never falls because a fund closed.

Because the level is a sum over series, the same rule gives totals, areas and projects that add up.
What was carried, from when, and how complete the month is are part of the answer, so the pages and
the API can say so; a figure less than ``COMPLETE_ENOUGH`` reported in the month itself gets no status.
Each figure carries the disclosure cell key of the records it adds up (``analysis.disclosure``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure import sum_keys
from analysis.fiscal import add_months

STOCK_AGGREGATIONS = ("latest", "cumulative")
CARRY_MONTHS = 3
COMPLETE_ENOUGH = 2 / 3  # at least two series in three reported in the month itself
SERIES = ["project_code", "area_code"]
STOCK_NOTES = ["carried", "carried_from", "completeness"]  # what a stock's figure is made of (None for flows)


@dataclass(frozen=True)
class StockLevel:
    """A stock at one month: its value and what it is made of."""

    month: str
    value: float
    value_key: int
    reported: int  # series reported in the month itself
    carried: int  # series whose value was carried from an earlier month
    carried_from: str  # the earliest month a carried value comes from ('' when none)

    @property
    def completeness(self) -> float:
        """Share of the series in the figure that reported in the month itself (1.0 when none are in it)."""
        total = self.reported + self.carried
        return self.reported / total if total else 1.0

    @property
    def complete_enough(self) -> bool:
        return self.completeness >= COMPLETE_ENOUGH


def is_stock(aggregation: str) -> bool:
    return aggregation in STOCK_AGGREGATIONS


def level_at(series: pd.DataFrame, month: str, aggregation: str, ends: Mapping[str, str] | None = None,
             carry_months: int = CARRY_MONTHS) -> StockLevel:
    """The stock at ``month`` from one metric's rows (project_code, area_code, period, value[, value_key]).

    ``ends``: project_code -> the project's last month ('YYYY-MM'); projects absent or blank are open.
    """
    if series.empty or not month:
        return StockLevel(month, 0.0, 0, 0, 0, "")
    known = series[series["period"] <= month]
    if known.empty:
        return StockLevel(month, 0.0, 0, 0, 0, "")
    latest = known.sort_values("period", kind="stable").groupby(SERIES, sort=False).tail(1)
    if aggregation == "latest":
        oldest = add_months(month, -carry_months)
        keep = latest["period"] >= oldest
        if ends:
            end = latest["project_code"].map(lambda p: ends.get(p) or "9999-12")
            keep &= (latest["period"] == month) | (end >= month)
        latest = latest[keep]
    reported = latest["period"] == month
    carried = latest.loc[~reported, "period"]
    keys = latest["value_key"].to_numpy() if "value_key" in latest else np.zeros(len(latest), dtype=np.int64)
    return StockLevel(month, float(latest["value"].sum()), sum_keys(keys), int(reported.sum()), int(len(carried)),
                      str(carried.min()) if len(carried) else "")


def apply_levels(rows: list[dict], levels: Mapping[str, tuple[StockLevel, StockLevel]]) -> list[dict]:
    """KPI rows (``analysis.progress.KpiPeriod.rows``) with each stock metric's value, year-earlier value
    and since-2019 figure replaced by its carried-forward level, and what was carried stated.

    ``levels``: metric_code -> (level at the view's end, level twelve months earlier). Rows of flows, or of
    stocks with no series at all, keep their values; every row gains carried, carried_from, completeness.
    """
    out = []
    for row in rows:
        row = {**row, **dict.fromkeys(STOCK_NOTES)}
        pair = levels.get(row["metric_code"])
        if pair is not None:
            now, then = pair
            had_before = then.reported + then.carried > 0
            row.update(value=now.value, value_key=now.value_key, previous=then.value if had_before else None,
                       previous_key=then.value_key, total_since_2019=now.value, total_key=now.value_key,
                       carried=now.carried, carried_from=now.carried_from or None,
                       completeness=round(now.completeness, 3))
        out.append(row)
    return out


def typed_notes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the STOCK_NOTES columns in fixed types (floats with NaN, text with NA), so a
    cached copy reads back exactly as it was stored."""
    out = frame.copy()
    out["carried"] = pd.to_numeric(out["carried"], errors="coerce").astype(float)
    out["completeness"] = pd.to_numeric(out["completeness"], errors="coerce").astype(float)
    out["carried_from"] = out["carried_from"].astype("str").where(out["carried_from"].notna())
    out["carried_from"] = out["carried_from"].astype("str")
    return out


def levels_by(series: pd.DataFrame, month: str, aggregation: str, by: list[str],
              ends: Mapping[str, str] | None = None) -> dict[tuple, StockLevel]:
    """``level_at`` for each group of ``by`` columns (e.g. area_code or project_code) present in ``series``.

    Worked out for every group at once (one sort and one grouping), not ``level_at`` per group: the
    projects grid asks for hundreds of projects, and a pandas selection per project cost about 25 ms
    each. The same rule, so the same figures (the unit tests compare the two).
    """
    if series.empty:
        return {}
    groups = series.groupby(by, sort=True).size().index
    keys = [key if isinstance(key, tuple) else (key,) for key in groups]
    out = dict.fromkeys(keys)
    known = series[series["period"] <= month] if month else series.iloc[0:0]
    latest = known.sort_values("period", kind="stable").groupby([*by, *[c for c in SERIES if c not in by]],
                                                                 sort=False).tail(1)
    if aggregation == "latest" and len(latest):
        oldest = add_months(month, -CARRY_MONTHS)
        keep = latest["period"] >= oldest
        if ends:
            end = latest["project_code"].map(lambda p: ends.get(p) or "9999-12")
            keep &= (latest["period"] == month) | (end >= month)
        latest = latest[keep]
    if len(latest):
        frame = pd.DataFrame({
            **{c: latest[c] for c in by},
            "value": latest["value"].astype(float),
            "key": latest.get("value_key", 0),
            "reported": (latest["period"] == month).astype(int),
            "carried_from": latest["period"].where(latest["period"] != month),
        })
        agg = frame.groupby(by, sort=False).agg(value=("value", "sum"), key=("key", "sum"),
                                                reported=("reported", "sum"), rows=("value", "size"),
                                                carried_from=("carried_from", "min"))
        for key, row in zip(agg.index, agg.itertuples(index=False), strict=True):
            key = key if isinstance(key, tuple) else (key,)
            carried_from = row.carried_from
            out[key] = StockLevel(month, float(row.value), sum_keys([row.key]), int(row.reported),
                                  int(row.rows - row.reported),
                                  str(carried_from) if isinstance(carried_from, str) else "")
    empty = StockLevel(month, 0.0, 0, 0, 0, "")
    return {key: level or empty for key, level in out.items()}


def levels_over_months(series: pd.DataFrame, months: list[str], aggregation: str, by: list[str],
                       ends: Mapping[str, str] | None = None) -> dict[tuple, StockLevel]:
    """``levels_by`` (or ``level_at`` when ``by`` is empty) at each of ``months`` in one pass.

    Keys: (month, *group). A series' row is its latest at every month from its own period up to (not
    including) the series' next reported period, so each (row, month) pair is decided with array
    comparisons instead of a selection, a sort and a grouping per month: a year of monthly levels
    used to cost twelve of each. Groups present in ``series`` with nothing at a month get a zero
    level, as ``levels_by`` gives them.
    """
    if series.empty or not months:
        return {}
    keys_cols = [*by, *[c for c in SERIES if c not in by]]
    ordered = series.sort_values([*keys_cols, "period"], kind="stable").reset_index(drop=True)
    period = ordered["period"].to_numpy(dtype=object)
    same_next = np.zeros(len(ordered), dtype=bool)
    if len(ordered) > 1:
        same = np.ones(len(ordered) - 1, dtype=bool)
        for col in keys_cols:
            values = ordered[col].to_numpy(dtype=object)
            same &= values[1:] == values[:-1]
        same_next[:-1] = same
    next_period = np.where(same_next, np.append(period[1:], "9999-99"), "9999-99")
    month_arr = np.array(sorted(months), dtype=object)
    # (row, month) pairs where the row is its series' latest at that month
    row_idx, month_idx = np.nonzero((period[:, None] <= month_arr[None, :])
                                    & (month_arr[None, :] < next_period[:, None]))
    at = month_arr[month_idx]
    rows = ordered.iloc[row_idx].reset_index(drop=True)
    rows_period = period[row_idx]
    keep = np.ones(len(rows), dtype=bool)
    if aggregation == "latest" and len(rows):
        oldest = np.array([add_months(m, -CARRY_MONTHS) for m in month_arr], dtype=object)[month_idx]
        keep = rows_period >= oldest
        if ends:
            end = rows["project_code"].map(lambda p: ends.get(p) or "9999-12").to_numpy(dtype=object)
            keep &= (rows_period == at) | (end >= at)
    groups = [(key if isinstance(key, tuple) else (key,)) for key in
              series.groupby(by, sort=True).size().index] if by else [()]
    out: dict[tuple, StockLevel] = {(m, *g): StockLevel(m, 0.0, 0, 0, 0, "") for m in month_arr for g in groups}
    if keep.any():
        reported = rows_period == at
        frame = pd.DataFrame({
            "_month": at[keep],
            **{c: rows[c].to_numpy(dtype=object)[keep] for c in by},
            "value": rows["value"].to_numpy(dtype=float)[keep],
            "key": (rows["value_key"].to_numpy() if "value_key" in rows else np.zeros(len(rows), dtype=np.int64))[keep],
            "reported": reported[keep].astype(int),
            "carried_from": np.where(reported, None, rows_period)[keep],
        })
        agg = frame.groupby(["_month", *by], sort=False).agg(
            value=("value", "sum"), key=("key", "sum"), reported=("reported", "sum"), rows=("value", "size"),
            carried_from=("carried_from", "min"))
        for key, row in zip(agg.index, agg.itertuples(index=False), strict=True):
            key = key if isinstance(key, tuple) else (key,)
            carried_from = row.carried_from
            out[key] = StockLevel(key[0], float(row.value), sum_keys([row.key]), int(row.reported),
                                  int(row.rows - row.reported),
                                  str(carried_from) if isinstance(carried_from, str) else "")
    return out
