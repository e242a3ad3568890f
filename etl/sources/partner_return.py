"""The partner quarterly return: a workbook the ETL writes blank for one project and quarter, and reads back.

It is the human form of the programme observations: one row per metric and area, one column per month.
Partners fill it by hand, so the reader forgives form (blank rows, stray notes, merged code cells,
"n/a", "nil", "-", "1,234") and is strict about meaning: the header block and the table layout must be
the ones the template was written with, and every figure goes through the same validation as the
observations CSV, with problems named by worksheet row, column letter and month header so the person
fixing the workbook finds the cell.

Safety: the loader has already checked the zip's sizes (``etl.safety.check_workbook``) before this
module is called; openpyxl parses the XML through ``defusedxml`` (refused if it is missing) and reads in
``read_only=True, data_only=True`` mode. This module never evaluates formulas or macros.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml import DEFUSEDXML
from sqlalchemy import Connection, Engine, delete, insert, select

from analysis.fiscal import Quarter, parse_period, period_of
from etl.columns import normalise_header
from etl.problems import FileRejected, Problem
from etl.safety import reject
from etl.sources.base import CHUNK_ROWS, Context
from etl.sources.observations import AGE_BANDS, ETHNICITIES, SEXES, SPLITS, Observations
from etl.workbook_safety import refuse_uncalculated_formulas
from warehouse.models import Area, LoadBatch, Metric, Organisation, Project, ProjectArea, ReturnSubmission

# --- layout: shared by the writer and the reader, so they cannot drift apart -----------------------
TEMPLATE_ID = "vvu-partner-return"
TEMPLATE_VERSION = "2"  # 2: spend for the quarter and the "People by group" sheet
READABLE_VERSIONS = frozenset({"1", "2"})
RETURN_SHEET = "Return"
PEOPLE_SHEET = "People by group"
LISTS_SHEET = "Lists"
INSTRUCTIONS_SHEET = "Instructions"

TITLE = "Essex Violence and Vulnerability Unit: partner quarterly return"
HEADER_FIRST_ROW = 3
# (key, label) in worksheet order from HEADER_FIRST_ROW; labels in column A, values in column B.
HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("project_code", "Project code"),
    ("project_name", "Project name"),
    ("organisation", "Organisation"),
    ("financial_year", "Financial year"),
    ("quarter", "Quarter"),
    ("submitter_name", "Submitter name"),
    ("submitter_email", "Submitter email"),
    ("date_submitted", "Date submitted (YYYY-MM-DD)"),
    ("spend_gbp", "Spend this quarter (£)"),  # version 2 on; last, so the rows above keep their places
)
V1_FIELDS = frozenset(key for key, _label in HEADER_FIELDS if key != "spend_gbp")
HEADER_ROW_OF = {key: HEADER_FIRST_ROW + i for i, (key, _label) in enumerate(HEADER_FIELDS)}
_HEADER_LABEL_OF_ROW = {HEADER_ROW_OF[key]: label for key, label in HEADER_FIELDS}
INPUT_FIELDS = ("submitter_name", "submitter_email", "date_submitted", "spend_gbp")
# Version 1 left one blank row after the header block; version 2's spend fills it, so the table (and every
# cell a partner or a test names) stays where it was.
TABLE_HEADER_ROW = HEADER_FIRST_ROW + len(V1_FIELDS) + 1
TABLE_COLUMNS = ("metric_code", "metric name", "unit", "area_code", "area name")
METRIC_COL, AREA_COL = 1, 4
FIRST_MONTH_COL = len(TABLE_COLUMNS) + 1
NOTES_HEADER = "notes (your commentary, shown with the figures)"
PREVIOUS_HEADER = "last quarter (for reference, not loaded)"
SPARE_ROWS = 5  # unlocked rows with drop-downs, for a row deleted by mistake
TABLE_SEARCH_ROWS = 40  # how far below the header block the table header may have been pushed
MAX_ROWS = 10_000  # a return is a few dozen rows; anything past this is not a return

# Lists sheet: metric list in A:C, area list in E:F, template marker in H:I; from version 2 the metrics
# counted in people (the only ones split by group) in K and the group categories in M:O.
PEOPLE_CODES_COL = 11
SPLIT_LIST_COLS = {"age_band": 13, "sex": 14, "ethnicity": 15}
# "People by group": one row per metric, area and group (age band, sex, ethnicity), months from the same
# column as on the Return sheet, so a month's column letter is the same on both sheets.
PEOPLE_COLUMNS = ("metric_code", "area_code", "age band", "sex", "ethnicity")
PEOPLE_HEADER_ROW = 4
PEOPLE_SPLIT_COL = {"age_band": 3, "sex": 4, "ethnicity": 5}
PEOPLE_ROWS_PER_CELL = 8  # input rows per people metric and area; a partner may add groups in spare rows
PEOPLE_ROWS_MIN = 30
PEOPLE_ROW_BASE = 1_000_000  # a People-sheet row is carried as this + its row while the parent validates
META_KEYS = ("template", "version", "project_code", "quarter")

# "n/a" and blank mean "not reported" (no row); these words mean "none happened" (a zero).
ZERO_WORDS = frozenset({"nil", "none", "zero", "-", "–", "—", "0"})
SPLIT_CHOICES = {"age_band": AGE_BANDS, "sex": SEXES, "ethnicity": ETHNICITIES}
SPLIT_LIST_NAMES = {"age_band": "AgeBands", "sex": "Sexes", "ethnicity": "Ethnicities"}
NOT_REPORTED_WORDS = frozenset({"n/a", "na", "n.a", "n.a.", "notapplicable"})

ROW_SCALE = 100_000  # encodes (worksheet row, column) in one integer while the parent validates

_FILL_LABEL = PatternFill("solid", fgColor="D9E1F2")
_FILL_INPUT = PatternFill("solid", fgColor="FFF2CC")
_FILL_LOCKED = PatternFill("solid", fgColor="EDEDED")
_FILL_HEAD = PatternFill("solid", fgColor="1F3864")
_THIN = Side(style="thin", color="BFBFBF")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)


# --- what a template is made of ----------------------------------------------------------------------
@dataclass(frozen=True)
class MetricInfo:
    code: str
    name: str
    unit: str
    aggregation: str = "sum"
    definition: str = ""


@dataclass(frozen=True)
class AreaInfo:
    code: str
    name: str


@dataclass(frozen=True)
class TemplateSpec:
    """Everything a template shows, gathered from the database once so building it needs no I/O."""

    project_code: str
    project_name: str
    organisation: str
    priority_code: str
    quarter: Quarter
    start_date: date
    end_date: date | None
    metrics: tuple[MetricInfo, ...]
    areas: tuple[AreaInfo, ...]
    # Last quarter's figures per (metric, area), shown beside the empty cells so a partner sees what
    # they sent before (and a slip such as 99,999 stands out while typing).
    previous: tuple[tuple[str, str, str], ...] = ()

    @property
    def people_metrics(self) -> tuple[MetricInfo, ...]:
        """Counts of new people, the metrics the dashboard breaks down by age, sex and ethnicity."""
        return tuple(m for m in self.metrics if m.unit == "people" and m.aggregation == "sum")

    def active(self, month: str) -> bool:
        """True when the project ran in ``month``; other months of the quarter are greyed and locked."""
        if month < period_of(self.start_date):
            return False
        return self.end_date is None or month <= period_of(self.end_date)


def template_spec(engine: Engine, project_code: str, quarter: str) -> TemplateSpec:
    """Look up a project's metrics and areas; ValueError with a message a person can act on."""
    q = Quarter.parse(quarter)  # raises ValueError("not a quarter like '2022/23 Q3': ...")
    code = (project_code or "").strip().upper()
    with engine.connect() as conn:
        p = conn.execute(
            select(Project.project_name, Project.org_code, Project.priority_code, Project.start_date,
                   Project.end_date).where(Project.project_code == code)
        ).first()
        if p is None:
            known = list(conn.scalars(select(Project.project_code).order_by(Project.project_code).limit(8)))
            hint = f"; known projects include {', '.join(known)}" if known else "; no projects are loaded yet"
            raise ValueError(f"unknown project code {project_code!r}{hint}")
        org = conn.scalar(select(Organisation.org_name).where(Organisation.org_code == p.org_code)) or p.org_code
        metrics = conn.execute(
            select(Metric.metric_code, Metric.name, Metric.unit, Metric.aggregation, Metric.definition)
            .where(Metric.priority_code == p.priority_code)
            .order_by(Metric.metric_code)
        ).all()
        areas = conn.execute(
            select(Area.area_code, Area.area_name)
            .join(ProjectArea, ProjectArea.area_code == Area.area_code)
            .where(ProjectArea.project_code == code)
            .order_by(Area.area_name)
        ).all()
    first, last = period_of(p.start_date), period_of(p.end_date) if p.end_date else None
    if q.last_month < first or (last is not None and q.first_month > last):
        runs = f"from {p.start_date:%Y-%m-%d}" + (f" to {p.end_date:%Y-%m-%d}" if p.end_date else " (ongoing)")
        raise ValueError(f"{code} runs {runs}; {q.label} ({q.first_month} to {q.last_month}) is outside those dates")
    if not metrics:
        raise ValueError(f"no metrics have priority {p.priority_code}, the priority of {code}; load metrics.csv first")
    if not areas:
        raise ValueError(f"{code} has no areas; give it area_codes in projects.csv")
    return TemplateSpec(
        project_code=code, project_name=p.project_name, organisation=org, priority_code=p.priority_code,
        quarter=q, start_date=p.start_date, end_date=p.end_date,
        metrics=tuple(MetricInfo(m.metric_code, m.name, m.unit, m.aggregation, m.definition or "") for m in metrics),
        areas=tuple(AreaInfo(a.area_code, a.area_name) for a in areas),
        previous=_previous_quarter(engine, code, q),
    )


def _previous_quarter(engine: Engine, code: str, q: Quarter) -> tuple[tuple[str, str, str], ...]:
    """(metric, area, 'Apr 3 · May 4 · Jun 5') for the quarter before ``q``, from the loaded figures."""
    from analysis.fiscal import add_months
    from warehouse.models import ObservationMonthly as OM

    first, last = add_months(q.first_month, -3), add_months(q.first_month, -1)
    with engine.connect() as conn:
        rows = conn.execute(select(OM.metric_code, OM.area_code, OM.period, OM.value)
                            .where(OM.project_code == code, OM.period.between(first, last))
                            .order_by(OM.metric_code, OM.area_code, OM.period)).all()
    texts: dict[tuple[str, str], list[str]] = {}
    for metric, area, period, value in rows:
        month = datetime.strptime(period, "%Y-%m").strftime("%b")
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        texts.setdefault((metric, area), []).append(f"{month} {number}")
    return tuple((m, a, " · ".join(parts)) for (m, a), parts in texts.items())


# --- writing the template ----------------------------------------------------------------------------
def write_template(engine: Engine, project_code: str, quarter: str, out: Path) -> Path:
    """Write a blank, pre-filled return for one project and quarter; ValueError for a bad project/quarter."""
    spec = template_spec(engine, project_code, quarter)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    build_template(spec).save(out)
    return out


def build_template(spec: TemplateSpec) -> Workbook:
    """The workbook for ``spec``: pure layout, no database, so unit tests can build one directly."""
    wb = Workbook()
    ws = wb.active
    ws.title = RETURN_SHEET
    lists = wb.create_sheet(LISTS_SHEET)
    _write_lists(wb, lists, spec)
    _write_header_block(ws, spec)
    _write_table(ws, spec)
    people = wb.create_sheet(PEOPLE_SHEET, wb.sheetnames.index(RETURN_SHEET) + 1)
    _write_people(people, spec)
    _write_instructions(wb.create_sheet(INSTRUCTIONS_SHEET, 0), spec)  # first: read before filling in
    for sheet in (ws, people, lists):
        sheet.protection.sheet = True
        # Partners may widen columns and rows, nothing else; no password: this guards against slips only.
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
    wb.security = WorkbookProtection(lockStructure=True)  # the hidden Lists sheet stays hidden and named
    wb.active = wb.sheetnames.index(INSTRUCTIONS_SHEET)
    return wb


def _write_lists(wb: Workbook, ws: Worksheet, spec: TemplateSpec) -> None:
    ws.append(["metric_code", "metric name", "unit", None, "area_code", "area name", None, "key", "value"])
    meta = dict(zip(META_KEYS, (TEMPLATE_ID, TEMPLATE_VERSION, spec.project_code, spec.quarter.label), strict=True))
    for i, m in enumerate(spec.metrics, start=2):
        for col, text in ((1, m.code), (2, m.name), (3, m.unit)):
            ws.cell(i, col, text)
    for i, a in enumerate(spec.areas, start=2):
        for col, text in ((5, a.code), (6, a.name)):
            ws.cell(i, col, text)
    for i, (key, value) in enumerate(meta.items(), start=2):
        for col, text in ((8, key), (9, value)):
            ws.cell(i, col, text)
    for i, m in enumerate(spec.people_metrics, start=2):
        ws.cell(i, PEOPLE_CODES_COL, m.code)
    for split, col in SPLIT_LIST_COLS.items():
        ws.cell(1, col, split)
        for i, category in enumerate(SPLIT_CHOICES[split], start=2):
            ws.cell(i, col, category)
        letter = get_column_letter(col)
        name = SPLIT_LIST_NAMES[split]
        wb.defined_names[name] = DefinedName(
            name, attr_text=f"{LISTS_SHEET}!${letter}$2:${letter}${len(SPLIT_CHOICES[split]) + 1}")
    ws.cell(1, PEOPLE_CODES_COL, "people metric_code")
    if spec.people_metrics:
        wb.defined_names["PeopleCodes"] = DefinedName(
            "PeopleCodes", attr_text=f"{LISTS_SHEET}!$K$2:$K${len(spec.people_metrics) + 1}")
    last_m, last_a = len(spec.metrics) + 1, len(spec.areas) + 1
    wb.defined_names["MetricCodes"] = DefinedName("MetricCodes", attr_text=f"{LISTS_SHEET}!$A$2:$A${last_m}")
    wb.defined_names["MetricTable"] = DefinedName("MetricTable", attr_text=f"{LISTS_SHEET}!$A$2:$C${last_m}")
    wb.defined_names["AreaCodes"] = DefinedName("AreaCodes", attr_text=f"{LISTS_SHEET}!$E$2:$E${last_a}")
    wb.defined_names["AreaTable"] = DefinedName("AreaTable", attr_text=f"{LISTS_SHEET}!$E$2:$F${last_a}")
    ws.sheet_state = "hidden"


def _validation(**kw: Any) -> DataValidation:
    """A validation that shows its prompt and its message (openpyxl's defaults show neither)."""
    return DataValidation(showErrorMessage=True, showInputMessage=True, **kw)


def _write_header_block(ws: Worksheet, spec: TemplateSpec) -> None:
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14, color="1F3864")
    ws["A2"] = (f"Template {TEMPLATE_ID} v{TEMPLATE_VERSION}. Fill in the yellow cells only; "
                "see the Instructions sheet.")
    ws["A2"].font = Font(italic=True, color="595959")
    values = {
        "project_code": spec.project_code, "project_name": spec.project_name, "organisation": spec.organisation,
        "financial_year": spec.quarter.fy, "quarter": f"Q{spec.quarter.number}",
    }
    for key, label in HEADER_FIELDS:
        row = HEADER_ROW_OF[key]
        head = ws.cell(row, 1, label)
        head.font, head.fill, head.border = Font(bold=True), _FILL_LABEL, _BOX
        cell = ws.cell(row, 2, values.get(key))
        cell.border = _BOX
        if key in INPUT_FIELDS:
            cell.fill, cell.protection = _FILL_INPUT, _UNLOCKED
        else:
            cell.fill = _FILL_LOCKED
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
    when = ws.cell(HEADER_ROW_OF["date_submitted"], 2)
    when.number_format = "yyyy-mm-dd"
    date_check = _validation(
        type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True, errorStyle="warning",
        error="Enter the date you send the return, as YYYY-MM-DD.", errorTitle="Date submitted",
        prompt="The date you send this return (YYYY-MM-DD).", promptTitle="Date submitted",
    )
    mail_check = _validation(
        type="custom", formula1=f'ISNUMBER(SEARCH("@",B{HEADER_ROW_OF["submitter_email"]}))', allow_blank=True,
        errorStyle="warning", error="This does not look like an email address.", errorTitle="Submitter email",
    )
    spend_check = _validation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True, errorStyle="warning",
        errorTitle="Spend this quarter", error="Enter an amount in pounds, such as 12500.00.",
        promptTitle="Spend this quarter", prompt="What the project spent in this quarter, in pounds (n/a if "
        "not known yet).",
    )
    ws.cell(HEADER_ROW_OF["spend_gbp"], 2).number_format = "£#,##0.00"
    for dv, key in ((date_check, "date_submitted"), (mail_check, "submitter_email"), (spend_check, "spend_gbp")):
        ws.add_data_validation(dv)
        dv.add(ws.cell(HEADER_ROW_OF[key], 2))


def _write_table(ws: Worksheet, spec: TemplateSpec) -> None:
    months = spec.quarter.months
    heads = [*TABLE_COLUMNS, *months, NOTES_HEADER, PREVIOUS_HEADER]
    previous = {(m, a): text for m, a, text in spec.previous}
    for col, text in enumerate(heads, start=1):
        cell = ws.cell(TABLE_HEADER_ROW, col, text)
        cell.font, cell.fill, cell.border = Font(bold=True, color="FFFFFF"), _FILL_HEAD, _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    value_check = _validation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True, errorStyle="warning",
        errorTitle="Monthly figure", error="Enter a number of 0 or more. Write n/a if not recorded, nil or 0 if none.",
        promptTitle="Monthly figure", prompt="A number (0 or more). n/a = not recorded; nil or 0 = none.",
    )
    metric_list = _validation(type="list", formula1="MetricCodes", allow_blank=True,
                                 error="Choose a metric code from the list.", errorTitle="metric_code")
    area_list = _validation(type="list", formula1="AreaCodes", allow_blank=True,
                               error="Choose an area code from the list.", errorTitle="area_code")
    for dv in (value_check, metric_list, area_list):
        ws.add_data_validation(dv)
    notes_col = FIRST_MONTH_COL + len(months)
    row = TABLE_HEADER_ROW
    for metric in spec.metrics:
        for area in spec.areas:
            row += 1
            for col, text in enumerate((metric.code, metric.name, metric.unit, area.code, area.name), start=1):
                cell = ws.cell(row, col, text)
                cell.fill, cell.border = _FILL_LOCKED, _BOX
            _month_cells(ws, row, spec, months, value_check)
            _notes_cell(ws, row, notes_col)
            before = ws.cell(row, notes_col + 1, previous.get((metric.code, area.code), ""))
            before.fill, before.border = _FILL_LOCKED, _BOX
    for _ in range(SPARE_ROWS):
        row += 1
        for col in range(1, FIRST_MONTH_COL):
            cell = ws.cell(row, col)
            cell.border = _BOX
            if col in (METRIC_COL, AREA_COL):
                cell.fill, cell.protection = _FILL_INPUT, _UNLOCKED
            else:  # names follow the chosen codes, so a partner never types them
                table, key, idx = (("MetricTable", "A", 2 if col == 2 else 3) if col < AREA_COL
                                   else ("AreaTable", "D", 2))
                cell.value = f'=IFERROR(VLOOKUP({key}{row},{table},{idx},FALSE),"")'
                cell.fill = _FILL_LOCKED
        _month_cells(ws, row, spec, months, value_check)
        _notes_cell(ws, row, notes_col)
    first_spare = row - SPARE_ROWS + 1
    metric_list.add(f"A{first_spare}:A{row}")
    area_list.add(f"D{first_spare}:D{row}")
    widths = {1: 30, 2: 44, 3: 12, 4: 13, 5: 24, notes_col: 40, notes_col + 1: 28}
    for col in range(1, notes_col + 2):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(col, 11)
    ws.row_dimensions[TABLE_HEADER_ROW].height = 30
    ws.freeze_panes = ws.cell(TABLE_HEADER_ROW + 1, FIRST_MONTH_COL)
    ws.print_title_rows = f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}"
    ws.page_setup.orientation = "landscape"


def _write_people(ws: Worksheet, spec: TemplateSpec) -> None:
    """The "People by group" sheet: counts of people split by age band, sex and ethnicity (optional).

    Rows here replace the Return sheet's total for the same metric, area and month (the dashboard adds
    them up), so a total given on both sheets must equal the sum of its groups.
    """
    months = spec.quarter.months
    ws["A1"] = "People by group (optional): counts of people by age band, sex and ethnicity"
    ws["A1"].font = Font(bold=True, size=13, color="1F3864")
    ws["A2"] = ("One row per metric, area and group; choose each from its list (unknown when not recorded). "
                "The groups of a metric, area and month add up to its total; leave the total on the Return "
                "sheet blank or equal to that sum.")
    ws["A2"].font = Font(italic=True, color="595959")
    for col, text in enumerate([*PEOPLE_COLUMNS, *months], start=1):
        cell = ws.cell(PEOPLE_HEADER_ROW, col, text)
        cell.font, cell.fill, cell.border = Font(bold=True, color="FFFFFF"), _FILL_HEAD, _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if not spec.people_metrics:
        ws.cell(PEOPLE_HEADER_ROW + 1, 1, "This project reports no counts of people: nothing to fill in here.")
        return
    value_check = _validation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True, errorStyle="warning",
        errorTitle="People", error="Enter a whole number of people (0 or more).",
    )
    lists = {
        "metric_code": _validation(type="list", formula1="PeopleCodes", allow_blank=True,
                                   error="Choose a metric counted in people.", errorTitle="metric_code"),
        "area_code": _validation(type="list", formula1="AreaCodes", allow_blank=True,
                                 error="Choose an area code from the list.", errorTitle="area_code"),
        **{split: _validation(type="list", formula1=SPLIT_LIST_NAMES[split], allow_blank=True,
                              error="Choose from the list.", errorTitle=split) for split in PEOPLE_SPLIT_COL},
    }
    for dv in (value_check, *lists.values()):
        ws.add_data_validation(dv)
    count = max(PEOPLE_ROWS_MIN, PEOPLE_ROWS_PER_CELL * len(spec.people_metrics) * len(spec.areas))
    first, last = PEOPLE_HEADER_ROW + 1, PEOPLE_HEADER_ROW + count
    for row in range(first, last + 1):
        for col in range(1, FIRST_MONTH_COL):
            cell = ws.cell(row, col)
            cell.fill, cell.protection, cell.border = _FILL_INPUT, _UNLOCKED, _BOX
        _month_cells(ws, row, spec, months, value_check)
    _people_lookups(ws, first, last)
    for col, dv in enumerate(lists.values(), start=1):
        letter = get_column_letter(col)
        dv.add(f"{letter}{first}:{letter}{last}")
    for col, width in enumerate((24, 13, 14, 10, 11), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(first, FIRST_MONTH_COL)


PEOPLE_LOOKUP_COL = FIRST_MONTH_COL + 3  # after a quarter's three months
PEOPLE_LOOKUPS = (("Measure (from the code)", "A", "MetricTable", 32), ("Area (from the code)", "B", "AreaTable", 22))


def _people_lookups(ws: Worksheet, first: int, last: int) -> None:
    """Beside the month cells, the measure's and the area's names looked up from the chosen codes, as the
    Return sheet's spare rows do, so a partner sees "Rochford", not only "E07000075". Locked formulas
    after the last month: the reader reads up to the last month, so they are never read as figures."""
    for offset, (title, key, table, width) in enumerate(PEOPLE_LOOKUPS):
        at = PEOPLE_LOOKUP_COL + offset
        head = ws.cell(PEOPLE_HEADER_ROW, at, title)
        head.font, head.fill, head.border = Font(bold=True, color="FFFFFF"), _FILL_HEAD, _BOX
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for row in range(first, last + 1):
            cell = ws.cell(row, at, f'=IFERROR(VLOOKUP({key}{row},{table},2,FALSE),"")')
            cell.fill, cell.border = _FILL_LOCKED, _BOX
        ws.column_dimensions[get_column_letter(at)].width = width


def _month_cells(ws: Worksheet, row: int, spec: TemplateSpec, months: list[str], dv: DataValidation) -> None:
    for j, month in enumerate(months):
        cell = ws.cell(row, FIRST_MONTH_COL + j)
        cell.border = _BOX
        if spec.active(month):
            cell.fill, cell.protection = _FILL_INPUT, _UNLOCKED
            cell.number_format = "#,##0.##"
            dv.add(cell)
        else:  # the project was not running that month: nothing to report
            cell.fill = _FILL_LOCKED


def _notes_cell(ws: Worksheet, row: int, col: int) -> None:
    cell = ws.cell(row, col)
    cell.border, cell.protection = _BOX, _UNLOCKED
    cell.alignment = Alignment(wrap_text=True)


def _write_instructions(ws: Worksheet, spec: TemplateSpec) -> None:
    q = spec.quarter
    lines = [
        (f"How to complete the {q.label} return for {spec.project_code} {spec.project_name}", True),
        ("", False),
        (f"1. On the '{RETURN_SHEET}' sheet, fill in the yellow cells: your name, email, the date you send "
         "it and what the project spent this quarter in pounds.", False),
        (f"2. Give one figure per metric, area and month ({q.first_month} to {q.last_month}).", False),
        ("3. Write 0 or nil when nothing happened; write n/a when the figure was not recorded (it stays blank "
         "on the dashboard rather than counting as zero).", False),
        ("4. Counts of people are NEW people in that month, so that adding months never counts a person twice. "
         "Metrics measured 'latest' are the position at the end of the month.", False),
        ("5. Do not change the grey cells, the labels or the column headings: the return is read automatically "
         "and a changed layout is refused. Use the notes column for comments.", False),
        ("6. If a row was deleted by mistake, use a spare row below the table: choose the codes from the "
         "lists.", False),
        (f"7. Optional: on the '{PEOPLE_SHEET}' sheet, split counts of people by age band, sex and ethnicity "
         "(one row per group). The groups add up to the total, which you may then leave blank.", False),
        ("8. Save as .xlsx (not .xls or .csv) and send it back to the Violence and Vulnerability Unit. "
         "A corrected return for the same quarter replaces the earlier one.", False),
        ("", False),
        ("Metrics in this return", True),
    ]
    for i, (text, bold) in enumerate(lines, start=1):
        ws.cell(i, 1, text).font = Font(bold=bold, size=13 if i == 1 else 11)
    row = len(lines) + 1
    for col, text in enumerate(("metric_code", "name", "unit", "measured as", "definition"), start=1):
        cell = ws.cell(row, col, text)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), _FILL_HEAD
    for m in spec.metrics:
        row += 1
        measured = "latest (end of month)" if m.aggregation in ("latest", "cumulative") else "sum (new in the month)"
        for col, text in enumerate((m.code, m.name, m.unit, measured, m.definition), start=1):
            ws.cell(row, col, text).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDE", (24, 40, 12, 22, 90), strict=True):
        ws.column_dimensions[col].width = width
    ws.protection.sheet = True


def write_completed_return(
    engine: Engine,
    project_code: str,
    quarter: str,
    out: Path,
    values: Mapping[tuple[str, str, str], float | int | str | None],
    submitter: str = "Sample Submitter",
    submitter_email: str = "returns@example.org",
    submitted_on: date | None = None,
    spend: float | str | None = None,
    groups: Mapping[tuple[str, str, str, str, str, str], float | int | str | None] | None = None,
) -> Path:
    """A template filled as a partner would: ``values[(metric_code, area_code, period)]``, for sample data;
    ``spend`` for the quarter and ``groups[(metric, area, age_band, sex, ethnicity, period)]`` on the People
    by group sheet, one row per group.

    Values may be numbers or the words partners write ("n/a", "nil"); a key the template has no cell for
    is a ValueError rather than a silently missing figure.
    """
    wb = build_template(template_spec(engine, project_code, quarter))
    ws = wb[RETURN_SHEET]
    ws.cell(HEADER_ROW_OF["submitter_name"], 2, submitter)
    ws.cell(HEADER_ROW_OF["submitter_email"], 2, submitter_email)
    if submitted_on is not None:
        ws.cell(HEADER_ROW_OF["date_submitted"], 2, submitted_on)
    month_col = {ws.cell(TABLE_HEADER_ROW, c).value: c for c in range(FIRST_MONTH_COL, ws.max_column + 1)}
    row_of = {}
    for r in range(TABLE_HEADER_ROW + 1, ws.max_row + 1):
        metric, area = ws.cell(r, METRIC_COL).value, ws.cell(r, AREA_COL).value
        if metric and area:
            row_of[(str(metric), str(area))] = r
    for (metric, area, period), value in values.items():
        r, c = row_of.get((metric.upper(), area.upper())), month_col.get(period)
        if r is None or c is None:
            raise ValueError(f"the {quarter} template for {project_code} has no cell for {metric}, {area}, {period}")
        ws.cell(r, c, value)
    if spend is not None:
        ws.cell(HEADER_ROW_OF["spend_gbp"], 2, spend)
    _fill_groups(wb[PEOPLE_SHEET], quarter, project_code, groups or {})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)  # only once every value found its cell: a refused call leaves no half-filled file
    return out


def _fill_groups(ws: Worksheet, quarter: str, project_code: str,
                 groups: Mapping[tuple[str, str, str, str, str, str], float | int | str | None]) -> None:
    """Write ``groups`` into the People by group sheet's input rows, one row per group."""
    month_col = {ws.cell(PEOPLE_HEADER_ROW, c).value: c for c in range(FIRST_MONTH_COL, ws.max_column + 1)}
    row_of: dict[tuple[str, ...], int] = {}
    for (*group, period), value in groups.items():
        key = tuple(group)
        if key not in row_of:
            row_of[key] = PEOPLE_HEADER_ROW + 1 + len(row_of)
            if ws.cell(row_of[key], 1).protection.locked:
                raise ValueError(f"the {quarter} template for {project_code} has no more rows for groups")
            for col, text in enumerate(key, start=1):
                ws.cell(row_of[key], col, text)
        if period not in month_col:
            raise ValueError(f"the {quarter} template for {project_code} has no month {period}")
        ws.cell(row_of[key], month_col[period], value)


# --- reading a completed return ---------------------------------------------------------------------
@dataclass
class ReturnHeader:
    """What the header block and Lists sheet say, plus where the table's columns are."""

    project_code: str
    quarter: Quarter
    submitted_on: date | None
    submitter: str
    metric_codes: frozenset[str]
    area_codes: frozenset[str]
    table_header_row: int
    column_names: dict[int, str] = field(default_factory=dict)  # column index -> heading
    submitter_email: str = ""
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (metric_code, area_code, text)
    spend_gbp: Decimal | None = None  # spend for the quarter (version 2 on); None: not given
    people_codes: frozenset[str] = frozenset()  # metrics the People by group sheet may split

    def column_label(self, col: int) -> str:
        """'G (2024-08)': the letter a person finds the cell by, and the heading that says what it is."""
        name = self.column_names.get(col, "")
        return f"{get_column_letter(col)} ({name})" if name else get_column_letter(col)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _same_label(a: object, b: str) -> bool:
    return " ".join(_text(a).split()).casefold() == " ".join(b.split()).casefold()


def cell_value_text(value: object) -> str | None:
    """A month cell as the observation's raw text; None when nothing was reported (blank, n/a).

    Numbers are written without float noise; "nil", "none", "-" mean zero; anything else is passed on
    unchanged so the shared validation reports it with its row and column.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        rounded = round(value, 9)  # Excel's binary noise: 0.1+0.2 typed as a formula
        return str(int(rounded)) if rounded.is_integer() and abs(rounded) < 1e15 else repr(rounded)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    text = str(value).strip()
    key = text.lower()
    if not text or key.replace(" ", "") in NOT_REPORTED_WORDS:
        return None
    if key in ZERO_WORDS:
        return "0"
    return text


def _parse_submitted(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _merged_ranges(path: Path, ws: Any) -> list[str]:
    """The merged ranges of a worksheet: read-only mode does not expose them, so scan its XML part.

    Parsed with defusedxml (the same guard openpyxl uses), after the loader's zip size checks.
    """
    from defusedxml.ElementTree import iterparse

    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return []
    refs: list[str] = []
    with zipfile.ZipFile(path) as zf, zf.open(part.lstrip("/")) as fh:
        for _event, element in iterparse(fh):
            if element.tag.endswith("}mergeCell"):
                refs.append(element.get("ref", ""))
            element.clear()
    return [r for r in refs if r]


def _lists(path: Path, wb: Any) -> tuple[dict[str, str], Quarter, frozenset[str], frozenset[str], frozenset[str]]:
    """The template marker, its quarter and the codes its drop-downs offered (the project's own)."""
    if LISTS_SHEET not in wb.sheetnames or RETURN_SHEET not in wb.sheetnames:
        raise reject(path, "this workbook is not a VVU partner return (no 'Return' and 'Lists' sheets); "
                     "start from a template made with: python -m etl template PROJECT QUARTER")
    ws = wb[LISTS_SHEET]
    ws.reset_dimensions()
    meta: dict[str, str] = {}
    metrics: set[str] = set()
    areas: set[str] = set()
    people: set[str] = set()
    for i, row in enumerate(ws.iter_rows(min_row=2, max_col=PEOPLE_CODES_COL, values_only=True)):
        if i > MAX_ROWS:
            break
        if _text(row[0]):
            metrics.add(_text(row[0]).upper())
        if _text(row[4]):
            areas.add(_text(row[4]).upper())
        if _text(row[7]):
            meta[_text(row[7])] = _text(row[8])
        if len(row) >= PEOPLE_CODES_COL and _text(row[PEOPLE_CODES_COL - 1]):
            people.add(_text(row[PEOPLE_CODES_COL - 1]).upper())
    if meta.get("template") != TEMPLATE_ID:
        raise reject(path, "this workbook is not a VVU partner return (its template marker is missing); "
                     "start from a template made with: python -m etl template PROJECT QUARTER")
    if meta.get("version") not in READABLE_VERSIONS:
        raise reject(path, f"template version {meta.get('version')!r} cannot be read by this version of the "
                     "ETL; ask the unit for a current template")
    try:
        quarter = Quarter.parse(meta.get("quarter", ""))
    except ValueError as exc:
        raise reject(path, "the template's hidden quarter marker is damaged; use a fresh template") from exc
    return meta, quarter, frozenset(metrics), frozenset(areas), frozenset(people)


def _check_header_block(path: Path, rows: list[tuple], meta: dict[str, str], quarter: Quarter) -> ReturnHeader:
    """The labels and pre-filled values must be as written: a changed block means the layout is unknown."""
    def cell(row: int, col: int) -> object:
        return rows[row - 1][col - 1] if row <= len(rows) else None

    def refuse(row: int, col: int, reason: str) -> FileRejected:
        got = _text(cell(row, col))
        return FileRejected(Problem(path.name, row, get_column_letter(col), got[:200], reason))

    fields = HEADER_FIELDS if meta.get("version") != "1" else [f for f in HEADER_FIELDS if f[0] in V1_FIELDS]
    for key, label in fields:
        row = HEADER_ROW_OF[key]
        if not _same_label(cell(row, 1), label):
            raise refuse(row, 1, f"the header block was changed: this cell must read '{label}'; "
                         "start again from a fresh template or restore the label")
    expected = {"project_code": meta.get("project_code", ""), "financial_year": quarter.fy,
                "quarter": f"Q{quarter.number}"}
    for key, want in expected.items():
        row = HEADER_ROW_OF[key]
        if _text(cell(row, 2)).upper() != want.upper():
            raise refuse(row, 2, f"the header block was changed: the template was made for '{want}' here; "
                         "make a new template for another project or quarter")
    return ReturnHeader(
        project_code=expected["project_code"].upper(),
        quarter=quarter,
        submitted_on=_parse_submitted(cell(HEADER_ROW_OF["date_submitted"], 2)),
        submitter=_text(cell(HEADER_ROW_OF["submitter_name"], 2))[:200],
        submitter_email=_text(cell(HEADER_ROW_OF["submitter_email"], 2))[:200],
        metric_codes=frozenset(),
        area_codes=frozenset(),
        table_header_row=0,
    )


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def identity_issues(header: ReturnHeader) -> list[tuple[int, int, str, str]]:
    """Who sent the return must be known, so questions about it reach a person: a blank name or an
    email that cannot be one is an error (row, column, value as typed, reason in the form's words)."""
    issues = []
    name_row, mail_row = HEADER_ROW_OF["submitter_name"], HEADER_ROW_OF["submitter_email"]
    if not header.submitter:
        issues.append((name_row, 2, "", "Submitter name is blank: type the name of the person sending the return"))
    if not header.submitter_email:
        issues.append((mail_row, 2, "", "Submitter email is blank: type an email address we can reply to"))
    elif not _EMAIL.match(header.submitter_email):
        issues.append((mail_row, 2, header.submitter_email, "Submitter email is not an email address "
                       "(it needs a name, an @ and a domain, like name@example.org)"))
    return issues


def _find_table(path: Path, rows: list[tuple], header: ReturnHeader) -> None:
    """Locate the table heading row and check its columns, so every figure lands in the right month."""
    last_header = HEADER_ROW_OF["date_submitted"]  # the last field every version has
    found = 0
    for r in range(last_header + 1, min(len(rows), last_header + TABLE_SEARCH_ROWS) + 1):
        if normalise_header(_text(rows[r - 1][METRIC_COL - 1])) == "metric_code":
            found = r
            break
    if not found:
        raise FileRejected(Problem(path.name, TABLE_HEADER_ROW, "A", "", "the table heading row (starting "
                                   "'metric_code') is missing; start again from a fresh template"))
    heads = rows[found - 1]
    for col, want in enumerate(TABLE_COLUMNS, start=1):
        if normalise_header(_text(heads[col - 1])) != normalise_header(want):
            raise FileRejected(Problem(path.name, found, get_column_letter(col), _text(heads[col - 1])[:200],
                                       f"the table heading was changed: this cell must read '{want}'"))
    months = header.quarter.months
    for j, want in enumerate(months):
        col = FIRST_MONTH_COL + j
        got = heads[col - 1]
        text = period_of(got) if isinstance(got, datetime | date) else _text(got)
        if text != want:
            if _is_month(text) and text not in months:
                why = f"{text} is not in {header.quarter.label} ({months[0]} to {months[-1]}); this column is {want}"
            else:
                why = f"the month heading was changed: in the {header.quarter.label} return this column is {want}"
            raise FileRejected(Problem(path.name, found, get_column_letter(col), text[:200], why))
    header.table_header_row = found
    header.column_names = {col: want for col, want in enumerate(TABLE_COLUMNS, start=1)}
    header.column_names.update({FIRST_MONTH_COL + j: m for j, m in enumerate(months)})


def _is_month(text: str) -> bool:
    try:
        parse_period(text)
    except ValueError:
        return False
    return True


def _reads_cell(sheet: str, row: int, column: int) -> bool:
    """Cells whose values the reader takes: all but the names the template looks up from the codes."""
    if sheet == PEOPLE_SHEET:
        return not (row > PEOPLE_HEADER_ROW and column >= PEOPLE_LOOKUP_COL)
    looked_up = column < FIRST_MONTH_COL and column not in (METRIC_COL, AREA_COL)
    return not (sheet == RETURN_SHEET and row > TABLE_HEADER_ROW and looked_up)


def read_return(path: Path) -> tuple[ReturnHeader, pd.DataFrame, list[tuple[int, int, str, str]]]:
    """Read a completed return: its header, the figures as long rows, and layout problems found on the way.

    The frame has the observation columns as text plus ``_row`` (worksheet row) and ``_col`` (column
    index of the month cell). Layout problems are (row, column, value, reason).
    """
    if not DEFUSEDXML:
        raise reject(path, "workbooks cannot be read safely here: the defusedxml package is not installed "
                     "(or OPENPYXL_DEFUSEDXML is off)")
    refuse_uncalculated_formulas(path, _reads_cell)  # read as blank, it would wipe that month (issue 11)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # any failure to open is a damaged or hostile file, never a crash of the loader
        raise reject(path, _unreadable(exc, "the workbook cannot be opened")) from exc
    try:
        return _read_open_workbook(path, wb)
    except FileRejected:
        raise
    except _DAMAGED as exc:  # XML errors surface lazily while rows are read (defusedxml refusals included)
        raise reject(path, _unreadable(exc, "the workbook is damaged")) from exc
    finally:
        wb.close()


def _unreadable(exc: BaseException, what: str) -> str:
    """Say plainly when defusedxml refused the file (openpyxl wraps its error in a generic ValueError)."""
    from defusedxml import DefusedXmlException

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return (f"the workbook is unsafe and was not read: its XML declares entities or external references "
                    f"({type(seen).__name__}); save it again from Excel as .xlsx")
        seen = seen.__cause__ or seen.__context__
    detail = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{what} ({type(exc).__name__}: {detail}); save it again as .xlsx"


def _read_open_workbook(path: Path, wb: Any) -> tuple[ReturnHeader, pd.DataFrame, list[tuple[int, int, str, str]]]:
    meta, quarter, metric_codes, area_codes, people_codes = _lists(path, wb)
    ws = wb[RETURN_SHEET]
    ws.reset_dimensions()  # the stored dimension can be wrong; read every row that is there
    months = quarter.months
    width = FIRST_MONTH_COL + len(months) - 1
    rows: list[tuple] = []
    for r, row in enumerate(ws.iter_rows(min_row=1, max_col=width + 1, values_only=True), start=1):  # + notes
        if r > MAX_ROWS:
            if any(v is not None for v in row):
                raise reject(path, f"the Return sheet has content beyond row {MAX_ROWS:,}; a return is a few "
                             "dozen rows", row=r)
            continue
        rows.append(tuple(row))
    header = _check_header_block(path, rows, meta, quarter)
    header.metric_codes, header.area_codes = metric_codes, area_codes
    header.people_codes = people_codes
    _find_table(path, rows, header)
    issues: list[tuple[int, int, str, str]] = identity_issues(header)
    if meta.get("version") != "1":
        header.spend_gbp = _read_spend(rows, issues)
    _apply_merges(_merged_ranges(path, ws), rows, header, issues)

    records: list[tuple[int, int, str, str, str, str, str, str, str]] = []
    for r in range(header.table_header_row + 1, len(rows) + 1):
        row = rows[r - 1]
        metric, area = _text(row[METRIC_COL - 1]), _text(row[AREA_COL - 1])
        note = _text(row[width]) if len(row) > width else ""
        if note and metric and area:  # the partner's commentary on this metric and area
            header.notes.append((metric.upper(), area.upper(), note[:2000]))
        cells = [(FIRST_MONTH_COL + j, cell_value_text(row[FIRST_MONTH_COL - 1 + j])) for j in range(len(months))]
        reported = [(c, v) for c, v in cells if v is not None]
        if not reported:
            continue  # blank rows, rows marked n/a throughout, notes in the code columns
        if not metric and not area and not any(_looks_numeric(v) for _c, v in reported):
            continue  # a note typed below or beside the table, not a figure
        for c, v in reported:
            records.append((r, c, months[c - FIRST_MONTH_COL], metric, area, v, "", "", ""))
    if PEOPLE_SHEET in wb.sheetnames:
        groups = _read_people(path, wb[PEOPLE_SHEET], header, issues)
        records = _without_split_totals(records, groups, issues) + groups
    if not records:
        raise FileRejected(Problem(path.name, header.table_header_row + 1, header.column_label(FIRST_MONTH_COL),
                                   "", "the return has no figures: every month cell is blank or n/a"))
    frame = pd.DataFrame.from_records(records, columns=["_row", "_col", "period", "metric_code", "area_code",
                                                        "value", *SPLITS])
    frame["project_code"] = header.project_code
    frame["_row"] = frame["_row"].astype("int64")
    frame["_col"] = frame["_col"].astype("int64")
    return header, frame[["_row", "_col", "period", "project_code", "area_code", "metric_code", "value",
                          *SPLITS]], issues


def _read_spend(rows: list[tuple], issues: list[tuple[int, int, str, str]]) -> Decimal | None:
    """The header block's spend for the quarter: None when blank or n/a; an issue when it is no amount."""
    row = HEADER_ROW_OF["spend_gbp"]
    raw = rows[row - 1][1] if row <= len(rows) and len(rows[row - 1]) > 1 else None
    text = cell_value_text(raw)
    if text is None:
        return None
    cleaned = text.replace("£", "").replace(",", "").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        issues.append((row, 2, _text(raw)[:200], "Spend this quarter is not an amount in pounds: give 0 or more, "
                       "with at most two decimals (like 12,500.00), or n/a if it is not known yet"))
        return None
    return amount.quantize(Decimal("0.01"))


def _read_people(path: Path, ws: Any, header: ReturnHeader,
                 issues: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str, str, str, str, str, str]]:
    """Rows of the People by group sheet as observation records with their splits; rows are carried as
    ``PEOPLE_ROW_BASE + row`` so problems name this sheet."""
    months = header.quarter.months
    ws.reset_dimensions()
    width = FIRST_MONTH_COL + len(months) - 1
    heads_want = [*PEOPLE_COLUMNS, *months]
    records: list[tuple[int, int, str, str, str, str, str, str, str]] = []
    for r, row in enumerate(ws.iter_rows(min_row=1, max_col=width, values_only=True), start=1):
        if r > MAX_ROWS:
            if any(v is not None for v in row):
                raise reject(path, f"the {PEOPLE_SHEET} sheet has content beyond row {MAX_ROWS:,}", row=r)
            continue
        row = tuple(row) + (None,) * (width - len(row))
        if r == PEOPLE_HEADER_ROW:
            for col, want in enumerate(heads_want, start=1):
                got = row[col - 1]
                text = period_of(got) if isinstance(got, datetime | date) else _text(got)
                if normalise_header(text) != normalise_header(want):
                    raise FileRejected(Problem(path.name, r, f"{PEOPLE_SHEET}!{get_column_letter(col)}",
                                               text[:200], f"the heading was changed: this cell must read '{want}'"))
        if r <= PEOPLE_HEADER_ROW:
            continue
        metric, area = _text(row[0]).upper(), _text(row[1])
        splits = [_text(row[PEOPLE_SPLIT_COL[s] - 1]) for s in SPLITS]
        reported = [(FIRST_MONTH_COL + j, cell_value_text(row[FIRST_MONTH_COL - 1 + j])) for j in range(len(months))]
        reported = [(c, v) for c, v in reported if v is not None]
        if not reported:
            continue
        at = PEOPLE_ROW_BASE + r
        if metric in header.metric_codes and metric not in header.people_codes:
            issues.append((at, 1, metric, "only counts of people are split by group; give this metric on the "
                           f"{RETURN_SHEET} sheet"))
        if not any(splits):
            issues.append((at, PEOPLE_SPLIT_COL["age_band"], "", "give an age band, a sex or an ethnicity (or "
                           f"unknown) for this group, or put the figure on the {RETURN_SHEET} sheet as a total"))
            splits = ["unknown"] * len(SPLITS)
        for c, v in reported:
            records.append((at, c, months[c - FIRST_MONTH_COL], metric, area, v,
                            *[x or "unknown" for x in splits]))
    return records


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _without_split_totals(records: list[tuple], groups: list[tuple],
                          issues: list[tuple[int, int, str, str]]) -> list[tuple]:
    """Drop a Return-sheet total that has groups on the People sheet: the groups are the figures (the
    dashboard adds them up). A total that differs from its groups' sum is an error at the total's cell."""
    sums: dict[tuple[str, str, str], float] = {}
    for _r, _c, period, metric, area, value, *_splits in groups:
        key = (metric.upper(), area.upper(), period)
        sums[key] = sums.get(key, 0.0) + (_number(value) or 0.0)
    kept = []
    for record in records:
        r, c, period, metric, area, value = record[:6]
        key = (metric.upper(), area.upper(), period)
        if key not in sums:
            kept.append(record)
            continue
        total = _number(value)
        if total is None or abs(total - sums[key]) > 1e-9:
            issues.append((r, c, value, f"this total differs from the sum of its groups on the '{PEOPLE_SHEET}' "
                           f"sheet ({sums[key]:,.0f}); make them agree or leave the total blank"))
    return kept


_DAMAGED = (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, ParseError)


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[£]?\s*[+-]?[\d,]*\.?\d+", text.strip()))


def _apply_merges(refs: list[str], rows: list[tuple], header: ReturnHeader,
                  issues: list[tuple[int, int, str, str]]) -> None:
    """Merged code cells apply to every row they span; merged month cells are ambiguous and refused."""
    last_month_col = FIRST_MONTH_COL + len(header.quarter.months) - 1
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            continue
        if max_row <= header.table_header_row or min_col > last_month_col:
            continue  # the title, the header block or notes beside the table
        if max_col >= FIRST_MONTH_COL:
            first = max(min_col, FIRST_MONTH_COL)
            issues.append((max(min_row, header.table_header_row + 1), first, ref,
                           f"cells {ref} are merged; give each metric, area and month its own figure"))
            continue
        anchor = rows[min_row - 1] if min_row <= len(rows) else ()
        for r in range(max(min_row, header.table_header_row + 1), min(max_row, len(rows)) + 1):
            row = list(rows[r - 1])
            for col in range(min_col, max_col + 1):
                if col - 1 < len(anchor):
                    row[col - 1] = anchor[col - 1]
            rows[r - 1] = tuple(row)


# --- the source ----------------------------------------------------------------------------------
_DUPLICATE_ROW = re.compile(r"duplicate of row (\d+)")


class PartnerReturn(Observations):
    """Observations read from a partner's quarterly return workbook.

    Validation is the observations CSV's own, run on the long rows; while it runs, each row's ``_row``
    carries the worksheet row and column (``row * ROW_SCALE + column``) so every problem can be turned
    back into the cell a person will look for.
    """

    kind = "partner_return"
    title = "Partner quarterly return"
    is_workbook = True

    def chunks(self, path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """One frame for the whole return (a return is small); header and layout problems ride in attrs."""
        header, frame, issues = read_return(Path(path))
        frame.attrs["return_header"] = header
        frame.attrs["layout_issues"] = issues
        yield frame

    def parse(self, chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        header: ReturnHeader = chunk.attrs["return_header"]
        ctx.state["return_header"] = header
        start = len(ctx.problems)
        for row, col, value, reason in chunk.attrs.get("layout_issues", []):
            ctx.add(row * ROW_SCALE + col, "value", value, reason)
        cell_ids = chunk["_row"] * ROW_SCALE + chunk["_col"]
        encoded = chunk.drop(columns=["_col"]).assign(_row=cell_ids)
        frame = super().parse(encoded, ctx)
        self._name_cells(ctx, start, header)
        frame["_cell"] = cell_ids.to_numpy()
        frame["_row"] = chunk["_row"].to_numpy()
        return frame

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        header: ReturnHeader = ctx.state["return_header"]
        start = len(ctx.problems)
        encoded = frame.assign(_row=frame["_cell"])
        super().check(encoded, ctx)
        # The table must belong to the header's project: codes from this template's own lists only.
        for col, allowed, what in (("metric_code", header.metric_codes, "metric of this project's return"),
                                   ("area_code", header.area_codes, "area of this project")):
            known = ctx.codes.get("metric" if col == "metric_code" else "area", set())
            values = encoded[col]
            stray = values.isin(known) & ~values.isin(allowed) & ~encoded["_bad_" + col]
            ctx.add_mask(encoded, stray, col, f"not a {what} ({header.project_code}); choose from the drop-down list")
        self._name_cells(ctx, start, header)
        # A return speaks for its whole quarter: a revision replaces every month of it, reported or not.
        q = header.quarter
        ctx.state["ranges"] = {header.project_code: [q.first_month, q.last_month]}

    def finish(self, ctx: Context) -> None:
        start = len(ctx.problems)
        super().finish(ctx)
        header = ctx.state.get("return_header")
        if header is not None:
            self._name_cells(ctx, start, header)

    def _name_cells(self, ctx: Context, start: int, header: ReturnHeader) -> None:
        """Turn the parent's problems (encoded rows, observation column names) into worksheet cells."""
        renamed: list[Problem] = []
        seen: set[tuple[int, str, str, str]] = set()
        for p in ctx.problems[start:]:
            row, column, reason = p.row, p.column, p.reason
            if row >= ROW_SCALE:
                row, col = divmod(row, ROW_SCALE)
                if row >= PEOPLE_ROW_BASE and column != "project_code":  # the People by group sheet
                    row, column = row - PEOPLE_ROW_BASE, _people_column(column, col, header)
                elif row in _HEADER_LABEL_OF_ROW and row < header.table_header_row:  # the header block
                    column = f"{get_column_letter(col)} ({_HEADER_LABEL_OF_ROW[row]})"
                elif column in ("value", "period"):
                    column = header.column_label(col)
                elif column == "metric_code":
                    column = header.column_label(METRIC_COL)
                elif column == "area_code":
                    column = header.column_label(AREA_COL)
                elif column == "project_code":  # the project is stated once, in the header block
                    row, column = HEADER_ROW_OF["project_code"], "B"
            reason = _DUPLICATE_ROW.sub(_duplicate_row, reason)
            key = (row, column, p.value, reason)
            if key not in seen:
                seen.add(key)
                renamed.append(Problem(p.file, row, column, p.value, reason))
        ctx.problems[start:] = renamed

    def summary(self, ctx: Context) -> dict[str, Any]:
        header: ReturnHeader | None = ctx.state.get("return_header")
        if header is None:
            return super().summary(ctx)
        q = header.quarter
        return {"project_code": header.project_code, "first_period": q.first_month, "last_period": q.last_month}

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        written = super().write(conn, frames, batch_id, ctx)
        header = ctx.state["return_header"]
        record_submission(conn, header, batch_id)
        record_notes(conn, header, batch_id)
        record_spend(conn, header, batch_id)
        return written


def _duplicate_row(match: re.Match[str]) -> str:
    """'duplicate of row N' with N decoded back to its worksheet (and sheet) row."""
    row = int(match.group(1)) // ROW_SCALE or int(match.group(1))
    if row >= PEOPLE_ROW_BASE:
        return f"duplicate of {PEOPLE_SHEET} row {row - PEOPLE_ROW_BASE}"
    return f"duplicate of row {row}"


def _people_column(column: str, col: int, header: ReturnHeader) -> str:
    """A People-sheet cell as '<sheet>!F (2024-07)': the validation's column name, or the cell's own."""
    named = {"metric_code": 1, "area_code": 2, **PEOPLE_SPLIT_COL}
    col = named.get(column, col)
    label = PEOPLE_COLUMNS[col - 1] if col < FIRST_MONTH_COL else header.column_names.get(col, "")
    letter = get_column_letter(col)
    return f"{PEOPLE_SHEET}!{letter} ({label})" if label else f"{PEOPLE_SHEET}!{letter}"


def record_spend(conn: Connection, header: ReturnHeader, batch_id: int) -> None:
    """The quarter's spend, as spend.csv would give it (same table, same key); blank leaves it as it was."""
    from warehouse.models import Spend

    if header.spend_gbp is None:
        return
    q = header.quarter
    t = Spend.__table__
    conn.execute(delete(t).where((t.c.project_code == header.project_code) & (t.c.financial_year == q.fy)
                                 & (t.c.quarter == f"Q{q.number}")))
    conn.execute(insert(t).values(project_code=header.project_code, financial_year=q.fy, quarter=f"Q{q.number}",
                                  spend_gbp=header.spend_gbp, batch_id=batch_id))


def record_notes(conn: Connection, header: ReturnHeader, batch_id: int) -> None:
    """Keep the notes column as the partner's commentary, with the batch (a revision brings its own)."""
    from warehouse.returns_models import ReturnNote

    q = header.quarter
    rows = [{"batch_id": batch_id, "project_code": header.project_code, "financial_year": q.fy, "quarter": q.number,
             "metric_code": metric, "area_code": area, "note": text}
            for metric, area, text in header.notes if metric in header.metric_codes]
    if rows:
        conn.execute(insert(ReturnNote), rows)


def record_submission(conn: Connection, header: ReturnHeader, batch_id: int) -> None:
    """Upsert the return log row. Lateness is judged by the day the server received the file (kept
    with the batch); the date the partner typed is kept as "date on the form", never trusted for it."""
    received, loaded = conn.execute(
        select(LoadBatch.received_at, LoadBatch.loaded_at).where(LoadBatch.id == batch_id)).one()
    when = received or loaded
    q = header.quarter
    t = ReturnSubmission.__table__
    key = (t.c.project_code == header.project_code) & (t.c.financial_year == q.fy) & (t.c.quarter == q.number)
    conn.execute(delete(t).where(key))
    conn.execute(insert(t).values(project_code=header.project_code, financial_year=q.fy, quarter=q.number,
                                  submitted_on=when.date(), date_on_form=header.submitted_on,
                                  submitter=header.submitter, submitter_email=header.submitter_email,
                                  batch_id=batch_id))


SOURCE = PartnerReturn()
