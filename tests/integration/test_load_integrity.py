"""Issue 11: undoing a revision by re-sending an earlier file, the date window, the replace-share rule
and the workbook rules, on SQLite and PostgreSQL.

Reference data: tests/integration/test_partner_return_load.py (PRJ001 from 2019-04 in Rochford and
Basildon; metrics EVENTS, VOL_HOURS, IND_SUPPORTED).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine, func, select

from etl.loader import load_file
from etl.sources import partner_return as pr
from etl.workbook_safety import UNCALCULATED
from tests.integration.test_partner_return_load import BASILDON, ROCHFORD, completed, edit
from tests.integration.test_partner_return_load import db as reference_db  # noqa: F401 - a fixture
from warehouse.crime_models import Crime
from warehouse.models import LoadBatch, Observation, ObservationHistory, Project

HEADER = "period,project_code,area_code,metric_code,value"
POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")


def obs(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def police(tmp_path: Path, name: str, month: str, n: int) -> Path:
    lines = [POLICE_HEADER] + [
        f"id{month}{i:05d},{month},Essex Police,Essex Police,0.48,51.57,On or near X,E01021237,Basildon 001A,"
        f"Burglary,Under investigation," for i in range(n)
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def db(reference_db: Engine) -> Engine:  # noqa: F811 - the imported fixture, by name
    """A database holding the partner return tests' reference data (SQLite, then PostgreSQL)."""
    return reference_db


def value_of(engine: Engine) -> list[float]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Observation.value).order_by(Observation.id)))


def scalar(engine: Engine, stmt) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


# --- A, B, A: an earlier file re-applied --------------------------------------------------------------
def test_resending_an_earlier_file_undoes_a_revision(db: Engine, tmp_path: Path) -> None:
    """A holds 5, revision B holds 7; A again must bring back 5 (a revision kept in history), and only a
    fourth copy of A, now what the database holds, is a no-op."""
    row = f"2024-07,PRJ001,{ROCHFORD},EVENTS,{{}}"
    a = obs(tmp_path, "a.csv", [row.format(5)])
    b = obs(tmp_path, "b.csv", [row.format(7)])
    assert load_file(db, a).outcome == "loaded"
    assert load_file(db, b).outcome == "loaded"
    assert value_of(db) == [7.0]
    again = load_file(db, a)
    assert again.outcome == "loaded", again.message
    assert value_of(db) == [5.0]
    # History: A's row (replaced by B), then B's row (replaced by A again): 2 rows.
    assert scalar(db, select(func.count()).select_from(ObservationHistory)) == 2
    fourth = load_file(db, a)
    assert fourth.outcome == "unchanged" and "nothing changed" in fourth.message
    assert value_of(db) == [5.0]


def test_identical_file_for_another_project_period_stays_a_no_op(db: Engine, tmp_path: Path) -> None:
    """A later file for other months does not touch A's scope: A again is still 'unchanged'."""
    a = obs(tmp_path, "a.csv", [f"2024-07,PRJ001,{ROCHFORD},EVENTS,5"])
    other = obs(tmp_path, "other.csv", [f"2024-10,PRJ001,{ROCHFORD},EVENTS,9"])
    assert load_file(db, a).outcome == "loaded"
    assert load_file(db, other).outcome == "loaded"
    assert load_file(db, a).outcome == "unchanged"


# --- the date window --------------------------------------------------------------------------------
def test_period_far_in_the_future_is_refused_naming_file_row_and_column(db: Engine, tmp_path: Path) -> None:
    path = obs(tmp_path, "far.csv", [f"2024-07,PRJ001,{ROCHFORD},EVENTS,5", f"9999-12,PRJ001,{ROCHFORD},EVENTS,5"])
    result = load_file(db, path)
    assert result.outcome == "rejected"
    text = str(result.problems[0])
    assert text.startswith("far.csv: row 3, column 'period' (value '9999-12'): outside the accepted dates 2015-04-01")
    assert scalar(db, select(func.count()).select_from(Observation)) == 0


def test_project_dates_of_year_1_and_9999_are_refused(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text("project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes\n"
                    f"PRJ077,Forever,ORG001,P2,HO_VRU,0001-01-01,9999-12-31,{ROCHFORD}\n", encoding="utf-8")
    result = load_file(db, path)
    assert result.outcome == "rejected"
    assert [(p.row, p.column) for p in result.problems] == [(2, "end_date"), (2, "start_date")]
    assert all("outside the accepted dates" in p.reason for p in result.problems)
    assert scalar(db, select(func.count()).select_from(Project).where(Project.project_code == "PRJ077")) == 0


def test_police_month_outside_the_window_is_refused(db: Engine, tmp_path: Path) -> None:
    path = police(tmp_path, "crime.csv", "9999-12", 3)
    result = load_file(db, path)
    assert result.outcome == "rejected"
    assert {(p.row, p.column) for p in result.problems} == {(2, "month"), (3, "month"), (4, "month")}
    assert "outside the accepted dates" in result.problems[0].reason


def test_the_window_is_configurable(db: Engine, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """With DATA_FIRST_YEAR=2025 a 2024-07 row is before the window (1 April 2025)."""
    monkeypatch.setenv("DATA_FIRST_YEAR", "2025")
    result = load_file(db, obs(tmp_path, "early.csv", [f"2024-07,PRJ001,{ROCHFORD},EVENTS,5"]))
    assert result.outcome == "rejected"
    assert "outside the accepted dates 2025-04-01" in result.problems[0].reason


# --- the replace-share rule -------------------------------------------------------------------------
def test_a_tiny_police_file_does_not_silently_replace_a_month(db: Engine, tmp_path: Path) -> None:
    """100 rows for 2024-01, then a 5-row file for the same month: removing 95 of 100 (95%) is over the
    default 50% share, refused with the counts; with replace=True it loads and the month holds 5."""
    assert load_file(db, police(tmp_path, "full.csv", "2024-01", 100)).rows == 100
    tiny = police(tmp_path, "tiny.csv", "2024-01", 5)
    result = load_file(db, tiny)
    assert result.outcome == "rejected"
    reason = result.problems[0].reason
    assert "would replace 100 rows loaded earlier for 2024-01 (Essex Police) with 5, removing 95 (95%" in reason
    assert "--replace" in reason
    assert scalar(db, select(func.count()).select_from(Crime)) == 100
    forced = load_file(db, tiny, replace=True)
    assert forced.outcome == "loaded"
    assert scalar(db, select(func.count()).select_from(Crime)) == 5


def test_a_revision_removing_more_than_half_is_refused_unless_replace(db: Engine, tmp_path: Path) -> None:
    """Four rows for PRJ001 2024-07, then a revision with one: 3 of 4 removed (75%) is refused; a
    revision with two rows (50%) is within the rule."""
    rows = [f"2024-07,PRJ001,{area},{metric},1" for area in (ROCHFORD, BASILDON) for metric in ("EVENTS", "VOL_HOURS")]
    assert load_file(db, obs(tmp_path, "full.csv", rows)).rows == 4
    one = obs(tmp_path, "one.csv", rows[:1])
    result = load_file(db, one)
    assert result.outcome == "rejected"
    assert "would replace 4 rows loaded earlier for PRJ001 2024-07 with 1, removing 3 (75%" in result.problems[0].reason
    assert scalar(db, select(func.count()).select_from(Observation)) == 4
    assert load_file(db, obs(tmp_path, "two.csv", rows[:2])).outcome == "loaded"
    assert scalar(db, select(func.count()).select_from(Observation)) == 2


# --- workbooks -----------------------------------------------------------------------------------------
def _return(db: Engine, tmp_path: Path) -> Path:
    return completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3, ("EVENTS", ROCHFORD, "2024-08"): 4})


def _with_part(path: Path, part: str, data: bytes) -> Path:
    out = path.with_name("altered-" + path.name)
    shutil.copy(path, out)
    with zipfile.ZipFile(out, "a") as zf:
        zf.writestr(part, data)
    return out


def test_formula_without_cached_value_is_refused_naming_the_cell(db: Engine, tmp_path: Path) -> None:
    """Row 14 is EVENTS / Rochford; a formula there saved by openpyxl has no cached value."""
    path = _return(db, tmp_path)
    cell = f"{get_column_letter(pr.FIRST_MONTH_COL)}14"
    edit(path, {cell: "=1+2"})
    result = load_file(db, path)
    assert result.outcome == "rejected"
    problem = result.problems[0]
    assert (problem.row, problem.column) == (14, get_column_letter(pr.FIRST_MONTH_COL))
    assert problem.reason.startswith(UNCALCULATED)
    assert "this cell holds a formula that Excel has not calculated; open the file in Excel, save it, and upload " \
           "again" in str(problem)
    assert scalar(db, select(func.count()).select_from(Observation)) == 0


def test_workbook_with_macros_is_refused(db: Engine, tmp_path: Path) -> None:
    path = _with_part(_return(db, tmp_path), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really VBA")
    result = load_file(db, path)
    assert result.outcome == "rejected"
    assert "contains macros" in result.problems[0].reason and ".xlsm" in result.problems[0].reason
    assert scalar(db, select(func.count()).select_from(Observation)) == 0


def test_workbook_with_external_links_is_refused(db: Engine, tmp_path: Path) -> None:
    path = _with_part(_return(db, tmp_path), "xl/externalLinks/externalLink1.xml", b"<externalLink/>")
    result = load_file(db, path)
    assert result.outcome == "rejected"
    assert "links to other workbooks" in result.problems[0].reason
    assert scalar(db, select(func.count()).select_from(LoadBatch).where(LoadBatch.outcome == "loaded")) == 6
