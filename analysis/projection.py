"""Projection of a metric to the end of the financial year, with a prediction interval.

Pure functions, no I/O. The board asks "where will we end the year?", so the projection has to be
simple enough to explain in one sentence and honest about how uncertain it is.

Method (``sum`` metrics: people started, hours, sessions, pounds)
    Run rate. With ``n`` months reported so far, total ``S`` and monthly mean ``m = S / n``, each of
    the ``r = 12 - n`` remaining months is expected to bring ``m`` more, so the year-end projection is
    ``S + r * m``.

    Uncertainty. Months vary: let ``s2`` be the month-to-month variance, the sample variance of the
    ``n`` monthly values (``ddof=1``). For counts (people, sessions) it is floored at the Poisson
    variance ``m``: a count whose months happened to be alike still varies at least as a Poisson
    count would, and with one month there is no other estimate. The remaining total is a sum of ``r``
    months, each with variance ``s2``, around a mean that is itself estimated from ``n`` months, so
    its prediction variance is ``r * s2`` (the months to come) ``+ r**2 * s2 / n`` (the run rate's own
    error). The interval is the normal approximation ``projection ± z * sqrt(variance)`` with ``z`` the
    two-sided quantile (1.645 for 90%), and its lower end never below ``S``: values are never negative,
    so the year cannot end below what has already been counted.

Method (``latest`` metrics: stocks such as an active caseload or organisations funded so far)
    A random walk with drift. The level moves by the month-to-month changes ``d`` (``n - 1`` of them);
    the projection is the last level plus ``r`` times their mean, and the prediction variance is
    ``r * var(d) + r**2 * var(d) / (n - 1)``, the same two parts as above. With fewer than two changes
    the changes' variance cannot be estimated, so it is floored as for counts (Poisson variance of the
    last level) or taken as zero for non-counts. The lower end is never below zero.

Worked example (unit tests use it): months 10, 20, 30 of a sum metric. ``S = 60``, ``m = 20``,
``s2 = 100``, ``r = 9``: projection ``60 + 9 * 20 = 240``; variance ``9 * 100 + 81 * 100 / 3 = 3600``,
standard deviation 60; 90% interval ``240 ± 1.645 * 60`` = 141.3 to 338.7.

What it must not do: look at other years or other metrics (a seasonal model would need more years
of stable delivery than most projects have), or hide that an early-year projection is wide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

MONTHS_IN_YEAR = 12
DEFAULT_LEVEL = 0.90


def z_value(level: float) -> float:
    """Two-sided standard normal quantile: 1.645 for 0.90, 1.960 for 0.95."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)


@dataclass(frozen=True)
class Projection:
    """Where a metric is expected to end the financial year, and how sure that is.

    ``so_far`` is the value to date (sum of the months so far, or the latest level); ``step`` the
    expected change per month (run rate or drift); ``step_variance`` the month-to-month variance
    ``s2``; ``mean_error_months`` the number of values the step was estimated from.
    """

    aggregation: str
    so_far: float
    months_elapsed: int
    months_remaining: int
    step: float
    step_variance: float
    mean_error_months: int
    level: float = DEFAULT_LEVEL

    def _variance(self, ahead: int) -> float:
        if ahead <= 0:
            return 0.0
        var = ahead * self.step_variance
        if self.mean_error_months > 0:
            var += ahead * ahead * self.step_variance / self.mean_error_months
        return var

    def at(self, ahead: int) -> tuple[float, float, float]:
        """(central, low, high) ``ahead`` months after the last month with data."""
        ahead = max(0, min(ahead, self.months_remaining))
        centre = self.so_far + ahead * self.step
        half = z_value(self.level) * math.sqrt(self._variance(ahead))
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
        return math.sqrt(self._variance(self.months_remaining))

    def chance_of_reaching(self, target: float | None) -> float | None:
        """Probability (normal approximation) that the year ends at or above ``target``."""
        if target is None or (isinstance(target, float) and math.isnan(target)):
            return None
        se = self.standard_error
        if se == 0:
            return 1.0 if self.projected >= target else 0.0
        return 1.0 - NormalDist(self.projected, se).cdf(target)


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
) -> Projection | None:
    """Project a financial year's monthly values (first month of the year first) to its end.

    ``values`` holds every month from the start of the year to the last month with data (months
    with nothing reported as 0 for a sum metric). ``counts`` turns on the Poisson floor for count
    units (people, sessions...) and off for hours and pounds. Returns None when there is no month
    yet to project from. See the module docstring for the method.
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
    if aggregation == "sum":
        total = sum(vals)
        mean = total / n
        var = _variance(vals)
        if counts:
            var = max(var, mean)
        return Projection("sum", total, n, remaining, mean, var, n, level)
    last = vals[-1]
    changes = [b - a for a, b in zip(vals, vals[1:], strict=False)]
    drift = sum(changes) / len(changes) if changes else 0.0
    var = _variance(changes) if len(changes) >= 2 else (max(last, 0.0) if counts else 0.0)
    return Projection("latest", last, n, remaining, drift, var, len(changes), level)
