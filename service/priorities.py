"""Progress of each priority's metrics through a financial year: by month or quarter, against target,
with the year-end projection.

Values come from ``service.observations.observation_totals`` (the function behind the API), targets
from ``warehouse.queries.targets`` and the projection from ``analysis.projection``. Targets are
annual; a month's share is a twelfth, a quarter's a quarter (pro rata), and the cumulative target
grows evenly through the year. ``latest`` metrics (stocks) are compared as levels: each period shows
the level at its last month with data, against the annual target level. Counts of people arrive
published by the gate (``service.gate``, through ``observation_totals``): the year to date is its
own published cell, and a hidden period stops the running total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.disclosure import SUPPRESSED
from analysis.fiscal import Quarter, fy_months, parse_period
from analysis.progress import judge
from analysis.projection import DEFAULT_LEVEL, Projection, project_year_end
from charts.theme import format_value
from service.gate import view
from service.observations import metric_info, observation_totals
from warehouse import queries
from warehouse.filters import Filters

GRAINS = ("month", "quarter")
COUNT_UNITS = {"people", "sessions", "events", "items", "lines", "organisations", "offences"}
PERIOD_COLUMNS = ["key", "label", "months", "value", "target", "partial", "in_view", "suppressed"]
PEOPLE_UNITS = {"people"}
TOTAL = "__year__"
PROGRESS_COLUMNS = ["key", "label", "actual", "target", "projected", "low", "high"]


def parse_grain(value: object) -> str:
    """'month' or 'quarter'; anything else (including a hostile value) falls back to month."""
    text = str(value or "").strip().lower()
    return text if text in GRAINS else "month"


@dataclass(frozen=True)
class MetricProgress:
    metric_code: str
    name: str
    unit: str
    aggregation: str
    higher_is_better: bool
    annual_target: float | None
    so_far: float  # sum to date, or the latest level
    expected: float | None  # pro-rata target to date (the target level for a stock)
    status: str
    has_data: bool
    last_month: str  # last month with data in the year ('' when none)
    periods: pd.DataFrame  # PERIOD_COLUMNS: one row per month or quarter of the year
    progress: pd.DataFrame  # PROGRESS_COLUMNS: cumulative (or level) against target, and the projection
    projection: Projection | None
    summary: str  # the chart's text alternative
    headline: str  # the chart's title: the year's key numbers in a line
    suppressed: bool = False  # the year to date is a small count of people, hidden


@dataclass(frozen=True)
class PrioritySection:
    priority_code: str
    name: str
    description: str
    metrics: list[MetricProgress]


@dataclass(frozen=True)
class PriorityView:
    filters: Filters
    grain: str
    financial_year: str
    data_to: str
    months_elapsed: int
    sections: list[PrioritySection]
    without_data: list[str]  # metric names with neither data nor a target in the view


def month_label(period: str) -> str:
    return parse_period(period).strftime("%b")


def quarter_label(q: Quarter) -> str:
    return f"Q{q.number} ({month_label(q.first_month)}–{month_label(q.last_month)})"


def metric_progress(code: str, info: dict, monthly: pd.DataFrame, quarterly: pd.DataFrame | None,
                    annual: float | None, fy: str, data_to: str, grain: str, quarter: str = "",
                    level: float = DEFAULT_LEVEL, year_to_date: float | None = None) -> MetricProgress:
    """One metric's year: pure (no I/O), so the page, the PDF pack and the tests share it.

    Values come published (``service.gate``): a hidden count of people is NaN. ``year_to_date``: the
    published year-to-date cell (its own cell, not the sum of published months, which would differ
    by their adjustments); without it the months are added up.

    ``monthly``: month, value for this metric within the year (months with no rows are absent).
    ``quarterly``: quarter ('2025/26 Q1'), value, needed for the quarter grain (latest metrics
    take the last month of each quarter, which the warehouse query already did).
    """
    months = fy_months(fy)
    elapsed = [mo for mo in months if mo <= data_to] if data_to else []
    latest = info["aggregation"] == "latest"
    by_month = dict(zip(monthly["month"], monthly["value"].astype(float), strict=True))
    reported = [mo for mo in elapsed if mo in by_month]
    last_month = reported[-1] if reported else ""
    has_data = bool(reported)

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
        expected = annual
    else:
        values = [by_month.get(mo, 0.0) for mo in elapsed]
        so_far = float(sum(values)) if year_to_date is None else float(year_to_date)
        projection = project_year_end(values, "sum", 12, info["unit"] in COUNT_UNITS, level) \
            if values and not any(math.isnan(v) for v in values) else None
        remaining = 12 - len(elapsed)
        expected = annual * len(elapsed) / 12 if annual is not None else None
    hidden = has_data and math.isnan(so_far)
    status = "suppressed" if hidden else judge(so_far, expected, bool(info["higher_is_better"]))
    if hidden or (latest and levels and any(math.isnan(v) for v in levels)):
        projection = None  # a projection would hint at a hidden count

    anchor = last_month if latest else (elapsed[-1] if elapsed else "")
    periods, progress = _frames(months, by_month, quarterly, annual, grain, latest, anchor, projection, quarter)
    started = [bool(anchor) and first <= anchor for first in _first_months(months, grain)]
    periods["suppressed"] = periods["value"].isna() & pd.Series(started, index=periods.index)
    progress = _cumulative_with_hidden(progress, periods, latest, so_far, hidden)
    summary = describe(code, info, fy, so_far, annual, expected, projection, status, last_month, quarter, periods,
                       level, hidden)
    return MetricProgress(code, info["name"], info["unit"], info["aggregation"], bool(info["higher_is_better"]),
                          annual, so_far, expected, status, has_data, last_month, periods, progress, projection,
                          summary, headline(fy, info, so_far, annual, projection, last_month, hidden), hidden)


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


def headline(fy: str, info: dict, so_far: float, annual: float | None, projection: Projection | None,
             last_month: str, hidden: bool = False) -> str:
    """'2025/26: 250 so far · target 410 · projected 500 (433–567)': a title that says the result."""
    unit = info["unit"]
    latest = info["aggregation"] == "latest"
    value = SUPPRESSED if hidden else format_value(so_far, unit)
    if not last_month:
        parts = [f"{fy}: no data yet"]
    elif latest:
        parts = [f"{fy}: {value} in {parse_period(last_month).strftime('%b %Y')}"]
    elif projection is not None and projection.months_remaining == 0:
        parts = [f"{fy}: {value} in the year"]
    else:
        parts = [f"{fy}: {value} so far"]
    if annual is not None:
        parts.append(f"{'target level' if latest else 'target'} {format_value(annual, unit)}")
    if projection is not None and projection.months_remaining > 0:
        whole = [format_value(round(v), unit) for v in (projection.projected, projection.low, projection.high)]
        parts.append(f"projected {whole[0]} ({whole[1]}–{whole[2]})")
    return " · ".join(parts)


def _frames(months: list[str], by_month: dict[str, float], quarterly: pd.DataFrame | None, annual: float | None,
            grain: str, latest: bool, anchor: str, projection: Projection | None,
            quarter: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Period bars and the progress line (cumulative or level) with the projection fan."""
    if grain == "quarter":
        quarters = [Quarter.of(parse_period(months[3 * i])) for i in range(4)]
        by_quarter = {} if quarterly is None else dict(zip(quarterly["quarter"], quarterly["value"].astype(float),
                                                          strict=True))
        periods = [(f"Q{q.number}", _partial_label(q, anchor), q.months, by_quarter.get(q.label)) for q in quarters]
        share = 4
    else:
        periods = [(mo, month_label(mo), [mo], by_month.get(mo)) for mo in months]
        share = 12
    rows, progress = [], []
    running = 0.0
    for i, (key, label, mos, value) in enumerate(periods):
        started = bool(anchor) and mos[0] <= anchor
        if value is None and started and not latest:
            value = 0.0  # nothing reported in an elapsed period: nothing delivered
        partial = bool(anchor) and mos[0] <= anchor < mos[-1]
        target = None if annual is None else (annual if latest else annual / share)
        rows.append({"key": key, "label": label, "months": len(mos), "value": value if started else None,
                     "target": target, "partial": partial, "in_view": (not quarter) or key == quarter
                     or (grain == "month" and key in _quarter_months(months, quarter)), "suppressed": False})
        cum_target = None if annual is None else (annual if latest else annual * (i + 1) / share)
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


def describe(code: str, info: dict, fy: str, so_far: float, annual: float | None, expected: float | None,
             projection: Projection | None, status: str, last_month: str, quarter: str, periods: pd.DataFrame,
             level: float, hidden: bool = False) -> str:
    """The chart's text alternative: the same numbers in one or two sentences."""
    unit = info["unit"]
    fmt = lambda v: format_value(v, unit)  # noqa: E731
    latest = info["aggregation"] == "latest"
    value = SUPPRESSED if hidden else fmt(so_far)
    if not last_month:
        head = f"{info['name']} ({code}) {fy}: no data reported yet"
    elif latest:
        head = f"{info['name']} ({code}) {fy}: {value} at {parse_period(last_month).strftime('%B %Y')}"
    else:
        head = f"{info['name']} ({code}) {fy}: {value} so far"
    if annual is None:
        head += "; no target set"
    elif latest:
        head += f" against a target level of {fmt(annual)}"
    else:
        head += f" against a target of {fmt(annual)} (pro rata to date {fmt(expected)})"
    parts = [head]
    if projection is not None and projection.months_remaining > 0:
        chance = projection.chance_of_reaching(annual)
        whole = lambda v: format_value(round(v), unit)  # noqa: E731 - a projection is no more precise than this
        text = (f"projected {whole(projection.projected)} at year end ({level:.0%} interval "
                f"{whole(projection.low)} to {whole(projection.high)})")
        if chance is not None:
            text += f", chance of reaching the target {_chance(chance)}"
        parts.append(text)
    elif projection is not None:
        parts.append("the year is complete")
    if not hidden:
        parts.append(f"status {status}")
    sentence = "; ".join(parts) + "."
    hidden_periods = periods["suppressed"] if "suppressed" in periods else pd.Series(False, index=periods.index)
    if hidden_periods.any():
        sentence += f" Periods shown as {SUPPRESSED} are suppressed to protect confidentiality."
    if quarter:
        chosen = periods[periods["in_view"] & (periods["value"].notna() | hidden_periods)]
        if len(chosen):
            if hidden_periods[chosen.index].any():
                sentence += f" {quarter}: {SUPPRESSED}"
            else:
                value = float(chosen["value"].iloc[-1]) if latest else float(chosen["value"].sum())
                sentence += f" {quarter}: {fmt(value)}"
            if annual is not None:
                sentence += f" against a {'target level' if latest else 'quarterly target'} of " + (
                    fmt(annual) if latest else fmt(annual / 4))
            sentence += "."
    return sentence


def _chance(p: float) -> str:
    if p >= 0.99:
        return "above 99%"
    if p <= 0.01:
        return "below 1%"
    return f"{p:.0%}"


@view()  # publishes only what observation_totals published; a view so that its sentences follow the threshold
def priority_view(engine: Engine, f: Filters, grain: str = "month") -> PriorityView:
    """Every priority's metrics for the view's financial year (the whole year, whatever the quarter)."""
    grain = parse_grain(grain)
    data_to = queries.data_runs_to(engine)
    if not data_to:
        return PriorityView(f, grain, "", "", 0, [], [])
    fy = f.year(data_to)
    year = Filters(fy=fy, area=f.area, priority=f.priority, stream=f.stream, project=f.project)
    monthly = observation_totals(engine, year, ("metric", "month")).frame
    quarterly = observation_totals(engine, year, ("metric", "quarter")).frame if grain == "quarter" else None
    to_date = observation_totals(engine, Filters(month_from=fy_months(fy)[0], month_to=min(fy_months(fy)[-1], data_to),
                                                 area=f.area, priority=f.priority, stream=f.stream, project=f.project),
                                 ("metric",)).frame
    ytd = dict(zip(to_date["metric_code"], to_date["value"].astype(float), strict=True))
    info = metric_info(engine)
    targets = queries.targets(engine, f, fy)
    annual = dict(zip(targets["metric_code"], targets["target_value"].astype(float), strict=True))
    months = fy_months(fy)
    elapsed = len([mo for mo in months if mo <= data_to])
    sections, without = [], []
    for pri in queries.priorities(engine).itertuples(index=False):
        if f.priority and pri.priority_code != f.priority:
            continue
        items = []
        for row in info[info["priority_code"] == pri.priority_code].to_dict("records"):
            code = row["metric_code"]
            mine = monthly[monthly["metric_code"] == code]
            q = None if quarterly is None else quarterly[quarterly["metric_code"] == code]
            mp = metric_progress(code, row, mine, q, annual.get(code), fy, data_to, grain,
                                 f.quarter if f.fy else "", year_to_date=ytd.get(code) if code in ytd else None)
            if not mp.has_data and mp.annual_target is None:
                without.append(row["name"])
                continue
            items.append(mp)
        sections.append(PrioritySection(pri.priority_code, pri.name, pri.description, items))
    return PriorityView(f, grain, fy, data_to, elapsed, sections, without)

