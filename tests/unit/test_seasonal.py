"""Seasonal profiles and the expected position they give: known answers on hand-made series."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.fiscal import fy_months
from analysis.progress import KpiPeriod, kpi_table
from analysis.seasonal import expected_basis, seasonal_profile

RISING = [10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40]  # 300 a year: 30 in Q1, 90 by September


def _years(*years: tuple[str, list[float]]) -> dict[str, float]:
    values: dict[str, float] = {}
    for fy, months in years:
        values.update(zip(fy_months(fy), (float(v) for v in months), strict=True))
    return values


def test_profile_pools_the_latest_complete_years() -> None:
    # 2022/23 flat (25 a month), 2023/24 and 2024/25 RISING: pooled April share (25 + 10 + 10) / 900 = 0.05.
    values = _years(("2022/23", [25] * 12), ("2023/24", RISING), ("2024/25", RISING))
    profile = seasonal_profile(values, "2025/26", "2025-09")
    assert profile.years == ("2022/23", "2023/24", "2024/25")
    assert profile.shares[0] == pytest.approx(45 / 900)
    assert sum(profile.shares) == pytest.approx(1)
    assert expected_basis(profile) == "seasonal profile of 2022/23 – 2024/25"
    # At most the latest three years: a fourth, older year is not used.
    older = seasonal_profile({**values, **_years(("2021/22", [1] * 12))}, "2025/26", "2025-09")
    assert older.years == profile.years


def test_years_that_do_not_qualify() -> None:
    # A year with a missing month (the series started late), one with a hidden count (NaN) and a year
    # with nothing counted teach no season: with one good year left there is no profile.
    late = _years(("2023/24", RISING))
    del late["2023-04"]
    hidden = _years(("2022/23", [math.nan] + RISING[1:]))
    zero = _years(("2021/22", [0] * 12))
    assert seasonal_profile({**late, **hidden, **zero, **_years(("2024/25", RISING))}, "2025/26", "2025-09") is None
    assert expected_basis(None) == "straight line"
    # A year that has not ended by the data's last month is not complete.
    assert seasonal_profile(_years(("2023/24", RISING), ("2024/25", RISING)), "2025/26", "2025-02") is None
    # A year skipped in between is named: the basis lists the years used.
    gap = seasonal_profile({**_years(("2021/22", RISING), ("2023/24", RISING)), **hidden}, "2024/25", "2024-09")
    assert gap.basis == "seasonal profile of 2021/22 and 2023/24"


def test_expected_position_follows_the_profile() -> None:
    # Target 600 for 2025/26, data to June. On the profile the first quarter brings a tenth: expected 60;
    # the straight line would expect 150. The whole year's target stays 600 either way.
    profile = seasonal_profile(_years(("2023/24", RISING), ("2024/25", RISING)), "2025/26", "2025-06")
    view = KpiPeriod("2025-04", "2026-03", "2025-06", fy_months("2025/26"))
    assert view.targets({"2025/26": 600.0}, "sum", profile) == (pytest.approx(600), pytest.approx(60))
    assert view.targets({"2025/26": 600.0}, "sum") == (pytest.approx(600), pytest.approx(150))


def _table(history_years: list[str], this_year: list[float], target: float) -> pd.DataFrame:
    rows = [(fy, mo, v) for fy in history_years for mo, v in zip(fy_months(fy), RISING, strict=True)]
    rows += [("2025/26", mo, v) for mo, v in zip(fy_months("2025/26"), this_year, strict=False)]
    monthly = pd.DataFrame([("M", mo, float(v)) for _fy, mo, v in rows], columns=["metric_code", "period", "value"])
    info = pd.DataFrame([("M", "Measure", "people", "sum", "P1", True)],
                        columns=["metric_code", "name", "unit", "aggregation", "priority_code", "higher_is_better"])
    targets = pd.DataFrame({"metric_code": ["M"], "financial_year": ["2025/26"], "target_value": [target]})
    months = fy_months("2025/26")
    return kpi_table(monthly, info, targets, months[0], months[-1], "2025-06", months, history=monthly)


def test_status_is_judged_against_the_seasonal_expected_position() -> None:
    # Two earlier years of RISING; this year 20, 20, 20 against a target of 600. Seasonal: expected 60,
    # value 60 -> on track (the projection, 60 / 0.1 = 600, says the same). On the straight line the
    # expected 150 would have said off track (40%) beside a projection of exactly the target.
    row = _table(["2023/24", "2024/25"], [20, 20, 20], 600).iloc[0]
    assert row["expected"] == pytest.approx(60) and row["status"] == "on track"
    assert row["expected_basis"] == "seasonal profile of 2023/24 – 2024/25"
    assert row["share_to_date"] == pytest.approx(1.0) and row["share"] == pytest.approx(0.1)


def test_one_earlier_year_is_judged_on_the_straight_line() -> None:
    # One earlier year only: expected 600 x 3/12 = 150, value 60 -> off track (40%), basis straight line.
    row = _table(["2024/25"], [20, 20, 20], 600).iloc[0]
    assert row["expected"] == pytest.approx(150) and row["status"] == "off track"
    assert row["expected_basis"] == "straight line"
