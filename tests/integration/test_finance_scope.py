"""Which projects a slicer selects for money, and the outcomes cost per outcome divides by, on the whole
sample, on SQLite and PostgreSQL.

Every expected answer is worked out here from data/sample/*.csv with the csv module.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from analysis.funding import OUTCOME_PREFERENCE
from warehouse import finance_queries, queries
from warehouse.filters import Filters

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def expected_projects(f: Filters) -> set[str]:
    """Projects within the slicers from projects.csv: own priority and stream, working in the area
    (or, for the county, in any of its districts)."""
    districts = {r["area_code"] for r in rows("areas.csv") if r["parent_code"] == f.area} | {f.area}
    out = set()
    for p in rows("projects.csv"):
        if f.project and p["project_code"] != f.project:
            continue
        if f.priority and p["priority_code"] != f.priority:
            continue
        if f.stream and p["funding_stream"] != f.stream:
            continue
        if f.area and not districts & set(p["area_codes"].split(";")):
            continue
        out.add(p["project_code"])
    return out


SLICERS = [
    Filters(),
    Filters(priority="P1"),
    Filters(stream="ECC"),
    Filters(area="E07000066"),
    Filters(area="E10000012"),
    Filters(priority="P3", stream="HO_VRU", area="E07000070"),
    Filters(project="PRJ005"),
    Filters(project="PRJ999"),
]


@pytest.mark.parametrize("f", SLICERS, ids=lambda f: f.to_query() or "none")
def test_money_and_project_pages_select_the_same_projects(sample_engine, f: Filters) -> None:  # noqa: ANN001
    expected = expected_projects(f)
    assert set(queries.project_scope(sample_engine, f)["project_code"]) == expected
    with sample_engine.connect() as conn:
        assert set(conn.scalars(queries.project_codes_in_scope(sample_engine, f))) == expected
    grants = finance_queries.project_grants(sample_engine, f, "2024/25")
    assert set(grants["project_code"]) == {r["project_code"] for r in rows("grants.csv")
                                           if r["financial_year"] == "2024/25" and r["project_code"] in expected}
    spend = finance_queries.project_spend(sample_engine, f, "2024/25")
    assert set(spend["project_code"]) == {r["project_code"] for r in rows("spend.csv")
                                          if r["financial_year"] == "2024/25" and r["project_code"] in expected}


@pytest.mark.parametrize("f", [Filters(), Filters(priority="P3"), Filters(area="E07000066")],
                         ids=lambda f: f.to_query() or "none")
def test_project_outcomes_are_the_observations_summed(sample_engine, f: Filters) -> None:  # noqa: ANN001
    in_scope = expected_projects(f)
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows("observations.csv"):  # every area of the project, split rows included
        if ("2024-04" <= r["period"] <= "2024-12" and r["metric_code"] in OUTCOME_PREFERENCE
                and r["project_code"] in in_scope):
            expected[(r["project_code"], r["metric_code"])] += float(r["value"])
    out = finance_queries.project_outcomes(sample_engine, f, "2024-04", "2024-12", OUTCOME_PREFERENCE)
    assert list(out.columns) == ["project_code", "metric_code", "value", "value_key"]  # exact, with cell keys
    got = {(p, m): v for p, m, v in zip(out["project_code"], out["metric_code"], out["value"], strict=True)}
    assert got == dict(expected)
    assert len(got) >= 20


def test_project_outcomes_only_the_metrics_asked_for(sample_engine) -> None:  # noqa: ANN001
    out = finance_queries.project_outcomes(sample_engine, Filters(), "2024-04", "2025-03", ["COMMUNITY_EVENTS"])
    assert set(out["metric_code"]) == {"COMMUNITY_EVENTS"}
    # PRJ001 held 8 community events in 2024/25.
    assert out.set_index("project_code").loc["PRJ001", "value"] == 8
