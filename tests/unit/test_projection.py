"""Year-end projection: known answers worked by hand from the method in analysis/projection.py."""

from __future__ import annotations

import math

import pytest

from analysis.projection import project_year_end, z_value


def test_z_values_are_the_usual_normal_quantiles() -> None:
    assert z_value(0.90) == pytest.approx(1.6449, abs=1e-4)
    assert z_value(0.95) == pytest.approx(1.9600, abs=1e-4)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_run_rate_and_interval_worked_example() -> None:
    # 10, 20, 30: total 60, mean 20, sample variance 100 (> Poisson floor 20); 9 months to go.
    p = project_year_end([10, 20, 30])
    assert (p.so_far, p.months_elapsed, p.months_remaining) == (60, 3, 9)
    assert p.projected == pytest.approx(240)  # 60 + 9 * 20
    # variance 9 * 100 + 81 * 100 / 3 = 3600, sd 60; 90%: 240 -/+ 1.6449 * 60 = 98.69
    assert p.standard_error == pytest.approx(60)
    assert p.low == pytest.approx(240 - 98.691, abs=1e-2)
    assert p.high == pytest.approx(240 + 98.691, abs=1e-2)


def test_poisson_floor_for_counts_that_happen_to_be_steady() -> None:
    # Six identical months of 10 people: sample variance 0, so the Poisson variance (the mean, 10) is used.
    p = project_year_end([10] * 6)
    assert p.projected == pytest.approx(120)
    # variance 6 * 10 + 36 * 10 / 6 = 120
    assert p.standard_error == pytest.approx(math.sqrt(120))
    # Hours are not counts: no floor, so a perfectly steady run has no spread.
    hours = project_year_end([10] * 6, counts=False)
    assert hours.low == hours.high == pytest.approx(120)


def test_lower_end_never_below_what_is_already_counted() -> None:
    # One lumpy month (grants): 0, 0, 60: mean 20, variance 1200; the normal interval would go below 60.
    p = project_year_end([0, 0, 60], counts=False)
    assert p.projected == pytest.approx(240)
    assert p.low == 60


def test_single_month_uses_poisson_variance() -> None:
    p = project_year_end([12])
    # mean 12, variance floor 12; 11 months: 11 * 12 + 121 * 12 / 1 = 1584
    assert p.projected == pytest.approx(12 * 12)
    assert p.standard_error == pytest.approx(math.sqrt(1584))


def test_complete_year_has_no_spread_and_no_months_is_none() -> None:
    p = project_year_end([5] * 12)
    assert p.months_remaining == 0
    assert p.projected == p.low == p.high == 60
    assert project_year_end([]) is None
    with pytest.raises(ValueError):
        project_year_end([1] * 13)


def test_path_through_the_remaining_months() -> None:
    p = project_year_end([10, 20, 30])
    assert p.at(0) == (60, 60, 60)
    centre, low, high = p.at(3)  # 3 months on: 60 + 3 * 20; variance 3 * 100 + 9 * 100 / 3 = 600
    assert centre == pytest.approx(120)
    assert high - centre == pytest.approx(z_value(0.9) * math.sqrt(600))
    assert p.at(99) == p.at(9)  # never beyond the year end


def test_latest_metric_is_a_random_walk_with_drift() -> None:
    # Levels 100, 120, 110, 130: changes 20, -10, 20 (mean 10, variance 300); 8 months to go.
    p = project_year_end([100, 120, 110, 130], aggregation="latest")
    assert p.so_far == 130
    assert p.projected == pytest.approx(210)  # 130 + 8 * 10
    # variance 8 * 300 + 64 * 300 / 3 = 8800
    assert p.standard_error == pytest.approx(math.sqrt(8800))
    steady = project_year_end([100, 110, 120, 130], aggregation="latest")
    assert steady.projected == steady.low == steady.high == pytest.approx(210)


def test_latest_level_low_end_is_not_negative() -> None:
    p = project_year_end([50, 10], aggregation="latest")  # falling fast: drift -40 a month
    assert p.projected == pytest.approx(10 - 40 * 10)
    assert p.low == 0


def test_chance_of_reaching_target() -> None:
    p = project_year_end([10, 20, 30])  # projected 240, sd 60
    assert p.chance_of_reaching(240) == pytest.approx(0.5)
    assert p.chance_of_reaching(240 - 60 * 1.6449) == pytest.approx(0.95, abs=1e-3)
    assert p.chance_of_reaching(None) is None
    done = project_year_end([5] * 12)
    assert done.chance_of_reaching(60) == 1.0 and done.chance_of_reaching(61) == 0.0


def test_bad_aggregation_is_refused() -> None:
    with pytest.raises(ValueError):
        project_year_end([1, 2], aggregation="mean")
