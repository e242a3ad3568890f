"""The year's progress of a metric in words: the chart title and its text alternative.

Sentences live here, above the numbers (``analysis.year_progress``) and below the pages and the PDF
board pack, which both use them. A hidden count of people is written ``[c]`` and takes its status and
projection with it.
"""

from __future__ import annotations

import pandas as pd

from analysis.disclosure import SUPPRESSED
from analysis.fiscal import parse_period
from analysis.projection import Projection
from analysis.stocks import STOCK_AGGREGATIONS
from analysis.year_progress import MetricProgress
from charts.theme import format_value


def headline_of(mp: MetricProgress, fy: str) -> str:
    """'2025/26: 250 so far · target 410 · projected 500 (433–567)': a title that says the result."""
    info = {"unit": mp.unit, "aggregation": mp.aggregation}
    return headline(fy, info, mp.so_far, mp.annual_target, mp.projection, mp.last_month, mp.suppressed)


def describe_progress(mp: MetricProgress, fy: str) -> str:
    """The chart's text alternative: the same numbers in one or two sentences."""
    info = {"unit": mp.unit, "aggregation": mp.aggregation, "name": mp.name}
    return describe(mp.metric_code, info, fy, mp.so_far, mp.annual_target, mp.expected, mp.projection, mp.status,
                    mp.last_month, mp.quarter, mp.periods, mp.level, mp.suppressed, mp.expected_basis)


def headline(fy: str, info: dict, so_far: float, annual: float | None, projection: Projection | None,
             last_month: str, hidden: bool = False) -> str:
    """'2025/26: 250 so far · target 410 · projected 500 (433–567)': a title that says the result."""
    unit = info["unit"]
    latest = info["aggregation"] in STOCK_AGGREGATIONS
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


def describe(code: str, info: dict, fy: str, so_far: float, annual: float | None, expected: float | None,
             projection: Projection | None, status: str, last_month: str, quarter: str, periods: pd.DataFrame,
             level: float, hidden: bool = False, basis: str | None = None) -> str:
    """The chart's text alternative: the same numbers in one or two sentences.

    ``basis``: what the expected position followed (``analysis.progress.expected_position_basis``),
    said beside it so a reader knows why a lumpy metric is not "behind" in a quiet month."""
    unit = info["unit"]
    fmt = lambda v: format_value(v, unit)  # noqa: E731
    latest = info["aggregation"] in STOCK_AGGREGATIONS
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
        head += f" against a target of {fmt(annual)} ({expected_words(fmt(expected), basis)})"
    parts = [head]
    if projection is not None and projection.months_remaining > 0:
        chance = projection.chance_of_reaching(annual)
        whole = lambda v: format_value(round(v), unit)  # noqa: E731 - a projection is no more precise than this
        text = (f"projected {whole(projection.projected)} at year end ({level:.0%} interval "
                f"{whole(projection.low)} to {whole(projection.high)})")
        if chance is not None:
            text += f", chance of reaching the target {_chance(chance)}"
        elif annual is not None and projection.no_chance_reason:
            text += f" ({projection.no_chance_reason})"
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


def expected_words(expected: str, basis: str | None) -> str:
    """'93 expected by now, from the seasonal profile of 2022/23 – 2024/25', or on the straight line
    'pro rata to date 90'."""
    if basis and basis.startswith("seasonal"):
        return f"{expected} expected by now, from the {basis}"
    return f"pro rata to date {expected}"


def _chance(p: float) -> str:
    if p >= 0.99:
        return "above 99%"
    if p <= 0.01:
        return "below 1%"
    return f"{p:.0%}"
