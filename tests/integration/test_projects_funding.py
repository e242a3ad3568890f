"""Projects and funding on the whole sample, on SQLite and PostgreSQL.

Every expected number is worked out here from data/sample/*.csv with the csv module, independently
of the warehouse, the analysis and the service code.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from flask import Flask

from service.funding import funding_view
from service.projects import GRID_COLUMNS, project_view, projects_table
from warehouse.filters import Filters

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def grants_total(stream: str, fy: str) -> float:
    return sum(float(r["awarded_gbp"]) for r in rows("grants.csv")
               if r["funding_stream"] == stream and r["financial_year"] == fy)


def fy_of(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    start = year if month >= 4 else year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def project_value(project: str, metric: str, fy: str, aggregation: str) -> float:
    """A project's figure for a year straight from observations.csv (sum, or the last month's total)."""
    by_month: dict[str, float] = defaultdict(float)
    for r in rows("observations.csv"):
        if r["project_code"] == project and r["metric_code"] == metric and fy_of(r["period"]) == fy:
            by_month[r["period"]] += float(r["value"])
    if not by_month:
        return 0.0
    return by_month[max(by_month)] if aggregation == "latest" else sum(by_month.values())


def test_allocation_by_stream_and_year_matches_the_files(sample_engine) -> None:  # noqa: ANN001
    view = funding_view.uncached(sample_engine, Filters(fy="2022/23"))
    alloc = view.allocation.set_index(["funding_stream", "financial_year"])
    # HO_VRU 2022/23: the Home Office put in £1,700,000 (funding.csv); grants.csv awards £1,494,200 of it.
    assert alloc.loc[("HO_VRU", "2022/23"), "amount_gbp"] == 1_700_000
    assert alloc.loc[("HO_VRU", "2022/23"), "granted_gbp"] == pytest.approx(grants_total("HO_VRU", "2022/23"))
    assert grants_total("HO_VRU", "2022/23") == 1_494_200
    assert len(alloc) == len(rows("funding.csv")) == 26
    for r in rows("funding.csv"):
        key = (r["funding_stream"], r["financial_year"])
        assert alloc.loc[key, "amount_gbp"] == pytest.approx(float(r["amount_gbp"]))
        assert alloc.loc[key, "granted_gbp"] == pytest.approx(grants_total(*key))
    # The stream filter narrows the allocation to that stream.
    only = funding_view.uncached(sample_engine, Filters(fy="2022/23", stream="HO_GRIP")).allocation
    assert set(only["funding_stream"]) == {"HO_GRIP"} and len(only) == 5  # HO_GRIP funded 2021/22 to 2025/26


def test_spend_against_grant_by_quarter_for_a_stream(sample_engine) -> None:  # noqa: ANN001
    f = Filters(fy="2023/24", stream="ECC")
    view = funding_view.uncached(sample_engine, f)
    ecc = {r["project_code"] for r in rows("projects.csv") if r["funding_stream"] == "ECC"}
    grant = sum(float(r["awarded_gbp"]) for r in rows("grants.csv")
                if r["project_code"] in ecc and r["financial_year"] == "2023/24")
    spend_q: dict[int, float] = defaultdict(float)
    for r in rows("spend.csv"):
        if r["project_code"] in ecc and r["financial_year"] == "2023/24":
            spend_q[int(r["quarter"][1])] += float(r["spend_gbp"])
    q = view.quarterly.set_index("quarter")
    assert view.quarters_elapsed == 4  # 2023/24 is complete in spend.csv
    assert q.loc[4, "cumulative_grant_gbp"] == pytest.approx(grant)
    for n in (1, 2, 3, 4):
        assert q.loc[n, "spend_gbp"] == pytest.approx(spend_q[n], abs=0.01)
    # A finished year's forecast is what was spent.
    assert view.totals["forecast_gbp"] == pytest.approx(sum(spend_q.values()), abs=0.05)


def test_forecast_for_the_current_year_is_a_run_rate(sample_engine) -> None:  # noqa: ANN001
    view = funding_view.uncached(sample_engine, Filters(fy="2025/26"))
    latest_q = max(int(r["quarter"][1]) for r in rows("spend.csv") if r["financial_year"] == "2025/26")
    assert view.quarters_elapsed == latest_q == 2
    fc = view.forecast.set_index("project_code")
    prj = {r["project_code"]: r for r in rows("projects.csv")}
    checked = 0
    for code, row in fc.iterrows():
        p = prj[code]
        if p["start_date"] > "2025-04-01" or (p["end_date"] and p["end_date"] < "2026-03-31"):
            continue  # whole-year projects only: 4 active quarters, 2 elapsed
        spent = sum(float(r["spend_gbp"]) for r in rows("spend.csv")
                    if r["project_code"] == code and r["financial_year"] == "2025/26")
        grant = sum(float(r["awarded_gbp"]) for r in rows("grants.csv")
                    if r["project_code"] == code and r["financial_year"] == "2025/26")
        assert row["forecast_gbp"] == pytest.approx(spent / 2 * 4, abs=0.05)
        expected_flag = ("underspend" if spent * 2 < grant * 0.9 else "overspend" if spent * 2 > grant * 1.1
                         else "within 10%")
        assert row["flag"] == expected_flag, code
        checked += 1
    assert checked >= 30


def test_cost_per_outcome_for_a_finished_year(sample_engine, exact_figures) -> None:  # noqa: ANN001
    view = funding_view.uncached(sample_engine, Filters(fy="2024/25"))
    costs = view.costs.set_index("project_code")
    reliable = costs[costs["reliability"] == "reliable"]
    assert len(reliable) >= 20
    for code, row in reliable.head(8).iterrows():
        spent = sum(float(r["spend_gbp"]) for r in rows("spend.csv")
                    if r["project_code"] == code and r["financial_year"] == "2024/25")
        outcomes = project_value(code, row["outcome_metric"], "2024/25", "sum")
        assert outcomes >= 10
        assert row["outcomes"] == outcomes
        assert row["cost_per_outcome_gbp"] == pytest.approx(spent / outcomes, abs=0.01), code
    # Fewer than 10 outcomes never gets a cost.
    few = costs[costs["outcomes"].fillna(0) < 10]
    assert few["cost_per_outcome_gbp"].isna().all()


def test_projects_grid_rows_money_and_delivery(sample_engine, exact_figures) -> None:  # noqa: ANN001
    table = projects_table.uncached(sample_engine, Filters(fy="2024/25"))
    assert list(table.columns) == GRID_COLUMNS
    # Projects active at some point of 2024/25 (started by March 2025, not ended before April 2024).
    active = [r for r in rows("projects.csv") if r["start_date"] <= "2025-03-31"
              and (not r["end_date"] or r["end_date"] >= "2024-04-01")]
    assert len(table) == len(active) < len(rows("projects.csv")) == 70
    hovru = projects_table.uncached(sample_engine, Filters(fy="2024/25", stream="HO_VRU"))
    assert len(hovru) == sum(1 for r in active if r["funding_stream"] == "HO_VRU")

    t = table.set_index("project_code")
    metrics = {r["metric_code"]: r["aggregation"] for r in rows("metrics.csv")}
    targets: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows("targets.csv"):
        if r["scope"] == "project" and r["financial_year"] == "2024/25":
            targets[r["scope_code"]][r["metric_code"]] = float(r["target_value"])
    for code in ("PRJ001", "PRJ002", "PRJ003", "PRJ012"):
        grant = sum(float(r["awarded_gbp"]) for r in rows("grants.csv")
                    if r["project_code"] == code and r["financial_year"] == "2024/25")
        spent = sum(float(r["spend_gbp"]) for r in rows("spend.csv")
                    if r["project_code"] == code and r["financial_year"] == "2024/25")
        assert t.loc[code, "grant_gbp"] == pytest.approx(grant)
        assert t.loc[code, "spend_gbp"] == pytest.approx(spent, abs=0.01)
        shares = [project_value(code, m, "2024/25", metrics[m]) / target for m, target in targets[code].items()]
        assert t.loc[code, "metrics_with_target"] == len(shares)
        assert t.loc[code, "delivery_pct"] == pytest.approx(sum(shares) / len(shares) * 100, abs=0.05), code
    # PRJ001 held 8 community events in 2024/25 against a target of 10.
    assert t.loc["PRJ001", "delivery_pct"] == 80.0


def test_project_view_details_metrics_and_load_history(sample_engine, exact_figures) -> None:  # noqa: ANN001
    view = project_view.uncached(sample_engine, "PRJ003", Filters(fy="2023/24"))
    assert view is not None
    p = next(r for r in rows("projects.csv") if r["project_code"] == "PRJ003")
    assert view.detail["project_name"] == p["project_name"]
    assert view.detail["org_code"] == p["org_code"] and view.detail["funding_stream"] == p["funding_stream"]
    assert set(view.areas["area_code"]) == set(p["area_codes"].split(";"))
    assert view.financial_year == "2023/24" and (view.first, view.last) == ("2023-04", "2024-03")

    metrics = {r["metric_code"]: r["aggregation"] for r in rows("metrics.csv")}
    yearly = view.yearly.set_index(["metric_code", "financial_year"])
    for r in rows("targets.csv"):
        if r["scope"] == "project" and r["scope_code"] == "PRJ003":
            key = (r["metric_code"], r["financial_year"])
            assert yearly.loc[key, "target_value"] == float(r["target_value"])
            assert yearly.loc[key, "value"] == project_value("PRJ003", r["metric_code"], r["financial_year"],
                                                             metrics[r["metric_code"]])

    loads = view.loads.set_index("file_name")
    obs_rows = sum(1 for r in rows("observations.csv") if r["project_code"] == "PRJ003")
    assert loads.loc["observations.csv", "project_rows"] == obs_rows
    assert {"projects.csv", "targets.csv", "grants.csv", "spend.csv", "observations.csv"} <= set(loads.index)
    assert "areas.csv" not in loads.index  # reference files that do not mention the project
    assert set(view.returns["project_code"]) == {"PRJ003"}


def test_unknown_project_is_none(sample_engine) -> None:  # noqa: ANN001
    assert project_view.uncached(sample_engine, "PRJ999", Filters()) is None


_APPS: list[Flask] = []


@pytest.fixture
def client(sample_engine, monkeypatch):  # noqa: ANN001, ANN201
    """The API blueprint on a bare Flask app (built once: a blueprint registers once), on the sample."""
    from dashboard import api
    from dashboard.api import funding as funding_api
    from dashboard.api import projects as projects_api

    monkeypatch.setattr(projects_api, "engine", lambda: sample_engine)
    monkeypatch.setattr(funding_api, "engine", lambda: sample_engine)
    if not _APPS:
        app = Flask(__name__)
        api.register(app)
        _APPS.append(app)
    return _APPS[0].test_client()


def test_api_projects_funding_and_one_project(client) -> None:  # noqa: ANN001
    got = client.get("/api/v1/projects?fy=2024/25&priority=P1&ended=include").get_json()
    p1 = sum(1 for r in rows("projects.csv") if r["priority_code"] == "P1")
    assert len(got["data"]) == p1 and "delivery_pct" in got["meta"]["definitions"]
    active = client.get("/api/v1/projects?fy=2024/25&priority=P1").get_json()  # by default: active ones only
    assert len(active["data"]) < p1 and active["meta"]["ended"] == "exclude"
    assert client.get("/api/v1/projects?ended=maybe").status_code == 400

    csv_text = client.get("/api/v1/projects?fy=2024/25&format=csv&ended=include").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("project_code,project_name")
    assert len(csv_text.strip().splitlines()) == 71

    funding = client.get("/api/v1/funding?fy=2022/23&stream=HO_VRU").get_json()
    hovru = next(r for r in funding["allocation"] if r["financial_year"] == "2022/23")
    assert hovru["granted_gbp"] == 1_494_200 and hovru["amount_gbp"] == 1_700_000
    assert "carried over" in funding["meta"]["note"]
    forecast_csv = client.get("/api/v1/funding?fy=2025/26&table=forecast&format=csv")
    assert forecast_csv.status_code == 200 and forecast_csv.mimetype == "text/csv"
    assert client.get("/api/v1/funding?table=nope").status_code == 400

    one = client.get("/api/v1/projects/prj001?fy=2024/25").get_json()
    assert one["project"]["project_code"] == "PRJ001" and one["meta"]["financial_year"] == "2024/25"
    assert {m["metric_code"] for m in one["metrics"]} >= {"COMMUNITY_EVENTS"}
    assert any(b["file_name"] == "observations.csv" for b in one["load_history"])
    assert client.get("/api/v1/projects/PRJ999").status_code == 404
    assert client.get("/api/v1/projects/bad%20code!").status_code == 404
    assert client.get("/api/v1/projects?fy=nonsense").status_code == 400
