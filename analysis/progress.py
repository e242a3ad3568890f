"""Progress against target: the value for a view, its target, share reached and a status.

Status is judged against the expected position for the time elapsed, because half-way through the
year a metric at 50% of its annual target is on track, not failing. The expected position follows the
metric's own seasonal profile from earlier complete years where there are enough of them
(``analysis.seasonal``: grants paid in July and January are not "behind" in June) and the straight line
otherwise; ``expected_basis`` says which. Metrics aggregated as ``latest`` (stocks such as an active
caseload) are compared with their target as they stand.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure import sum_keys
from analysis.fiscal import add_months, fy_months, fy_of_period, months_between
from analysis.seasonal import STRAIGHT_LINE, SeasonalProfile, expected_basis, month_weights, seasonal_profile
from analysis.stocks import COMPLETE_ENOUGH, STOCK_AGGREGATIONS

ON_TRACK = 0.95  # at least 95% of the pro-rata target
AT_RISK = 0.80  # 80-95%; below that, off track
SINCE = "2019-04"

KPI_COLUMNS = [
    "metric_code", "name", "unit", "aggregation", "priority_code", "higher_is_better", "value", "target",
    "share", "share_to_date", "expected", "expected_basis", "status", "previous", "change_pct", "total_since_2019",
    "months_elapsed", "months_in_period",
]
# Cell keys of value, previous and total_since_2019 (analysis.disclosure): consumed by service.gate.
KPI_KEY_COLUMNS = ["value_key", "previous_key", "total_key"]


@dataclass(frozen=True)
class MetricMonths:
    """One metric's monthly rows as aligned period ('YYYY-MM') and value sequences, in row order.

    ``kpi_table`` splits ``monthly`` into these once instead of boolean-indexing the whole frame
    three times per metric, and the projects grid splits once for all its projects: a DataFrame
    filter costs ~100 µs, which made a 700-project grid take seconds. Rows usually come in month
    order; then a range is a slice found by bisection.
    """

    periods: list[str]
    values: np.ndarray
    in_order: bool
    keys: np.ndarray | None = None  # disclosure cell keys of the rows (analysis.disclosure), when known

    @classmethod
    def of(cls, periods: Sequence[str], values: np.ndarray, keys: np.ndarray | None = None) -> MetricMonths:
        """Aligned periods and values (any order; in month order is noted, for bisection)."""
        periods = list(periods)
        return cls(periods, values, all(a <= b for a, b in zip(periods, periods[1:], strict=False)), keys)

    @classmethod
    def of_frame(cls, monthly: pd.DataFrame) -> MetricMonths:
        """The rows of a frame with period and value (and optionally value_key) columns (one metric's)."""
        keys = monthly["value_key"].to_numpy() if "value_key" in monthly else None
        return cls.of(monthly["period"].tolist(), monthly["value"].to_numpy(), keys)

    @property
    def empty(self) -> bool:
        return not self.periods

    def between(self, first: str = "", last: str = "") -> MetricMonths:
        """The months from ``first`` to ``last`` inclusive ('' leaves that end open), in row order."""
        if self.in_order:
            start = bisect_left(self.periods, first) if first else 0
            stop = bisect_right(self.periods, last) if last else len(self.periods)
            if start == 0 and stop == len(self.periods):
                return self
            keys = None if self.keys is None else self.keys[start:stop]
            return MetricMonths(self.periods[start:stop], self.values[start:stop], True, keys)
        keep = np.array([(not first or p >= first) and (not last or p <= last) for p in self.periods], dtype=bool)
        return MetricMonths([p for p, k in zip(self.periods, keep, strict=True) if k], self.values[keep], False,
                            None if self.keys is None else self.keys[keep])


NO_MONTHS = MetricMonths([], np.array([], dtype=float), True)


def by_metric(monthly: pd.DataFrame) -> dict[str, MetricMonths]:
    """``monthly`` (metric_code, period, value) split into each metric's months, in one pass."""
    return {code: months for (code,), months in _split(monthly, ["metric_code"]).items()}


def by_key_and_metric(monthly: pd.DataFrame, key: str) -> dict[str, dict[str, MetricMonths]]:
    """``monthly`` split by ``key`` (e.g. project_code), then by metric: one pass for a whole grid."""
    out: dict[str, dict[str, MetricMonths]] = {}
    for (owner, code), months in _split(monthly, [key, "metric_code"]).items():
        out.setdefault(owner, {})[code] = months
    return out


def _split(monthly: pd.DataFrame, keys: list[str]) -> dict[tuple, MetricMonths]:
    if monthly.empty:
        return {}
    periods = monthly["period"].to_numpy(dtype=object)
    values = monthly["value"].to_numpy()
    cell_keys = monthly["value_key"].to_numpy() if "value_key" in monthly else None
    groups = monthly.groupby(keys, sort=False).indices  # positions, ascending: row order is kept
    return {(k if isinstance(k, tuple) else (k,)): MetricMonths.of(
        periods[pos].tolist(), values[pos], None if cell_keys is None else cell_keys[pos])
        for k, pos in groups.items()}


def aggregate(values: pd.DataFrame | MetricMonths, aggregation: str) -> float:
    """Sum of monthly values, or for a ``latest`` metric the value of the last month reported.

    Computed on arrays but exactly as pandas would on a frame of the rows: a sum is numpy's sum of
    the same values in the same order (NaN counted as 0, like ``Series.sum``); several rows in the
    last month are added with a pandas groupby, as ``groupby("period").sum()`` would.
    """
    months = MetricMonths.of_frame(values) if isinstance(values, pd.DataFrame) else values
    if months.empty:
        return 0.0
    if aggregation in STOCK_AGGREGATIONS:
        last = months.periods[-1] if months.in_order else max(months.periods)
        at_last = months.values[[i for i, p in enumerate(months.periods) if p == last]]
        if len(at_last) > 1:
            return float(pd.Series(at_last).groupby(np.zeros(len(at_last), dtype=int)).sum().iloc[0])
        only = at_last[0]
        return 0.0 if pd.isna(only) else 0.0 + float(only)
    if months.values.dtype.kind == "f":
        total = months.values.sum()
        return float(total if total == total else np.nansum(months.values))  # NaN only when a value is NaN
    if months.values.dtype.kind in "iub":
        return float(months.values.sum())
    return float(pd.Series(months.values).sum())


def aggregate_key(months: MetricMonths, aggregation: str) -> int:
    """The disclosure cell key of ``aggregate``'s figure: the sum of the keys of the rows it counts."""
    if months.empty or months.keys is None:
        return 0
    if aggregation in STOCK_AGGREGATIONS:
        last = months.periods[-1] if months.in_order else max(months.periods)
        chosen = [k for k, p in zip(months.keys, months.periods, strict=True) if p == last]
        return sum_keys(chosen)
    return sum_keys(months.keys)


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


def annual_by_year(annual_targets: pd.DataFrame, view_fy: str) -> dict[str, dict[str, float]]:
    """metric_code -> {financial_year: annual target} from target rows (metric_code, target_value[,
    financial_year])."""
    out: dict[str, dict[str, float]] = {}
    years = annual_targets["financial_year"] if "financial_year" in annual_targets else [view_fy] * len(annual_targets)
    for code, fy, value in zip(annual_targets["metric_code"], years, annual_targets["target_value"], strict=True):
        if value is not None and value == value:
            out.setdefault(code, {})[fy] = float(value)
    return out


def kpi_table(
    monthly: pd.DataFrame,
    metric_info: pd.DataFrame,
    annual_targets: pd.DataFrame,
    first: str,
    last: str,
    data_to: str,
    fy_months: list[str],
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per metric for the view [first, last].

    ``monthly``: metric_code, period, value (all months since 2019, within the slicers).
    ``annual_targets``: metric_code, target_value, and financial_year when the view may cross 31 March
    (without it, every target is taken as the view's own year's).
    ``history``: the same months as published (metric_code, period, value; a hidden count NaN), from
    which each flow's seasonal profile is learnt (``analysis.seasonal``); None: the straight line.
    """
    targets = annual_by_year(annual_targets, fy_of_period(fy_months[0]) if fy_months else "")
    view = KpiPeriod(first, last, data_to, fy_months)
    profiles = None if history is None else view.profiles(history)
    return pd.DataFrame(view.rows(by_metric(monthly), metric_info.itertuples(index=False), targets, profiles),
                        columns=[*KPI_COLUMNS, *KPI_KEY_COLUMNS])


def derive_kpis(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Share, status and change recomputed from the published (protected) value and previous value.

    Called after disclosure control, so nothing derived can give back an exact count of people. A
    hidden value has no share or change; its status is "off track" when even the largest count it
    could be (the threshold) would be off track, else "suppressed".
    """
    if table.empty:
        return table
    out = table.copy()
    value = pd.to_numeric(out["value"], errors="coerce").to_numpy(dtype=float)
    previous = pd.to_numeric(out["previous"], errors="coerce").to_numpy(dtype=float)
    target = pd.to_numeric(out["target"], errors="coerce").to_numpy(dtype=float)
    hidden = np.isnan(value)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(~hidden & (target > 0), value / target, np.nan)
        change = np.where(~hidden & ~np.isnan(previous) & (previous != 0), (value - previous) / previous * 100, np.nan)
    statuses = []
    complete = (pd.to_numeric(out["completeness"], errors="coerce").fillna(1.0).to_numpy() >= COMPLETE_ENOUGH
                if "completeness" in out else np.ones(len(out), dtype=bool))
    for v, expected, better, is_hidden, enough in zip(value, out["expected"], out["higher_is_better"], hidden,
                                                      complete, strict=True):
        if not enough:  # a stock too few of whose series reported in the month: no status
            statuses.append("incomplete")
        elif is_hidden:
            bound = judge(float(threshold), expected, bool(better))
            statuses.append("off track" if bound == "off track" and better else "suppressed")
        else:
            statuses.append(judge(float(v), expected, bool(better)))
    expected = pd.to_numeric(out["expected"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        to_date = np.where(~hidden & (expected > 0), value / expected, np.nan)
    out["share"] = pd.Series([None if np.isnan(x) else float(x) for x in share], index=out.index, dtype=object)
    out["share_to_date"] = pd.Series([None if np.isnan(x) else float(x) for x in to_date], index=out.index,
                                     dtype=object)
    out["status"] = statuses
    out["change_pct"] = pd.Series([None if np.isnan(x) else float(x) for x in change], index=out.index, dtype=object)
    return out


def expected_position_basis(aggregation: str, profile: SeasonalProfile | None, expected: float | None) -> str | None:
    """What the expected position was judged against: 'seasonal profile of 2022/23 – 2024/25', 'straight
    line', 'target level' (a stock), or None without a target."""
    if expected is None:
        return None
    if aggregation in STOCK_AGGREGATIONS:
        return "target level"
    return expected_basis(profile) if profile is not None else STRAIGHT_LINE


class KpiPeriod:
    """A view [first, last] for ``kpi_table`` rows, with what every metric shares worked out once.

    The projects grid judges ~400 projects in the same view: their months, months elapsed, the
    previous year's range and the period targets (``period_target`` per distinct annual target) are
    the same for all of them, and building one DataFrame per project would cost more than the sums.
    """

    def __init__(self, first: str, last: str, data_to: str, fy_months: list[str]) -> None:
        self.first, self.last, self.fy_months, self.data_to = first, last, fy_months, data_to
        self.period_months = months_between(first, last)
        self.elapsed = [mo for mo in self.period_months if mo <= data_to] if data_to else []
        self.level_month = min(last, data_to) if data_to else last
        self.prev_first, self.prev_last = add_months(first, -12), add_months(min(last, data_to or last), -12)
        self.view_fy = fy_of_period(fy_months[0]) if fy_months else ""
        self._fy = {mo: fy_of_period(mo) for mo in self.period_months}
        self._position = {mo: (int(mo[5:7]) - 4) % 12 for mo in self.period_months}  # 0 = April
        self._targets: dict[tuple[object, ...], tuple[float | None, float | None]] = {}

    @property
    def profile_fy(self) -> str:
        """The financial year a seasonal profile is learnt for: the view's first month's (earlier years only)."""
        return fy_of_period(self.first) if self.first else self.view_fy

    def profiles(self, history: pd.DataFrame) -> dict[str, SeasonalProfile | None]:
        """Each metric's seasonal profile for this view from ``history`` (metric_code, period, value)."""
        if history.empty or not self.data_to:
            return {}
        start = fy_months(self.profile_fy)[0]
        before = history[history["period"] < start]
        return {code: seasonal_profile(dict(zip(frame["period"], frame["value"].astype(float), strict=True)),
                                       self.profile_fy, self.data_to)
                for code, frame in before.groupby("metric_code", sort=False)}

    def targets(self, annual: float | Mapping[str, float] | None, aggregation: str,
                profile: SeasonalProfile | None = None) -> tuple[float | None, float | None]:
        """(target for the whole view, target for its months so far), each month against its own year.

        ``annual``: the annual target by financial year ({'2024/25': 400, '2025/26': 410}), or one number
        for the view's own year. For the whole view a flow's month counts a twelfth of its own year's
        target (a view from October to September takes half of each year's). For the months so far, the
        expected position for the time of year, a month counts its share of its own year's target in the
        metric's seasonal ``profile`` (``analysis.seasonal``), or a twelfth without one; over a whole year
        both give the annual target. Without a target for every year the view touches there is none. A
        stock's target is the level set for the year of the month it is read at.
        """
        by_year = annual if isinstance(annual, Mapping) else (
            {} if annual is None or annual != annual else {self.view_fy: float(annual)})
        weights = month_weights(profile)
        key = (tuple(sorted(by_year.items())), aggregation, weights)
        if key not in self._targets:
            if aggregation in STOCK_AGGREGATIONS:
                level = by_year.get(fy_of_period(self.level_month)) if self.level_month else None
                self._targets[key] = (level, level)
            elif not self.period_months or any(self._fy[mo] not in by_year for mo in self.period_months):
                self._targets[key] = (None, None)
            else:
                whole = sum(by_year[self._fy[mo]] for mo in self.period_months) / 12.0
                so_far = (sum(by_year[self._fy[mo]] for mo in self.elapsed) / 12.0 if profile is None  # as before
                          else sum(by_year[self._fy[mo]] * weights[self._position[mo]] for mo in self.elapsed))
                self._targets[key] = (whole, so_far)
        return self._targets[key]

    def rows(self, months: Mapping[str, MetricMonths], metrics: Iterable, targets: Mapping[str, float],
             profiles: Mapping[str, SeasonalProfile | None] | None = None) -> list[dict]:
        """``kpi_table``'s rows as dicts (KPI_COLUMNS keys).

        ``months``: ``by_metric`` of the monthly rows; ``metrics``: rows with metric_code, name, unit,
        aggregation, priority_code, higher_is_better (``itertuples`` of ``queries.metrics``);
        ``targets``: per metric_code, the annual target by financial year (or one number: the view's year);
        ``profiles``: per metric_code, its seasonal profile (``profiles``); absent: the straight line.
        """
        first, last, period_months, elapsed = self.first, self.last, self.period_months, self.elapsed
        rows = []
        for metric in metrics:
            mine = months.get(metric.metric_code, NO_MONTHS)
            in_view = mine.between(first, last)
            value = aggregate(in_view, metric.aggregation)
            prev_rows = mine.between(self.prev_first, self.prev_last)
            previous = aggregate(prev_rows, metric.aggregation) if not prev_rows.empty else None
            since = mine.between(SINCE)
            stock = metric.aggregation in STOCK_AGGREGATIONS
            profile = None if stock or profiles is None else profiles.get(metric.metric_code)
            target, expected = self.targets(targets.get(metric.metric_code), metric.aggregation, profile)
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
                "share_to_date": (value / expected) if expected else None,
                "expected": expected,
                "expected_basis": expected_position_basis(metric.aggregation, profile, expected),
                "status": judge(value, expected, bool(metric.higher_is_better)),
                "previous": previous,
                "change_pct": ((value - previous) / previous * 100.0) if previous else None,
                "total_since_2019": aggregate(since, metric.aggregation),
                "months_elapsed": len(elapsed),
                "months_in_period": len(period_months),
                "value_key": aggregate_key(in_view, metric.aggregation),
                "previous_key": aggregate_key(prev_rows, metric.aggregation),
                "total_key": aggregate_key(since, metric.aggregation),
            })
        return rows


def cumulative_by_month(monthly: pd.DataFrame, fy_months: list[str]) -> pd.DataFrame:
    """Running total through a financial year for a sum metric. Columns: period, value, cumulative."""
    frame = pd.DataFrame({"period": fy_months}).merge(
        monthly.groupby("period", as_index=False)["value"].sum(), on="period", how="left")
    frame["cumulative"] = frame["value"].fillna(0).cumsum()
    return frame
