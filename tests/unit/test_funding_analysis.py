"""analysis.funding with hand-worked answers: quarters active, run-rate forecasts, flags, allocation,
cost per outcome, delivery against target and yearly values."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analysis.funding import (
    FLAG_NO_GRANT,
    FLAG_NOT_STARTED,
    FLAG_OK,
    FLAG_OVER,
    FLAG_UNDER,
    active_quarters,
    allocation_table,
    choose_outcome_metric,
    classify,
    cost_per_outcome,
    delivery_summary,
    forecast_table,
    forecast_totals,
    quarterly_spend,
    quarters_reported,
    run_rate_forecast,
    spend_profile,
    yearly_values,
)

INFO = pd.DataFrame({
    "metric_code": ["YP_ENGAGED", "IND_SUPPORTED", "ACTIVE_CASELOAD", "GRANTS_GBP", "ORGS_FUNDED", "COMMUNITY_EVENTS"],
    "name": ["Young people engaged", "Individuals supported", "Active caseload", "Grants", "Orgs funded", "Events"],
    "unit": ["people", "people", "people", "gbp", "organisations", "events"],
    "aggregation": ["sum", "sum", "latest", "sum", "latest", "sum"],
})


def _projects(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_code", "project_name", "start_date", "end_date"])


def test_active_quarters_whole_year_late_start_and_early_end() -> None:
    assert active_quarters(date(2019, 4, 1), None, "2022/23") == [1, 2, 3, 4]
    # Starts 15 August 2022 (Q2), ends 10 January 2023 (Q4): active in Q2, Q3, Q4.
    assert active_quarters(date(2022, 8, 15), date(2023, 1, 10), "2022/23") == [2, 3, 4]
    # Ended before the year began: no quarter.
    assert active_quarters(date(2019, 4, 1), date(2021, 3, 31), "2022/23") == []


def test_run_rate_is_spend_to_date_over_quarters_elapsed_times_quarters_active() -> None:
    assert run_rate_forecast(30_000, 2, 4) == 60_000  # 30k in two quarters: 15k a quarter × 4
    assert run_rate_forecast(30_000, 3, 3) == 30_000  # every active quarter elapsed: actual spend
    assert run_rate_forecast(10_000, 1, 3) == 30_000  # starts in Q2: 3 active quarters
    assert run_rate_forecast(0, 0, 4) is None


@pytest.mark.parametrize(("forecast", "grant", "flag"), [
    (89_999.0, 100_000, FLAG_UNDER),  # 10.001% under
    (90_000.0, 100_000, FLAG_OK),  # exactly 10% under is not more than 10%
    (110_000.0, 100_000, FLAG_OK),
    (110_001.0, 100_000, FLAG_OVER),
    (5_000.0, 0, FLAG_NO_GRANT),
    (None, 100_000, FLAG_NOT_STARTED),
])
def test_classify_flags_more_than_ten_percent(forecast: float | None, grant: float, flag: str) -> None:
    assert classify(forecast, grant) == flag


def test_forecast_table_known_answers() -> None:
    projects = _projects(
        ("A", "All year", date(2020, 4, 1), None),
        ("B", "From Q3", date(2022, 10, 1), None),
        ("C", "No spend yet", date(2020, 4, 1), None),
        ("D", "No grant, no spend", date(2020, 4, 1), None),
    )
    grants = pd.DataFrame({"project_code": ["A", "A", "B", "C"],
                           "awarded_gbp": [60_000.0, 20_000.0, 10_000.0, 5_000.0]})
    spend = pd.DataFrame({"project_code": ["A", "A", "B", "A"], "quarter": [1, 2, 3, 4],
                          "spend_gbp": [15_000.0, 15_000.0, 6_000.0, 99_999.0]})
    # Spend ledger runs to Q3, so A's Q4 row (a mistake) is ignored.
    table = forecast_table(projects, grants, spend, "2022/23", quarters_elapsed=3).set_index("project_code")
    assert list(table.index) == ["A", "B", "C"]  # D has neither grant nor spend
    a = table.loc["A"]
    assert a["awarded_gbp"] == 80_000  # two streams added
    assert a["spend_to_date_gbp"] == 30_000
    assert a["forecast_gbp"] == 40_000  # 30k / 3 quarters × 4
    assert a["variance_gbp"] == -40_000 and a["variance_pct"] == -50.0 and a["flag"] == FLAG_UNDER
    b = table.loc["B"]  # active Q3 and Q4, one quarter elapsed: 6k × 2 = 12k against 10k: +20%
    assert (b["quarters_active"], b["quarters_elapsed"], b["forecast_gbp"]) == (2, 1, 12_000)
    assert b["variance_pct"] == 20.0 and b["flag"] == FLAG_OVER
    c = table.loc["C"]  # nothing spent in three quarters: forecast 0, the whole grant unspent
    assert c["forecast_gbp"] == 0 and c["flag"] == FLAG_UNDER

    totals = forecast_totals(table.reset_index())
    assert totals["forecast_unspent_gbp"] == 45_000  # 40k (A) + 5k (C)
    assert totals["forecast_overspend_gbp"] == 2_000  # B
    assert (totals["underspend"], totals["overspend"], totals["projects"]) == (2, 1, 3)


def test_spend_profile_and_profile_forecast() -> None:
    history = pd.DataFrame({
        "project_code": ["A"] * 4 + ["B"] * 4 + ["C"] * 2,
        "financial_year": ["2021/22"] * 10,
        "quarter": [1, 2, 3, 4, 1, 2, 3, 4, 3, 4],
        "spend_gbp": [10.0, 20.0, 30.0, 40.0, 10.0, 20.0, 30.0, 40.0, 500.0, 500.0],
    })
    # C has only two quarters, so it is left out; A and B: 20/200, 60/200, 120/200, 200/200.
    assert spend_profile(history) == pytest.approx([0.1, 0.3, 0.6, 1.0])
    projects = _projects(("A", "All year", date(2020, 4, 1), None))
    grants = pd.DataFrame({"project_code": ["A"], "awarded_gbp": [100_000.0]})
    spend = pd.DataFrame({"project_code": ["A", "A"], "quarter": [1, 2], "spend_gbp": [12_000.0, 18_000.0]})
    row = forecast_table(projects, grants, spend, "2023/24", 2, profile=[0.1, 0.3, 0.6, 1.0]).iloc[0]
    assert row["forecast_gbp"] == 60_000 and row["flag"] == FLAG_UNDER  # run rate: 30k / 2 × 4
    assert row["profile_forecast_gbp"] == 100_000 and row["profile_flag"] == FLAG_OK  # 30k / 0.3


def test_quarters_reported_and_quarterly_spend() -> None:
    spend = pd.DataFrame({"project_code": ["A", "B", "A"], "quarter": [1, 1, 2], "spend_gbp": [100.0, 50.0, 200.0]})
    assert quarters_reported(spend) == 2
    assert quarters_reported(spend.iloc[0:0]) == 0
    q = quarterly_spend(spend, 1_000.0, "2024/25", 2)
    assert list(q["label"]) == ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    assert list(q["spend_gbp"][:2]) == [150.0, 200.0] and q["spend_gbp"][2:].isna().all()
    assert list(q["grant_share_gbp"]) == [250.0] * 4
    assert list(q["cumulative_spend_gbp"][:2]) == [150.0, 350.0]
    assert list(q["cumulative_grant_gbp"]) == [250.0, 500.0, 750.0, 1000.0]


def test_allocation_table_subtracts_grants_from_funding() -> None:
    funding = pd.DataFrame({"funding_stream": ["HO_VRU", "ECC"], "source_body": ["Home Office", "Essex CC"],
                            "financial_year": ["2022/23", "2022/23"], "amount_gbp": [1_000_000.0, 300_000.0]})
    grants = pd.DataFrame({"funding_stream": ["HO_VRU"], "financial_year": ["2022/23"], "awarded_gbp": [850_000.0],
                           "projects": [12]})
    table = allocation_table(funding, grants).set_index("funding_stream")
    assert table.loc["HO_VRU", "unallocated_gbp"] == 150_000 and table.loc["HO_VRU", "projects"] == 12
    assert table.loc["ECC", "granted_gbp"] == 0 and table.loc["ECC", "unallocated_gbp"] == 300_000


def test_choose_outcome_metric_prefers_people_and_skips_stocks_and_money() -> None:
    assert choose_outcome_metric(["YP_ENGAGED", "IND_SUPPORTED"], INFO) == "IND_SUPPORTED"
    assert choose_outcome_metric(["COMMUNITY_EVENTS", "YP_ENGAGED"], INFO) == "YP_ENGAGED"
    assert choose_outcome_metric(["GRANTS_GBP", "ORGS_FUNDED"], INFO) is None  # money and a stock
    assert choose_outcome_metric(["ACTIVE_CASELOAD"], INFO) is None


def test_cost_per_outcome_divides_spend_and_withholds_small_counts() -> None:
    projects = _projects(("A", "Big", date(2020, 4, 1), None), ("B", "Small", date(2020, 4, 1), None),
                         ("C", "Grants fund", date(2020, 4, 1), None), ("D", "Tiny", date(2020, 4, 1), None))
    grants = pd.DataFrame({"project_code": list("ABCD"), "awarded_gbp": [40_000.0, 10_000.0, 5_000.0, 8_000.0]})
    spend = pd.DataFrame({"project_code": list("ABCD"), "spend_gbp": [20_000.0, 5_000.0, 2_000.0, 4_000.0]})
    outcomes = pd.DataFrame({"project_code": ["A", "A", "B", "C", "D"],
                             "metric_code": ["YP_ENGAGED", "ACTIVE_CASELOAD", "COMMUNITY_EVENTS", "ORGS_FUNDED",
                                             "IND_SUPPORTED"],
                             # D's 3 people arrive published by the gate: hidden (NaN)
                             "value": [80.0, 30.0, 9.0, 4.0, float("nan")]})
    table = cost_per_outcome(projects, grants, spend, outcomes, INFO).set_index("project_code")
    assert table.loc["A", "cost_per_outcome_gbp"] == 250.0  # £20,000 ÷ 80 young people
    assert table.loc["A", "reliability"] == "reliable"
    assert pd.isna(table.loc["B", "cost_per_outcome_gbp"]) and table.loc["B", "outcomes"] == 9  # events: shown
    assert table.loc["B", "reliability"].startswith("too few outcomes (under 10)")
    assert table.loc["C", "reliability"] == "no countable outcome measure"
    assert pd.isna(table.loc["D", "outcomes"])  # 3 people: suppressed under disclosure control
    assert "suppressed" in table.loc["D", "reliability"]


def test_delivery_summary_mean_share_and_pro_rata_status() -> None:
    kpis = pd.DataFrame({
        "metric_code": ["X", "Y", "Z"], "value": [50.0, 30.0, 7.0], "target": [100.0, 100.0, None],
        "expected": [50.0, 50.0, None], "higher_is_better": [True, True, True],
    })
    out = delivery_summary(kpis)
    # Against the targets for the months so far (Z has no target): 50/50 = 1.0 and 30/50 = 0.6, mean 0.8:
    # 80%, at risk. The percentage shown is the one judged, so they cannot disagree.
    assert out == {"delivery_pct": 80.0, "delivery_status": "at risk", "metrics_with_target": 2,
                   "delivery_basis": None}
    off = delivery_summary(kpis.assign(value=[30.0, 30.0, 7.0]))
    assert off == {"delivery_pct": 60.0, "delivery_status": "off track", "metrics_with_target": 2,
                   "delivery_basis": None}
    capped = delivery_summary(kpis.assign(value=[5000.0, 0.0, 7.0]))  # 10,000% counts as 500%: mean 250%
    assert capped["delivery_pct"] == 250.0
    assert delivery_summary(kpis.iloc[2:])["delivery_status"] == "no target"


def test_yearly_values_sum_or_latest() -> None:
    monthly = pd.DataFrame({
        "metric_code": ["YP_ENGAGED"] * 3 + ["ACTIVE_CASELOAD"] * 3,
        "period": ["2022-04", "2022-05", "2023-04"] * 2,
        "financial_year": ["2022/23", "2022/23", "2023/24"] * 2,
        "value": [5.0, 7.0, 1.0, 20.0, 25.0, 22.0],
    })
    out = yearly_values(monthly, INFO).set_index(["metric_code", "financial_year"])["value"]
    assert out[("YP_ENGAGED", "2022/23")] == 12  # summed
    assert out[("ACTIVE_CASELOAD", "2022/23")] == 25  # the year's last month
    assert out[("ACTIVE_CASELOAD", "2023/24")] == 22


def test_furthest_from_grant_orders_by_distance_either_way_and_keeps_ties_in_order() -> None:
    from analysis.funding import FLAG_OVER, FLAG_UNDER, furthest_from_grant

    fc = pd.DataFrame({"project_code": ["A", "B", "C", "D", "E"],
                       "variance_pct": [5.0, -40.0, 40.0, None, 12.0],
                       "flag": ["within 10%", FLAG_UNDER, FLAG_OVER, "no grant", FLAG_OVER]})
    assert furthest_from_grant(fc)["project_code"].tolist() == ["B", "C", "E", "A", "D"]
    assert furthest_from_grant(fc, flagged_only=True)["project_code"].tolist() == ["B", "C", "E"]


def test_delivery_is_judged_as_shown_and_says_what_it_was_judged_against() -> None:
    from analysis.funding import delivery_of_rows

    def row(value: float, basis: str) -> dict:
        return {"target": 100.0, "expected": 100.0, "value": value, "higher_is_better": True, "expected_basis": basis}

    # 94.96% is shown as 95.0%, and judged as shown: on track (sorting by delivery keeps the status order).
    edge = delivery_of_rows([row(94.96, "straight line")])
    assert (edge["delivery_pct"], edge["delivery_status"]) == (95.0, "on track")
    assert edge["delivery_basis"] == "straight line"
    mixed = delivery_of_rows([row(100, "straight line"), row(100, "seasonal profile of 2021/22 – 2023/24"),
                              row(100, "seasonal profile of 2021/22 – 2023/24")])
    assert mixed["delivery_basis"] == ("seasonal profile of 2021/22 – 2023/24 (2 measures); straight line (1 measure)")
