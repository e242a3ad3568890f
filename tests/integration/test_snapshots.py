"""Snapshots on the whole sample, on SQLite and PostgreSQL: frozen, locked, reproducible and controlled.

Known answers come from data/sample: SAFEGUARDED (people safeguarded) is 59 in 2022/23 Q3
(October to December 2022) and 169 from April to December 2022; its 2022/23 partnership target is
210, so the quarter's target is 52.5 and the year-to-date target 157.5. PRJ024 reported 0 for it in
November 2022; the revision below makes that 7, so the quarter becomes 66 and the year to date 176.

The module's database also holds one real police.uk file (Essex, April 2018, 16,709 rows, 48 without a
location; shared/data/police-uk) relabelled as November 2021, so the crime trend of the snapshot's
three years is one month long and accounts for every row.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select, text

from analysis.disclosure import MAX_ADJUSTMENT, SUPPRESSED
from analysis.fiscal import Quarter
from etl.demo import demo_files
from etl.loader import load_file
from reporting import snapshots
from reporting.common import SAMPLE_LINE
from reporting.content import _grid_section, normalise
from service.kpis import kpi_view
from tests.conftest import BACKENDS, SAMPLE, SHARED, new_database
from warehouse.filters import Filters
from warehouse.reporting_models import ReportSnapshot

QUARTER = "2022/23 Q3"
pytestmark = pytest.mark.skipif(not (SHARED / "police-uk" / "2018-04-essex-street.csv").exists(),
                                reason="../shared/data/police-uk is not beside the project")


def _load_sample(engine: Engine) -> None:
    for path in demo_files(SAMPLE):
        result = load_file(engine, path, sample=True)
        assert result.ok, [str(p) for p in result.problems[:5]]


@pytest.fixture(scope="module", params=BACKENDS)
def sample_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """A database with the whole sample and one approved snapshot of 2022/23 Q3, shared by this module."""
    folder = tmp_path_factory.mktemp("snapshots")
    engine, url, cleanup = new_database(request.param, folder)
    _load_sample(engine)
    police = (SHARED / "police-uk" / "2018-04-essex-street.csv").read_bytes().replace(b",2018-04,", b",2021-11,")
    (folder / "2021-11-essex-street.csv").write_bytes(police)
    assert load_file(engine, folder / "2021-11-essex-street.csv").outcome == "loaded"
    info = snapshots.create_snapshot(engine, QUARTER, made_by="analyst", threshold=9)
    snapshots.approve_snapshot(engine, info.id, approved_by="board chair")
    yield engine, url, info.id
    cleanup()


@pytest.fixture
def client(sample_db, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("DATABASE_URL", sample_db[1])
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server

    return server.test_client()


def _rows(content: dict, key: str) -> dict[str, dict]:
    sec = next(s for s in content["sections"] if s["key"] == key)
    return {r["metric_code"]: r for r in sec["rows"]}


# ---------------------------------------------------------------------------------------------------


def test_snapshot_holds_known_kpis_and_records_its_making(sample_db) -> None:  # noqa: ANN001
    engine, _url, sid = sample_db
    doc = snapshots.get_snapshot(engine, sid)
    meta = doc.content["meta"]
    assert (meta["quarter"], meta["quarter_first"], meta["quarter_last"]) == (QUARTER, "2022-10", "2022-12")
    assert (meta["fytd_first"], meta["fytd_last"]) == ("2022-04", "2022-12")
    assert meta["made_by"] == "analyst" and doc.approved_by == "board chair" and doc.approved
    assert meta["disclosure"]["threshold"] == 9 and "1 to 9 people" in meta["disclosure"]["rule"]
    # Every file of the sample that it draws on is named with its hash: observations.csv among them.
    files = {b["file_name"]: b["sha256"] for b in meta["source_batches"]}
    assert files["observations.csv"] == hashlib.sha256((SAMPLE / "observations.csv").read_bytes()).hexdigest()
    assert {"metrics.csv", "targets.csv", "funding.csv", "spend.csv"} <= set(files)
    quarter, year = _rows(doc.content, "kpis_quarter"), _rows(doc.content, "kpis_fytd")
    # 59 people safeguarded in the quarter and 169 in the year to date (sums of observations.csv), each
    # published with its fixed adjustment of at most 5; the same figures as the live view publishes.
    assert abs(quarter["SAFEGUARDED"]["value"] - 59) <= MAX_ADJUSTMENT and quarter["SAFEGUARDED"]["target"] == 52.5
    assert quarter["SAFEGUARDED"]["status"] == "on track"  # 54 or more of 52.5 pro rata
    assert abs(year["SAFEGUARDED"]["value"] - 169) <= MAX_ADJUSTMENT and year["SAFEGUARDED"]["target"] == 157.5
    live = kpi_view(engine, Filters(month_from="2022-10", month_to="2022-12")).table.set_index("metric_code")
    assert quarter["SAFEGUARDED"]["value"] == live.at["SAFEGUARDED", "value"]
    keys = [s["key"] for s in doc.content["sections"]]
    assert keys[:6] == ["kpis_quarter", "kpis_fytd", "monthly", "by_area", "by_project", "breakdown"]
    assert {"funding", "spend", "completeness"} <= set(keys)
    # The hash is the SHA-256 of the stored canonical JSON.
    with engine.connect() as conn:
        stored = conn.execute(select(ReportSnapshot.content).where(ReportSnapshot.id == sid)).scalar_one()
    assert hashlib.sha256(stored.encode()).hexdigest() == doc.content_sha256


def test_crime_trend_accounts_for_every_row(sample_db) -> None:  # noqa: ANN001
    engine, _url, sid = sample_db
    doc = snapshots.get_snapshot(engine, sid)
    crime = doc.section("crime_trend")
    assert crime is not None and crime["title"] == "Police recorded crime by month, 2021-11 to 2021-11"
    (row,) = crime["rows"]
    # Police recorded crime excludes anti-social behaviour (4,194 rows of the file), counted apart.
    assert row["anti_social_behaviour"] == 4_194
    assert row["crimes"] + row["outside_area"] + row["no_location"] + row["anti_social_behaviour"] == 16_709
    assert row["year_earlier"] is None  # no file for November 2020
    assert "2021-11-essex-street.csv" in {b["file_name"] for b in doc.content["meta"]["source_batches"]}
    assert doc.section("grip_effect") is not None  # the sample's Grip patrols, as the Grip page shows them


def test_exports_agree_with_the_api(sample_db, client) -> None:  # noqa: ANN001
    _engine, _url, sid = sample_db
    body = client.get(f"/api/v1/snapshots/{sid}").get_json()
    assert body["meta"]["status"] == "approved"
    api_q = _rows(body["content"], "kpis_quarter")
    live = {r["metric_code"]: r for r in client.get("/api/v1/kpis?fy=2022/23&quarter=Q3").get_json()["data"]}
    for code, row in api_q.items():  # the snapshot and the live KPI API use one function: they agree
        if row["value"] != SUPPRESSED:
            assert row["value"] == pytest.approx(live[code]["value"]) and row["status"] == live[code]["status"]

    xlsx = client.get(f"/api/v1/snapshots/{sid}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["X-Snapshot-SHA256"] == body["meta"]["content_sha256"]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.data), read_only=True, data_only=True)
    cover = {r[1]: r[2] for r in wb["Cover"].iter_rows(min_row=4, values_only=True)}
    assert cover["Content SHA-256"] == body["meta"]["content_sha256"]
    assert cover["Quarter"] == QUARTER and cover["Approved"].endswith("by board chair")
    assert cover["Data"] == SAMPLE_LINE
    assert all(str(ws["A2"].value).startswith(SAMPLE_LINE) for ws in wb.worksheets[1:])  # every sheet says so
    sheet = list(wb["Measures this quarter"].iter_rows(min_row=3, values_only=True))
    header, rows = list(sheet[0]), sheet[1:]
    got = {r[header.index("Code")]: r for r in rows}
    assert set(got) == set(api_q)
    for code, row in api_q.items():
        for key, label in (("value", "Value"), ("target", "Target"), ("status", "Status")):
            assert got[code][header.index(label)] == row[key], (code, key)

    zipped = client.get(f"/api/v1/snapshots/{sid}/export.csv.zip")
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as zf:
        names = zf.namelist()
        # The sample is loaded here: its notice is the first thing in the zip.
        assert names[:2] == ["SYNTHETIC-SAMPLE-DATA.txt", "metadata.csv"] and "01_kpis_quarter.csv" in names
        meta_rows = list(csv.reader(io.StringIO(zf.read("metadata.csv").decode("utf-8-sig"))))
        table = list(csv.DictReader(io.StringIO(zf.read("01_kpis_quarter.csv").decode("utf-8-sig"))))
    assert ["snapshot", "Content SHA-256", body["meta"]["content_sha256"]] in meta_rows
    assert {r["metric_code"]: r["value"] for r in table}["SAFEGUARDED"] == f"{api_q['SAFEGUARDED']['value']:.0f}"

    pdf = client.get(f"/api/v1/snapshots/{sid}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=0.5)  # A4 portrait
    words = " ".join(p.extract_text() for p in reader.pages)
    assert all(SAMPLE_LINE in p.extract_text() for p in reader.pages)  # every page of a sample pack says so
    assert body["meta"]["content_sha256"] in words.replace("\n", "")
    # The headline table, cell by cell: quarter value, target, status, then the year to date, as in the API.
    cells = reader.pages[1].extract_text().splitlines()
    at = cells.index("People safeguarded after police identification")
    if cells[at + 1] == "(starts)":  # the measure is labelled as starts; the label wraps in its cell
        at += 1
    api_y = _rows(body["content"], "kpis_fytd")["SAFEGUARDED"]
    q_row = api_q["SAFEGUARDED"]
    assert cells[at + 1:at + 8] == [f"{q_row['value']:.0f}", "52.5", q_row["status"], f"{api_y['value']:.0f}", "157.5",
                                    f"{api_y['share_pct']:.0f}%", api_y["status"]]
    for name in ("Funding and spend", "Progress by priority", "Data completeness and sources", "Crime trend",
                 "Grip hotspot patrols", "Chart in words: Crimes in the partnership area"):
        assert name in words


def test_no_small_count_of_people_anywhere(sample_db, client) -> None:  # noqa: ANN001
    _engine, _url, sid = sample_db
    content = client.get(f"/api/v1/snapshots/{sid}").get_json()["content"]
    hidden = 0
    for sec in content["sections"]:
        if not sec["people"]:
            continue
        people_cols = [c["key"] for c in sec["columns"] if c.get("unit") == "people"]
        for row in sec["rows"]:
            cols = people_cols if sec["key"] not in ("kpis_quarter", "kpis_fytd", "monthly") else (
                [c["key"] for c in sec["columns"] if c["type"] == "value"] if row.get("unit") == "people" else [])
            for col in cols:
                value = row[col]
                hidden += value == SUPPRESSED
                assert not (isinstance(value, int | float) and 1 <= value <= 9), (sec["key"], row, col)
    assert hidden == content["meta"]["disclosure"]["suppressed_cells"] > 0
    # And the XLSX holds the same: no number from 1 to 9 in the people columns of the area sheet.
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/snapshots/{sid}/export.xlsx").data), read_only=True)
    sheet = list(wb["Measures by area"].iter_rows(min_row=3, values_only=True))
    sec = next(s for s in content["sections"] if s["key"] == "by_area")
    people = [i for i, c in enumerate(sec["columns"]) if c.get("unit") == "people"]
    assert len(people) == 6  # SAFEGUARDED, YP_ENGAGED, IND_SUPPORTED, PROF_TRAINED, BESPOKE_PACKAGES, ACTIVE_CASELOAD
    for row in sheet[1:]:
        for i in people:
            assert not (isinstance(row[i], int | float) and 1 <= row[i] <= 9)


def test_a_grid_section_freezes_published_cells() -> None:
    """Known answer: the section freezes what the gate published. A's 3 people arrive hidden (NaN) and
    are frozen as "[c]"; the total row is the published total cell (64 here, not 20 + 40 + A); events
    are not people and are frozen as they are."""
    values = pd.DataFrame({"area_code": ["A", "A", "B", "B", "C", "C"],
                           "metric_code": ["PEOPLE", "EVENTS"] * 3, "value": [float("nan"), 2, 20, 1, 40, 5]})
    totals = pd.DataFrame({"metric_code": ["PEOPLE", "EVENTS"], "value": [64.0, 8.0]})
    labels = pd.DataFrame({"area_code": ["A", "B", "C"], "area_name": ["Alpha", "Beta", "Gamma"]})
    info = pd.DataFrame({"metric_code": ["PEOPLE", "EVENTS"], "name": ["People", "Events"],
                         "unit": ["people", "events"], "aggregation": ["sum", "sum"]})
    sec = normalise(_grid_section("t", "t", "", values, totals, "area_code", labels, info))
    got = {r["area_name"]: (r["PEOPLE"], r["EVENTS"]) for r in sec["rows"]}
    assert got == {"Alpha": (SUPPRESSED, 2), "Beta": (20, 1), "Gamma": (40, 5), "Total": (64, 8)}
    assert sec["suppressed_cells"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_approved_snapshot_survives_a_revision(backend: str, tmp_path: Path, exact_figures: None) -> None:
    engine, _url, cleanup = new_database(backend, tmp_path)
    try:
        _load_sample(engine)
        info = snapshots.create_snapshot(engine, QUARTER, made_by="analyst")
        snapshots.approve_snapshot(engine, info.id, approved_by="chair")
        before = {fmt: snapshots.export_snapshot(engine, info.id, fmt) for fmt in ("xlsx", "csv", "pdf")}

        revision = tmp_path / "revision.csv"
        revision.write_text("period,project_code,area_code,metric_code,value,age_band,sex,ethnicity\n"
                            "2022-11,PRJ024,E07000067,SAFEGUARDED,7,,,\n")
        loaded = load_file(engine, revision)
        assert loaded.outcome == "loaded", loaded.message

        after = {fmt: snapshots.export_snapshot(engine, info.id, fmt) for fmt in ("xlsx", "csv", "pdf")}
        for fmt in before:
            assert after[fmt].data == before[fmt].data and after[fmt].sha256 == before[fmt].sha256, fmt
        doc = snapshots.get_snapshot(engine, info.id)
        assert doc.content_sha256 == info.content_sha256
        # One rule for a stock: the KPI table, the areas and the projects give the same caseload.
        caseload = _rows(doc.content, "kpis_quarter")["ACTIVE_CASELOAD"]["value"]
        for key in ("by_area", "by_project"):
            sec = doc.section(key)
            parts = sum(r["ACTIVE_CASELOAD"] for r in sec["rows"] if r[sec["columns"][1]["key"]] != "Total")
            total = next(r for r in sec["rows"] if r[sec["columns"][1]["key"]] == "Total")["ACTIVE_CASELOAD"]
            assert parts == total == caseload, key
        assert _rows(doc.content, "kpis_quarter")["SAFEGUARDED"]["value"] == 59

        changes = snapshots.changes_since(engine, info.id)
        mine = changes[changes["metric_code"] == "SAFEGUARDED"].set_index(["section", "measure"])
        assert (mine.loc[("kpis_quarter", "value"), "snapshot_value"], mine.loc[("kpis_quarter", "value"),
                "current_value"]) == (59, 66)
        assert (mine.loc[("kpis_fytd", "value"), "snapshot_value"], mine.loc[("kpis_fytd", "value"),
                "current_value"]) == (169, 176)
        assert mine.loc[("monthly", "2022-11"), "batches"] == [loaded.batch_id]
        assert set(changes["metric_code"]) == {"SAFEGUARDED"}

        # A new draft of the same quarter sees the revision; the approved one never will.
        fresh = snapshots.create_snapshot(engine, QUARTER)
        assert _rows(snapshots.get_snapshot(engine, fresh.id).content, "kpis_quarter")["SAFEGUARDED"]["value"] == 66
        assert fresh.content_sha256 != info.content_sha256
        _database_refuses_changes(engine, info.id)
    finally:
        cleanup()


def _database_refuses_changes(engine: Engine, sid: int) -> None:
    """Triggers refuse any write to an approved snapshot or its stored exports, whatever the code path."""
    statements = [
        f"UPDATE report_snapshot SET content_sha256 = 'x' WHERE id = {sid}",
        f"UPDATE report_snapshot SET status = 'draft' WHERE id = {sid}",
        f"DELETE FROM report_snapshot WHERE id = {sid}",
        f"UPDATE report_export SET sha256 = 'x' WHERE snapshot_id = {sid}",
        f"DELETE FROM report_export WHERE snapshot_id = {sid}",
    ]
    for statement in statements:
        with pytest.raises(Exception, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))


def test_bad_input_gets_a_clear_message_and_changes_nothing(sample_db) -> None:  # noqa: ANN001
    engine, _url, sid = sample_db

    def count() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(ReportSnapshot)).scalar_one()

    before = count()
    approved_at = snapshots.get_info(engine, sid).approved_at
    with pytest.raises(snapshots.BadQuarter, match=r"unknown quarter '2022/23 Q5'.*like '2022/23 Q3'"):
        snapshots.create_snapshot(engine, "2022/23 Q5")
    with pytest.raises(snapshots.BadQuarter, match="unknown quarter 'last quarter'"):
        snapshots.create_snapshot(engine, "last quarter")
    with pytest.raises(snapshots.NoDataForQuarter, match=r"no observations for 2030/31 Q1: the data run from "
                                                         r"2019-04 to 2025-09"):
        snapshots.create_snapshot(engine, "2030/31 Q1")
    with pytest.raises(snapshots.SnapshotLocked, match=f"snapshot {sid} was already approved .* by board chair"):
        snapshots.approve_snapshot(engine, sid)
    with pytest.raises(snapshots.SnapshotNotFound, match="no snapshot 9999"):
        snapshots.export_snapshot(engine, 9999, "pdf")
    with pytest.raises(snapshots.SnapshotError, match="unknown export format 'docx'"):
        snapshots.export_snapshot(engine, sid, "docx")
    assert count() == before and snapshots.get_info(engine, sid).approved_at == approved_at


def test_api_answers_missing_and_bad_requests(client) -> None:  # noqa: ANN001
    missing = client.get("/api/v1/snapshots/9999/export.pdf")
    assert missing.status_code == 404 and "no snapshot 9999" in missing.get_json()["error"]
    assert client.get("/api/v1/snapshots/9999").status_code == 404
    assert client.get("/api/v1/snapshots/1/export?format=docx").status_code == 400
    listed = client.get("/api/v1/snapshots").get_json()
    assert listed["data"][-1]["links"]["pdf"].endswith("/export.pdf")
    assert client.get("/api/v1/snapshots?format=csv").data.startswith(b"id,quarter,status")


def test_draft_exports_repeat_byte_for_byte(sample_db) -> None:  # noqa: ANN001
    """Renderers are deterministic: a draft rendered twice gives the same bytes (XLSX, CSV and the PDF with
    its kaleido charts), so even before approval a download can be checked against another."""
    engine, _url, _sid = sample_db
    made = datetime(2022, 4, 20, 9, 30, 4)  # made in the past: a part stamped "now" cannot match it
    draft = snapshots.create_snapshot(engine, "2021/22 Q4", made_by="analyst", now=made)
    # Rendering reads only the frozen JSON, never the database, so the slow PDF is checked on one backend.
    formats = ("xlsx", "csv", "pdf") if engine.dialect.name == "sqlite" else ("xlsx", "csv")
    for fmt in formats:
        first, second = (snapshots.export_snapshot(engine, draft.id, fmt) for _ in range(2))
        assert first.data == second.data, fmt
        assert first.filename.endswith(f"DRAFT.{snapshots.FORMATS[fmt][0]}")
        if fmt == "xlsx":  # every part of the workbook carries the snapshot's own time, worksheets included
            stamps = {info.date_time for info in zipfile.ZipFile(io.BytesIO(first.data)).infolist()}
            assert stamps == {(made.year, made.month, made.day, made.hour, made.minute, made.second)}
    assert Quarter.parse(draft.quarter).label == "2021/22 Q4"
