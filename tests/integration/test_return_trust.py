"""Check, then confirm; plausibility warnings; receipt-time lateness; the chase list (issue 15).

Known answers on a hand-made history: PRJ001 reported EVENTS in Rochford every month from 2023-07 to
2024-06 as 4,5,4,6,4,5,4,5,4,6,4,5 (median 4.5, largest 6). Runs on SQLite and PostgreSQL (the ``db``
fixture of test_partner_return_load, which holds its reference data).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from etl import preview as pv
from etl.loader import load_file
from service.chase import chase_list, figures_accepted_against_warnings, partner_history, record_chase
from tests.integration.test_partner_return_load import BASILDON, ROCHFORD, completed, count, db  # noqa: F401
from warehouse.filters import Filters
from warehouse.models import LoadBatch, Observation, ReturnSubmission
from warehouse.returns_models import BatchWarning, LoadPreview

HISTORY = [4, 5, 4, 6, 4, 5, 4, 5, 4, 6, 4, 5]
MONTHS = [f"2023-{m:02d}" for m in range(7, 13)] + [f"2024-{m:02d}" for m in range(1, 7)]


def load_history(engine: Engine, tmp_path: Path) -> None:
    lines = ["period,project_code,area_code,metric_code,value"]
    lines += [f"{p},PRJ001,{ROCHFORD},EVENTS,{v}" for p, v in zip(MONTHS, HISTORY, strict=True)]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load_file(engine, path).outcome == "loaded"


def test_check_changes_nothing_warns_and_confirm_needs_a_reason(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    load_history(db, tmp_path)
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 99, ("EVENTS", ROCHFORD, "2024-08"): 5,
                                    ("VOL_HOURS", BASILDON, "2024-07"): 12.5})
    checked = pv.check_file(db, path, loaded_by="alice")
    assert checked.outcome == "preview" and checked.token and checked.rows == 3
    assert count(db, Observation) == 12  # the history only: checking loads nothing
    # 99 is beyond 3 x the largest month (18) and the robust bound: one warning, the history kind.
    assert [(w["metric_code"], w["area_code"], w["period"], w["kind"]) for w in checked.warnings] == [
        ("EVENTS", ROCHFORD, "2024-07", "history")]
    assert "16 times this project's largest month here (6" in checked.warnings[0]["message"]
    # Three new rows, none replaced (the quarter had no rows yet).
    assert {(c["metric_code"], c["period"], c["part"]): (c["added"], c["replaced"], c["removed"])
            for c in checked.changes} == {("EVENTS", "2024-07", "totals"): (1, 0, 0),
                                          ("EVENTS", "2024-08", "totals"): (1, 0, 0),
                                          ("VOL_HOURS", "2024-07", "totals"): (1, 0, 0)}
    # Headline for 2024/25: EVENTS (sessions, not people: exact) April-June 6+4+5 = 15, after 15+99+5 = 119.
    events = next(h for h in checked.headline if h["metric_code"] == "EVENTS")
    assert (events["before"], events["after"], events["financial_year"]) == (15.0, 119.0, "2024/25")

    with pytest.raises(pv.ConfirmRefused, match="need a short reason"):
        pv.confirm(db, checked.token, confirmed_by="alice", reason="   ")
    assert count(db, Observation) == 12
    result, _ = pv.confirm(db, checked.token, confirmed_by="alice", reason="Summer festival: 99 sessions are right")
    assert result.outcome == "loaded" and count(db, Observation) == 15
    with db.connect() as conn:
        kept = conn.execute(select(BatchWarning.batch_id, BatchWarning.metric_code, BatchWarning.reason)).all()
    assert [tuple(k) for k in kept] == [(result.batch_id, "EVENTS", "Summer festival: 99 sessions are right")]
    listed = figures_accepted_against_warnings(db)
    assert listed[["metric_code", "period", "value", "reason"]].values.tolist() == [
        ["EVENTS", "2024-07", 99.0, "Summer festival: 99 sessions are right"]]
    with pytest.raises(pv.ConfirmRefused, match="already confirmed"):
        pv.confirm(db, checked.token, reason="again")


def test_limit_from_metrics_csv_warns(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    metrics = tmp_path / "metrics.csv"
    metrics.write_text("metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition,"
                       "max_per_month\nVOL_HOURS,Volunteer hours,hours,sum,P2,partner,true,Hours.,100\n")
    assert load_file(db, metrics).outcome == "loaded"
    path = completed(db, tmp_path, {("VOL_HOURS", BASILDON, "2024-07"): 150, ("VOL_HOURS", BASILDON, "2024-08"): 100})
    checked = pv.check_file(db, path)
    # 150 is over the limit of 100; 100 is not (the limit itself is allowed). No history: no other kind.
    assert [(w["period"], w["kind"], w["value"]) for w in checked.warnings] == [("2024-07", "limit", 150.0)]


def test_stale_and_expired_previews_are_refused(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    first = pv.check_file(db, completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3}, name="a.xlsx"))
    other = tmp_path / "other.csv"
    other.write_text(f"period,project_code,area_code,metric_code,value\n2024-01,PRJ001,{BASILDON},EVENTS,2\n")
    assert load_file(db, other).outcome == "loaded"  # the data changed after the check
    with pytest.raises(pv.ConfirmRefused, match="the data changed since this file was checked"):
        pv.confirm(db, first.token)
    second = pv.check_file(db, completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 4}, name="b.xlsx"))
    with db.begin() as conn:
        conn.execute(update(LoadPreview).where(LoadPreview.token == second.token)
                     .values(expires_at=datetime(2020, 1, 1)))
    with pytest.raises(pv.ConfirmRefused, match="expired"):
        pv.confirm(db, second.token)
    with pytest.raises(pv.ConfirmRefused, match="no such preview"):
        pv.confirm(db, "not-a-token")
    assert count(db, Observation) == 1  # only other.csv's row


def test_refused_file_is_recorded_as_before(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): "lots"}, submitter_email="no-at-sign")
    checked = pv.check_file(db, path)
    assert checked.outcome == "rejected" and not checked.token
    reasons = sorted((p.row, p.column) for p in checked.problems)
    assert reasons == [(9, "B (Submitter email)"), (14, "F (2024-07)")]
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(LoadBatch).where(LoadBatch.outcome == "rejected")) == 1


def test_lateness_is_judged_by_receipt_and_the_chase_list(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    # Q2 2024/25 ends 30 September; due 30 days later, 30 October. The form says 10 October (on time),
    # the server received it on 15 November: 16 days late.
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3, ("EVENTS", ROCHFORD, "2024-09"): 2},
                     submitted_on=date(2024, 10, 10))
    checked = pv.check_file(db, path, received_at=datetime(2024, 11, 15, 9, 30))
    pv.confirm(db, checked.token)
    with db.connect() as conn:
        sub = conn.execute(select(ReturnSubmission.submitted_on, ReturnSubmission.date_on_form)).one()
    assert tuple(sub) == (date(2024, 11, 15), date(2024, 10, 10))
    history = partner_history(db, "ORG001")
    assert history[["quarter", "received", "date_on_form"]].values.tolist() == [
        ["2024/25 Q2", date(2024, 11, 15), date(2024, 10, 10)]]
    # The data run to 2024-09, so Q1 and Q2 of 2024/25 were due: Q2 arrived late (16 days), Q1 is missing.
    f = Filters(fy="2024/25")
    table = chase_list(db, f, today=date(2024, 12, 1))
    q2 = table[table["quarter"] == "2024/25 Q2"]
    assert q2[["project_code", "status", "days_overdue", "chases"]].values.tolist() == [["PRJ001", "late", 16, 0]]
    q1 = table[table["quarter"] == "2024/25 Q1"].iloc[0]
    # Q1 was due 30 July 2024: by 1 December that is 124 days overdue; no contact on file: no mailto.
    assert (q1["status"], q1["days_overdue"], q1["mailto"]) == ("missing", 124, "")
    record_chase(db, "PRJ001", "2024/25 Q1", "manager", when=datetime(2024, 12, 1, 10, 0))
    again = chase_list(db, f, today=date(2024, 12, 1))
    q1 = again[again["quarter"] == "2024/25 Q1"].iloc[0]
    assert (q1["chases"], str(q1["last_chased"])[:16]) == (1, "2024-12-01 10:00")


def test_command_line_check_confirm_and_accept_with_json(db: Engine, tmp_path: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from etl import cli

    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    load_history(db, tmp_path)
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 99})
    capsys.readouterr()
    # A plain load of a figure with a warning is held: exit 3, nothing loaded.
    assert cli.main(["load", str(path), "--json"]) == 3
    held = json.loads(capsys.readouterr().out)["held_for_warnings"]
    assert [w["kind"] for w in held[0]["warnings"]] == ["history"] and count(db, Observation) == 12
    assert cli.main(["load", "--check", str(path), "--json"]) == 0
    (checked,) = json.loads(capsys.readouterr().out)
    assert checked["outcome"] == "preview" and count(db, Observation) == 12
    assert cli.main(["load", "--confirm", checked["token"], "--json"]) == 2  # warnings need a reason
    assert "reason" in json.loads(capsys.readouterr().out)["message"]
    assert cli.main(["load", "--confirm", checked["token"], "--reason", "festival month", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["outcome"], done["rows"]) == ("loaded", 1) and count(db, Observation) == 13


def test_a_corrected_return_resolves_the_refused_one_and_counts_agree(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    from service.quality import batches_view, rejections_view

    bad = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): "lots", ("EVENTS", ROCHFORD, "2024-08"): "-3"},
                    name="q2 return.xlsx")
    refused = pv.check_file(db, bad)
    # Two problems, both in worksheet row 14 (its July and August cells): one row, as "recent loads" says.
    assert refused.message == "refused: 2 problem(s) in 1 row(s); nothing was loaded"
    assert batches_view(db)["rows_rejected"].iloc[0] == 1  # "1 row(s) with problems" in recent loads
    assert rejections_view(db)["resolved_by"].isna().all()
    fixed = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3}, name="q2 return v2.xlsx")
    result, _ = pv.confirm(db, pv.check_file(db, fixed).token)
    # A different file name, but the same project and quarter: the refused file's problems are resolved.
    assert set(rejections_view(db)["resolved_by"]) == {result.batch_id}


def test_notes_column_is_kept_as_the_partners_commentary(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    from openpyxl import load_workbook

    from etl.sources import partner_return as pr
    from service.chase import project_commentary

    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3})
    wb = load_workbook(path)
    ws = wb[pr.RETURN_SHEET]
    notes_col = pr.FIRST_MONTH_COL + 3
    row = next(r for r in range(pr.TABLE_HEADER_ROW + 1, ws.max_row + 1)
               if (ws.cell(r, 1).value, ws.cell(r, 4).value) == ("EVENTS", ROCHFORD))
    ws.cell(row, notes_col, "Two events moved to August by the flood")
    wb.save(path)
    pv.confirm(db, pv.check_file(db, path).token)
    notes, accepted = project_commentary(db, "PRJ001")
    assert notes[["financial_year", "quarter", "metric_code", "area_code", "note"]].values.tolist() == [
        ["2024/25", 2, "EVENTS", ROCHFORD, "Two events moved to August by the flood"]]
    assert accepted.empty


def test_template_shows_last_quarters_figures_and_instructions_first(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    from openpyxl import load_workbook

    from etl.sources import partner_return as pr

    load_history(db, tmp_path)
    wb = load_workbook(pr.write_template(db, "PRJ001", "2024/25 Q2", tmp_path / "t.xlsx"))
    assert wb.sheetnames[0] == "Instructions"
    ws = wb[pr.RETURN_SHEET]
    col = pr.FIRST_MONTH_COL + 4  # after the three months and the notes
    assert ws.cell(pr.TABLE_HEADER_ROW, col).value == pr.PREVIOUS_HEADER
    row = next(r for r in range(pr.TABLE_HEADER_ROW + 1, ws.max_row + 1)
               if (ws.cell(r, 1).value, ws.cell(r, 4).value) == ("EVENTS", ROCHFORD))
    # 2024/25 Q1 of the hand-made history: April 6, May 4, June 5.
    assert ws.cell(row, col).value == "Apr 6 · May 4 · Jun 5"
