"""Data quality and breakdown views on the whole sample, both backends, with answers worked out from the
sample CSV files independently of the warehouse."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine

from analysis.disclosure import MAX_ADJUSTMENT, is_suppressed
from etl.demo import demo_files
from service.breakdowns import TOTAL, BreakdownError, breakdown_view, people_metrics
from service.observations import observation_totals
from service.quality import batches_view, rejections_view, returns_grid
from tests.conftest import SAMPLE
from warehouse import quality_queries, queries
from warehouse.filters import Filters

FY = "2024/25"
QUARTERS = {1: (date(2024, 4, 1), date(2024, 6, 30)), 2: (date(2024, 7, 1), date(2024, 9, 30)),
            3: (date(2024, 10, 1), date(2024, 12, 31)), 4: (date(2025, 1, 1), date(2025, 3, 31))}


def sample_observations(metric: str, first: str, last: str, area: str = "") -> pd.DataFrame:
    obs = pd.read_csv(SAMPLE / "observations.csv", keep_default_na=False, dtype={"value": float})
    keep = (obs["metric_code"] == metric) & (obs["period"] >= first) & (obs["period"] <= last)
    if area:
        keep &= obs["area_code"] == area
    return obs[keep]


def test_recent_batches_list_every_sample_file_newest_first(sample_engine: Engine) -> None:
    files = [p.name for p in demo_files(SAMPLE)]
    frame = batches_view(sample_engine, limit=100)
    # The sample loads one file per batch, in LOAD_ORDER, and none is refused.
    assert frame["file_name"].tolist() == files[::-1]
    assert set(frame["outcome"]) == {"loaded"}
    obs = frame[frame["file_name"] == "observations.csv"].iloc[0]
    assert obs["rows_loaded"] == len(pd.read_csv(SAMPLE / "observations.csv"))
    assert batches_view(sample_engine, limit=3)["file_name"].tolist() == files[::-1][:3]
    assert quality_queries.batch_counts(sample_engine) == {"loaded": len(files)}


def test_no_rejections_in_the_sample(sample_engine: Engine) -> None:
    frame = rejections_view(sample_engine)
    assert frame.empty and list(frame.columns) == [*quality_queries.REJECTION_COLUMNS, "resolved_by"]


def test_returns_grid_counts_match_the_return_log(sample_engine: Engine) -> None:
    """Due = project quarters of 2024/25 the project ran in; received = log rows for those quarters."""
    projects = pd.read_csv(SAMPLE / "projects.csv", keep_default_na=False)
    log = pd.read_csv(SAMPLE / "returns.csv")
    start = {p.project_code: date.fromisoformat(p.start_date) for p in projects.itertuples()}
    end = {p.project_code: date.fromisoformat(p.end_date) if p.end_date else None for p in projects.itertuples()}

    def active(code: str, q: int) -> bool:
        lo, hi = QUARTERS[q]
        return start[code] <= hi and (end[code] is None or end[code] >= lo)

    due = {q: sum(active(c, q) for c in start) for q in QUARTERS}
    this_year = log[log["financial_year"] == FY]
    received = {q: sum(active(r.project_code, q) for r in this_year.itertuples() if r.quarter == f"Q{q}")
                for q in QUARTERS}

    grid = returns_grid(sample_engine, Filters(fy=FY))
    assert grid.quarters == [f"{FY} Q{q}" for q in QUARTERS]
    summary = grid.summary.set_index("quarter")
    for q in QUARTERS:
        row = summary.loc[f"{FY} Q{q}"]
        assert row["due"] == due[q]
        assert row["on_time"] + row["late"] == received[q]
        assert row["missing"] == due[q] - received[q]
    assert len(grid.cells) == sum(due.values())
    assert set(grid.cells["status"]) <= {"on time", "late", "missing"}

    # The grid's matrix: one row per project due, a word per quarter, agreeing with the counts.
    matrix = grid.matrix
    assert matrix.columns.tolist() == ["project_code", "project_name", "q0", "q1", "q2", "q3"]
    assert matrix["project_code"].tolist() == grid.projects["project_code"].tolist()
    for i, q in enumerate(QUARTERS):
        words = matrix[f"q{i}"]
        assert (words == "Missing").sum() == due[q] - received[q]
        assert (words == "On time").sum() + words.str.startswith("Late").sum() == received[q]
        assert (words == "Not due").sum() == len(matrix) - due[q]
    late = grid.cells[grid.cells["status"] == "late"].iloc[0]
    row = matrix[matrix["project_code"] == late["project_code"]].iloc[0]
    assert row[f"q{grid.quarters.index(late['label'])}"] == f"Late {int(late['days_late'])} d"

    one = returns_grid(sample_engine, Filters(fy=FY, quarter="Q3", project="PRJ001"))
    assert one.quarters == [f"{FY} Q3"] and one.projects["project_code"].tolist() == ["PRJ001"]
    assert one.matrix["project_code"].tolist() == ["PRJ001"]


@pytest.mark.parametrize("dimension", ["age_band", "sex", "ethnicity"])
def test_breakdown_totals_match_the_observations_file(sample_engine: Engine, dimension: str,
                                                      exact_figures: None) -> None:
    view = breakdown_view(sample_engine, Filters(fy=FY), "YP_ENGAGED", dimension)
    obs = sample_observations("YP_ENGAGED", "2024-04", "2025-03")
    # Every dimension adds up to the same people: 491 young people engaged in 2024/25 in the sample.
    assert view.table.at[TOTAL, TOTAL] == obs["value"].sum()
    q1 = obs[obs["period"] <= "2024-06"]["value"].sum()
    assert view.table.at[TOTAL, f"{FY} Q1"] == q1
    monthly = queries.monthly_totals(sample_engine, Filters(), first="2024-04", last="2024-06")
    assert q1 == monthly[monthly["metric_code"] == "YP_ENGAGED"]["value"].sum()  # same as the KPI figures
    assert view.quarters == [f"{FY} Q{q}" for q in QUARTERS]


def test_breakdown_hides_small_counts_and_shows_the_rest(sample_engine: Engine) -> None:
    view = breakdown_view(sample_engine, Filters(fy=FY), "YP_ENGAGED", "sex")
    obs = sample_observations("YP_ENGAGED", "2024-04", "2025-03")
    obs = obs.assign(sex=obs["sex"].replace("", "unknown"))
    true_totals = obs.groupby("sex")["value"].sum()
    table = view.table
    for category in table.index.drop(TOTAL):
        cell = table.at[category, TOTAL]
        truth = true_totals.get(category, 0.0)
        if is_suppressed(cell):
            assert 1 <= truth <= 9 or not truth  # only small counts are hidden
            continue
        assert abs(cell - truth) <= MAX_ADJUSTMENT  # published with its fixed adjustment
        assert cell == 0 or cell > 9
    # "other" is rare in the sample: 2024/25 holds only a handful, so its total is hidden.
    assert 1 <= true_totals["other"] <= 9 and is_suppressed(table.at["other", TOTAL])
    assert view.suppressed_cells >= 1
    # The Total row is the same published cell as the observations the API and KPIs give for a quarter.
    q1 = observation_totals(sample_engine, Filters(fy=FY, quarter="Q1"), ("metric",), "YP_ENGAGED").frame
    assert table.at[TOTAL, f"{FY} Q1"] == q1["value"].iloc[0]
    records = view.records()
    hidden = records[records["suppressed"]]
    assert hidden["value"].isna().all() and len(hidden) == view.suppressed_cells


def test_breakdown_follows_the_area_slicer(sample_engine: Engine, exact_figures: None) -> None:
    view = breakdown_view(sample_engine, Filters(fy=FY, area="E07000066"), "YP_ENGAGED", "age_band")
    # Basildon only: 137 young people in 2024/25 in the sample.
    assert view.table.at[TOTAL, TOTAL] == sample_observations("YP_ENGAGED", "2024-04", "2025-03",
                                                              "E07000066")["value"].sum()


def test_breakdown_of_the_current_year_stops_at_the_data(sample_engine: Engine) -> None:
    data_to = queries.data_runs_to(sample_engine)
    view = breakdown_view(sample_engine, Filters(), "YP_ENGAGED", "sex")
    assert view.data_to == data_to and view.last <= data_to
    assert "later quarters are not shown" in view.note


def test_breakdown_refuses_what_it_cannot_show(sample_engine: Engine) -> None:
    assert "ACTIVE_CASELOAD" not in set(people_metrics(sample_engine)["metric_code"])  # a stock, not summed
    assert "YP_ENGAGED" in set(people_metrics(sample_engine)["metric_code"])
    with pytest.raises(BreakdownError):
        breakdown_view(sample_engine, Filters(), "GRANTS_GBP", "sex")
    with pytest.raises(BreakdownError):
        breakdown_view(sample_engine, Filters(), "YP_ENGAGED", "postcode")


@pytest.fixture
def api_client(sample_engine: Engine, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    import dashboard.api as api_base
    import dashboard.api.breakdowns as api_breakdowns
    import dashboard.api.quality as api_quality
    from dashboard.app import server

    # The app's first request builds the layout from DATABASE_URL: point it at the same database.
    monkeypatch.setenv("DATABASE_URL", sample_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    for module in (api_base, api_breakdowns, api_quality):
        monkeypatch.setattr(module, "engine", lambda: sample_engine)
    # Dash builds the app shell on its first request, from the configured database.
    monkeypatch.setenv("DATABASE_URL", sample_engine.url.render_as_string(hide_password=False))
    return server.test_client()


def test_api_breakdowns_never_carry_a_hidden_number(api_client, sample_engine: Engine) -> None:  # noqa: ANN001
    response = api_client.get("/api/v1/breakdowns?metric=YP_ENGAGED&dimension=sex&fy=2024/25")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    body = response.get_json()
    view = breakdown_view(sample_engine, Filters(fy=FY), "YP_ENGAGED", "sex")
    assert body["meta"]["suppressed_cells"] == view.suppressed_cells
    hidden = [r for r in body["data"] if r["suppressed"]]
    assert len(hidden) == view.suppressed_cells and all(r["value"] is None for r in hidden)
    assert all(not 1 <= r["value"] <= 9 for r in body["data"] if not r["suppressed"])
    total = next(r for r in body["data"] if r["category"] == TOTAL and r["quarter"] == TOTAL)
    assert abs(total["value"] - 491) <= MAX_ADJUSTMENT
    assert total["value"] == view.table.at[TOTAL, TOTAL]  # the same figure as the page

    csv = api_client.get("/api/v1/breakdowns?metric=YP_ENGAGED&dimension=sex&fy=2024/25&format=csv").text
    assert csv.splitlines()[0] == "dimension,category,quarter,value,suppressed"
    assert api_client.get("/api/v1/breakdowns?metric=GRANTS_GBP").status_code == 400
    assert api_client.get("/api/v1/breakdowns?metric=YP_ENGAGED&dimension=x").status_code == 400


def test_api_batches_and_rejections(api_client) -> None:  # noqa: ANN001
    body = api_client.get("/api/v1/batches?limit=2").get_json()
    assert [r["file_name"] for r in body["data"]] == [p.name for p in demo_files(SAMPLE)][::-1][:2]
    assert api_client.get("/api/v1/batches?limit=0").status_code == 400
    assert api_client.get("/api/v1/batches?limit=abc").status_code == 400
    assert api_client.get("/api/v1/rejections").get_json()["data"] == []
