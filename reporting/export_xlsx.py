"""The snapshot as an Excel workbook laid out as a grant monitor files the Home Office return.

Sheets, in order: the cover (grant, period, contact, sign-off), spend against grant by quarter and by
category, people reached (starts) by intervention type and by age band, sex and ethnicity (published
by the disclosure gate when the snapshot was made), outputs, the outcome measures, the exception
report, then every section of the snapshot in full and a sheet of sources and rules. Sheet names are
whole and meaningful (at most Excel's 31 characters, never cut: an over-long name is an error); units
are words ("£", "hours", "people (starts)"); numbers are numbers; nothing is a formula.

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
SHEET_NAMES = {"kpis_quarter": "Measures this quarter", "kpis_fytd": "Measures year to date",
               "monthly": "Measures by month", "by_area": "Measures by area", "by_project": "Measures by project",
               "breakdown": "People by age, sex, ethnicity", "funding": "Funding by stream",
               "spend": "Spend by quarter", "spend_by_category": "Spend by category",
               "spend_projects": "Spend by project", "completeness": "Returns received",
               "exceptions": "Exception report", "partner_commentary": "Partner commentary",
               "accepted_warnings": "Accepted against warnings", "outcome_measures": "Outcome measures",
               "health_trend": "Hospital admissions trend", "police_outcomes": "Police outcome measures",
               "crime_trend": "Police recorded crime by month", "grip_effect": "Grip hotspot patrols"}
UNIT_WORDS = {"gbp": "£", "people": "people", "hours": "hours", "sessions": "sessions",
              "events": "events", "lines": "County Lines", "items": "weapons", "organisations": "organisations",
              "offences": "offences"}
MAX_SHEET_NAME = 31


class SheetNameTooLong(ValueError):
    """A sheet name that Excel would cut: name it shorter in SHEET_NAMES rather than lose its end."""


def _whole_words(text: str, limit: int) -> str:
    """The longest run of whole words that fits ``limit`` characters, without trailing punctuation."""
    words = text.split()
    while words and len(" ".join(words)) > limit:
        words.pop()
    return " ".join(words).rstrip(",;:-. ")


def _sheet_title(text: str, used: set[str]) -> str:
    """A whole, meaningful sheet name: never a cut word (Excel allows 31 characters)."""
    base = re.sub(r"[\[\]:*?/\\']", " ", text).strip() or "Sheet"
    if len(base) > MAX_SHEET_NAME:
        base = _whole_words(base, MAX_SHEET_NAME)
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = _whole_words(base, MAX_SHEET_NAME - len(suffix)) + suffix, n + 1
    if len(name) > MAX_SHEET_NAME or not name.strip():
        raise SheetNameTooLong(name)
    used.add(name.lower())
    return name


def unit_words(unit: str) -> str:
    return UNIT_WORDS.get(unit, unit)


def _put_text(ws: Worksheet, row: int, col: int, value: str) -> None:
    """Text as a string cell, never a formula, escaped so copying it elsewhere cannot run it either."""
    cell = ws.cell(row=row, column=col)
    cell.value = escape_text(value)
    cell.data_type = "s"


def _fit(ws: Worksheet, widths: dict[int, int]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(8, min(MAX_WIDTH, width + 2))


def _heading(ws: Worksheet, title: str, note: str, doc: SnapshotDoc) -> None:
    _put_text(ws, 1, 1, title)
    ws.cell(1, 1).font = TITLE_FONT
    _put_text(ws, 2, 1, " ".join([f"{SAMPLE_LINE}." if is_sample(doc) else "", note]).strip())
    ws.cell(2, 1).font = NOTE_FONT


def _grid(ws: Worksheet, top: int, header: list[str], rows: list[list], formats: list[str]) -> int:
    """A plain table from row ``top``: text as text, numbers as numbers with a format; returns the next
    free row. ``formats``: per column, an Excel number format or "" for text."""
    for j, label in enumerate(header, 1):
        _put_text(ws, top, j, label)
        cell = ws.cell(top, j)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
    widths = {j: min(len(h), 24) for j, h in enumerate(header, 1)}
    for i, row in enumerate(rows, top + 1):
        for j, value in enumerate(row, 1):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                _put_text(ws, i, j, value)
                if value == SUPPRESSED:
                    ws.cell(i, j).alignment = RIGHT
            else:
                cell = ws.cell(row=i, column=j, value=float(value))
                cell.number_format = formats[j - 1] or "General"
            widths[j] = max(widths[j], len(display(value, "number")))
    _fit(ws, widths)
    return top + len(rows) + 2


def return_rows(doc: SnapshotDoc) -> list[tuple[str, str, str]]:
    """The return's cover facts (group "return"): the grant, the period, the contact and the sign-off."""
    meta = doc.content["meta"]
    funding = doc.section("funding")
    grants = [f"{r['source_body']} {r['funding_stream']}: £{float(r['amount_gbp']):,.0f}" for r in
              (funding["rows"] if funding else []) if "home office" in str(r.get("source_body", "")).lower()]
    if doc.approved:
        sign_off = f"Signed off (approved) on {doc.approved_at:%Y-%m-%d %H:%M} UTC by {doc.approved_by}"
    else:
        sign_off = "Not signed off: " + status_line(doc)
    return [("return", field, value) for field, value in (
        ("Unit", "Essex Violence and Vulnerability Unit"),
        ("Grant", "; ".join(grants) or "no Home Office grant recorded for the year"),
        ("Financial year", meta["financial_year"]),
        ("Period of this return", f"{meta['quarter']} ({meta['quarter_first']} to {meta['quarter_last']}); "
                                  f"year to date {meta['fytd_first']} to {meta['fytd_last']}"),
        ("Contact", meta.get("contact", "")),
        ("Prepared by", f"{meta['made_by']} on {meta['made_at'][:10]}"),
        ("Sign-off", sign_off),
    )]


def _return_cover(ws: Worksheet, doc: SnapshotDoc) -> None:
    """The cover: the return's facts first, then the snapshot's (hash, rules, sources, definitions)."""
    ws.title = "Cover"
    _put_text(ws, 1, 1, "Home Office Violence Reduction Unit grant monitoring return")
    ws.cell(1, 1).font = TITLE_FONT
    _put_text(ws, 2, 1, status_line(doc))
    ws.cell(2, 1).font = Font(bold=True, color="B00020" if not doc.approved else "006D3C")
    for i, label in enumerate(("Group", "Field", "Value"), 1):
        _put_text(ws, HEADER_ROW, i, label)
        ws.cell(HEADER_ROW, i).font = HEADER_FONT
        ws.cell(HEADER_ROW, i).fill = HEADER_FILL
    for r, (group, field, value) in enumerate(return_rows(doc) + cover_rows(doc), HEADER_ROW + 1):
        _put_text(ws, r, 1, group)
        _put_text(ws, r, 2, field)
        _put_text(ws, r, 3, value)
        ws.cell(r, 3).alignment = WRAP
        if group == "return":
            ws.cell(r, 2).font = Font(bold=True)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    _fit(ws, {1: 13, 2: 36})
    ws.column_dimensions["C"].width = 110


GBP = '"£"#,##0'


def _spend_sheet(ws: Worksheet, doc: SnapshotDoc) -> None:
    _heading(ws, "Spend against grant (£)", "By quarter (all projects) and by category (priority). Pounds; a blank "
             "quarter was not yet reported.", doc)
    spend, category = doc.section("spend"), doc.section("spend_by_category")
    top = HEADER_ROW
    if spend:
        rows = [[r["label"], r["spend_gbp"], r["grant_share_gbp"], r["cumulative_spend_gbp"],
                 r["cumulative_grant_gbp"]] for r in spend["rows"]]
        top = _grid(ws, top, ["Quarter", "Spend (£)", "Quarter of the grant (£)", "Spend to date (£)",
                              "Grant to date (£)"], rows, ["", GBP, GBP, GBP, GBP])
    if category:
        rows = [[r["category"], r["grant_gbp"], r["q1_gbp"], r["q2_gbp"], r["q3_gbp"], r["q4_gbp"], r["spend_gbp"],
                 r["remaining_gbp"]] for r in category["rows"]]
        _grid(ws, top, ["Category (priority)", "Grant (£)", "Q1 spend (£)", "Q2 spend (£)", "Q3 spend (£)",
                        "Q4 spend (£)", "Spend to date (£)", "Not yet spent (£)"], rows, ["", *[GBP] * 7])
    if not spend and not category:
        _put_text(ws, HEADER_ROW, 1, "No funding or spend figures are in this snapshot.")


def _people_sheet(ws: Worksheet, doc: SnapshotDoc) -> None:
    sec = doc.section("breakdown")
    _heading(ws, f"People reached (starts), {doc.content['meta']['quarter']}",
             "New people started in the quarter (starts, not distinct people across projects) by intervention "
             "type, and by age band, sex and ethnicity. " + doc.content["meta"]["disclosure"]["rule"], doc)
    if not sec:
        return
    people_cols = [c for c in sec["columns"] if c.get("unit") == "people"]
    rows = [[c["label"], r["dimension"], r["category"], r.get(c["key"])] for c in people_cols for r in sec["rows"]]
    _grid(ws, HEADER_ROW, ["Intervention type", "Split by", "Group", "Starts (people)"], rows, ["", "", "", "#,##0"])


def _kpi_rows(doc: SnapshotDoc, key: str) -> dict[str, dict]:
    sec = doc.section(key)
    return {r["metric_code"]: r for r in (sec["rows"] if sec else [])}


def _outputs_sheet(ws: Worksheet, doc: SnapshotDoc) -> None:
    meta = doc.content["meta"]
    _heading(ws, "Outputs", f"What the programme delivered: {meta['quarter']} and {meta['financial_year']} to date, "
             "against the target for the months so far. Units in words.", doc)
    quarter, year = _kpi_rows(doc, "kpis_quarter"), _kpi_rows(doc, "kpis_fytd")
    rows = []
    for code, r in year.items():
        if r["unit"] in ("people", "gbp") or not r["priority_code"]:
            continue
        q = quarter.get(code, {})
        rows.append([r["name"], unit_words(r["unit"]), q.get("value"), r["value"], r.get("expected"), r["status"]])
    _grid(ws, HEADER_ROW, ["Output", "Unit", "This quarter", "Year to date", "Target to date", "Status"], rows,
          ["", "", "#,##0.##", "#,##0.##", "#,##0.##", ""])


def _outcomes_sheet(ws: Worksheet, doc: SnapshotDoc) -> None:
    sec, trend = doc.section("outcome_measures"), doc.section("health_trend")
    _heading(ws, "Outcome measures", "The Home Office's success measures for VRUs with source, definition, period "
             "and interval; 'no data' where the partnership has none (not zero).", doc)
    if not sec:
        _put_text(ws, HEADER_ROW, 1, "This snapshot was made before outcome measures were reported.")
        return
    rows = [[r["measure"], r["value"], r["unit"], r["period"], r["interval"], r["baseline"], r["note"], r["source"],
             r["definition"]] for r in sec["rows"]]
    top = _grid(ws, HEADER_ROW, ["Measure", "Value", "Unit", "Period", "Interval", "Baseline", "Note", "Source",
                                 "Definition"], rows, [""] * 9)
    if trend and trend["rows"]:
        _put_text(ws, top, 1, "Hospital admissions for violence per 100,000 (age-standardised), by period")
        ws.cell(top, 1).font = Font(bold=True)
        rows = [[r["area_name"], r["time_period"], r["value"] if r["value"] is not None else r["value_note"],
                 r["lower_ci95"], r["upper_ci95"], r["baseline"], r["change_pct"], r["england"]]
                for r in trend["rows"]]
        _grid(ws, top + 1, ["Area", "Period", "Rate per 100,000", "95% CI low", "95% CI high", "Baseline rate",
                            "Change on baseline (%)", "England rate"], rows,
              ["", "", "0.0", "0.0", "0.0", "0.0", '0.0"%"', "0.0"])
    ws.column_dimensions["I"].width = 80


def _exceptions_sheet(ws: Worksheet, doc: SnapshotDoc) -> None:
    sec = doc.section("exceptions")
    _heading(ws, "Exception report", "Measures off track or at risk for the year to date, with the explanation and "
             "the action agreed.", doc)
    if not sec:
        _put_text(ws, HEADER_ROW, 1, "This snapshot was made before exception reports were kept.")
        return
    said = sec.get("notes") or ([] if sec["rows"] else ["Every measure with a target is on track."])
    rows = [[r["name"], r["status"], r["value"], r["target"], unit_words(r["unit"]), r["explanation"], r["action"],
             r["entered_by"]] for r in sec["rows"]] + [[note, "", None, None, "", "", "", ""] for note in said]
    _grid(ws, HEADER_ROW, ["Measure", "Status", "Value to date", "Target to date", "Unit", "Explanation",
                           "Action agreed", "Entered by"], rows, ["", "", "#,##0.##", "#,##0.##", "", "", "", ""])
    for col in ("F", "G"):
        ws.column_dimensions[col].width = 60


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
                _put_text(ws, i, j, unit_words(value) if c["key"] == "unit" else value)
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
    _return_cover(wb.active, doc)
    used = {"cover"}
    for title, fill in (("Spend against grant", _spend_sheet), ("People reached (starts)", _people_sheet),
                        ("Outputs", _outputs_sheet), ("Outcome measures", _outcomes_sheet),
                        ("Exception report", _exceptions_sheet)):
        fill(wb.create_sheet(_sheet_title(title, used)), doc)
    used.add("exception report")
    for sec in doc.content["sections"]:
        if sec["key"] in ("exceptions", "outcome_measures"):  # already a sheet of the return above
            continue
        _section_sheet(wb.create_sheet(_sheet_title(SHEET_NAMES.get(sec["key"], sec["title"]), used)), sec,
                       is_sample(doc))
    buf = io.BytesIO()
    ExcelWriter(wb, FixedTimeZip(buf, when)).save()  # not save_workbook: it stamps "modified" with now
    return buf.getvalue()
