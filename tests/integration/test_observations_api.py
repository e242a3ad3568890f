"""``/api/v1/observations`` on the whole sample, through Flask's test client, on SQLite and PostgreSQL.

The app reads DATABASE_URL at request time (dashboard.engine -> settings), so each test points it
at the session's sample database; the service cache is keyed on the engine URL, so the two backends
never share cached answers. Expected numbers are the sums of data/sample/observations.csv.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from tests.conftest import SAMPLE
from warehouse.filters import Filters

OBS = pd.read_csv(SAMPLE / "observations.csv", dtype={"period": str})


@pytest.fixture
def protected_client(sample_engine, monkeypatch):  # noqa: ANN001, ANN201
    """The API as published: counts of people through disclosure control (default threshold)."""
    monkeypatch.setenv("DATABASE_URL", sample_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SUPPRESSION_THRESHOLD", raising=False)
    from dashboard.app import server

    return server.test_client()


@pytest.fixture
def client(protected_client, exact_figures):  # noqa: ANN001, ANN201
    """Exact figures (disclosure control off), so the aggregation rules can be checked to the unit."""
    return protected_client


def _data(client, query: str) -> pd.DataFrame:  # noqa: ANN001
    response = client.get(f"/api/v1/observations?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return pd.DataFrame(response.get_json()["data"])


def test_totals_since_2019_match_the_sample_file(client) -> None:  # noqa: ANN001
    frame = _data(client, "month_from=2019-04&group_by=metric").set_index("metric_code")["value"]
    # Sums of every observation row in data/sample/observations.csv (2019-04 to 2025-09).
    assert frame["YP_ENGAGED"] == 2763
    assert frame["DYW_HOURS"] == 6385.5
    assert frame["IND_SUPPORTED"] == 12029
    # ACTIVE_CASELOAD is a level: never the 78-month sum (27,140), and not only the rows of the last month
    # (428): each open project x area's last level is carried forward, so two series whose August and
    # September returns are late still count with their July level: 513 (analysis.stocks).
    caseload = OBS[OBS["metric_code"] == "ACTIVE_CASELOAD"]
    last = caseload[caseload["period"] == caseload["period"].max()]["value"].sum()
    assert last == 428
    assert frame["ACTIVE_CASELOAD"] == 513
    full = _data(client, "month_from=2019-04&group_by=metric").set_index("metric_code")
    assert full.loc["ACTIVE_CASELOAD", "carried"] == 2 and full.loc["ACTIVE_CASELOAD", "carried_from"] == "2025-07"
    assert "SV_OFFENCES" not in frame.index  # no data in the sample


def test_default_view_is_the_latest_financial_year(client) -> None:  # noqa: ANN001
    body = client.get("/api/v1/observations?metric=YP_ENGAGED").get_json()
    assert body["meta"]["first_month"] == "2025-04" and body["meta"]["data_runs_to"] == "2025-09"
    in_year = OBS[(OBS["metric_code"] == "YP_ENGAGED") & (OBS["period"] >= "2025-04")]["value"].sum()
    assert in_year == 250
    assert body["data"] == [{"metric_code": "YP_ENGAGED", "value": 250.0, "suppressed": False, "carried": None,
                             "carried_from": None, "completeness": None}]  # a flow: nothing carried
    assert body["meta"]["latest_metrics"] == ["ACTIVE_CASELOAD", "ORGS_FUNDED"]


def test_group_by_quarter_and_area_add_up(client) -> None:  # noqa: ANN001
    by_quarter = _data(client, "fy=2024/25&metric=DYW_HOURS&group_by=quarter")
    assert list(by_quarter["quarter"]) == ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    fy = OBS[(OBS["metric_code"] == "DYW_HOURS") & OBS["period"].between("2024-04", "2025-03")]
    assert by_quarter["value"].sum() == pytest.approx(fy["value"].sum())
    q3 = fy[fy["period"].between("2024-10", "2024-12")]["value"].sum()
    assert by_quarter.set_index("quarter").loc["2024/25 Q3", "value"] == pytest.approx(q3)

    by_area = _data(client, "fy=2024/25&metric=DYW_HOURS&group_by=area,metric")
    assert set(by_area.columns) == {"area_code", "metric_code", "value", "suppressed", "carried", "carried_from",
                                    "completeness"}
    assert by_area["value"].sum() == pytest.approx(fy["value"].sum())
    expected = fy.groupby("area_code")["value"].sum()
    assert by_area.set_index("area_code")["value"].to_dict() == pytest.approx(expected.to_dict())


def test_county_filter_is_the_sum_of_its_districts(client) -> None:  # noqa: ANN001
    county = _data(client, "month_from=2019-04&metric=IND_SUPPORTED&area=E10000012")
    districts = OBS[(OBS["metric_code"] == "IND_SUPPORTED") & OBS["area_code"].str.startswith("E07")]
    assert county["value"].iloc[0] == districts["value"].sum()
    unitary = _data(client, "month_from=2019-04&metric=IND_SUPPORTED&area=E06000033")
    assert unitary["value"].iloc[0] == OBS[(OBS["metric_code"] == "IND_SUPPORTED")
                                           & (OBS["area_code"] == "E06000033")]["value"].sum()


def test_group_by_priority_and_project(client) -> None:  # noqa: ANN001
    projects = pd.read_csv(SAMPLE / "projects.csv")[["project_code", "priority_code"]]
    rows = OBS[OBS["period"].between("2023-04", "2024-03") & (OBS["metric_code"] == "YP_ENGAGED")]
    expected = rows.merge(projects, on="project_code").groupby("priority_code")["value"].sum()
    got = _data(client, "fy=2023/24&metric=YP_ENGAGED&group_by=priority").set_index("priority_code")["value"]
    assert got.to_dict() == pytest.approx(expected.to_dict())
    by_project = _data(client, "fy=2023/24&metric=YP_ENGAGED&group_by=project")
    assert by_project["value"].sum() == rows["value"].sum()
    # priority filter narrows to that priority's projects
    p3 = _data(client, "fy=2023/24&metric=YP_ENGAGED&priority=P3")
    assert p3["value"].iloc[0] == expected.get("P3", 0)


def test_latest_metric_by_quarter_takes_the_quarters_last_month(client) -> None:  # noqa: ANN001
    got = _data(client, "fy=2025/26&metric=ACTIVE_CASELOAD&group_by=quarter").set_index("quarter")["value"]
    caseload = OBS[OBS["metric_code"] == "ACTIVE_CASELOAD"]
    assert got["2025/26 Q1"] == caseload[caseload["period"] == "2025-06"]["value"].sum()  # June, not Apr+May+Jun
    # September: 428 reported, plus the July levels of the two series whose returns are late (85 more).
    assert caseload[caseload["period"] == "2025-09"]["value"].sum() == 428 and got["2025/26 Q2"] == 513
    monthly = _data(client, "fy=2025/26&metric=ACTIVE_CASELOAD&group_by=month").set_index("month")["value"]
    assert monthly["2025-06"] == got["2025/26 Q1"] and monthly["2025-09"] == got["2025/26 Q2"]
    by_area = _data(client, "fy=2025/26&quarter=Q2&metric=ACTIVE_CASELOAD&group_by=area")["value"].sum()
    by_project = _data(client, "fy=2025/26&quarter=Q2&metric=ACTIVE_CASELOAD&group_by=project")["value"].sum()
    assert by_area == by_project == 513  # one rule: areas and projects add up to the total


def test_csv_format(client) -> None:  # noqa: ANN001
    response = client.get("/api/v1/observations?fy=2024/25&group_by=financial_year,metric&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["financial_year", "metric_code", "value", "carried", "carried_from", "completeness",
                             "suppressed"]  # grouping columns in the order asked
    assert {r["financial_year"] for r in rows} == {"2024/25"}
    assert len(rows) == 13  # every metric with data


@pytest.mark.parametrize(("query", "message"), [
    ("group_by=bogus", "group_by: unknown 'bogus'; choose from metric, month, quarter"),
    ("group_by=metric,area;drop", "group_by: unknown"),
    ("metric=NOT_A_METRIC", "unknown metric 'NOT_A_METRIC'"),
    ("metric=x'--", "metric must be a code"),
    ("fy=2024", "not a financial year"),
    ("quarter=Q5&fy=2024/25", "quarter must be Q1"),
    ("format=xml", "format must be json or csv"),
])
def test_bad_requests_answer_400_with_a_message(client, query: str, message: str) -> None:  # noqa: ANN001
    response = client.get(f"/api/v1/observations?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_people_by_area_hide_the_same_cells_as_the_areas_page(protected_client, sample_engine) -> None:  # noqa: ANN001
    from service.areas import area_view

    client = protected_client
    body = client.get("/api/v1/observations?fy=2025/26&quarter=Q2&metric=YP_ENGAGED&group_by=area").get_json()
    api_hidden = {r["area_code"] for r in body["data"] if r["suppressed"]}
    assert all(r["value"] is None for r in body["data"] if r["suppressed"])
    page = area_view(sample_engine, Filters(fy="2025/26", quarter="Q2"), "YP_ENGAGED").table
    page_hidden = set(page.loc[page["suppressed"], "area_code"])
    assert api_hidden == page_hidden and api_hidden  # e.g. Maldon (4 people)
    published = {r["area_code"]: r["value"] for r in body["data"]}
    shown = page.set_index("area_code")["value"]
    assert all(shown[a] == v for a, v in published.items() if v is not None)  # the same figure on both
    quarter = OBS[(OBS["metric_code"] == "YP_ENGAGED") & OBS["period"].between("2025-07", "2025-09")]
    small = {a for a, v in quarter.groupby("area_code")["value"].sum().items() if 1 <= v <= 9}
    assert small <= api_hidden
    hours = client.get("/api/v1/observations?fy=2025/26&quarter=Q2&metric=DYW_HOURS&group_by=area").get_json()
    assert not any(r["suppressed"] for r in hours["data"])  # hours are not people
