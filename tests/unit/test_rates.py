"""Rates per 1,000 residents and the county roll-up: known answers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.rates import AREA_COLUMNS, area_table, rate_per

AREAS = pd.DataFrame([
    ("E10000012", "Essex", "county", "", 1_000_000),  # population in the file; the roll-up recomputes it
    ("E07000066", "Basildon", "district", "E10000012", 200_000),
    ("E07000074", "Maldon", "district", "E10000012", 50_000),
    ("E06000033", "Southend-on-Sea", "unitary", "", 180_000),
], columns=["area_code", "area_name", "area_type", "parent_code", "population"])


def test_rate_per_thousand() -> None:
    assert rate_per(50, 200_000) == pytest.approx(0.25)  # 50 / 200,000 * 1,000
    assert rate_per(3, 1_500, per=100_000) == pytest.approx(200)
    assert math.isnan(rate_per(5, 0))
    assert math.isnan(rate_per(None, 100))
    assert math.isnan(rate_per(float("nan"), 100))


def test_county_is_the_sum_of_its_districts() -> None:
    values = pd.DataFrame({"area_code": ["E07000066", "E07000074", "E06000033"], "value": [50.0, 25.0, 9.0]})
    t = area_table(values, AREAS).set_index("area_code")
    assert list(area_table(values, AREAS).columns) == AREA_COLUMNS
    assert t.loc["E10000012", "value"] == 75  # 50 + 25
    assert t.loc["E10000012", "population"] == 250_000  # 200,000 + 50,000, not the file's 1,000,000
    assert t.loc["E10000012", "rate"] == pytest.approx(0.3)  # pooled: 75 / 250,000 * 1,000
    assert t.loc["E07000074", "rate"] == pytest.approx(0.5)  # 25 / 50,000 * 1,000
    assert t.loc["E06000033", "rate"] == pytest.approx(0.05)  # 9 / 180,000 * 1,000


def test_missing_areas_count_zero_and_order_puts_districts_under_the_county() -> None:
    values = pd.DataFrame({"area_code": ["E07000074"], "value": [4.0]})
    t = area_table(values, AREAS)
    assert list(t["area_code"]) == ["E10000012", "E07000066", "E07000074", "E06000033"]
    assert list(t["value"]) == [4.0, 0.0, 4.0, 0.0]


def test_total_row_sums_the_top_level_areas() -> None:
    values = pd.DataFrame({"area_code": ["E07000066", "E06000033"], "value": [10.0, 20.0]})
    t = area_table(values, AREAS, total_label="All areas")
    total = t.iloc[-1]
    assert total["area_code"] == "TOTAL" and total["value"] == 30  # county 10 + Southend 20
    assert total["population"] == 430_000  # 250,000 + 180,000
    assert total["rate"] == pytest.approx(30 / 430_000 * 1000)


def test_empty_values() -> None:
    t = area_table(pd.DataFrame(columns=["area_code", "value"]), AREAS)
    assert t["value"].sum() == 0 and len(t) == 4
