"""One rule for a project's status everywhere: the projects grid, the project page and the overview filtered
to the project judge each measure against the same expected position for the time of year (issue 10).

Hand-made data, SQLite and PostgreSQL. PRJ001 pays its grants (GRANTS_GBP, Rochford) in July and January:
£6,000 each in 2021/22, 2022/23 and 2023/24, nothing in other months. In 2024/25, with a project target of
£12,000, July's £6,000 is in and the data run to October:
- the straight line expects 7/12 of £12,000 = £7,000 by October: £6,000 is 85.7%, "at risk";
- the seasonal profile of 2021/22 – 2023/24 expects half the year's money by October (July's payment;
  January's is still to come): £6,000, so 100%, "on track".
PRJ009 pays the same way but only since 2023/24: one earlier year is too little history, so it is judged
on the straight line, "at risk", and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from analysis.fiscal import fy_months
from etl.loader import load_file
from service.kpis import kpi_view
from service.projects import project_view, projects_table
from tests.conftest import SAMPLE
from warehouse.filters import Filters

REFERENCE = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv")
ROCHFORD, BASILDON = "E07000075", "E07000066"
SEASONAL = "seasonal profile of 2021/22 – 2023/24"


def _observations() -> str:
    lines = ["period,project_code,area_code,metric_code,value"]
    for project, area, years in (("PRJ001", ROCHFORD, ("2021/22", "2022/23", "2023/24")),
                                 ("PRJ009", BASILDON, ("2023/24",))):
        for fy in years:
            lines += [f"{mo},{project},{area},GRANTS_GBP,{6000 if mo[5:] in ('07', '01') else 0}"
                      for mo in fy_months(fy)]
        lines += [f"{mo},{project},{area},GRANTS_GBP,{6000 if mo[5:] == '07' else 0}"
                  for mo in fy_months("2024/25")[:7]]  # April to October 2024
    return "\n".join(lines) + "\n"


@pytest.fixture
def grants_db(engine: Engine, tmp_path: Path, exact_figures: None) -> Engine:
    for name in REFERENCE:
        assert load_file(engine, SAMPLE / name).outcome == "loaded", name
    (tmp_path / "targets.csv").write_text(
        "metric_code,financial_year,scope,scope_code,target_value\n"
        "GRANTS_GBP,2024/25,project,PRJ001,12000\nGRANTS_GBP,2024/25,project,PRJ009,12000\n", encoding="utf-8")
    (tmp_path / "observations.csv").write_text(_observations(), encoding="utf-8")
    for name in ("targets.csv", "observations.csv"):
        result = load_file(engine, tmp_path / name)
        assert result.outcome == "loaded", [str(p) for p in result.problems]
    return engine


@pytest.mark.parametrize(("project", "status", "basis", "pct"), [
    ("PRJ001", "on track", SEASONAL, 100.0),
    ("PRJ009", "at risk", "straight line", 85.7),
])
def test_grid_page_and_overview_judge_a_project_alike(grants_db: Engine, project: str, status: str, basis: str,
                                                      pct: float) -> None:
    f = Filters(fy="2024/25")
    overview = kpi_view(grants_db, Filters(fy="2024/25", project=project)).table.set_index("metric_code")
    grants = overview.loc["GRANTS_GBP"]
    assert (grants["value"], grants["status"], grants["expected_basis"]) == (6000.0, status, basis)
    assert grants["expected"] == pytest.approx(6000.0 if basis == SEASONAL else 7000.0)

    page = project_view(grants_db, project, f)
    measure = page.kpis.set_index("metric_code").loc["GRANTS_GBP"]
    assert (measure["status"], measure["expected_basis"]) == (status, basis)
    assert measure["expected"] == pytest.approx(grants["expected"])
    assert (page.delivery["delivery_status"], page.delivery["delivery_basis"], page.delivery["delivery_pct"]) == (
        status, basis, pct)

    grid = projects_table(grants_db, f).set_index("project_code").loc[project]
    assert (grid["delivery_status"], grid["delivery_basis"], grid["delivery_pct"]) == (status, basis, pct)


def test_the_project_page_marks_the_seasonal_expected_position_on_its_chart(
        grants_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The status beside the chart was judged against £6,000 by October, not the pro-rata line's £7,000:
    the chart marks that point and says where it comes from."""
    monkeypatch.setenv("DATABASE_URL", grants_db.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server  # noqa: F401 - creates the app, which registers the pages
    from dashboard.pages.project_detail import _measure

    page = project_view(grants_db, "PRJ001", Filters(fy="2024/25"))
    row = page.kpis.set_index("metric_code").loc["GRANTS_GBP"].to_dict() | {"metric_code": "GRANTS_GBP"}
    info = page.metric_info.set_index("metric_code").loc["GRANTS_GBP"].to_dict()
    article = _measure(page, row, info)
    graphs = [c.figure for c in _graphs(article)]
    marks = [t for fig in graphs for t in fig.data if t.name == "Expected by now (seasonal)"]
    assert len(marks) == 1 and list(marks[0].x) == ["2024-10"] and list(marks[0].y) == [pytest.approx(6000.0)]
    assert SEASONAL in marks[0].hovertemplate


def _graphs(component):  # noqa: ANN001, ANN202
    from dash import dcc

    from tests.dash_tree import walk

    return [c for c in walk(component) if isinstance(c, dcc.Graph)]
