"""Progress against target: the value for a view, its target, share reached and a status.

Status is judged against the pro-rata target for the time elapsed, because half-way through the
year a metric at 50% of its annual target is on track, not failing. Metrics aggregated as
``latest`` (stocks such as an active caseload) are compared with their target as they stand.
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.fiscal import add_months, months_between

ON_TRACK = 0.95  # at least 95% of the pro-rata target
AT_RISK = 0.80  # 80-95%; below that, off track
SINCE = "2019-04"

KPI_COLUMNS = [
    "metric_code", "name", "unit", "aggregation", "priority_code", "higher_is_better", "value", "target",
    "share", "expected", "status", "previous", "change_pct", "total_since_2019", "months_elapsed",
    "months_in_period",
]


def aggregate(values: pd.DataFrame, aggregation: str) -> float:
    """Sum of monthly values, or for a ``latest`` metric the value of the last month reported."""
    if values.empty:
        return 0.0
    if aggregation == "latest":
        by_month = values.groupby("period")["value"].sum().sort_index()
        return float(by_month.iloc[-1])
    return float(values["value"].sum())


def judge(value: float, expected: float | None, higher_is_better: bool = True) -> str:
    """on track / at risk / off track against the expected (pro-rata) value; 'no target' without one."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)) or expected <= 0:
        return "no target"
    ratio = value / expected if higher_is_better else (expected / value if value else math.inf)
    if ratio >= ON_TRACK:
        return "on track"
    if ratio >= AT_RISK:
        return "at risk"
    return "off track"


def period_target(annual: float | None, first: str, last: str, fy_months: list[str],
                  aggregation: str = "sum") -> float | None:
    """The target for the view [first, last], given the annual target of the year ``fy_months``.

    A ``sum`` metric (a flow: people engaged, hours) has the share of its annual target that falls in
    the view: annual x (months of the view inside the year) / 12, so a quarter gets a quarter of it
    and the whole year all of it. A ``latest`` metric (a stock: a caseload, organisations funded) has a
    target that is a level to stand at whenever it is looked at, so any view within the year gets the
    whole annual target (a quarter of a caseload target would be meaningless). A stock's value is its
    level in the view's last month, so for a view that runs across years it is judged against the
    target of the year the view ends in: the annual target given here if ``last`` falls in that year,
    otherwise None (the given target belongs to another year, and comparing a level with it would
    mislead; the view shows "no target").
    """
    if annual is None or (isinstance(annual, float) and math.isnan(annual)):
        return None
    if aggregation == "latest":
        return float(annual) if last in fy_months else None
    in_year = [mo for mo in months_between(first, last) if mo in fy_months]
    return annual * len(in_year) / 12.0


def kpi_table(
    monthly: pd.DataFrame,
    metric_info: pd.DataFrame,
    annual_targets: pd.DataFrame,
    first: str,
    last: str,
    data_to: str,
    fy_months: list[str],
) -> pd.DataFrame:
    """One row per metric for the view [first, last].

    ``monthly``: metric_code, period, value (all months since 2019, within the slicers).
    ``annual_targets``: metric_code, target_value for the view's financial year.
    """
    rows = []
    targets = dict(zip(annual_targets["metric_code"], annual_targets["target_value"], strict=True))
    period_months = months_between(first, last)
    elapsed = [mo for mo in period_months if mo <= data_to] if data_to else []
    prev_first, prev_last = add_months(first, -12), add_months(min(last, data_to or last), -12)
    for metric in metric_info.itertuples(index=False):
        mine = monthly[monthly["metric_code"] == metric.metric_code]
        in_view = mine[(mine["period"] >= first) & (mine["period"] <= last)]
        value = aggregate(in_view, metric.aggregation)
        prev_rows = mine[(mine["period"] >= prev_first) & (mine["period"] <= prev_last)]
        previous = aggregate(prev_rows, metric.aggregation) if not prev_rows.empty else None
        target = period_target(targets.get(metric.metric_code), first, last, fy_months, metric.aggregation)
        if metric.aggregation == "latest":
            expected = target
        elif target is not None and period_months:
            expected = target * len(elapsed) / len(period_months)
        else:
            expected = None
        rows.append({
            "metric_code": metric.metric_code,
            "name": metric.name,
            "unit": metric.unit,
            "aggregation": metric.aggregation,
            "priority_code": metric.priority_code,
            "higher_is_better": bool(metric.higher_is_better),
            "value": value,
            "target": target,
            "share": (value / target) if target else None,
            "expected": expected,
            "status": judge(value, expected, bool(metric.higher_is_better)),
            "previous": previous,
            "change_pct": ((value - previous) / previous * 100.0) if previous else None,
            "total_since_2019": aggregate(mine[mine["period"] >= SINCE], metric.aggregation),
            "months_elapsed": len(elapsed),
            "months_in_period": len(period_months),
        })
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def cumulative_by_month(monthly: pd.DataFrame, fy_months: list[str]) -> pd.DataFrame:
    """Running total through a financial year for a sum metric. Columns: period, value, cumulative."""
    frame = pd.DataFrame({"period": fy_months}).merge(
        monthly.groupby("period", as_index=False)["value"].sum(), on="period", how="left")
    frame["cumulative"] = frame["value"].fillna(0).cumsum()
    return frame
