"""A metric's seasonal profile: the share of its year that each month of the financial year brings.

Pure functions, no I/O. Grants are paid in July and January and youth work peaks in summer, so "half
the year gone, half the target due" misjudges them: the expected position for the time of year, the
status judged against it and the year-end projection all use the metric's own profile from earlier
complete financial years when there are enough of them (``MIN_YEARS``), and the straight line (a
twelfth a month) otherwise. ``expected_basis`` names which, for the screen and the API.

Which years: the latest ``MAX_YEARS`` complete financial years before the one being judged in which
the series reported every month (a year in which it started late would teach a ramp-up, not a
season) and brought a positive total. Months hidden by disclosure control (NaN) disqualify a year:
the profile is learnt from published figures only.

The profile pools the years: month m's share is the years' total for m over the years' grand total
(a large year weighs more, as in a Poisson model with a year and a month effect).

What it must not do: judge a stock (a level has no season to share out) or read a database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from analysis.fiscal import fy_label, fy_months, parse_fy

MONTHS = 12
MIN_YEARS = 2  # fewer complete earlier years than this: the straight line, and no chance figure
MAX_YEARS = 3  # the latest three: delivery changes, so older years say less about this one
STRAIGHT_LINE = "straight line"


@dataclass(frozen=True)
class SeasonalProfile:
    """The earlier years a profile was learnt from, their months (April first) and the pooled shares."""

    years: tuple[str, ...]  # oldest first
    months: tuple[tuple[float, ...], ...]  # each year's 12 monthly values
    shares: tuple[float, ...]  # 12 shares of the year, April first; they add up to 1

    @property
    def totals(self) -> tuple[float, ...]:
        return tuple(sum(year) for year in self.months)

    @property
    def basis(self) -> str:
        """'seasonal profile of 2022/23 – 2024/25' (or of '2020/21, 2022/23 and 2023/24' when a year in
        between did not qualify): what the expected position was judged against."""
        first, last = self.years[0], self.years[-1]
        if len(self.years) == 1:
            return f"seasonal profile of {first}"
        if parse_fy(last) - parse_fy(first) == len(self.years) - 1:
            return f"seasonal profile of {first} – {last}"
        return f"seasonal profile of {', '.join(self.years[:-1])} and {last}"

    def share_to(self, months: int) -> float:
        """The share of the year expected in its first ``months`` months (0 to 12)."""
        return float(sum(self.shares[: max(0, min(months, MONTHS))]))


def expected_basis(profile: SeasonalProfile | None) -> str:
    """The ``expected_basis`` field: the profile's years, or 'straight line'."""
    return profile.basis if profile is not None else STRAIGHT_LINE


def month_weights(profile: SeasonalProfile | None) -> tuple[float, ...]:
    """Each month's share of the year (April first): the profile's, or a twelfth each."""
    return profile.shares if profile is not None else (1.0 / MONTHS,) * MONTHS


def seasonal_profile(values: Mapping[str, float], fy: str, data_to: str, min_years: int = MIN_YEARS,
                     max_years: int = MAX_YEARS) -> SeasonalProfile | None:
    """The profile for judging financial year ``fy``, or None when too few earlier years qualify.

    ``values``: the metric's monthly values by period ('YYYY-MM') within the view's filters, as
    published (a hidden count NaN); a month with no row counts as not reported. Only years that ended
    by ``data_to`` are complete.
    """
    chosen: list[tuple[str, tuple[float, ...]]] = []
    start = parse_fy(fy) - 1
    oldest = min((p for p in values), default="")
    while len(chosen) < max_years and oldest and fy_months(fy_label(start))[-1] >= oldest:
        label = fy_label(start)
        months = fy_months(label)
        start -= 1
        if months[-1] > data_to or any(mo not in values for mo in months):
            continue
        year = tuple(float(values[mo]) for mo in months)
        if any(math.isnan(v) for v in year) or sum(year) <= 0 or min(year) < 0:
            continue
        chosen.append((label, year))
    if len(chosen) < min_years:
        return None
    chosen.reverse()
    grand = sum(sum(year) for _label, year in chosen)
    shares = tuple(sum(year[m] for _label, year in chosen) / grand for m in range(MONTHS))
    return SeasonalProfile(tuple(label for label, _y in chosen), tuple(year for _l, year in chosen), shares)
