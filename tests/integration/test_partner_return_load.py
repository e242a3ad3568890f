"""Partner returns end to end: template from the database, filled by hand, loaded through the real loader.

Runs on SQLite and, when reachable, on PostgreSQL (a schema of its own per test). Fixtures live here,
not in the shared conftest, so this file stands alone.
"""

from __future__ import annotations

import os
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select, text

from etl.loader import LoadResult, load_file
from etl.sources import partner_return as pr
from warehouse.db import make_engine, upgrade_to_head
from warehouse.models import (
    LoadBatch,
    Observation,
    ObservationHistory,
    ObservationMonthly,
    RejectedRow,
    ReturnSubmission,
)

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROCHFORD, BASILDON = "E07000075", "E07000066"
Q2 = "2024/25 Q2"

REFERENCE = {
    "areas.csv": """area_code,area_name,area_type,parent_code,population
E10000012,Essex,county,,1468177
E07000066,Basildon,district,E10000012,184479
E07000075,Rochford,district,E10000012,86980
E07000070,Chelmsford,district,E10000012,181763
""",
    "priorities.csv": """priority_code,name,description
P2,Proactive local enforcement with communities,Visible local enforcement with communities.
P3,Reduce exploitation of young and vulnerable people,Help people break away from exploitation.
""",
    "metrics.csv": """metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition
EVENTS,Community events held,sessions,sum,P2,partner,true,Events run in the month.
VOL_HOURS,Volunteer hours,hours,sum,P2,partner,true,Hours given by volunteers in the month.
IND_SUPPORTED,Individuals supported,people,sum,P3,partner,true,New people supported in the month.
""",
    "organisations.csv": """org_code,org_name,org_type
ORG001,Rayleigh Young People's Service,charity
""",
    "funding.csv": """funding_stream,source_body,financial_year,amount_gbp
HO_VRU,Home Office,2024/25,1700000
""",
    "projects.csv": """project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes
PRJ001,Neighbourhood Safety Forums,ORG001,P2,HO_VRU,2019-04-01,,E07000075;E07000066
PRJ009,Short Pilot,ORG001,P3,HO_VRU,2023-01-01,2023-12-31,E07000070
""",
}


def _postgres_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable here"
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated database holding the reference data above, on each backend."""
    admin = schema = None
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'returns.sqlite3'}")
    else:
        reason = _postgres_reason()
        if reason:
            pytest.skip(reason)
        schema = "pr_" + uuid.uuid4().hex[:12]
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade_to_head(engine)
        ref = tmp_path / "reference"
        ref.mkdir()
        for name, body in REFERENCE.items():
            (ref / name).write_text(body, encoding="utf-8")
            result = load_file(engine, ref / name)
            assert result.outcome == "loaded", [str(p) for p in result.problems]
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def observations(engine: Engine) -> dict[tuple[str, str, str], float]:
    with engine.connect() as conn:
        rows = conn.execute(select(Observation.metric_code, Observation.area_code, Observation.period,
                                   Observation.value))
        return {(m, a, p): v for m, a, p, v in rows}


def completed(engine: Engine, tmp_path: Path, values: dict, name: str = "return.xlsx", **kw: object) -> Path:
    return pr.write_completed_return(engine, "PRJ001", Q2, tmp_path / name, values, **kw)


def edit(path: Path, cells: dict[str, object]) -> Path:
    wb = load_workbook(path)
    ws = wb[pr.RETURN_SHEET]
    ws.protection.sheet = False
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def assert_nothing_loaded(engine: Engine, result: LoadResult) -> None:
    assert result.outcome == "rejected"
    assert count(engine, Observation) == 0
    assert count(engine, ReturnSubmission) == 0
    with engine.connect() as conn:
        reasons = conn.execute(select(RejectedRow.row_number, RejectedRow.column_name)
                               .where(RejectedRow.batch_id == result.batch_id)).all()
    assert reasons, "a refusal keeps its problems for the data quality page"


# --- the template from the database ---------------------------------------------------------------
def test_template_holds_the_projects_metrics_and_areas(db: Engine, tmp_path: Path) -> None:
    out = pr.write_template(db, "prj001", Q2, tmp_path / "t" / "blank.xlsx")
    ws = load_workbook(out)["Return"]
    assert ws["B3"].value == "PRJ001" and ws["B5"].value == "Rayleigh Young People's Service"
    rows = [(ws.cell(r, 1).value, ws.cell(r, 4).value) for r in range(13, 17)]
    # P2 metrics only (IND_SUPPORTED is P3), areas by name: Basildon before Rochford.
    assert rows == [("EVENTS", BASILDON), ("EVENTS", ROCHFORD), ("VOL_HOURS", BASILDON), ("VOL_HOURS", ROCHFORD)]
    assert ws.cell(17, 1).value is None


@pytest.mark.parametrize(
    ("project", "quarter", "message"),
    [
        ("PRJ404", Q2, "unknown project code 'PRJ404'"),
        ("PRJ001", "2024 Q2", "not a quarter like '2022/23 Q3'"),
        ("PRJ001", "2024/26 Q2", "not a quarter like"),
        ("PRJ009", Q2, "PRJ009 runs from 2023-01-01 to 2023-12-31; 2024/25 Q2"),
        ("PRJ001", "2018/19 Q4", "is outside those dates"),
    ],
)
def test_template_refuses_unknown_project_and_bad_quarter(db: Engine, tmp_path: Path, project: str, quarter: str,
                                                          message: str) -> None:
    with pytest.raises(ValueError) as info:
        pr.write_template(db, project, quarter, tmp_path / "x.xlsx")
    assert message in str(info.value)
    assert not (tmp_path / "x.xlsx").exists()


def test_template_for_a_quarter_overlapping_the_project_end(db: Engine, tmp_path: Path) -> None:
    # PRJ009 ends 2023-12-31: 2023/24 Q3 (Oct-Dec) is fine, Q4 (Jan-Mar 2024) is outside.
    assert pr.write_template(db, "PRJ009", "2023/24 Q3", tmp_path / "ok.xlsx").exists()
    with pytest.raises(ValueError, match="outside those dates"):
        pr.write_template(db, "PRJ009", "2023/24 Q4", tmp_path / "late.xlsx")


def test_cli_template_command(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from etl import cli

    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    out = tmp_path / "cli.xlsx"
    assert cli.main(["template", "PRJ001", Q2, "--out", str(out)]) == 0
    assert out.exists()
    assert cli.main(["template", "PRJ404", Q2, "--out", str(tmp_path / "no.xlsx")]) == 2
    assert "unknown project code 'PRJ404'" in capsys.readouterr().err


def test_completed_return_refuses_a_value_with_no_cell(db: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no cell for EVENTS, E07000070, 2024-07"):
        completed(db, tmp_path, {("EVENTS", "E07000070", "2024-07"): 1})
    assert not (tmp_path / "return.xlsx").exists()


# --- loading ----------------------------------------------------------------------------------------
def test_fill_and_load_records_observations_and_submission(db: Engine, tmp_path: Path) -> None:
    path = completed(db, tmp_path, {
        ("EVENTS", ROCHFORD, "2024-07"): 3, ("EVENTS", ROCHFORD, "2024-08"): "nil",
        ("EVENTS", BASILDON, "2024-09"): "1,234", ("VOL_HOURS", BASILDON, "2024-07"): 12.5,
        ("VOL_HOURS", ROCHFORD, "2024-07"): "n/a", ("VOL_HOURS", ROCHFORD, "2024-08"): "-",
    }, submitter="A. Partner", submitted_on=date(2024, 10, 14))
    result = load_file(db, path)  # recognised as a workbook, no kind given
    assert (result.kind, result.outcome, result.rows) == ("partner_return", "loaded", 5)
    # "n/a" is no row at all; "nil" and "-" are zeros; "1,234" is a thousand and more.
    assert observations(db) == {
        ("EVENTS", ROCHFORD, "2024-07"): 3.0, ("EVENTS", ROCHFORD, "2024-08"): 0.0,
        ("EVENTS", BASILDON, "2024-09"): 1234.0, ("VOL_HOURS", BASILDON, "2024-07"): 12.5,
        ("VOL_HOURS", ROCHFORD, "2024-08"): 0.0,
    }
    with db.connect() as conn:
        obs = conn.execute(select(Observation.source_row, Observation.financial_year, Observation.quarter,
                                  Observation.age_band, Observation.batch_id)
                           .where(Observation.metric_code == "EVENTS", Observation.area_code == ROCHFORD,
                                  Observation.period == "2024-07")).one()
        sub = conn.execute(select(ReturnSubmission.project_code, ReturnSubmission.financial_year,
                                  ReturnSubmission.quarter, ReturnSubmission.date_on_form,
                                  ReturnSubmission.batch_id)).one()
        batch = conn.execute(select(LoadBatch.kind, LoadBatch.project_code, LoadBatch.first_period,
                                    LoadBatch.last_period).where(LoadBatch.id == result.batch_id)).one()
        monthly = conn.execute(select(func.sum(ObservationMonthly.value))).scalar_one()
    assert tuple(obs) == (14, "2024/25", 2, "unknown", result.batch_id)  # worksheet row 14: EVENTS / Rochford
    # The typed date is kept as the date on the form; lateness follows the receipt (test_return_trust.py).
    assert tuple(sub) == ("PRJ001", "2024/25", 2, date(2024, 10, 14), result.batch_id)
    assert tuple(batch) == ("partner_return", "PRJ001", "2024-07", "2024-09")
    assert monthly == pytest.approx(3 + 1234 + 12.5)  # summaries refreshed in the same transaction


def test_loading_the_same_file_again_changes_nothing(db: Engine, tmp_path: Path) -> None:
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3})
    assert load_file(db, path).outcome == "loaded"
    again = load_file(db, path)
    assert again.outcome == "unchanged"
    assert count(db, Observation) == 1 and count(db, ObservationHistory) == 0
    assert count(db, ReturnSubmission) == 1


def test_revised_return_replaces_the_quarter_and_keeps_history(db: Engine, tmp_path: Path) -> None:
    first = completed(db, tmp_path, {
        ("EVENTS", ROCHFORD, "2024-07"): 3, ("EVENTS", ROCHFORD, "2024-08"): 4, ("EVENTS", BASILDON, "2024-09"): 5,
    }, name="first.xlsx", submitted_on=date(2024, 10, 10))
    assert load_file(db, first).outcome == "loaded"
    # The revision corrects July, leaves August "n/a" and adds hours: the whole quarter is replaced.
    revised = completed(db, tmp_path, {
        ("EVENTS", ROCHFORD, "2024-07"): 6, ("EVENTS", ROCHFORD, "2024-08"): "n/a", ("EVENTS", BASILDON, "2024-09"): 5,
        ("VOL_HOURS", ROCHFORD, "2024-09"): 2,
    }, name="revised.xlsx", submitted_on=date(2024, 11, 2))
    result = load_file(db, revised)
    assert result.outcome == "loaded"
    assert observations(db) == {
        ("EVENTS", ROCHFORD, "2024-07"): 6.0, ("EVENTS", BASILDON, "2024-09"): 5.0,
        ("VOL_HOURS", ROCHFORD, "2024-09"): 2.0,
    }
    assert count(db, ObservationHistory) == 3  # every row of the first return
    with db.connect() as conn:
        sub = conn.execute(select(ReturnSubmission.date_on_form, ReturnSubmission.batch_id)).all()
    assert [tuple(s) for s in sub] == [(date(2024, 11, 2), result.batch_id)]  # one log row, the latest


def test_lateness_follows_the_receipt_not_the_date_typed(db: Engine, tmp_path: Path) -> None:
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3}, submitted_on=date(2099, 1, 1))
    result = load_file(db, path)
    with db.connect() as conn:
        submitted = conn.execute(select(ReturnSubmission.submitted_on)).scalar_one()
        loaded_at = conn.execute(select(LoadBatch.loaded_at).where(LoadBatch.id == result.batch_id)).scalar_one()
    assert submitted == loaded_at.date()


def test_altered_header_block_is_rejected_naming_the_cell(db: Engine, tmp_path: Path) -> None:
    path = edit(completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3}), {"A3": "Project reference"})
    result = load_file(db, path)
    assert_nothing_loaded(db, result)
    (p,) = result.problems
    assert (p.row, p.column, p.value) == (3, "A", "Project reference")
    assert "header block was changed" in p.reason


def test_non_numeric_cell_is_rejected_naming_row_and_month(db: Engine, tmp_path: Path) -> None:
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3, ("EVENTS", ROCHFORD, "2024-08"): "abc"})
    result = load_file(db, path)
    assert_nothing_loaded(db, result)
    (p,) = result.problems
    assert (p.row, p.column, p.value, p.reason) == (14, "G (2024-08)", "abc", "not a number")
    with db.connect() as conn:
        kept = conn.execute(select(RejectedRow.row_number, RejectedRow.column_name, RejectedRow.value)
                            .where(RejectedRow.batch_id == result.batch_id)).one()
    assert tuple(kept) == (14, "G (2024-08)", "abc")


def test_zip_bomb_is_rejected_before_openpyxl_opens_it(db: Engine, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = tmp_path / "bomb.xlsx"
    block = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(300):  # 300 MB of zeros when inflated
                fh.write(block)
    assert bomb.stat().st_size < 2 * 1024 * 1024

    def must_not_open(*_a: object, **_k: object) -> None:
        raise AssertionError("openpyxl was asked to open a zip bomb")

    monkeypatch.setattr(pr, "load_workbook", must_not_open)
    result = load_file(db, bomb)
    assert result.outcome == "rejected"
    (p,) = result.problems
    assert p.row == 0 and "over the" in p.reason and "limit" in p.reason
    assert count(db, Observation) == 0
