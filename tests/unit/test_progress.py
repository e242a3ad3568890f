"""Targets for a view (analysis.progress): flows are pro-rated by months, stocks are a level.

A flow (aggregation ``sum``, e.g. people engaged) delivered over a quarter is measured against a
quarter of its annual target. A stock (aggregation ``latest``, e.g. an active caseload) with a
target of 100 should stand at 100 whenever it is looked at, so a quarter view's target is 100, and
status is judged against it, not against a share for the months elapsed.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.fiscal import fy_months
from analysis.progress import KpiPeriod, kpi_table

YEAR = fy_months("2025/26")  # 2025-04 .. 2026-03


def _targets(first: str, last: str, annual: object, aggregation: str = "sum", data_to: str = "2026-03") -> tuple:
    return KpiPeriod(first, last, data_to, YEAR).targets(annual, aggregation)


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("2025-04", "2025-06", 25.0),  # Q1: a quarter of the year
    ("2025-10", "2025-12", 25.0),  # Q3
    ("2025-04", "2026-03", 100.0),  # the whole year
    ("2025-04", "2025-04", 100 / 12),  # one month
])
def test_flow_target_is_pro_rata_by_months(first: str, last: str, expected: float) -> None:
    assert _targets(first, last, 100.0)[0] == pytest.approx(expected)


def test_a_view_across_31_march_counts_each_month_against_its_own_year() -> None:
    # October 2024 to September 2025: six months of 2024/25 (target 200) and six of 2025/26 (target 400):
    # 200 x 6/12 + 400 x 6/12 = 300, not the first year's 200 (the earlier rule) nor 400.
    whole, to_date = _targets("2024-10", "2025-09", {"2024/25": 200.0, "2025/26": 400.0}, data_to="2025-06")
    assert whole == pytest.approx(300.0)
    assert to_date == pytest.approx(200 * 6 / 12 + 400 * 3 / 12)  # data run to June 2025: 100 + 100 = 200
    # Without a target for one of the years, the view has none (half a target would mislead).
    assert _targets("2024-10", "2025-09", {"2025/26": 400.0}) == (None, None)


def test_targets_so_far_follow_the_months_with_data() -> None:
    assert _targets("2025-04", "2026-03", 120.0, data_to="2025-09") == pytest.approx((120.0, 60.0))


@pytest.mark.parametrize(("first", "last"), [
    ("2025-04", "2025-06"),  # Q1
    ("2026-01", "2026-03"),  # Q4
    ("2025-04", "2026-03"),  # the whole year
    ("2025-09", "2025-09"),  # one month
])
def test_stock_target_is_the_annual_level_for_any_view_in_the_year(first: str, last: str) -> None:
    assert _targets(first, last, 100.0, "latest") == (100.0, 100.0)
    assert _targets(first, last, 100.0, "cumulative") == (100.0, 100.0)


def test_a_stock_is_judged_against_the_level_of_the_year_it_is_read_in() -> None:
    # Read at June 2026 (2026/27): the 2025/26 level does not apply; the 2026/27 one does.
    assert _targets("2025-10", "2026-06", {"2025/26": 100.0}, "latest", "2026-06") == (None, None)
    assert _targets("2025-10", "2026-06", {"2025/26": 100.0, "2026/27": 80.0}, "latest", "2026-06") == (80.0, 80.0)


@pytest.mark.parametrize("aggregation", ["sum", "latest"])
def test_no_annual_target_gives_no_target(aggregation: str) -> None:
    assert _targets("2025-04", "2025-06", None, aggregation) == (None, None)
    assert _targets("2025-04", "2025-06", math.nan, aggregation) == (None, None)


def _info() -> pd.DataFrame:
    return pd.DataFrame([
        {"metric_code": "FLOW", "name": "People engaged", "unit": "people", "aggregation": "sum",
         "priority_code": "P3", "higher_is_better": True},
        {"metric_code": "STOCK", "name": "Active caseload", "unit": "people", "aggregation": "latest",
         "priority_code": "P3", "higher_is_better": True},
    ])


def _monthly() -> pd.DataFrame:
    # Q1 2025/26: the flow delivers 10 a month (30 in the quarter); the caseload stands at 90, 95, 96.
    rows = [{"metric_code": "FLOW", "period": mo, "value": 10.0} for mo in YEAR[:3]]
    rows += [{"metric_code": "STOCK", "period": mo, "value": v} for mo, v in zip(YEAR[:3], (90.0, 95.0, 96.0),
                                                                                 strict=True)]
    return pd.DataFrame(rows)


def _table(first: str, last: str, data_to: str) -> pd.DataFrame:
    targets = pd.DataFrame({"metric_code": ["FLOW", "STOCK"], "target_value": [120.0, 100.0]})
    return kpi_table(_monthly(), _info(), targets, first, last, data_to, YEAR).set_index("metric_code")


def test_kpi_table_quarter_view_stock_keeps_its_annual_target() -> None:
    table = _table("2025-04", "2025-06", "2025-06")
    stock, flow = table.loc["STOCK"], table.loc["FLOW"]
    assert stock["value"] == 96.0  # the last month's level, not a sum
    assert stock["target"] == 100.0 and stock["expected"] == 100.0
    assert stock["share"] == pytest.approx(0.96)
    assert stock["status"] == "on track"  # 96 of 100
    assert flow["value"] == 30.0
    assert flow["target"] == pytest.approx(30.0) and flow["expected"] == pytest.approx(30.0)  # a quarter of 120
    assert flow["share"] == pytest.approx(1.0)
    assert flow["status"] == "on track"


def test_kpi_table_stock_expected_is_not_pro_rated_by_months_elapsed() -> None:
    # Year view with data to June (3 of 12 months): a flow is expected at a quarter of its target,
    # a stock at its full target level.
    table = _table("2025-04", "2026-03", "2025-06")
    stock, flow = table.loc["STOCK"], table.loc["FLOW"]
    assert flow["target"] == pytest.approx(120.0) and flow["expected"] == pytest.approx(30.0)
    assert stock["target"] == 100.0 and stock["expected"] == 100.0
    assert stock["status"] == "on track"


def test_kpi_table_stock_below_its_level_is_off_track_whatever_the_view() -> None:
    # 60 on a caseload target of 100: off track, where pro-rating the target to a quarter (25)
    # would have called it far ahead.
    monthly = _monthly()
    monthly.loc[monthly["metric_code"] == "STOCK", "value"] = 60.0
    targets = pd.DataFrame({"metric_code": ["FLOW", "STOCK"], "target_value": [120.0, 100.0]})
    table = kpi_table(monthly, _info(), targets, "2025-04", "2025-06", "2025-06", YEAR).set_index("metric_code")
    assert table.loc["STOCK", "target"] == 100.0
    assert table.loc["STOCK", "status"] == "off track"
