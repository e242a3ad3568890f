"""Plausibility of a return's figures: against the project's own history, a metric's monthly limit, and
combinations that cannot both be true. Pure functions on small frames; no I/O.

A warning is not a refusal: a real surge happens. The person loading the file must accept each warning
with a reason ("these are right: the summer scheme doubled our reach"), which is kept with the batch.

History rule (why these numbers): a figure is flagged when it is beyond a robust bound of the same
project, area and metric's earlier months, ``median + K × 1.4826 × MAD`` (1.4826 × MAD estimates the
standard deviation of normal data, and neither statistic moves with one wild month), AND more than
``RATIO`` times the largest earlier month. Both must hold: a steady series has a tiny MAD, and a
growing project regularly beats its old median but rarely triples its best month. At least
``MIN_HISTORY`` earlier months are needed; with fewer, only the limits and combinations apply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

K = 5.0
RATIO = 3.0
MIN_HISTORY = 6
FIGURE = ["project_code", "area_code", "metric_code", "period"]


@dataclass(frozen=True)
class Requires:
    """``metric`` above zero needs ``partner`` above zero in the same project, area and month."""

    metric: str
    partner: str
    words: str  # "hours of detached youth work with no sessions"


@dataclass(frozen=True)
class AtMost:
    """``metric`` may not exceed ``limit`` for the same project, area and month."""

    metric: str
    limit: str
    words: str


# Implausible combinations, by metric code (the partnership's metrics.csv): absent codes are ignored.
COMBINATIONS: tuple[Requires | AtMost, ...] = (
    Requires("DYW_HOURS", "DYW_SESSIONS", "hours of detached youth work with no sessions"),
    Requires("DYW_HOURS", "YP_ENGAGED", "hours of detached youth work but no young people engaged"),
    AtMost("IND_SUPPORTED", "ACTIVE_CASELOAD", "more individuals supported than the active caseload allows"),
)


@dataclass(frozen=True)
class PlausibilityWarning:
    """One figure that looks wrong, and why, in words for the person who typed it."""

    project_code: str
    area_code: str
    metric_code: str
    period: str
    kind: str  # history | limit | combination
    value: float
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def figures(rows: pd.DataFrame) -> pd.DataFrame:
    """One value per project, area, metric and month (age, sex and ethnicity splits added up)."""
    if rows.empty:
        return pd.DataFrame(columns=[*FIGURE, "value"])
    out = rows.assign(value=pd.to_numeric(rows["value"], errors="coerce")).groupby(FIGURE, as_index=False)["value"]
    return out.sum()


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def history_warnings(new: pd.DataFrame, history: pd.DataFrame) -> list[PlausibilityWarning]:
    """Figures of ``new`` far beyond their own earlier months in ``history`` (both from ``figures``)."""
    out: list[PlausibilityWarning] = []
    if new.empty or history.empty:
        return out
    groups = {k: g for k, g in history.groupby(["project_code", "area_code", "metric_code"])}
    for r in new.itertuples(index=False):
        past = groups.get((r.project_code, r.area_code, r.metric_code))
        if past is None:
            continue
        earlier = past.loc[past["period"] < r.period, "value"].to_numpy(dtype=float)
        earlier = earlier[~np.isnan(earlier)]
        if len(earlier) < MIN_HISTORY:
            continue
        median = float(np.median(earlier))
        spread = 1.4826 * float(np.median(np.abs(earlier - median)))
        largest = float(earlier.max())
        bound = max(median + K * spread, RATIO * largest)
        if r.value > bound:
            times = f"{r.value / largest:,.0f} times" if largest > 0 else "far above"
            out.append(PlausibilityWarning(
                r.project_code, r.area_code, r.metric_code, r.period, "history", float(r.value),
                f"{_num(r.value)} is {times} this project's largest month here ({_num(largest)}; usual "
                f"{_num(median)} over {len(earlier)} earlier months)"))
    return out


def limit_warnings(new: pd.DataFrame, limits: dict[str, float]) -> list[PlausibilityWarning]:
    """Figures above their metric's ``max_per_month`` (metrics.csv)."""
    out = []
    for r in new.itertuples(index=False):
        limit = limits.get(r.metric_code)
        if limit is not None and not pd.isna(limit) and r.value > limit:
            out.append(PlausibilityWarning(r.project_code, r.area_code, r.metric_code, r.period, "limit",
                                           float(r.value), f"{_num(r.value)} is above the most expected in one "
                                           f"month ({_num(limit)}, metrics.csv max_per_month)"))
    return out


def combination_warnings(new: pd.DataFrame,
                         rules: tuple[Requires | AtMost, ...] = COMBINATIONS) -> list[PlausibilityWarning]:
    """Pairs of figures in the same project, area and month that cannot both be right.

    A partner metric the return does not report at all is not judged (it may not be collected)."""
    out: list[PlausibilityWarning] = []
    if new.empty:
        return out
    values = {tuple(k): v for *k, v in new[FIGURE + ["value"]].itertuples(index=False, name=None)}
    reported = set(new["metric_code"])
    for rule in rules:
        other = rule.partner if isinstance(rule, Requires) else rule.limit
        if rule.metric not in reported or other not in reported:
            continue
        for (project, area, metric, period), value in values.items():
            if metric != rule.metric:
                continue
            partner = values.get((project, area, other, period), 0.0)
            needs = isinstance(rule, Requires) and value > 0 and partner <= 0
            exceeds = isinstance(rule, AtMost) and (project, area, other, period) in values and value > partner
            if not (needs or exceeds):
                continue
            message = f"{rule.words}: {metric} {_num(value)} but {other} {_num(partner)}"
            out.append(PlausibilityWarning(project, area, metric, period, "combination", float(value), message))
    return out


def plausibility(new_rows: pd.DataFrame, history: pd.DataFrame, limits: dict[str, float]) -> list[PlausibilityWarning]:
    """Every warning for a file's rows (``new_rows``: observation rows, splits allowed), sorted by figure."""
    new = figures(new_rows)
    warnings = [*history_warnings(new, figures(history)), *limit_warnings(new, limits), *combination_warnings(new)]
    return sorted(warnings, key=lambda w: (w.project_code, w.metric_code, w.area_code, w.period, w.kind))
