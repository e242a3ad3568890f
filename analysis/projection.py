"""Projection of a metric to the end of the financial year, with a 90% prediction interval.

Pure functions, no I/O. The board asks "where will we end the year?" and acts on the answer, so the
interval has to cover the outcome as often as it says (``bench/projection.py`` back-tests it on the
sample's own years and on simulated series; coverage in ``docs/metrics.md``), and where the model
cannot be checked the page gives no "chance of reaching the target" at all.

Seasonal model (``sum`` metrics with a profile, ``analysis.seasonal``: two or more complete earlier years)
    Month m of a year brings on average ``mu * p[m]``: ``mu`` is the year's level (its expected total),
    ``p`` the profile (shares adding up to 1), with variance ``phi * mu * p[m]``: quasi-Poisson, where
    ``phi`` (the overdispersion) is Pearson's chi-square over its degrees of freedom of the year x month
    model on the profile years and the months so far, never below 1 (counts vary at least as Poisson
    counts do; pounds and hours at least by a unit).

    With ``S`` counted in the first ``n`` months, whose profile share is ``F``, the year's level is
    ``S / F`` (variance ``phi * mu / F``) once ``F`` is at least a twelfth: then the projection and a
    status judged against the expected position ``F x target`` say the same thing. Before that (the
    first month of a slow season, or a quarter in which a lumpy metric pays nothing: grants paid in
    July and January) this year says too little, and the level is the earlier years' mean total. The
    spread of the earlier totals ``s_T**2`` (at least a year's own quasi-Poisson variation ``phi * mu``)
    holds both the level's variation between years and the months' noise; the months to come carry
    their noise below, so the level's variance is ``s_T**2 - phi * mu`` (between years) ``+ s_T**2 / K``
    (the mean of ``K`` totals): over a whole year, ``s_T**2 * (1 + 1/K)``, the textbook prediction
    variance for a new year's total.

    The remaining share ``G = 1 - F`` then brings ``mu_hat * G``, with prediction variance
    ``phi * mu_hat * G`` (the months to come) ``+ G**2 * var(mu_hat)`` (the level's own error) plus the
    error of the profile's shares. The interval uses Student's t with Welch-Satterthwaite degrees of
    freedom from the two variance estimates (``phi``'s and the earlier years' spread), so a metric with
    few months or years in its history gets a wider interval. Its lower end is never below ``S``.

Straight line (``sum`` metrics without enough history)
    The run rate: ``S + r * S / n`` for ``r`` months to come; variance ``r * s2 + r**2 * s2 / n`` with
    ``s2`` the months' variance, at least their mean; t with ``n - 1`` degrees of freedom. It assumes no
    season, which cannot be checked, so no chance of reaching the target is given. With nothing counted
    yet there is nothing to project from: None.

Levels (``latest`` and ``cumulative`` metrics: a caseload, organisations funded so far)
    A random walk with drift: the last level moved on by the mean month-to-month change, variance
    ``r * v + r**2 * v / (n - 1)`` with ``v`` the changes' variance (for counts: the last level when it
    cannot be estimated, a twelfth of it when the changes never varied, so never a zero-width interval).
    A level has no season to learn from and its target is a level to stand at now
    (``analysis.progress``), so no chance is given either.

Worked example (unit tests use it): two earlier years of 10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40
(300 a year), this year 10, 10, 10: ``F = 30 / 300 = 0.1``, both judgements of the level give 300, so
the projection is exactly 300; the straight line would say 120.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from scipy import stats

from analysis.seasonal import STRAIGHT_LINE, SeasonalProfile

MONTHS_IN_YEAR = 12
DEFAULT_LEVEL = 0.90
SEASONAL, STRAIGHT, RANDOM_WALK = "seasonal", "straight line", "random walk"
OWN_YEAR_FROM = 1 / 12  # share of the year expected by now from which this year's months judge its level
NO_CHANCE = {
    STRAIGHT: "no chance of reaching the target is given: fewer than two complete earlier years to learn "
              "the metric's seasonal pattern from",
    RANDOM_WALK: "no chance of reaching the target is given for a level: it has no seasonal pattern to "
                 "check the projection against",
}


def z_value(level: float) -> float:
    """Two-sided standard normal quantile: 1.645 for 0.90, 1.960 for 0.95."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def t_value(level: float, df: float) -> float:
    """Two-sided Student t quantile (the normal one for infinite degrees of freedom)."""
    z = z_value(level)
    return z if math.isinf(df) else float(stats.t.ppf(0.5 + level / 2, max(df, 1.0)))


@dataclass(frozen=True)
class Projection:
    """Where a metric is expected to end the financial year, and how sure that is.

    ``centres[a]`` and ``variances[a]``: the expected value and the prediction variance ``a`` months
    after the last month with data (``a = 0 .. months_remaining``). ``method``: seasonal, straight line
    or random walk; ``basis``: what the expected position was judged against (``expected_basis``).
    """

    aggregation: str
    so_far: float
    months_elapsed: int
    months_remaining: int
    method: str
    basis: str
    centres: tuple[float, ...]
    variances: tuple[float, ...]
    df: float = math.inf
    level: float = DEFAULT_LEVEL

    def at(self, ahead: int) -> tuple[float, float, float]:
        """(central, low, high) ``ahead`` months after the last month with data."""
        ahead = max(0, min(ahead, self.months_remaining))
        centre = self.centres[ahead]
        half = t_value(self.level, self.df) * math.sqrt(self.variances[ahead])
        floor = self.so_far if self.aggregation == "sum" else 0.0
        return centre, max(floor, centre - half), centre + half

    @property
    def projected(self) -> float:
        return self.at(self.months_remaining)[0]

    @property
    def low(self) -> float:
        return self.at(self.months_remaining)[1]

    @property
    def high(self) -> float:
        return self.at(self.months_remaining)[2]

    @property
    def standard_error(self) -> float:
        return math.sqrt(self.variances[self.months_remaining])

    @property
    def no_chance_reason(self) -> str:
        """Why no chance of reaching the target is given ('' when one is)."""
        return NO_CHANCE.get(self.method, "")

    def chance_of_reaching(self, target: float | None) -> float | None:
        """Probability that the year ends at or above ``target``; None where the model cannot be checked
        (the straight line, a level) or without a target."""
        if self.method != SEASONAL or target is None or (isinstance(target, float) and math.isnan(target)):
            return None
        se = self.standard_error
        if se == 0:
            return 1.0 if self.projected >= target else 0.0
        z = (target - self.projected) / se
        return float(1.0 - (NormalDist().cdf(z) if math.isinf(self.df) else stats.t.cdf(z, max(self.df, 1.0))))


def _variance(values: Sequence[float]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1)


def project_year_end(
    values: Sequence[float],
    aggregation: str = "sum",
    months_in_year: int = MONTHS_IN_YEAR,
    counts: bool = True,
    level: float = DEFAULT_LEVEL,
    profile: SeasonalProfile | None = None,
) -> Projection | None:
    """Project a financial year's monthly values (first month of the year first) to its end.

    ``values`` holds every month from the start of the year to the last month with data (months
    with nothing reported as 0 for a sum metric; levels for a stock). ``profile``: the metric's
    seasonal profile (``analysis.seasonal.seasonal_profile``), None when too little history.
    ``counts``: a stock in people or items whose changes cannot be estimated varies at least as a
    Poisson count of its level. Returns None when there is nothing to project from.
    """
    z_value(level)  # validates level
    if aggregation not in ("sum", "latest"):
        raise ValueError(f"aggregation must be sum or latest, got {aggregation!r}")
    vals = [float(v) for v in values]
    n = len(vals)
    if n == 0:
        return None
    if n > months_in_year:
        raise ValueError(f"{n} monthly values for a year of {months_in_year} months")
    remaining = months_in_year - n
    if aggregation == "latest":
        return _random_walk(vals, remaining, counts, level)
    if profile is not None and months_in_year == MONTHS_IN_YEAR:
        return _seasonal(vals, profile, level)
    return _straight_line(vals, remaining, level)


def _straight_line(vals: list[float], remaining: int, level: float) -> Projection | None:
    n, total = len(vals), sum(vals)
    if total <= 0 and remaining:
        return None  # nothing counted and no history: nothing to project from
    mean = total / n
    sample = _variance(vals)
    var = max(sample, mean)
    df = float(n - 1) if sample > mean and n > 1 else math.inf
    centres = tuple(total + a * mean for a in range(remaining + 1))
    variances = tuple(a * var + a * a * var / n for a in range(remaining + 1))
    return Projection("sum", total, n, remaining, STRAIGHT, STRAIGHT_LINE, centres, variances, df, level)


def _random_walk(vals: list[float], remaining: int, counts: bool, level: float) -> Projection:
    n, last = len(vals), vals[-1]
    changes = [b - a for a, b in zip(vals, vals[1:], strict=False)]
    drift = sum(changes) / len(changes) if changes else 0.0
    if len(changes) >= 2:
        var, df = _variance(changes), float(len(changes) - 1)
        if var == 0 and counts:
            var, df = max(last, 0.0) / 12.0, math.inf  # steady so far: still a month's Poisson-like churn
    else:
        var, df = (max(last, 0.0) if counts else 0.0), math.inf
    k = len(changes)
    centres = tuple(last + a * drift for a in range(remaining + 1))
    variances = tuple(a * var + (a * a * var / k if k else 0.0) for a in range(remaining + 1))
    return Projection("latest", last, n, remaining, RANDOM_WALK, STRAIGHT_LINE, centres, variances, df, level)


def _seasonal(vals: list[float], profile: SeasonalProfile, level: float) -> Projection:
    n, total = len(vals), sum(vals)
    p = profile.shares
    share = sum(p[:n])
    years = profile.months
    k = len(years)
    totals = [sum(y) for y in years]

    # Overdispersion: Pearson chi-square of the year x month model (months the profile ever fills).
    filled = [m for m in range(MONTHS_IN_YEAR) if p[m] > 0]
    chi2 = sum((y[m] - t * p[m]) ** 2 / (t * p[m]) for y, t in zip(years, totals, strict=True) for m in filled)
    df_phi = float((k - 1) * (len(filled) - 1))
    mine = [m for m in range(n) if p[m] > 0]
    if share > 0 and total > 0 and len(mine) >= 2:
        mu = total / share
        chi2 += sum((vals[m] - mu * p[m]) ** 2 / (mu * p[m]) for m in mine)
        df_phi += len(mine) - 1
    phi = max(1.0, chi2 / df_phi) if df_phi > 0 else 1.0
    df_phi = df_phi if df_phi > 0 else math.inf

    # The year's level: from this year's months once the profile expects a twelfth of the year by now
    # (then the projection is S / F, and a status judged against the expected position F * target says
    # the same as the projection); before that from the earlier years' mean total and spread.
    mean_h = sum(totals) / k
    if share >= OWN_YEAR_FROM:
        mu_hat = total / share
        level_var, weight = phi * max(mu_hat, 1.0) / share, 1.0
    else:
        # A year's total varies by its level and by its months' own noise (at least quasi-Poisson); the
        # months to come add that noise below (``own``), so the level's spread counts only the rest:
        # the level's variation between years, plus the error of the mean of K totals. Counting the
        # earlier totals' whole spread again beside ``own`` made a lumpy metric's interval too wide
        # (96% coverage for a nominal 90% at 3 months, before its first payment).
        spread_t = max(_variance(totals), phi * mean_h)
        mu_hat, level_var, weight = mean_h, (spread_t - phi * mean_h) + spread_t / k, 0.0
    grand = sum(totals)

    centres, variances, dfs = [], [], []
    for a in range(MONTHS_IN_YEAR - n + 1):
        g = sum(p[n:n + a])
        own = phi * mu_hat * g + weight * g * g * level_var
        if share > 0 and g > 0:
            own += weight ** 2 * (total / share) ** 2 * phi * g * g / grand * (1 / g + 1 / share)
        spread = (1 - weight) * g * g * level_var
        centres.append(total + mu_hat * g)
        variances.append(own + spread)
        parts = own ** 2 / df_phi + (spread ** 2 / (k - 1) if k > 1 else 0.0)
        dfs.append((own + spread) ** 2 / parts if parts > 0 else math.inf)
    return Projection("sum", total, n, MONTHS_IN_YEAR - n, SEASONAL, profile.basis, tuple(centres),
                      tuple(variances), dfs[-1], level)
