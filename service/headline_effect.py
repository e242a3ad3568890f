"""What a checked file would do to the view's headline figures, before anything is loaded.

The same rules as the overview (``analysis.progress.kpi_table`` and the disclosure gate's
``publish_kpis``) run twice on the partnership's monthly totals: as they are, and as they would be
with the file's rows in place of the rows it replaces. Counts of people are published through the
gate both times, so a preview never shows an exact small count.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine

from analysis.disclosure import KEY_MODULUS
from analysis.fiscal import fy_months, fy_of_period
from analysis.progress import SINCE, kpi_table
from analysis.stocks import STOCK_AGGREGATIONS, STOCK_NOTES, apply_levels, typed_notes
from service.gate import publish, publish_kpis, threshold
from service.stocks import stock_levels
from warehouse import queries
from warehouse.filters import Filters

EFFECT_COLUMNS = ["metric_code", "name", "unit", "financial_year", "before", "after", "before_share", "after_share",
                  "before_status", "after_status"]


def _monthly_sums(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame(columns=["metric_code", "period", "delta"])
    return (rows.assign(delta=pd.to_numeric(rows["value"], errors="coerce").fillna(0.0))
            .groupby(["metric_code", "period"], as_index=False)["delta"].sum())


GROUP = ["period", "project_code", "area_code", "metric_code"]  # one monthly summary row


def _key_sums(engine: Engine, rows: pd.DataFrame) -> pd.DataFrame:
    """Per metric and month, the sum of the summary cell keys of ``rows``' monthly summary rows."""
    from warehouse.summaries import monthly_cell_keys

    if rows.empty or not set(GROUP) <= set(rows.columns):
        return pd.DataFrame(columns=["metric_code", "period", "key"])
    groups = rows[GROUP].drop_duplicates().reset_index(drop=True)
    with engine.connect() as conn:
        groups["key"] = monthly_cell_keys(conn, groups)
    return groups.groupby(["metric_code", "period"], as_index=False)["key"].sum()


def _series_with_file(engine: Engine, series: pd.DataFrame, new_rows: pd.DataFrame, old_rows: pd.DataFrame,
                      stock_codes: set[str]) -> pd.DataFrame:
    """Stock series (``warehouse.observation_queries.STOCK_COLUMNS``) as they will be once the file is
    loaded: its summary rows, with their keys, in place of the rows it replaces."""
    from warehouse.summaries import monthly_cell_keys

    if old_rows.empty:
        kept = series
    else:
        gone = old_rows[GROUP].drop_duplicates()
        marked = series.merge(gone, on=GROUP, how="left", indicator=True)
        kept = series[(marked["_merge"] == "left_only").to_numpy()]
    stock_rows = new_rows[new_rows["metric_code"].isin(stock_codes)]
    if stock_rows.empty:
        return kept.reset_index(drop=True)
    added = (stock_rows.assign(value=pd.to_numeric(stock_rows["value"], errors="coerce").fillna(0.0))
             .groupby(GROUP, as_index=False)["value"].sum())
    with engine.connect() as conn:
        added["value_key"] = [k % KEY_MODULUS for k in monthly_cell_keys(conn, added)]
    return pd.concat([kept, added[list(series.columns)]], ignore_index=True)


def headline_effect(engine: Engine, new_rows: pd.DataFrame, old_rows: pd.DataFrame) -> pd.DataFrame:
    """Each metric the file reports: its headline figure for the financial year of the file's last month,
    before and after. ``new_rows``/``old_rows``: project_code, area_code, metric_code, period, value (the
    file's rows, the rows it replaces). Columns: EFFECT_COLUMNS.

    "After" carries the disclosure keys the loaded rows will have (added for the file's summary rows,
    taken away for those it replaces), so a count of people is adjusted exactly as it will be shown."""
    if new_rows.empty:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    f = Filters()  # the partnership, or a partner's own projects (Filters takes the request's scope)
    monthly = queries.monthly_totals(engine, f, first=SINCE)[["metric_code", "period", "value", "value_key"]]
    delta = _monthly_sums(new_rows).merge(_monthly_sums(old_rows), on=["metric_code", "period"], how="outer",
                                          suffixes=("_new", "_old")).fillna(0.0)
    delta["delta"] = delta["delta_new"] - delta["delta_old"]
    keys = _key_sums(engine, new_rows).merge(_key_sums(engine, old_rows), on=["metric_code", "period"],
                                             how="outer", suffixes=("_new", "_old")).fillna(0)
    keys["key_delta"] = keys["key_new"].astype("int64") - keys["key_old"].astype("int64")
    after = monthly.merge(delta[["metric_code", "period", "delta"]], on=["metric_code", "period"], how="outer")
    after = after.merge(keys[["metric_code", "period", "key_delta"]], on=["metric_code", "period"], how="left")
    after["value"] = after["value"].fillna(0.0) + after["delta"].fillna(0.0)
    after["value_key"] = ((after["value_key"].fillna(0).astype("int64") + after["key_delta"].fillna(0).astype("int64"))
                          % KEY_MODULUS)
    after = after.drop(columns=["delta", "key_delta"])
    last_new = str(new_rows["period"].max())
    data_to = max(queries.data_runs_to(engine), last_new)
    fy = fy_of_period(last_new)
    # The overview's view of that year, exactly as ``service.kpis.kpi_view`` makes it: the whole year's
    # months (not cut at the data's end, which would pro-rate the target) and the seasonal profiles
    # learnt from the published months, so "after" is cell for cell what the card shows once confirmed.
    first, last = Filters(fy=fy).months(data_to)
    info = queries.metrics(engine)
    targets = queries.targets(engine, f)
    limit = threshold()

    def published(frame: pd.DataFrame, adjust: Callable[[pd.DataFrame], pd.DataFrame] | None) -> pd.DataFrame:
        table = kpi_table(frame, info, targets, first, last, data_to, fy_months(fy),
                          history=publish(engine, frame, limit))
        levels = {code: pair for (code, _g), pair in
                  stock_levels(engine, f, info, min(last, data_to), adjust=adjust).items()}
        table = typed_notes(pd.DataFrame(apply_levels(table.to_dict("records"), levels),
                                         columns=[*table.columns, *STOCK_NOTES]))
        return publish_kpis(engine, table, limit).set_index("metric_code")

    before = published(monthly, None)
    stock_codes = set(info.loc[info["aggregation"].isin(STOCK_AGGREGATIONS), "metric_code"])
    now = published(after, lambda series: _series_with_file(engine, series, new_rows, old_rows, stock_codes))
    rows = []
    for code in sorted(set(new_rows["metric_code"])):
        if code not in now.index:
            continue
        b = before.loc[code] if code in before.index else None
        a = now.loc[code]
        rows.append({"metric_code": code, "name": a["name"], "unit": a["unit"], "financial_year": fy,
                     "before": None if b is None else _plain(b["value"]), "after": _plain(a["value"]),
                     "before_share": None if b is None else _plain(b["share"]), "after_share": _plain(a["share"]),
                     "before_status": "" if b is None else str(b["status"] or ""),
                     "after_status": str(a["status"] or "")})
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _plain(value: object) -> float | None:
    """A JSON-ready number (None for a hidden or missing one)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else number
