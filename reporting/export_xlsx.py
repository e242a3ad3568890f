"""The snapshot as an Excel workbook: a cover sheet, then one sheet per section.

Rendered only from the frozen content. Numbers stay numbers with an Excel number format; suppressed
cells are the text "[c]"; text that could run as a formula is escaped and stored as text. Workbook
times are the snapshot's, and zip entries carry one fixed time, so the same snapshot always gives the
same bytes.
"""

from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from analysis.disclosure import SUPPRESSED
from reporting.common import (
    SAMPLE_LINE,
    FixedTimeZip,
    cover_rows,
    display,
    escape_text,
    excel_format,
    is_sample,
    made_at,
    status_line,
)
from reporting.content import SnapshotDoc

HEADER_FILL = PatternFill("solid", fgColor="0B4F8A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="4A5560")
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")
MAX_WIDTH = 60
HEADER_ROW = 3
SHEET_NAMES = {"kpis_quarter": "KPIs quarter", "kpis_fytd": "KPIs year to date", "monthly": "Monthly",
               "by_area": "By area", "by_project": "By project", "breakdown": "People by group",
               "funding": "Funding", "spend": "Spend", "spend_projects": "Spend by project",
               "completeness": "Returns"}


def _sheet_title(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", " ", text).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _put_text(ws: Worksheet, row: int, col: int, value: str) -> None:
    """Text as a string cell, never a formula, escaped so copying it elsewhere cannot run it either."""
    cell = ws.cell(row=row, column=col)
    cell.value = escape_text(value)
    cell.data_type = "s"


def _fit(ws: Worksheet, widths: dict[int, int]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(8, min(MAX_WIDTH, width + 2))


def _cover(ws: Worksheet, doc: SnapshotDoc) -> None:
    ws.title = "Cover"
    _put_text(ws, 1, 1, doc.content["meta"]["title"])
    ws.cell(1, 1).font = TITLE_FONT
    _put_text(ws, 2, 1, status_line(doc))
    ws.cell(2, 1).font = Font(bold=True, color="B00020" if not doc.approved else "006D3C")
    for i, label in enumerate(("Group", "Field", "Value"), 1):
        _put_text(ws, HEADER_ROW, i, label)
        ws.cell(HEADER_ROW, i).font = HEADER_FONT
        ws.cell(HEADER_ROW, i).fill = HEADER_FILL
    for r, (group, field, value) in enumerate(cover_rows(doc), HEADER_ROW + 1):
        _put_text(ws, r, 1, group)
        _put_text(ws, r, 2, field)
        _put_text(ws, r, 3, value)
        ws.cell(r, 3).alignment = WRAP
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    _fit(ws, {1: 13, 2: 36})
    ws.column_dimensions["C"].width = 110


def _section_sheet(ws: Worksheet, sec: dict, sample: bool = False) -> None:
    cols = sec["columns"]
    _put_text(ws, 1, 1, sec["title"])
    ws.cell(1, 1).font = TITLE_FONT
    note = " ".join([f"{SAMPLE_LINE}." if sample else "", sec["description"], *sec["notes"]]).strip()
    _put_text(ws, 2, 1, note)
    ws.cell(2, 1).font = NOTE_FONT
    widths: dict[int, int] = {}
    for j, c in enumerate(cols, 1):
        _put_text(ws, HEADER_ROW, j, c["label"])
        cell = ws.cell(HEADER_ROW, j)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left" if c["type"] in (
            "text", "date") else "right")
        widths[j] = min(len(c["label"]), 18) if c["type"] not in ("text", "date") else len(c["label"])
    for i, row in enumerate(sec["rows"], HEADER_ROW + 1):
        unit = row.get("unit") or ""
        for j, c in enumerate(cols, 1):
            value = row.get(c["key"])
            shown = display(value, c["type"], unit)
            widths[j] = max(widths[j], len(shown))
            if value is None:
                continue
            if isinstance(value, bool):
                _put_text(ws, i, j, "yes" if value else "no")
            elif isinstance(value, str):
                _put_text(ws, i, j, value)
                if value == SUPPRESSED:
                    ws.cell(i, j).alignment = RIGHT
            else:
                cell = ws.cell(row=i, column=j, value=value)
                cell.number_format = excel_format(c["type"], unit, float(value))
        if any(row.get(c["key"]) == "Total" for c in cols[:3] if c["type"] == "text"):
            for j in range(1, len(cols) + 1):
                ws.cell(i, j).font = Font(bold=True)
    ws.freeze_panes = f"{'C' if len(cols) > 10 else 'A'}{HEADER_ROW + 1}"
    ws.row_dimensions[HEADER_ROW].height = 45 if any(len(c["label"]) > 18 for c in cols) else 18
    _fit(ws, widths)
    if sec["rows"]:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{HEADER_ROW + len(sec['rows'])}"


def render_xlsx(doc: SnapshotDoc) -> bytes:
    wb = Workbook()
    when = made_at(doc)
    props = wb.properties
    props.creator = "Essex VVU outcomes dashboard"
    props.lastModifiedBy = doc.approved_by or doc.created_by
    props.title = f"{doc.content['meta']['title']} {doc.quarter}"
    props.subject = f"snapshot {doc.id}, content SHA-256 {doc.content_sha256}"
    props.created = when
    props.modified = doc.approved_at or when
    _cover(wb.active, doc)
    used = {"cover"}
    for sec in doc.content["sections"]:
        _section_sheet(wb.create_sheet(_sheet_title(SHEET_NAMES.get(sec["key"], sec["title"]), used)), sec,
                       is_sample(doc))
    buf = io.BytesIO()
    ExcelWriter(wb, FixedTimeZip(buf, when)).save()  # not save_workbook: it stamps "modified" with now
    return buf.getvalue()
