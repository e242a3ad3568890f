"""The board pack and the Home Office return on a small hand-made data set, SQLite and PostgreSQL.

One priority (P1) with two measures, one project, April to December 2022:
- DYW_HOURS (hours of detached youth work): 10 a month, target 120 for 2022/23, so 90 of the 90 due by
  December: on track.
- COMMUNITY_EVENTS: 2 a month, target 40, so 18 of the 30 due by December (60%): off track, and so in
  the exception report, with the explanation and action a manager entered.
Snapshots are of 2022/23 Q3. Approving a second one of the quarter supersedes the first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from etl.loader import load_file
from reporting import exceptions, snapshots
from reporting.board_pack import current_view_pack
from reporting.export_xlsx import MAX_SHEET_NAME
from tests.conftest import BACKENDS, new_database
from tests.integration.test_fingertips_load import HEADER, NAME, ROWS
from warehouse.filters import Filters

QUARTER = "2022/23 Q3"
FILES = {
    "areas.csv": "area_code,area_name,area_type,parent_code,population\nE10000012,Essex,county,,1468177\n"
                 "E07000066,Basildon,district,E10000012,184479\n",
    "priorities.csv": "priority_code,name,description\nP1,Organised crime,Gangs and County Lines\n",
    "metrics.csv": "metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition\n"
                   "DYW_HOURS,Hours of detached youth work,hours,sum,P1,partner,true,Hours on the street\n"
                   "COMMUNITY_EVENTS,Community engagement events,events,sum,P1,partner,true,Events held\n",
    "organisations.csv": "org_code,org_name,org_type\nORG001,Youth Charity,charity\n",
    "funding.csv": "funding_stream,source_body,financial_year,amount_gbp\nHO_VRU,Home Office,2022/23,100000\n",
    "projects.csv": "project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes\n"
                    "PRJ001,Street Work,ORG001,P1,HO_VRU,2022-04-01,,E07000066\n",
    "targets.csv": "metric_code,financial_year,scope,scope_code,target_value\n"
                   "DYW_HOURS,2022/23,partnership,,120\nCOMMUNITY_EVENTS,2022/23,partnership,,40\n",
    "grants.csv": "project_code,funding_stream,financial_year,awarded_gbp\nPRJ001,HO_VRU,2022/23,80000\n",
    "spend.csv": "project_code,financial_year,quarter,spend_gbp\nPRJ001,2022/23,Q1,15000\nPRJ001,2022/23,Q2,21000.5\n",
    "observations.csv": "period,project_code,area_code,metric_code,value\n" + "".join(
        f"2022-{m:02d},PRJ001,E07000066,DYW_HOURS,10\n2022-{m:02d},PRJ001,E07000066,COMMUNITY_EVENTS,2\n"
        for m in range(4, 13)),
}
IDS: dict[str, tuple[int, int]] = {}  # (first, second) snapshot ids per database
EXPLANATION = "Two venues closed in the summer"
ACTION = "Events move to the youth centre from January"


@pytest.fixture(scope="module", params=BACKENDS)
def small_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("board-pack")
    engine, _url, cleanup = new_database(request.param, folder)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        result = load_file(engine, folder / name)
        assert result.ok, [str(p) for p in result.problems]
    (folder / "fingertips.csv").write_text("\n".join([HEADER] + [f"11201,{NAME},,,{r}" for r in ROWS]) + "\n")
    assert load_file(engine, folder / "fingertips.csv").ok
    exceptions.save_exception(engine, "COMMUNITY_EVENTS", QUARTER, EXPLANATION, ACTION, "demo-manager")
    first = snapshots.create_snapshot(engine, QUARTER, made_by="demo-manager")
    snapshots.approve_snapshot(engine, first.id, approved_by="demo-approver")
    second = snapshots.create_snapshot(engine, QUARTER, made_by="demo-manager")
    IDS[str(engine.url)] = (first.id, second.id)
    yield engine
    cleanup()


def test_the_exception_report_and_summary_are_frozen_with_the_snapshot(small_db: Engine) -> None:
    doc = snapshots.get_snapshot(small_db, IDS[str(small_db.url)][0])
    rows = doc.section("exceptions")["rows"]
    assert [(r["metric_code"], r["status"]) for r in rows] == [("COMMUNITY_EVENTS", "off track")]
    assert rows[0]["explanation"] == EXPLANATION and rows[0]["action"] == ACTION
    assert rows[0]["value"] == 18 and rows[0]["target"] == 30  # 2 x 9 months against 40 x 9/12
    summary = doc.content["meta"]["summary"]
    assert summary["priorities"] == ["P1 Organised crime: 1 of 2 measures with a target are on track to date; "
                                     "off track: Community engagement events."]
    assert summary["changes"][0].startswith("No snapshot had been approved before")
    # the second snapshot compares with the first, approved one
    later = snapshots.get_snapshot(small_db, IDS[str(small_db.url)][1]).content["meta"]["summary"]["changes"]
    assert later == [f"Since snapshot {IDS[str(small_db.url)][0]} ({QUARTER}, the last approved): no measure's "
                     "status has changed."]


def test_a_second_approval_supersedes_the_first_and_both_stay_downloadable(small_db: Engine) -> None:
    first, second = IDS[str(small_db.url)]
    stored = snapshots.export_snapshot(small_db, first, "pdf").data
    with pytest.raises(snapshots.ReasonNeeded, match=f"already has approved snapshot {first}"):
        snapshots.approve_snapshot(small_db, second, approved_by="demo-approver")
    with pytest.raises(snapshots.SelfApproval):
        snapshots.approve_snapshot(small_db, second, approved_by="demo-manager", reason="corrected return")
    snapshots.approve_snapshot(small_db, second, approved_by="demo-approver", reason="PRJ001 corrected its return")
    old = snapshots.get_info(small_db, first)
    assert old.status == "superseded" and old.superseded_by_id == second
    assert old.superseded_by == "demo-approver" and old.superseded_reason == "PRJ001 corrected its return"
    assert old.superseded_at is not None
    assert snapshots.standing_approval(small_db, QUARTER).id == second
    assert [i.status for i in snapshots.list_snapshots(small_db) if i.quarter == QUARTER].count("approved") == 1
    assert snapshots.export_snapshot(small_db, first, "pdf").data == stored  # byte for byte as approved
    assert snapshots.export_snapshot(small_db, second, "pdf").data.startswith(b"%PDF")
    with pytest.raises(snapshots.SnapshotLocked):
        snapshots.reject_snapshot(small_db, first, rejected_by="demo-approver")


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_the_pack_opens_with_a_one_page_executive_summary_and_reads_cleanly(small_db: Engine) -> None:
    pages = _pages(snapshots.export_snapshot(small_db, IDS[str(small_db.url)][0], "pdf").data)
    first = pages[0]
    for text in ("Executive", "Position against each priority", "Exception report", EXPLANATION, ACTION,
                 "What changed since the last approved snapshot"):
        assert text in first.replace("\n", " "), text
    assert "Headline measures" in pages[1]  # the summary is one page
    body = "\n".join(pages)
    assert "Non-domestic homicide" in body and "no data" in body  # said, not 0
    assert "Appendix: about this pack and its sources" in pages[-1]
    for i, text in enumerate(pages, 1):  # no page holding a lone row or a stray line: each carries content
        words = len(text.split()) - 40  # the running header and footer are about 40 words
        assert words >= 25, f"page {i} holds almost nothing: {text[:200]!r}"


def test_the_return_is_laid_out_as_a_grant_monitor_files_it(small_db: Engine) -> None:
    data = snapshots.export_snapshot(small_db, IDS[str(small_db.url)][0], "xlsx").data
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = wb.sheetnames
    assert names[:6] == ["Cover", "Spend against grant", "People reached (starts)", "Outputs", "Outcome measures",
                         "Exception report"]
    assert all(len(n) <= MAX_SHEET_NAME for n in names)
    assert "Police recorded crime by month," not in names and not any(n.endswith(",") for n in names)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f" or str(c.value).startswith("=")]  # no formulas
    assert not [c.value for c in cells if str(c.value).strip().lower() == "gbp"]  # units in words
    cover = {r[1]: r[2] for r in wb["Cover"].iter_rows(min_row=4, values_only=True)}
    assert cover["Grant"] == "Home Office HO_VRU: £100,000"
    assert cover["Contact"] and cover["Sign-off"].startswith("Signed off (approved) on")
    spend = list(wb["Spend against grant"].iter_rows(values_only=True))
    q2 = next(r for r in spend if r[0] == "2022/23 Q2")
    assert q2[1] == pytest.approx(21000.5) and isinstance(q2[1], float)  # numbers as numbers
    outputs = {r[0]: r for r in wb["Outputs"].iter_rows(values_only=True) if r[0]}
    assert outputs["Hours of detached youth work"][1:5] == ("hours", 30, 90, 90)
    exception = list(wb["Exception report"].iter_rows(values_only=True))[3]
    assert exception[:2] == ("Community engagement events", "off track") and exception[5] == EXPLANATION
    outcomes = [r[0] for r in wb["Outcome measures"].iter_rows(values_only=True)]
    assert "Hospital admissions for violence, Essex" in outcomes and "Non-domestic homicide" in outcomes


def test_the_current_view_pack_is_marked_and_not_stored(small_db: Engine) -> None:
    before = len(snapshots.list_snapshots(small_db))
    pack = current_view_pack(small_db, Filters(fy="2022/23", quarter="Q3"), "demo-board")
    assert pack.quarter == QUARTER and pack.data.startswith(b"%PDF")
    assert "CURRENT VIEW" in _pages(pack.data)[0]
    assert len(snapshots.list_snapshots(small_db)) == before
    # the same data, entries and approvals: the same bytes, without a second render
    assert current_view_pack(small_db, Filters(fy="2022/23"), "demo-chair") is pack


def test_an_exception_entry_needs_both_texts_and_a_known_measure(small_db: Engine) -> None:
    with pytest.raises(exceptions.ExceptionError, match="both a short explanation and the action"):
        exceptions.save_exception(small_db, "COMMUNITY_EVENTS", QUARTER, "  ", ACTION, "demo-manager")
    with pytest.raises(exceptions.ExceptionError, match="unknown measure 'NOPE'"):
        exceptions.save_exception(small_db, "nope", QUARTER, EXPLANATION, ACTION, "demo-manager")
    with pytest.raises(exceptions.ExceptionError, match="unknown quarter"):
        exceptions.save_exception(small_db, "COMMUNITY_EVENTS", "Q5", EXPLANATION, ACTION, "demo-manager")
    rows = exceptions.measures_for_exception_report(small_db, QUARTER)
    assert [(r["metric_code"], r["explanation"]) for r in rows] == [("COMMUNITY_EVENTS", EXPLANATION)]


def _fytd(pack_doc: dict) -> dict[str, dict]:
    return {r["metric_code"]: r for r in next(s for s in pack_doc["sections"] if s["key"] == "kpis_fytd")["rows"]}


def test_the_current_view_pack_follows_the_views_filters(sample_engine: Engine) -> None:
    """Two areas' views of 2024/25 (the sample's data run past it, so each view is the whole year, and the pack's
    quarter is Q4 with the year to date = the view): each pack's year-to-date figures are the overview's
    (``kpi_view`` of the same filters, which the overview's cards show), they differ between the areas, and
    the pack names its view; a priority's view holds that priority's measures only."""
    from datetime import UTC, datetime

    from analysis.fiscal import Quarter
    from reporting.board_pack import view_quarter
    from reporting.content import build_content
    from service.gate import threshold
    from service.kpis import kpi_view

    made = datetime(2026, 1, 1, tzinfo=UTC)
    seen = {}
    for area, name in (("E07000066", "Basildon"), ("E07000071", "Colchester")):
        f = Filters(fy="2024/25", area=area)
        assert view_quarter(sample_engine, f) == Quarter.parse("2024/25 Q4")
        content = build_content(sample_engine, Quarter.parse("2024/25 Q4"), threshold(), made, "test", f)
        assert content["meta"]["view"]["description"] == name
        page = kpi_view(sample_engine, f).table.set_index("metric_code")
        rows = _fytd(content)
        assert set(rows) == set(page.index)
        for code, r in rows.items():
            want = page.loc[code]
            assert r["status"] == want["status"], code
            if isinstance(r["value"], int | float) and want["value"] == want["value"]:  # not suppressed or NaN
                assert r["value"] == pytest.approx(float(want["value"])), code
        seen[area] = {c: r["value"] for c, r in rows.items()}
    assert seen["E07000066"] != seen["E07000071"]
    assert seen["E07000066"]["CL_LINES_CLOSED"] == 7  # Basildon's lines closed in 2024/25, as its overview says

    p1 = build_content(sample_engine, Quarter.parse("2024/25 Q4"), threshold(), made, "test",
                       Filters(fy="2024/25", priority="P1"))
    assert [p["priority_code"] for p in p1["meta"]["priorities"]] == ["P1"]
    assert {r["priority_code"] for r in _fytd(p1).values()} <= {"P1", ""}

    # The whole partnership's content has no "view" (so snapshots hash as before); a view's pack says which
    pack = current_view_pack(sample_engine, Filters(fy="2024/25", area="E07000066"), "demo-board")
    assert pack.filename == "vvu-board-pack-2024-25-Q4-current-view-E07000066.pdf"
    first = " ".join(_pages(pack.data)[0].split())
    assert "View: Basildon." in first and "cover the whole partnership" in first
    assert "view" not in build_content(sample_engine, Quarter.parse("2024/25 Q4"), threshold(), made, "test")["meta"]


def test_a_views_pack_does_not_compare_itself_with_the_partnerships_snapshot(small_db: Engine) -> None:
    from datetime import UTC, datetime

    from analysis.fiscal import Quarter
    from reporting.content import build_content

    content = build_content(small_db, Quarter.parse(QUARTER), 10, datetime(2026, 1, 1, tzinfo=UTC), "test",
                            Filters(area="E07000066"))
    # The supersession test may have run first (the database is shared by the module): the last approved
    # snapshot is whichever of the two is approved now.
    approved = next(i for i in IDS[str(small_db.url)] if snapshots.get_info(small_db, i).status == "approved")
    assert content["meta"]["summary"]["changes"] == [
        f"The last approved snapshot ({approved}, {QUARTER}) covers the whole partnership and this pack one part of "
        "it, so their statuses are not compared; the pack of the whole partnership says what changed."]
    # Basildon has no targets of its own (only the partnership's), so, as on the overview for that area,
    # no measure is judged and none is in its exception report
    report = next(s for s in content["sections"] if s["key"] == "exceptions")
    assert report["rows"] == []
    assert {r["status"] for r in _fytd(content).values()} == {"no target"}
    # ...and it says why, rather than reading as "everything is on track"; the partnership's entry for a
    # measure off track there is named as not listed here.
    n = len(_fytd(content))
    assert report["notes"] == [
        f"No measure in this view (Basildon) can be judged for the year to date ({n} not judged: no target, or "
        "too little data), so none is listed.",
        "An explanation and action were entered this quarter for Community engagement events, which is not off "
        "track or at risk in this view (Basildon), so it is not listed."]
    pack = current_view_pack(small_db, Filters(fy="2022/23", quarter="Q3", area="E07000066"), "demo-board")
    pdf = " ".join(" ".join(_pages(pack.data)[:2]).split())
    assert "No measure in this view (Basildon) can be judged" in pdf
    assert "Every measure with a target is on track" not in pdf
