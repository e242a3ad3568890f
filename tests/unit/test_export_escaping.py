"""Exports never let a partner's text run as a spreadsheet formula, and repeat byte for byte.

A snapshot is built by hand (no database): project names and a maker's name that begin with =, +, -
or @ must come out as text with a leading apostrophe in the XLSX (stored as a string cell, never a
formula) and in every CSV file of the zip, while numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import openpyxl

from reporting.common import display, escape_text, excel_format
from reporting.content import SnapshotDoc, canonical_json, column, normalise, section, sha256_text
from reporting.export_csv import render_csv_zip
from reporting.export_xlsx import render_xlsx

DANGEROUS = ['=HYPERLINK("http://example.invalid","click")', "+SUM(1,2)", "-2+3", "@cmd", "\tTAB", "=1+1"]
MADE = datetime(2023, 1, 20, 9, 30, 0)


def _doc(approved: bool = True) -> SnapshotDoc:
    rows = [{"project_code": f"PRJ{i:03d}", "project_name": name, "awarded_gbp": 1000.5 * i, "variance_pct": -12.5,
             "flag": "underspend"} for i, name in enumerate(DANGEROUS, 1)]
    rows.append({"project_code": "PRJ099", "project_name": "Youth club (Harlow)", "awarded_gbp": 0,
                 "variance_pct": None, "flag": "[c]"})
    sec = section("spend_projects", "Spend by project", "Per project.", [
        column("project_code", "Code"), column("project_name", "Project"), column("awarded_gbp", "Grant (£)", "gbp"),
        column("variance_pct", "Variance (%)", "pct"), column("flag", "Flag")], rows)
    meta = {"title": "Test snapshot", "quarter": "2022/23 Q3", "financial_year": "2022/23",
            "quarter_first": "2022-10", "quarter_last": "2022-12", "fytd_first": "2022-04", "fytd_last": "2022-12",
            "data_runs_to": "2022-12", "made_at": MADE, "made_by": "=cmd|' /C calc'!A0",
            "source_batches": [{"id": 1, "file_name": "@evil.csv", "kind": "observations", "sha256": "ab" * 32,
                                "loaded_at": "2023-01-02T00:00:00", "loaded_by": "+me"}],
            "disclosure": {"threshold": 9, "rule": "[c] = suppressed.", "function": "x", "suppressed_cells": 1},
            "rules": ["-rule one"], "definitions": [{"metric_code": "M", "name": "=name", "unit": "people",
                                                     "aggregation": "sum", "priority_code": "P1", "definition": "d"}],
            "priorities": [], "metrics_without_data": []}
    content = normalise({"meta": meta, "sections": [sec]})
    text = canonical_json(content)
    approved_at = datetime(2023, 1, 25, 12, 0, 0) if approved else None
    return SnapshotDoc(7, "2022/23 Q3", "approved" if approved else "draft", MADE, "=cmd", approved_at,
                       "@approver" if approved else "", content, sha256_text(text))


def _is_escaped(value: str) -> bool:
    return not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_escape_text_rule() -> None:
    assert escape_text("=1+1") == "'=1+1" and escape_text("@x") == "'@x" and escape_text("-x") == "'-x"
    assert escape_text("+x") == "'+x" and escape_text("plain") == "plain" and escape_text(-5) == -5
    assert escape_text("[c]") == "[c]"


def test_xlsx_has_no_formula_and_escapes_partner_text() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(_doc())))
    texts, numbers = [], []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert _is_escaped(cell.value), (ws.title, cell.coordinate, cell.value)
                elif isinstance(cell.value, int | float):
                    numbers.append(cell.value)
    for name in DANGEROUS:
        assert "'" + name in texts
    assert "'-rule one" in texts and any(t.startswith("'@evil.csv") for t in texts)  # the cover sheet too
    assert -12.5 in numbers  # a negative number is a number, not text to escape
    sheet = wb["Spend by project"]
    assert sheet.freeze_panes == "A4" and sheet["C4"].number_format == '"£"#,##0.00'  # £1,000.50


def test_csv_zip_escapes_every_file() -> None:
    with zipfile.ZipFile(io.BytesIO(render_csv_zip(_doc()))) as zf:
        assert zf.namelist() == ["metadata.csv", "01_spend_projects.csv"]
        assert all(info.date_time == (2023, 1, 20, 9, 30, 0) for info in zf.infolist())
        files = {name: list(csv.reader(io.StringIO(zf.read(name).decode("utf-8-sig")))) for name in zf.namelist()}
    projects = files["01_spend_projects.csv"]
    assert projects[0] == ["project_code", "project_name", "awarded_gbp", "variance_pct", "flag"]
    names = [r[1] for r in projects[1:]]
    assert names[:len(DANGEROUS)] == ["'" + n for n in DANGEROUS]
    assert projects[1][3] == "-12.5"  # numbers are written as numbers
    for rows in files.values():
        for row in rows:
            for value in row:
                assert value == "-12.5" or _is_escaped(value), value
    meta = {(r[0], r[1]): r[2] for r in files["metadata.csv"][1:]}
    assert meta[("source_batch", "Batch 1")].startswith("'@evil.csv")
    assert meta[("rule", "Rule 1")] == "'-rule one"


def test_exports_repeat_byte_for_byte_and_carry_the_snapshot_time() -> None:
    doc = _doc()
    assert render_xlsx(doc) == render_xlsx(doc)
    assert render_csv_zip(doc) == render_csv_zip(doc)
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(doc)))
    assert wb.properties.created == MADE and wb.properties.modified == datetime(2023, 1, 25, 12, 0, 0)
    draft = _doc(approved=False)
    assert render_xlsx(draft) != render_xlsx(doc)  # the cover says DRAFT
    cover = [c.value for c in openpyxl.load_workbook(io.BytesIO(render_xlsx(draft)))["Cover"]["A"]]
    assert cover[1].startswith("DRAFT")


def test_canonical_json_fixes_numbers_and_order() -> None:
    value = {"b": 1.0, "a": [0.1 + 0.2, float("nan"), -0.0, 2**60 * 1.0, 3], "c": MADE}
    assert canonical_json(value) == '{"a":[0.3,null,0,1.152921504606847e+18,3],"b":1,"c":"2023-01-20T09:30:00"}'
    assert sha256_text(canonical_json({"x": 1, "y": 2})) == sha256_text(canonical_json({"y": 2.0, "x": 1}))


def test_display_and_excel_formats() -> None:
    assert display(1234.4, "gbp") == "£1,234" and display(87.5, "pct") == "88%"
    assert display(59, "value", "people") == "59" and display(52.5, "value", "people") == "52.5"
    assert display("[c]", "count") == "[c]" and display(None, "count") == ""
    assert excel_format("value", "people", 52.5) == "#,##0.0" and excel_format("value", "people", 59) == "#,##0"
    assert excel_format("gbp", "", 10.25) == '"£"#,##0.00' and excel_format("pct") == '0.0"%"'
