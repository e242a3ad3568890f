"""The array-based KPI building blocks (analysis.progress) with known answers, and the proof that they
give exactly what the frame-based code gave: the projects grid builds hundreds of small tables with
them, so a figure must not move in the last bit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.fiscal import fy_months
from analysis.funding import delivery_of_rows, delivery_summary, totals_by_project
from analysis.progress import (
    KPI_COLUMNS,
    KpiPeriod,
    MetricMonths,
    aggregate,
    by_key_and_metric,
    by_metric,
    kpi_table,
)

YEAR = fy_months("2024/25")


def _frame_sum(rows: pd.DataFrame) -> float:
    """What aggregate() did on a frame for a summed metric (the reference)."""
    return float(rows["value"].sum())


def _frame_latest(rows: pd.DataFrame) -> float:
    """What aggregate() did on a frame for a ``latest`` metric (the reference)."""
    return float(rows.groupby("period")["value"].sum().sort_index().iloc[-1])


def test_sum_and_latest_known_answers() -> None:
    months = MetricMonths.of(["2024-04", "2024-05", "2024-06"], np.array([10.0, 20.0, 5.0]))
    assert aggregate(months, "sum") == 35.0
    assert aggregate(months, "latest") == 5.0  # the last month's level
    assert aggregate(months.between("2024-05"), "sum") == 25.0
    assert aggregate(months.between("", "2024-05"), "latest") == 20.0
    assert months.between("2025-01").empty and aggregate(months.between("2025-01"), "sum") == 0.0


def test_nan_counts_as_nothing_like_pandas() -> None:
    months = MetricMonths.of(["2024-04", "2024-05"], np.array([4.0, math.nan]))
    assert aggregate(months, "sum") == 4.0
    assert aggregate(months, "latest") == 0.0  # a groupby sum of one missing value is 0


def test_rows_out_of_month_order_and_several_rows_in_a_month() -> None:
    frame = pd.DataFrame({"period": ["2024-06", "2024-04", "2024-06", "2024-05"],
                          "value": [0.1, 0.2, 0.7, 0.3]})
    months = MetricMonths.of_frame(frame)
    assert not months.in_order
    assert aggregate(months, "latest") == _frame_latest(frame) == pytest.approx(0.8)
    assert aggregate(months, "sum") == _frame_sum(frame)
    may_on = months.between("2024-05")
    assert may_on.periods == ["2024-06", "2024-06", "2024-05"]  # row order kept
    assert aggregate(may_on, "sum") == _frame_sum(frame[frame["period"] >= "2024-05"])


def test_same_bits_as_the_frame_code_on_awkward_decimals() -> None:
    # Pairwise summation kicks in from 8 values: the array sum must add them exactly as pandas did.
    rng = np.random.default_rng(7)
    periods = [f"2023-{m:02d}" for m in range(1, 13)] + [f"2024-{m:02d}" for m in range(1, 13)]
    frame = pd.DataFrame({"period": periods, "value": rng.uniform(0, 50, len(periods)).round(1) / 3})
    months = MetricMonths.of_frame(frame)
    for first, last in (("", ""), ("2023-04", "2024-03"), ("2023-02", "2024-11")):
        sub = frame[(frame["period"] >= (first or "0")) & (frame["period"] <= (last or "9"))]
        assert aggregate(months.between(first, last), "sum") == _frame_sum(sub)
        assert aggregate(months.between(first, last), "latest") == _frame_latest(sub)


def test_split_by_metric_and_by_project() -> None:
    monthly = pd.DataFrame({
        "metric_code": ["A", "A", "B", "A", "B"],
        "period": ["2024-04", "2024-05", "2024-04", "2024-04", "2024-05"],
        "project_code": ["P1", "P1", "P1", "P2", "P2"],
        "value": [1.0, 2.0, 3.0, 4.0, 5.0],
    })
    split = by_key_and_metric(monthly, "project_code")
    assert set(split) == {"P1", "P2"} and set(split["P1"]) == {"A", "B"} and set(split["P2"]) == {"A", "B"}
    assert split["P1"]["A"].periods == ["2024-04", "2024-05"] and list(split["P1"]["A"].values) == [1.0, 2.0]
    assert list(split["P2"]["B"].values) == [5.0]
    assert list(by_metric(monthly)["A"].values) == [1.0, 2.0, 4.0]  # every project, row order
    assert by_metric(monthly.iloc[0:0]) == {}


def _info() -> pd.DataFrame:
    return pd.DataFrame([
        {"metric_code": "FLOW", "name": "People engaged", "unit": "people", "aggregation": "sum",
         "priority_code": "P3", "higher_is_better": True},
        {"metric_code": "STOCK", "name": "Active caseload", "unit": "people", "aggregation": "latest",
         "priority_code": "P3", "higher_is_better": True},
        {"metric_code": "NONE", "name": "Never reported", "unit": "events", "aggregation": "sum",
         "priority_code": "P1", "higher_is_better": True},
    ])


def _monthly() -> pd.DataFrame:
    # 2023/24 and Q1-Q2 2024/25: the flow delivers 10 a month, the caseload stands at 40 then 50.
    periods = fy_months("2023/24") + YEAR[:6]
    rows = [{"metric_code": "FLOW", "period": mo, "value": 10.0} for mo in periods]
    rows += [{"metric_code": "STOCK", "period": mo, "value": 40.0 if mo < "2024-04" else 50.0} for mo in periods]
    return pd.DataFrame(rows)


def test_kpi_period_rows_known_answers_and_equal_to_kpi_table() -> None:
    targets = {"FLOW": 120.0, "STOCK": 60.0}
    view = KpiPeriod("2024-04", "2025-03", "2024-09", YEAR)
    rows = {r["metric_code"]: r for r in view.rows(by_metric(_monthly()), _info().itertuples(index=False), targets)}
    flow, stock, none = rows["FLOW"], rows["STOCK"], rows["NONE"]
    assert flow["value"] == 60.0 and flow["target"] == 120.0 and flow["expected"] == 60.0  # 6 of 12 months
    assert flow["status"] == "on track" and flow["previous"] == 60.0 and flow["change_pct"] == 0.0
    assert flow["total_since_2019"] == 180.0 and (flow["months_elapsed"], flow["months_in_period"]) == (6, 12)
    assert stock["value"] == 50.0 and stock["target"] == 60.0 and stock["expected"] == 60.0
    assert stock["status"] == "at risk"  # 50 of a level of 60: 83%
    assert stock["previous"] == 40.0 and stock["change_pct"] == 25.0
    assert none["value"] == 0.0 and none["target"] is None and none["status"] == "no target"
    assert none["previous"] is None

    table = kpi_table(_monthly(), _info(), pd.DataFrame({"metric_code": list(targets),
                                                         "target_value": list(targets.values())}),
                      "2024-04", "2025-03", "2024-09", YEAR)
    pd.testing.assert_frame_equal(table[KPI_COLUMNS], pd.DataFrame(list(rows.values()), columns=KPI_COLUMNS))


def test_kpi_period_targets_are_remembered() -> None:
    view = KpiPeriod("2024-04", "2024-06", "2024-09", YEAR)
    assert view.targets(120.0, "sum") == (30.0, 30.0)  # a quarter of the year, all of it elapsed
    assert view.targets(120.0, "sum") == (30.0, 30.0)  # remembered, same answer
    assert view.targets(120.0, "latest") == (120.0, 120.0)  # a level, whatever the view
    assert view.targets(math.nan, "sum") == (None, None)


def test_delivery_of_rows_is_delivery_summary() -> None:
    rows = [
        {"metric_code": "X", "value": 50.0, "target": 100.0, "expected": 50.0, "higher_is_better": True},
        {"metric_code": "Y", "value": 30.0, "target": 100.0, "expected": 50.0, "higher_is_better": True},
        {"metric_code": "Z", "value": 7.0, "target": None, "expected": None, "higher_is_better": True},
        {"metric_code": "W", "value": 4.0, "target": 10.0, "expected": 5.0, "higher_is_better": False},
    ]
    # Against the targets so far (Z has none): 1.0, 0.6 and 5/4 = 1.25 (W: lower is better): mean 0.95, 95%, on track.
    assert delivery_of_rows(rows) == {"delivery_pct": 95.0, "delivery_status": "on track", "metrics_with_target": 3,
                                      "delivery_basis": None}  # these rows say nothing of their basis
    assert delivery_of_rows(rows) == delivery_summary(pd.DataFrame(rows))
    assert delivery_of_rows([]) == delivery_summary(pd.DataFrame()) == {
        "delivery_pct": None, "delivery_status": "no target", "metrics_with_target": 0, "delivery_basis": None}


def test_totals_by_project() -> None:
    frame = pd.DataFrame({"project_code": ["A", "B", "A"], "awarded_gbp": [100.0, 50.0, 25.5]})
    assert totals_by_project(frame, "awarded_gbp") == {"A": 125.5, "B": 50.0}
    assert totals_by_project(frame.iloc[0:0], "awarded_gbp") == {}
