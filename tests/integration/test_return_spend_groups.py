"""The return's spend for the quarter and its People by group sheet, round trip: write the template, fill it
as a partner would, load it, and see the figures on the funding and breakdown views. SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from etl.loader import load_file
from etl.sources import partner_return as pr
from service.breakdowns import breakdown_view
from tests.integration.test_partner_return_load import ROCHFORD, db  # noqa: F401 - the two-backend fixture
from warehouse.filters import Filters
from warehouse.finance_queries import project_spend
from warehouse.models import Observation, Spend

Q2 = "2024/25 Q2"
PEOPLE_PROJECT = """project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes
PRJ010,Mentoring,ORG001,P3,HO_VRU,2024-04-01,,E07000075
"""


@pytest.fixture
def people_db(db: Engine, tmp_path: Path) -> Engine:  # noqa: F811 - the imported fixture
    """The shared reference data plus a P3 project (which counts people) running in 2024/25 Q2."""
    path = tmp_path / "projects.csv"
    path.write_text(PEOPLE_PROJECT, encoding="utf-8")
    assert load_file(db, path).outcome == "loaded"
    return db


def fill(engine: Engine, tmp_path: Path, values: dict, **kw: object) -> Path:
    return pr.write_completed_return(engine, "PRJ010", Q2, tmp_path / "return.xlsx", values,
                                     submitter="A. Partner", **kw)


def test_template_offers_spend_and_groups_for_people_metrics_only(people_db: Engine, tmp_path: Path) -> None:
    wb = load_workbook(pr.write_template(people_db, "PRJ010", Q2, tmp_path / "blank.xlsx"))
    assert wb.sheetnames == ["Instructions", "Return", "People by group", "Lists"]
    ret, people = wb["Return"], wb["People by group"]
    spend_row = pr.HEADER_ROW_OF["spend_gbp"]
    assert ret.cell(spend_row, 1).value == "Spend this quarter (£)"
    assert ret.cell(spend_row, 2).protection.locked is False  # an input cell
    assert [people.cell(pr.PEOPLE_HEADER_ROW, c).value for c in range(1, 9)] == [
        "metric_code", "area_code", "age band", "sex", "ethnicity", "2024-07", "2024-08", "2024-09"]
    # The names follow the chosen codes (locked look-ups after the months), as on the Return sheet.
    assert [people.cell(pr.PEOPLE_HEADER_ROW, c).value for c in (9, 10)] == [
        "Measure (from the code)", "Area (from the code)"]
    first = pr.PEOPLE_HEADER_ROW + 1
    assert people.cell(first, 10).value == f'=IFERROR(VLOOKUP(B{first},AreaTable,2,FALSE),"")'
    assert people.cell(first, 9).protection.locked and not people.cell(first, 2).protection.locked
    # Only IND_SUPPORTED (people, summed) may be split; the drop-down offers it alone.
    assert [r[0] for r in wb["Lists"].iter_rows(min_row=2, min_col=11, max_col=11, values_only=True)
            if r[0]] == ["IND_SUPPORTED"]


def test_spend_and_groups_round_trip_to_the_dashboard(people_db: Engine, tmp_path: Path,
                                                       exact_figures: None) -> None:
    groups = {
        ("IND_SUPPORTED", ROCHFORD, "14-17", "female", "White", "2024-07"): 12,
        ("IND_SUPPORTED", ROCHFORD, "14-17", "male", "Black", "2024-07"): 7,
        ("IND_SUPPORTED", ROCHFORD, "18-24", "male", "unknown", "2024-08"): 5,
    }
    # July's total agrees with its groups (19) and is replaced by them; August's total is left blank.
    path = fill(people_db, tmp_path, {("IND_SUPPORTED", ROCHFORD, "2024-07"): 19,
                                      ("IND_SUPPORTED", ROCHFORD, "2024-09"): 4},
                spend="12,500.50", groups=groups)
    result = load_file(people_db, path)
    assert result.outcome == "loaded", [str(p) for p in result.problems]
    with people_db.connect() as conn:
        rows = conn.execute(select(Observation.period, Observation.age_band, Observation.sex,
                                   Observation.ethnicity, Observation.value)
                            .order_by(Observation.period, Observation.age_band, Observation.sex)).all()
        spend = conn.execute(select(Spend.financial_year, Spend.quarter, Spend.spend_gbp)
                             .where(Spend.project_code == "PRJ010")).one()
    assert [tuple(r) for r in rows] == [
        ("2024-07", "14-17", "female", "White", 12.0), ("2024-07", "14-17", "male", "Black", 7.0),
        ("2024-08", "18-24", "male", "unknown", 5.0), ("2024-09", "unknown", "unknown", "unknown", 4.0)]
    assert (spend.financial_year, spend.quarter, float(spend.spend_gbp)) == ("2024/25", "Q2", 12500.50)
    f = Filters(fy="2024/25")
    by_sex = breakdown_view(people_db, f, "IND_SUPPORTED", "sex").table
    assert by_sex.loc["female", "2024/25 Q2"] == 12 and by_sex.loc["male", "2024/25 Q2"] == 12
    assert by_sex.loc["Total", "Total"] == 28  # 12 + 7 + 5 + September's unsplit 4
    spent = project_spend(people_db, f, "2024/25")
    assert float(spent.set_index("project_code").loc["PRJ010"].filter(like="spend").iloc[0]) == 12500.50


def test_a_total_that_disagrees_with_its_groups_names_the_cell(people_db: Engine, tmp_path: Path) -> None:
    path = fill(people_db, tmp_path, {("IND_SUPPORTED", ROCHFORD, "2024-07"): 20},
                groups={("IND_SUPPORTED", ROCHFORD, "14-17", "female", "White", "2024-07"): 12})
    result = load_file(people_db, path)
    assert result.outcome == "rejected"
    texts = [str(p) for p in result.problems]
    assert any("row 13, column 'F (2024-07)'" in t and "sum of its groups" in t and "(12)" in t for t in texts), texts
    assert not any("sits beside split rows" in t for t in texts), texts  # one message, not two


def test_bad_group_and_bad_spend_are_named_by_sheet_row_and_column(people_db: Engine, tmp_path: Path) -> None:
    path = fill(people_db, tmp_path, {("IND_SUPPORTED", ROCHFORD, "2024-08"): 3}, spend="about 10k",
                groups={("IND_SUPPORTED", ROCHFORD, "14-17", "femail", "White", "2024-07"): 12})
    result = load_file(people_db, path)
    assert result.outcome == "rejected"
    texts = [str(p) for p in result.problems]
    assert any("row 5, column 'People by group!D (sex)'" in t and "femail" in t for t in texts), texts
    assert any(f"row {pr.HEADER_ROW_OF['spend_gbp']}, column 'B (Spend this quarter (£))'" in t
               and "about 10k" in t for t in texts), texts
    with people_db.connect() as conn:
        assert conn.execute(select(Spend.id)).first() is None  # nothing of a refused file is kept


def test_the_preview_shows_the_spend_before_anything_is_loaded(people_db: Engine, tmp_path: Path) -> None:
    from etl import preview as pv

    first = fill(people_db, tmp_path, {("IND_SUPPORTED", ROCHFORD, "2024-07"): 19}, spend=12500)
    checked = pv.check_file(people_db, first, loaded_by="alice")
    assert checked.spend == {"project_code": "PRJ010", "quarter": Q2, "before": None, "after": 12500.0}
    with people_db.connect() as conn:
        assert conn.execute(select(Spend.id)).first() is None  # checked, not loaded
    pv.confirm(people_db, checked.token, confirmed_by="alice", reason="")
    revised = pr.write_completed_return(people_db, "PRJ010", Q2, tmp_path / "revised.xlsx",
                                        {("IND_SUPPORTED", ROCHFORD, "2024-07"): 19}, submitter="A. Partner",
                                        spend="13,000.25")
    again = pv.check_file(people_db, revised, loaded_by="alice")
    assert (again.spend["before"], again.spend["after"]) == (12500.0, 13000.25)
    assert pv.Preview.from_json(again.to_json()).spend == again.spend  # kept with the stored preview
