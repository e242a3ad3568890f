"""The browser upload, called directly with the base64 data URL ``dcc.Upload`` sends.

It must judge a file exactly as the command line does (same loader), load nothing on error, enforce
the size limit on the server and never trust the file name. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from etl.loader import load_file
from service.quality import confirm_upload, handle_upload, safe_display_name
from tests.conftest import SAMPLE
from warehouse.models import LoadBatch
from warehouse.quality_queries import recent_rejections, table_counts

REFERENCE = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv")
HEADER = "period,project_code,area_code,metric_code,value,age_band,sex,ethnicity\n"
# PRJ001 runs from 2019-04 in Rochford (E07000075); two people engaged, split by age/sex/ethnicity.
GOOD = HEADER + ("2024-05,PRJ001,E07000075,YP_ENGAGED,12,14-17,female,White\n"
                 "2024-05,PRJ001,E07000075,YP_ENGAGED,15,18-24,male,Black\n")
# Row 2: a metric code that does not exist; row 3: a negative count. Row 4 is fine but must not load.
BAD = HEADER + ("2024-05,PRJ001,E07000075,NOT_A_METRIC,3,,,\n"
                "2024-05,PRJ001,E07000075,YP_ENGAGED,-4,14-17,male,White\n"
                "2024-06,PRJ001,E07000075,YP_ENGAGED,20,14-17,male,White\n")


def data_url(text: str | bytes, mime: str = "text/csv") -> str:
    raw = text.encode() if isinstance(text, str) else text
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


@pytest.fixture
def ref_engine(engine: Engine) -> Engine:
    """A fresh database holding only the reference data an observations file refers to."""
    for name in REFERENCE:
        assert load_file(engine, SAMPLE / name).ok
    return engine


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads' temporary files go here, so a test can see that none is left behind."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def batches(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(select(LoadBatch.file_name, LoadBatch.outcome, LoadBatch.loaded_by,
                                   LoadBatch.rows_loaded).order_by(LoadBatch.id)).all()


def test_good_file_loads_like_the_command_line(ref_engine: Engine, own_tmp: Path) -> None:
    before = table_counts(ref_engine)
    checked = handle_upload(ref_engine, data_url(GOOD), "C:\\Users\\me\\April return.csv")
    # Checked first: a preview of two new rows, nothing loaded until confirmed.
    assert checked.outcome == "preview" and checked.token and checked.rows == 2, checked.message
    assert checked.file == "April return.csv"  # the browser's path is dropped
    assert table_counts(ref_engine) == before
    report = confirm_upload(ref_engine, checked.token, "")
    assert report.outcome == "loaded" and report.ok, report.message
    assert report.rows == 2 and report.kind == "observations"
    assert report.file == "April return.csv"
    after = table_counts(ref_engine)
    assert after["observations"] == before["observations"] + 2
    # Breakdown summary: one quarter (2024/25 Q1) x 3 dimensions x 2 categories each = 6 rows.
    assert after["observation_breakdown"] == 6
    assert batches(ref_engine)[-1] == ("April return.csv", "loaded", "web upload", 2)
    assert list(own_tmp.iterdir()) == []  # the temporary copy is gone

    again = handle_upload(ref_engine, data_url(GOOD), "April return.csv")
    assert again.outcome == "unchanged" and again.ok
    assert table_counts(ref_engine) == after


def test_bad_file_loads_nothing_and_reports_row_and_column(ref_engine: Engine, own_tmp: Path) -> None:
    before = table_counts(ref_engine)
    report = handle_upload(ref_engine, data_url(BAD), "bad.csv", loaded_by="web upload (alice)")
    assert report.outcome == "rejected" and not report.ok
    assert table_counts(ref_engine) == before  # not even the good row 4
    problems = {(r.row, r.column) for r in report.problems.itertuples()}
    assert problems == {(2, "metric_code"), (3, "value")}
    assert set(report.problems["file"]) == {"bad.csv"}
    assert "NOT_A_METRIC" in report.problems["value"].tolist()
    # The refusal is kept, with its problems, for the data quality page.
    assert batches(ref_engine)[-1][:3] == ("bad.csv", "rejected", "web upload (alice)")
    kept = recent_rejections(ref_engine, files=1)
    assert sorted(zip(kept["row_number"], kept["column_name"], strict=True)) == [(2, "metric_code"), (3, "value")]
    assert list(own_tmp.iterdir()) == []


def test_too_large_payload_is_refused_before_loading(ref_engine: Engine, own_tmp: Path) -> None:
    before, recorded = table_counts(ref_engine), len(batches(ref_engine))
    report = handle_upload(ref_engine, data_url(GOOD), "big.csv", max_bytes=100)
    assert report.outcome == "refused" and "100 byte upload limit" in report.message
    # 30 MB of base64 against the default 20 MB limit: refused from its length, never decoded.
    huge = "data:text/csv;base64," + "A" * (30 * 1024 * 1024)
    report = handle_upload(ref_engine, huge, "huge.csv")
    assert report.outcome == "refused" and "upload limit" in report.message
    assert report.problems[["row", "column"]].values.tolist() == [[0, ""]]
    assert table_counts(ref_engine) == before and len(batches(ref_engine)) == recorded
    assert list(own_tmp.iterdir()) == []


@pytest.mark.parametrize(("name", "contents", "reason"), [
    ("notes.txt", data_url(GOOD), "only .csv and .xlsx"),
    ("report.pdf", data_url(b"%PDF-1.4"), "only .csv and .xlsx"),
    ("data.xlsx", data_url(GOOD), "not an Excel workbook"),
    ("data.csv", data_url(b"PK\x03\x04rest"), "is a zip or Excel workbook"),
    ("data.csv", "data:text/csv;base64,@@not base64@@", "not valid base64"),
    ("data.csv", "just text", "did not arrive as a file"),
    ("data.csv", ["data:text/csv;base64,AAAA"], "did not arrive as a file"),
    ("data.csv", data_url(b""), "empty"),
])
def test_untrusted_uploads_are_refused(ref_engine: Engine, name: str, contents: object, reason: str) -> None:
    report = handle_upload(ref_engine, contents, name)
    assert report.outcome == "refused" and reason in report.message
    assert batches(ref_engine)[-1][0] == "projects.csv"  # nothing recorded, nothing loaded


def test_damaged_workbook_goes_through_the_loader_and_is_refused(ref_engine: Engine, own_tmp: Path) -> None:
    before = table_counts(ref_engine)
    report = handle_upload(ref_engine, data_url(b"PK\x03\x04 not really a zip", "application/octet-stream"),
                           "Q1 return.xlsx")
    assert report.outcome == "rejected" and "damaged" in report.problems["reason"].iloc[0]
    assert table_counts(ref_engine) == before
    assert batches(ref_engine)[-1][:2] == ("Q1 return.xlsx", "rejected")
    assert list(own_tmp.iterdir()) == []


def test_file_names_are_sanitised_for_display() -> None:
    assert safe_display_name("../../etc/passwd.csv") == "passwd.csv"
    assert safe_display_name("C:\\temp\\x.csv") == "x.csv"
    assert safe_display_name('<img src=x onerror="alert(1)">.csv') == "_img src_x onerror_alert(1)_.csv"
    assert safe_display_name("a\x00b\u202ec.csv") == "abc.csv"
    assert safe_display_name("") == "upload"
    long = safe_display_name("x" * 300 + ".xlsx")
    assert len(long) == 100 and long.endswith(".xlsx")


def test_page_callback_uses_the_same_path(ref_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Dash callback itself, called directly: report, refresh counter, cleared upload."""
    import dashboard.engine
    from dashboard.app import app  # noqa: F401 - registers the pages first
    from dashboard.pages import data_quality

    monkeypatch.setattr(dashboard.engine, "engine", lambda: ref_engine)
    monkeypatch.setattr(data_quality, "engine", lambda: ref_engine)
    before = table_counts(ref_engine)
    children, refresh, cleared, token, panel_hidden, _reason_hidden = data_quality.upload(data_url(BAD), "bad.csv", 3)
    assert refresh == 4 and cleared is None and token == "" and panel_hidden
    text = str(children)
    assert "metric_code" in text and "NOT_A_METRIC" in text and "Refused" in text
    assert table_counts(ref_engine) == before


def test_dash_endpoint_enforces_the_limit_on_the_server(ref_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that skips the browser's max_size and posts straight to the callback is still refused."""
    # The app's first request builds its layout (Dash does, once): let it read a real database.
    monkeypatch.setenv("DATABASE_URL", ref_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("WARM_CACHE", "0")
    from dashboard.app import server
    from dashboard.pages import data_quality

    monkeypatch.setattr(data_quality, "engine", lambda: ref_engine)
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "1000")
    outputs = [{"id": "data-quality-upload-report", "property": "children"},
               {"id": "data-quality-refresh", "property": "data"},
               {"id": "data-quality-upload", "property": "contents"},
               {"id": "data-quality-token", "property": "data"},
               {"id": "data-quality-confirm-panel", "property": "hidden"},
               {"id": "data-quality-reason-wrap", "property": "hidden"}]
    body = {
        "output": "..data-quality-upload-report.children...data-quality-refresh.data...data-quality-upload.contents"
                  "...data-quality-token.data...data-quality-confirm-panel.hidden...data-quality-reason-wrap.hidden..",
        "outputs": outputs,
        "inputs": [{"id": "data-quality-upload", "property": "contents", "value": data_url(GOOD * 20)}],
        "state": [{"id": "data-quality-upload", "property": "filename", "value": "big.csv"},
                  {"id": "data-quality-refresh", "property": "data", "value": 0}],
        "changedPropIds": ["data-quality-upload.contents"],
    }
    before = table_counts(ref_engine)
    response = server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200
    assert "1,000 byte upload limit" in response.get_data(as_text=True)
    assert table_counts(ref_engine) == before


def test_a_partner_uploads_returns_of_their_own_projects_only(ref_engine: Engine, tmp_path: Path) -> None:
    """Checked before anything loads: a partner's upload must be a return workbook of one of their projects."""
    from analysis.fiscal import months_between
    from etl.sources.partner_return import template_spec, write_completed_return
    from warehouse import queries
    from warehouse.filters import org_scope

    projects = queries.projects(ref_engine)
    mine = projects.loc[projects["org_code"] == "ORG001", "project_code"].iloc[0]
    theirs = projects.loc[projects["org_code"] != "ORG001", "project_code"].iloc[0]
    def one_figure(code: str) -> dict:
        spec = template_spec(ref_engine, code, "2024/25 Q1")
        month = next(m for m in months_between(spec.quarter.first_month, spec.quarter.last_month) if spec.active(m))
        return {(spec.metrics[0].code, spec.areas[0].code, month): 3}

    files = {code: write_completed_return(ref_engine, code, "2024/25 Q1", tmp_path / f"{code}.xlsx",
                                          one_figure(code)) for code in (mine, theirs)}
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    before = batches(ref_engine)
    with org_scope("ORG001"):
        other = handle_upload(ref_engine, data_url(files[theirs].read_bytes(), xlsx), f"{theirs}.xlsx")
        csv = handle_upload(ref_engine, data_url("project_code,project_name\nX,Y\n"), "projects.csv")
        own = handle_upload(ref_engine, data_url(files[mine].read_bytes(), xlsx), f"{mine}.xlsx")
    assert other.outcome == "refused" and "own organisation" in other.message
    assert csv.outcome == "refused" and ".xlsx" in csv.message
    assert own.outcome in ("preview", "unchanged", "rejected") and "own organisation" not in own.message
    # Only their own return reached the checker: one preview, for their organisation; nothing loaded yet.
    from warehouse.returns_models import LoadPreview

    with ref_engine.connect() as conn:
        previews = conn.execute(select(LoadPreview.file_name, LoadPreview.org_code)).all()
    assert [tuple(p) for p in previews] == ([(f"{mine}.xlsx", "ORG001")] if own.outcome == "preview" else [])
    assert batches(ref_engine)[len(before):] == ([] if own.outcome == "preview" else batches(ref_engine)[len(before):])


def test_a_file_removing_most_of_what_it_replaces_waits_for_confirmation(ref_engine: Engine,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: four rows for PRJ001 in 2024-05, then a one-row file for the same month: 3 of 4 rows
    would go (75%, over the 50% rule). Checked and confirmed, the load is refused with the counts, the
    preview stays open and the page offers a button; pressing it loads the file with ``replace`` and the
    month then holds the one row."""
    from dashboard.app import app  # noqa: F401 - registers the pages first
    from dashboard.pages import data_quality
    from warehouse.models import Observation

    monkeypatch.setattr(data_quality, "engine", lambda: ref_engine)
    four = HEADER + "".join(f"2024-05,PRJ001,E07000075,YP_ENGAGED,{n},{band},female,White\n"
                            for n, band in zip((12, 13, 14, 15), ("under 10", "10-13", "14-17", "18-24"), strict=True))
    one = HEADER + "2024-05,PRJ001,E07000075,YP_ENGAGED,20,14-17,female,White\n"
    from service.quality import confirm_upload

    token = data_quality.upload(data_url(four), "four.csv", 0)[3]
    assert confirm_upload(ref_engine, token, "").outcome == "loaded"
    _children, refresh, _cleared, token, _panel, _reason = data_quality.upload(data_url(one), "one.csv", 2)
    assert refresh == 3 and token
    refused = confirm_upload(ref_engine, token, "")  # what the page's "Confirm and load" does
    assert refused.needs_confirmation
    text = str(data_quality.confirm_view(refused))
    assert "would replace 4 rows loaded earlier for PRJ001 2024-05 with 1, removing 3 (75%" in text
    assert "Replace the rows anyway" in text
    with ref_engine.connect() as conn:
        assert conn.execute(select(Observation.value).order_by(Observation.value)).scalars().all() == [12, 13, 14, 15]
    assert data_quality.confirm_replace(0, token, "", 4) == (dash_no_update(),) * 3  # no click yet: nothing
    children, refresh, token_after = data_quality.confirm_replace(1, token, "", 4)
    assert refresh == 5 and token_after == "" and "Loaded" in str(children)
    with ref_engine.connect() as conn:
        assert conn.execute(select(Observation.value)).scalars().all() == [20]


def dash_no_update() -> object:
    import dash

    return dash.no_update
