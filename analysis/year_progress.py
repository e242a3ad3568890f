"""One metric's financial year: periods against target, the running total or level, and the projection.

Pure (no I/O, no sentences): ``service.priorities`` feeds it published values (counts of people come
through ``service.gate``, a hidden count is NaN) and ``charts.progress_text`` says it in words. Targets
are annual; a period's target is its pro-rata share (a twelfth a month, a quarter a quarter), and the
cumulative target (the expected position) grows by each month's share in the metric's seasonal profile
from earlier years where there is enough history (``analysis.seasonal``), else by a twelfth: the same
rule, from the same function (``analysis.progress.KpiPeriod.targets``), as the KPI table's status.
``latest`` metrics (stocks) are compared as levels: each period shows the level at its last month with
data, against the annual target level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from analysis.fiscal import Quarter, fy_months, parse_period
from analysis.progress import KpiPeriod, expected_position_basis, judge
from analysis.projection import DEFAULT_LEVEL, Projection, project_year_end
from analysis.seasonal import month_weights, seasonal_profile
from analysis.stocks import STOCK_AGGREGATIONS

COUNT_UNITS = {"people", "sessions", "events", "items", "lines", "organisations", "offences"}
PERIOD_COLUMNS = ["key", "label", "months", "value", "target", "partial", "in_view", "suppressed"]
PROGRESS_COLUMNS = ["key", "label", "actual", "target", "projected", "low", "high"]


@dataclass(frozen=True)
class MetricProgress:
    metric_code: str
    name: str
    unit: str
    aggregation: str
    higher_is_better: bool
    annual_target: float | None
    so_far: float  # sum to date, or the latest level
    expected: float | None  # expected position to date (the target level for a stock)
    status: str
    has_data: bool
    last_month: str  # last month with data in the year ('' when none)
    periods: pd.DataFrame  # PERIOD_COLUMNS: one row per month or quarter of the year
    progress: pd.DataFrame  # PROGRESS_COLUMNS: cumulative (or level) against target, and the projection
    projection: Projection | None
    suppressed: bool = False  # the year to date is a small count of people, hidden
    quarter: str = ""  # the quarter the view chose ('' for the whole year), for the sentences about it
    level: float = DEFAULT_LEVEL  # the projection interval's level
    expected_basis: str | None = None  # what ``expected`` follows: a seasonal profile, the straight line...


def month_label(period: str) -> str:
    return parse_period(period).strftime("%b")


def quarter_label(q: Quarter) -> str:
    return f"Q{q.number} ({month_label(q.first_month)}–{month_label(q.last_month)})"


def metric_progress(code: str, info: dict, monthly: pd.DataFrame, quarterly: pd.DataFrame | None,
                    annual: float | None, fy: str, data_to: str, grain: str, quarter: str = "",
                    level: float = DEFAULT_LEVEL, year_to_date: float | None = None,
                    history: Mapping[str, float] | None = None) -> MetricProgress:
    """One metric's year: pure (no I/O), so the page, the PDF pack and the tests share it.

    Values come published (``service.gate``): a hidden count of people is NaN. ``year_to_date``: the
    published year-to-date cell (its own cell, not the sum of published months, which would differ
    by their adjustments); without it the months are added up. ``history``: the metric's published
    monthly values by period ('YYYY-MM') in earlier years, for its seasonal profile; None: straight line.

    ``monthly``: month, value for this metric within the year (months with no rows are absent).
    ``quarterly``: quarter ('2025/26 Q1'), value, needed for the quarter grain (latest metrics
    take the last month of each quarter, which the warehouse query already did).
    """
    months = fy_months(fy)
    elapsed = [mo for mo in months if mo <= data_to] if data_to else []
    latest = info["aggregation"] in STOCK_AGGREGATIONS
    by_month = dict(zip(monthly["month"], monthly["value"].astype(float), strict=True))
    reported = [mo for mo in elapsed if mo in by_month]
    last_month = reported[-1] if reported else ""
    has_data = bool(reported)
    profile = None if latest or history is None else seasonal_profile(history, fy, data_to)
    expected = annual if latest else KpiPeriod(months[0], months[-1], data_to, months).targets(
        annual, info["aggregation"], profile)[1]

    # Year to date and the projection.
    if latest:
        levels, current = [], None
        for mo in elapsed:
            current = by_month.get(mo, current)
            if current is not None:
                levels.append(current)
        if reported:  # stop at the last month reported: later months are not known yet
            levels = levels[: len(levels) - (len(elapsed) - 1 - elapsed.index(last_month))]
        remaining = 12 - (months.index(last_month) + 1) if reported else 12
        so_far = levels[-1] if levels else 0.0
        projection = project_year_end(levels, "latest", len(levels) + remaining, info["unit"] in COUNT_UNITS,
                                      level) if levels else None
    else:
        values = [by_month.get(mo, 0.0) for mo in elapsed]
        so_far = float(sum(values)) if year_to_date is None else float(year_to_date)
        projection = project_year_end(values, "sum", 12, info["unit"] in COUNT_UNITS, level, profile) \
            if values and not any(math.isnan(v) for v in values) else None
        remaining = 12 - len(elapsed)
    hidden = has_data and math.isnan(so_far)
    status = "suppressed" if hidden else judge(so_far, expected, bool(info["higher_is_better"]))
    if hidden or (latest and levels and any(math.isnan(v) for v in levels)):
        projection = None  # a projection would hint at a hidden count

    anchor = last_month if latest else (elapsed[-1] if elapsed else "")
    periods, progress = _frames(months, by_month, quarterly, annual, grain, latest, anchor, projection, quarter,
                                month_weights(profile))
    started = [bool(anchor) and first <= anchor for first in _first_months(months, grain)]
    periods["suppressed"] = periods["value"].isna() & pd.Series(started, index=periods.index)
    progress = _cumulative_with_hidden(progress, periods, latest, so_far, hidden)
    return MetricProgress(code, info["name"], info["unit"], info["aggregation"], bool(info["higher_is_better"]),
                          annual, so_far, expected, status, has_data, last_month, periods, progress, projection,
                          hidden, quarter, level, expected_position_basis(info["aggregation"], profile, expected))


def _first_months(months: list[str], grain: str) -> list[str]:
    return [months[3 * i] for i in range(4)] if grain == "quarter" else months


def _cumulative_with_hidden(progress: pd.DataFrame, periods: pd.DataFrame, latest: bool, so_far: float,
                            hidden: bool) -> pd.DataFrame:
    """The progress line where some periods are hidden: a running total cannot pass a hidden period, so
    the line stops there and only the published year to date is drawn at the last period with data."""
    progress = progress.copy()
    if hidden:
        progress["actual"] = None
        return progress
    gaps = [i for i, h in enumerate(periods["suppressed"]) if h]
    if not gaps:
        return progress
    if latest:
        progress.loc[gaps, "actual"] = float("nan")
        return progress
    started = [i for i, (v, h) in enumerate(zip(periods["value"], periods["suppressed"], strict=True))
               if h or not pd.isna(v)]
    last = started[-1] if started else None
    progress.loc[gaps[0]:, "actual"] = float("nan")
    if last is not None and last >= gaps[0]:
        progress.loc[last, "actual"] = so_far
    return progress


def _frames(months: list[str], by_month: dict[str, float], quarterly: pd.DataFrame | None, annual: float | None,
            grain: str, latest: bool, anchor: str, projection: Projection | None,
            quarter: str, weights: tuple[float, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Period bars and the progress line (cumulative or level) with the projection fan. A flow's period
    target is its pro-rata share of the annual target (as the KPI table's target for a view); its
    cumulative target is the expected position, growing by the month ``weights`` (its seasonal profile,
    or a twelfth a month), as the status is judged."""
    if grain == "quarter":
        quarters = [Quarter.of(parse_period(months[3 * i])) for i in range(4)]
        by_quarter = {} if quarterly is None else dict(zip(quarterly["quarter"], quarterly["value"].astype(float),
                                                          strict=True))
        periods = [(f"Q{q.number}", _partial_label(q, anchor), q.months, by_quarter.get(q.label)) for q in quarters]
        size = 3
    else:
        periods = [(mo, month_label(mo), [mo], by_month.get(mo)) for mo in months]
        size = 1
    rows, progress = [], []
    running = 0.0
    for i, (key, label, mos, value) in enumerate(periods):
        started = bool(anchor) and mos[0] <= anchor
        if value is None and started and not latest:
            value = 0.0  # nothing reported in an elapsed period: nothing delivered
        partial = bool(anchor) and mos[0] <= anchor < mos[-1]
        target = None if annual is None else (annual if latest else annual * len(mos) / 12)
        rows.append({"key": key, "label": label, "months": len(mos), "value": value if started else None,
                     "target": target, "partial": partial, "in_view": (not quarter) or key == quarter
                     or (grain == "month" and key in _quarter_months(months, quarter)), "suppressed": False})
        cum_target = None if annual is None else (annual if latest else annual * sum(weights[:(i + 1) * size]))
        actual = None
        if started:
            running = value if latest else running + (value or 0.0)
            actual = running if value is not None or not latest else None
        projected = low = high = None
        if projection is not None and anchor:
            end = mos[-1]
            if mos[0] <= anchor <= end:  # the period holding the last month with data: the fan starts here
                projected = low = high = projection.so_far
            elif end > anchor:
                projected, low, high = projection.at(_months_after(anchor, end))
        progress.append({"key": key, "label": label, "actual": actual, "target": cum_target,
                         "projected": projected, "low": low, "high": high})
    return pd.DataFrame(rows, columns=PERIOD_COLUMNS), pd.DataFrame(progress, columns=PROGRESS_COLUMNS)


def _partial_label(q: Quarter, anchor: str) -> str:
    """A quarter's label; one still in progress says how far its data run ('Q2 (Jul–Aug so far)')."""
    if anchor and q.first_month <= anchor < q.last_month:
        return f"Q{q.number} ({month_label(q.first_month)}–{month_label(anchor)} so far)"
    return quarter_label(q)


def _quarter_months(months: list[str], quarter: str) -> list[str]:
    if not quarter:
        return []
    n = int(quarter[1])
    return months[3 * (n - 1): 3 * n]


def _months_after(first: str, last: str) -> int:
    a, b = parse_period(first), parse_period(last)
    return (b.year - a.year) * 12 + b.month - a.month
