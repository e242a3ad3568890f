"""Year-end projection: known answers worked by hand from the method in analysis/projection.py."""

from __future__ import annotations

import math

import pytest

from analysis.fiscal import fy_months
from analysis.projection import SEASONAL, STRAIGHT, project_year_end, t_value, z_value
from analysis.seasonal import seasonal_profile

RISING = [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]  # 300 a year: a tenth in Q1, 40% in Q4


def _years(*years: tuple[str, list[float]]) -> dict[str, float]:
    values: dict[str, float] = {}
    for fy, months in years:
        values.update(zip(fy_months(fy), (float(v) for v in months), strict=True))
    return values


def _grants(july: float, january: float) -> list[float]:
    year = [0.0] * 12
    year[3], year[9] = july, january  # paid in July and January
    return year


def test_z_and_t_values_are_the_usual_quantiles() -> None:
    assert z_value(0.90) == pytest.approx(1.6449, abs=1e-4)
    assert z_value(0.95) == pytest.approx(1.9600, abs=1e-4)
    assert t_value(0.90, 13) == pytest.approx(1.7709, abs=1e-4)
    assert t_value(0.90, math.inf) == z_value(0.90)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_two_identical_earlier_years_give_the_projection_exactly() -> None:
    # Two earlier years of RISING: the first three months bring 30 of 300 (F = 0.1). This year 10, 10, 10:
    # the year's level is 30 / 0.1 = 300, so the projection is exactly 300 (the straight line says 120).
    profile = seasonal_profile(_years(("2023/24", RISING), ("2024/25", RISING)), "2025/26", "2025-06")
    p = project_year_end([10, 10, 10], profile=profile)
    assert (p.method, p.basis) == (SEASONAL, "seasonal profile of 2023/24 – 2024/25")
    assert p.projected == pytest.approx(300)
    assert project_year_end([10, 10, 10]).projected == pytest.approx(120)
    # Identical years: no overdispersion to see, so phi is floored at 1 (Poisson). Variance at the year end:
    # 300 x 0.9 (months to come) + 0.81 x 300 / 0.1 (the level's error) + 300^2 x 0.81 / 600 x (1/0.9 + 1/0.1)
    # (the profile's error, 600 counted in the profile years) = 270 + 2430 + 1350 = 4050; t with
    # (2 - 1) x (12 - 1) + (3 - 1) = 13 degrees of freedom: 300 -/+ 1.7709 x 63.64 = 187.3 to 412.7.
    assert p.standard_error ** 2 == pytest.approx(4050)
    assert p.df == pytest.approx(13)
    assert (p.low, p.high) == (pytest.approx(187.30, abs=0.01), pytest.approx(412.70, abs=0.01))
    assert p.chance_of_reaching(300) == pytest.approx(0.5)
    assert p.no_chance_reason == ""


def test_after_q1_grants_project_from_the_earlier_years_not_zero() -> None:
    # Grants paid in July and January: 40k + 60k and 50k + 70k in the two earlier years. After Q1 nothing
    # has been paid (F = 0): the year is judged by the earlier years' mean total, 110,000, not "0 (0-0)".
    profile = seasonal_profile(_years(("2023/24", _grants(40000, 60000)), ("2024/25", _grants(50000, 70000))),
                               "2025/26", "2025-06")
    assert profile.share_to(3) == 0 and profile.share_to(4) == pytest.approx(90 / 220)
    p = project_year_end([0, 0, 0], counts=False, profile=profile)
    assert p.projected == pytest.approx(110000)
    assert 0 < p.low < 110000 < p.high  # two years teach little: wide, never zero width
    # The year's total varies as the earlier totals did (100k, 120k: variance 2e8), and the mean of two
    # totals has its own error: 2e8 x (1 + 1/2) = 3e8, the textbook prediction variance. The months' own
    # noise (phi = 62.7 from the uneven July/January split, x 110,000) is inside that spread, not added
    # to it again: counted twice it made lumpy grants cover 96% for a nominal 90% (bench/projection.py).
    assert p.standard_error ** 2 == pytest.approx(3e8)
    assert p.chance_of_reaching(100000) is not None


def test_one_earlier_year_is_the_straight_line_with_no_chance() -> None:
    # One complete earlier year is too little to learn a season from: the run rate, and no chance figure.
    values = _years(("2024/25", RISING))
    assert seasonal_profile(values, "2025/26", "2025-06") is None
    p = project_year_end([10, 10, 10], profile=None)
    assert (p.method, p.basis) == (STRAIGHT, "straight line")
    assert p.projected == pytest.approx(120)  # 30 + 9 x 10
    assert p.chance_of_reaching(300) is None
    assert "fewer than two complete earlier years" in p.no_chance_reason


def test_run_rate_and_interval_worked_example() -> None:
    # 10, 20, 30: total 60, mean 20, sample variance 100 (> the floor 20); 9 months to go.
    p = project_year_end([10, 20, 30])
    assert (p.so_far, p.months_elapsed, p.months_remaining) == (60, 3, 9)
    assert p.projected == pytest.approx(240)  # 60 + 9 * 20
    # variance 9 * 100 + 81 * 100 / 3 = 3600, sd 60; t with 2 degrees of freedom (2.920): 240 -/+ 175.2
    assert p.standard_error == pytest.approx(60)
    assert p.df == 2
    assert p.low == pytest.approx(240 - 2.91999 * 60, abs=1e-2)
    assert p.high == pytest.approx(240 + 2.91999 * 60, abs=1e-2)


def test_steady_months_are_floored_at_poisson_variation() -> None:
    # Six identical months of 10: sample variance 0, so the Poisson variance (the mean, 10) is used, with
    # the normal quantile (the variance is not estimated). Never a zero-width interval.
    p = project_year_end([10] * 6)
    assert p.projected == pytest.approx(120)
    assert p.standard_error == pytest.approx(math.sqrt(6 * 10 + 36 * 10 / 6))
    assert math.isinf(p.df) and p.high > p.low


def test_nothing_counted_and_no_history_is_no_projection() -> None:
    assert project_year_end([0, 0, 0], counts=False) is None  # not "0 (0-0)"
    assert project_year_end([]) is None


def test_lower_end_never_below_what_is_already_counted() -> None:
    p = project_year_end([0, 0, 60], counts=False)
    assert p.projected == pytest.approx(240)
    assert p.low == 60


def test_complete_year_has_no_spread() -> None:
    p = project_year_end([5] * 12)
    assert p.months_remaining == 0
    assert p.projected == p.low == p.high == 60
    with pytest.raises(ValueError):
        project_year_end([1] * 13)


def test_path_through_the_remaining_months() -> None:
    p = project_year_end([10, 20, 30])
    assert p.at(0) == (60, 60, 60)
    centre, _low, high = p.at(3)  # 3 months on: 60 + 3 * 20; variance 3 * 100 + 9 * 100 / 3 = 600
    assert centre == pytest.approx(120)
    assert high - centre == pytest.approx(t_value(0.9, 2) * math.sqrt(600))
    assert p.at(99) == p.at(9)  # never beyond the year end
    profile = seasonal_profile(_years(("2023/24", RISING), ("2024/25", RISING)), "2025/26", "2025-06")
    seasonal = project_year_end([10, 10, 10], profile=profile)
    assert seasonal.at(3)[0] == pytest.approx(90)  # Q2 brings 60 of 300 on the profile


def test_latest_metric_is_a_random_walk_with_drift_and_no_chance() -> None:
    # Levels 100, 120, 110, 130: changes 20, -10, 20 (mean 10, variance 300); 8 months to go.
    p = project_year_end([100, 120, 110, 130], aggregation="latest")
    assert p.so_far == 130
    assert p.projected == pytest.approx(210)  # 130 + 8 * 10
    assert p.standard_error == pytest.approx(math.sqrt(8 * 300 + 64 * 300 / 3))
    assert p.chance_of_reaching(200) is None and "level" in p.no_chance_reason
    steady = project_year_end([100, 110, 120, 130], aggregation="latest")
    assert steady.projected == pytest.approx(210) and steady.high > steady.low  # never zero width for counts


def test_latest_level_low_end_is_not_negative() -> None:
    p = project_year_end([50, 10], aggregation="latest")  # falling fast: drift -40 a month
    assert p.projected == pytest.approx(10 - 40 * 10)
    assert p.low == 0


def test_bad_aggregation_is_refused() -> None:
    with pytest.raises(ValueError):
        project_year_end([1, 2], aggregation="mean")
