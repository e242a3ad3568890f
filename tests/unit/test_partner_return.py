"""The partner return workbook: the template's layout, and reading a hand-filled copy back.

No database: templates are built from a ``TemplateSpec`` and validated against a hand-made ``Context``
(the integration tests cover the same path through the real loader and database).
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from analysis.fiscal import Quarter
from etl.loader import validate
from etl.problems import FileRejected, Problem
from etl.sources import partner_return as pr
from etl.sources import registry
from etl.sources.base import Context

ROCHFORD, BASILDON = "E07000075", "E07000066"
METRICS = (
    pr.MetricInfo("EVENTS", "Community events held", "sessions", "sum", "Events run in the month."),
    pr.MetricInfo("VOL_HOURS", "Volunteer hours", "hours", "sum", "Hours given by volunteers."),
)
AREAS = (pr.AreaInfo(BASILDON, "Basildon"), pr.AreaInfo(ROCHFORD, "Rochford"))
# Rows as the template lays them out: metrics in code order, areas by name.
ROW = {("EVENTS", BASILDON): 13, ("EVENTS", ROCHFORD): 14, ("VOL_HOURS", BASILDON): 15, ("VOL_HOURS", ROCHFORD): 16}
JUL, AUG, SEP = "F", "G", "H"  # 2024/25 Q2 month columns


def spec(quarter: str = "2024/25 Q2", start: date = date(2019, 4, 1), end: date | None = None) -> pr.TemplateSpec:
    return pr.TemplateSpec(
        project_code="PRJ001", project_name="Neighbourhood Safety Forums", organisation="Rochford Youth",
        priority_code="P2", quarter=Quarter.parse(quarter), start_date=start, end_date=end,
        metrics=METRICS, areas=AREAS,
    )


def context(start: date = date(2019, 4, 1)) -> Context:
    return Context(
        file="return.xlsx",
        codes={"metric": {"EVENTS", "VOL_HOURS", "OTHER_METRIC"}, "area": {ROCHFORD, BASILDON, "E07000070"},
               "project": {"PRJ001"}},
        projects={"PRJ001": (start, None)},
        state={"metric_units": {"EVENTS": "sessions", "VOL_HOURS": "hours", "OTHER_METRIC": "people"}},
    )


def template(tmp_path: Path, s: pr.TemplateSpec | None = None, signed: bool = True) -> Path:
    """A blank template; ``signed``: with the submitter's name and email filled in, as every valid return has."""
    path = tmp_path / "return.xlsx"
    wb = pr.build_template(s or spec())
    if signed:
        wb[pr.RETURN_SHEET]["B8"] = "A. Partner"
        wb[pr.RETURN_SHEET]["B9"] = "a.partner@example.org"
    wb.save(path)
    return path


def fill(path: Path, cells: dict[str, object], unprotect: bool = False, merge: str | None = None) -> Path:
    """Edit the Return sheet as a partner would in Excel (openpyxl ignores protection, like a determined user)."""
    wb = load_workbook(path)
    ws = wb[pr.RETURN_SHEET]
    if unprotect:
        ws.protection.sheet = False
    for ref, value in cells.items():
        ws[ref] = value
    if merge:
        ws.merge_cells(merge)
    wb.save(path)
    return path


def read(path: Path):  # noqa: ANN201 - the frame the source yields
    (frame,) = list(pr.SOURCE.chunks(path))
    return frame


def problems(path: Path, ctx: Context | None = None) -> list[Problem]:
    ctx = ctx or context()
    validate(pr.SOURCE, path, ctx)
    return ctx.problems


def rejection(path: Path) -> Problem:
    with pytest.raises(FileRejected) as info:
        read(path)
    return info.value.problem


# --- the template -------------------------------------------------------------------------------
def test_template_layout_header_table_and_months(tmp_path: Path) -> None:
    wb = load_workbook(template(tmp_path))
    assert wb.sheetnames == ["Instructions", "Return", "People by group", "Lists"]  # instructions first
    ws = wb["Return"]
    assert [ws.cell(r, 1).value for r in range(3, 12)] == [label for _k, label in pr.HEADER_FIELDS]
    assert [ws.cell(r, 2).value for r in range(3, 8)] == [
        "PRJ001", "Neighbourhood Safety Forums", "Rochford Youth", "2024/25", "Q2"]
    heads = [c.value for c in ws[12]][:9]
    assert heads == ["metric_code", "metric name", "unit", "area_code", "area name",
                     "2024-07", "2024-08", "2024-09", pr.NOTES_HEADER]
    # 2 metrics x 2 areas, then the spare rows.
    assert {(ws.cell(r, 1).value, ws.cell(r, 4).value): r for r in range(13, 17)} == ROW
    assert ws.cell(17, 1).value is None
    assert ws.column_dimensions["B"].width > ws.column_dimensions["F"].width


def test_template_protects_labels_and_unlocks_only_inputs(tmp_path: Path) -> None:
    wb = load_workbook(template(tmp_path))
    ws = wb["Return"]
    assert ws.protection.sheet
    assert wb.security.lockStructure
    assert ws["A3"].protection.locked and ws["B3"].protection.locked  # label and pre-filled project code
    assert not ws["B8"].protection.locked and not ws["B10"].protection.locked  # submitter, date
    assert ws["A13"].protection.locked and ws["D13"].protection.locked  # pre-filled codes
    assert not ws["F13"].protection.locked and not ws["H16"].protection.locked  # figures
    assert not ws["I13"].protection.locked  # notes
    assert not ws["A17"].protection.locked and not ws["D17"].protection.locked  # spare row codes


def test_template_drop_downs_defined_names_and_hidden_lists(tmp_path: Path) -> None:
    wb = load_workbook(template(tmp_path))
    lists = wb["Lists"]
    assert lists.sheet_state == "hidden"
    assert wb.defined_names["MetricCodes"].attr_text == "Lists!$A$2:$A$3"
    assert wb.defined_names["AreaCodes"].attr_text == "Lists!$E$2:$E$3"
    meta = {lists.cell(r, 8).value: lists.cell(r, 9).value for r in range(2, 6)}
    assert meta == {"template": pr.TEMPLATE_ID, "version": pr.TEMPLATE_VERSION, "project_code": "PRJ001",
                    "quarter": "2024/25 Q2"}
    validations = {dv.formula1: str(dv.sqref) for dv in wb["Return"].data_validations.dataValidation}
    assert validations["MetricCodes"] == "A17:A21"
    assert validations["AreaCodes"] == "D17:D21"
    assert "F13" in validations["0"]  # figures: a number of 0 or more (warning only, so "n/a" can be typed)


def test_template_greys_months_before_the_project_started(tmp_path: Path) -> None:
    # A project starting in August 2024: July is locked and greyed, August and September open.
    wb = load_workbook(template(tmp_path, spec(start=date(2024, 8, 15))))
    ws = wb["Return"]
    assert ws["F13"].protection.locked
    assert not ws["G13"].protection.locked


def test_instructions_list_metric_definitions(tmp_path: Path) -> None:
    ws = load_workbook(template(tmp_path))["Instructions"]
    text = [c.value for row in ws.iter_rows() for c in row if c.value]
    assert "Hours given by volunteers." in text
    assert any("n/a" in str(t) for t in text)


# --- reading values -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, None), ("", None), ("   ", None), ("n/a", None), ("N/A", None), ("NA", None), ("n / a", None),
        ("nil", "0"), ("None", "0"), ("-", "0"), ("–", "0"), ("0", "0"), (0, "0"),
        (12, "12"), (12.0, "12"), (2.5, "2.5"), (0.1 + 0.2, "0.3"), ("1,234", "1,234"), (" 7 ", "7"),
        ("abc", "abc"), (True, "TRUE"), (datetime(2024, 7, 1), "2024-07-01T00:00:00"),
    ],
)
def test_cell_value_text(cell: object, expected: str | None) -> None:
    assert pr.cell_value_text(cell) == expected


def test_reads_wide_months_as_long_rows_with_worksheet_rows(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {
        "F13": 5, "G13": "nil", "H13": "n/a",  # n/a: not reported, so no row
        "F14": "1,234", "H14": "-",
        "G16": 2.5, "B10": date(2024, 10, 10), "B8": "A. Partner", "B9": "a.partner@example.org",
    })
    frame = read(path)
    got = {(r["metric_code"], r["area_code"], r["period"]): (r["value"], r["_row"]) for r in frame.to_dict("records")}
    assert got == {
        ("EVENTS", BASILDON, "2024-07"): ("5", 13),
        ("EVENTS", BASILDON, "2024-08"): ("0", 13),
        ("EVENTS", ROCHFORD, "2024-07"): ("1,234", 14),
        ("EVENTS", ROCHFORD, "2024-09"): ("0", 14),
        ("VOL_HOURS", ROCHFORD, "2024-08"): ("2.5", 16),
    }
    assert set(frame["project_code"]) == {"PRJ001"}
    assert (frame[["age_band", "sex", "ethnicity"]] == "").all().all()
    header = frame.attrs["return_header"]
    assert (header.submitted_on, header.submitter, header.quarter.label) == (date(2024, 10, 10), "A. Partner",
                                                                             "2024/25 Q2")
    assert problems(path) == []


def test_valid_return_summary_covers_the_whole_quarter(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"G13": 3})
    ctx = context()
    validate(pr.SOURCE, path, ctx)
    assert ctx.problems == []
    # One month filled, but a return speaks for its quarter: a revision replaces all three months.
    assert pr.SOURCE.summary(ctx) == {"project_code": "PRJ001", "first_period": "2024-07", "last_period": "2024-09"}
    assert ctx.state["ranges"] == {"PRJ001": ["2024-07", "2024-09"]}


def test_blank_rows_and_stray_notes_are_ignored(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {
        "F13": 1,
        "A25": "Note: the July figure for Basildon is an estimate",  # note below the table
        "G27": "awaiting data from the council",  # note typed in a month column, no codes
        "K13": "see email of 3 Oct",  # beside the table
        "I14": "a comment in the notes column",
    }, unprotect=True)
    frame = read(path)
    assert list(frame["_row"]) == [13]
    assert problems(path) == []


def test_a_figure_with_no_codes_is_reported_not_dropped(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"F13": 1, "G19": 4})
    found = {(p.row, p.column, p.reason) for p in problems(path)}
    assert (19, "A (metric_code)", "required value is missing") in found
    assert (19, "D (area_code)", "required value is missing") in found


def test_non_numeric_value_names_row_and_month_column(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"F13": 1, "G14": "abc"})
    (p,) = problems(path)
    assert (p.row, p.column, p.value, p.reason) == (14, "G (2024-08)", "abc", "not a number")
    assert str(p) == "return.xlsx: row 14, column 'G (2024-08)' (value 'abc'): not a number"


def test_negative_and_fractional_counts_are_refused_hours_may_be_fractional(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"F13": -2, "G14": 1.5, "H16": 7.5})
    found = {(p.row, p.column, p.reason) for p in problems(path)}
    assert found == {(13, "F (2024-07)", "must not be negative"), (14, "G (2024-08)", "counts must be whole numbers")}


def test_month_before_project_start_names_the_month_column(tmp_path: Path) -> None:
    path = fill(template(tmp_path, spec(start=date(2024, 8, 1))), {"F13": 3, "G13": 4}, unprotect=True)
    (p,) = problems(path, context(start=date(2024, 8, 1)))
    assert (p.row, p.column, p.reason) == (13, "F (2024-07)", "before the project's start date")


def test_codes_must_belong_to_the_header_project(tmp_path: Path) -> None:
    # Spare rows: one area of another project, one metric of another priority, one unknown code.
    path = fill(template(tmp_path), {
        "A17": "EVENTS", "D17": "E07000070", "F17": 1,
        "A18": "OTHER_METRIC", "D18": ROCHFORD, "F18": 1,
        "A19": "NOPE", "D19": ROCHFORD, "F19": 1,
    })
    found = {(p.row, p.column, p.reason.split(";")[0]) for p in problems(path)}
    assert found == {
        (17, "D (area_code)", "not a area of this project (PRJ001)"),
        (18, "A (metric_code)", "not a metric of this project's return (PRJ001)"),
        (19, "A (metric_code)", "unknown metric code"),
    }


def test_duplicate_row_names_the_first_row(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"F13": 1, "A17": "EVENTS", "D17": BASILDON, "F17": 2})
    (p,) = problems(path)
    assert (p.row, p.column) == (17, "F (2024-07)")
    assert p.reason.startswith("duplicate of row 13:")


def test_merged_code_cells_apply_to_every_row_they_span(tmp_path: Path) -> None:
    # A partner merges the metric code over three spare rows and fills the areas beside it.
    path = fill(template(tmp_path), {"A17": "EVENTS", "D17": "E07000070", "D18": ROCHFORD, "D19": BASILDON,
                                     "F18": 1, "F19": 2}, merge="A17:A19")
    frame = read(path)
    assert set(frame.loc[frame["_row"].isin([18, 19]), "metric_code"]) == {"EVENTS"}


def test_merged_month_cells_are_refused_with_the_cell(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"F13": 30}, unprotect=True, merge="F13:H13")
    found = [(p.row, p.column, p.value) for p in problems(path)]
    assert (13, "F (2024-07)", "F13:H13") in found


def test_month_heading_typed_as_a_date_is_accepted(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"G12": datetime(2024, 8, 1), "G13": 1}, unprotect=True)
    assert read(path)["period"].tolist() == ["2024-08"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2024-10-03", date(2024, 10, 3)), ("03/10/2024", date(2024, 10, 3)), ("3 October 2024", date(2024, 10, 3)),
     ("last week", None), ("", None)],
)
def test_date_submitted_forms(tmp_path: Path, text: str, expected: date | None) -> None:
    path = fill(template(tmp_path), {"B10": text, "F13": 1})
    assert read(path).attrs["return_header"].submitted_on == expected


# --- refusing a changed layout ------------------------------------------------------------------------
def test_changed_label_is_refused_naming_the_cell(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"A5": "Organisation name", "F13": 1}, unprotect=True))
    assert (p.row, p.column, p.value) == (5, "A", "Organisation name")
    assert "header block was changed" in p.reason and "'Organisation'" in p.reason


def test_label_case_and_spacing_are_forgiven(tmp_path: Path) -> None:
    path = fill(template(tmp_path), {"A5": "  organisation ", "F13": 1}, unprotect=True)
    assert len(read(path)) == 1


def test_changed_project_code_is_refused_naming_the_cell(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"B3": "PRJ002", "F13": 1}, unprotect=True))
    assert (p.row, p.column, p.value) == (3, "B", "PRJ002")


def test_changed_quarter_is_refused(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"B7": "Q3", "F13": 1}, unprotect=True))
    assert (p.row, p.column) == (7, "B")


def test_month_outside_the_quarter_is_refused(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"H12": "2024-10", "F13": 1}, unprotect=True))
    assert (p.row, p.column, p.value) == (12, "H", "2024-10")
    assert "not in 2024/25 Q2" in p.reason


def test_changed_table_heading_is_refused(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"D12": "district", "F13": 1}, unprotect=True))
    assert (p.row, p.column) == (12, "D")


def test_table_pushed_down_by_inserted_rows_is_still_found(tmp_path: Path) -> None:
    path = template(tmp_path)
    wb = load_workbook(path)
    ws = wb["Return"]
    ws.protection.sheet = False
    ws.insert_rows(12, amount=2)  # two blank rows between the header block (to row 11, spend) and the table
    ws["F16"] = 9  # was F14: EVENTS / Rochford
    wb.save(path)
    frame = read(path)
    assert frame[["metric_code", "area_code", "_row"]].values.tolist() == [["EVENTS", ROCHFORD, 16]]


def test_empty_return_is_refused(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"F13": "n/a"}))
    assert "no figures" in p.reason


def test_ordinary_workbook_is_not_a_return(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    wb = Workbook()
    wb.active["A1"] = "period"
    wb.save(path)
    assert "not a VVU partner return" in rejection(path).reason


def test_unknown_template_version_is_refused(tmp_path: Path) -> None:
    path = template(tmp_path)
    wb = load_workbook(path)
    wb["Lists"]["I3"] = "99"
    wb.save(path)
    assert "version '99'" in rejection(path).reason


def rewrite_sheet(src: Path, dst: Path, edit) -> Path:  # noqa: ANN001 - str -> str
    """Copy a workbook, passing the Return sheet's XML through ``edit`` (to build hostile files)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":  # Instructions, Return, Lists
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return dst


def test_xml_entity_bomb_is_refused_by_defusedxml(tmp_path: Path) -> None:
    assert pr.DEFUSEDXML, "openpyxl must parse through defusedxml"
    doctype = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')

    def add_entities(xml: str) -> str:
        body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
        return doctype + body.replace("<v>", "<v>&lol2;", 1)

    p = rejection(rewrite_sheet(template(tmp_path), tmp_path / "bomb.xlsx", add_entities))
    assert p.row == 0
    assert "unsafe" in p.reason and "EntitiesForbidden" in p.reason


def test_damaged_workbook_is_refused(tmp_path: Path) -> None:
    path = rewrite_sheet(template(tmp_path), tmp_path / "broken.xlsx", lambda xml: xml[: len(xml) // 2])
    p = rejection(path)
    assert p.row == 0 and "damaged" in p.reason


def test_registered_as_the_workbook_source() -> None:
    source = registry()["partner_return"]
    assert source is pr.SOURCE and source.is_workbook


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        # Blank name and blank email: two errors, each on its own header cell, named by the form's label.
        ("", "", [(8, "B (Submitter name)", "", "Submitter name is blank"),
                  (9, "B (Submitter email)", "", "Submitter email is blank")]),
        # An email without an @ is shown exactly as typed.
        ("A. Partner", "a.partner example.org", [(9, "B (Submitter email)", "a.partner example.org",
                                                  "Submitter email is not an email address")]),
        ("A. Partner", "a.partner@example.org", []),
    ],
)
def test_submitter_name_and_email_are_required(tmp_path: Path, name: str, email: str, expected: list) -> None:
    path = fill(template(tmp_path, signed=False), {"B8": name or None, "B9": email or None, "F13": 1})
    got = [(p.row, p.column, p.value, p.reason.split(":")[0].split(" (")[0]) for p in problems(path)]
    assert got == expected


def test_a_version_1_return_without_spend_or_groups_still_reads(tmp_path: Path) -> None:
    """Partners hold version 1 templates (no spend row, no People by group sheet): they keep loading."""
    path = fill(template(tmp_path), {"F14": 9}, unprotect=True)
    wb = load_workbook(path)
    del wb[pr.PEOPLE_SHEET]
    lists, ret = wb[pr.LISTS_SHEET], wb[pr.RETURN_SHEET]
    version_row = next(r for r in range(2, 10) if lists.cell(r, 8).value == "version")
    lists.cell(version_row, 9, "1")
    ret["A11"], ret["B11"] = None, None  # version 1 left this row blank
    wb.save(path)
    header, frame, issues = pr.read_return(path)
    assert frame[["metric_code", "area_code", "value", "_row"]].values.tolist() == [["EVENTS", ROCHFORD, "9", 14]]
    assert (header.spend_gbp, issues) == (None, [])


def test_version_2_needs_its_spend_label(tmp_path: Path) -> None:
    p = rejection(fill(template(tmp_path), {"A11": "Money", "F13": 1}, unprotect=True))
    assert (p.row, p.column, p.value) == (11, "A", "Money")
    assert "Spend this quarter" in p.reason


@pytest.mark.parametrize(("typed", "expected"), [
    (1250.5, "1250.50"), ("£12,500", "12500.00"), ("n/a", None), (None, None), ("nil", "0.00"),
])
def test_spend_forms_partners_type(tmp_path: Path, typed: object, expected: str | None) -> None:
    header, _frame, issues = pr.read_return(fill(template(tmp_path), {"B11": typed, "F13": 1}))
    assert issues == []
    assert (str(header.spend_gbp) if header.spend_gbp is not None else None) == expected


@pytest.mark.parametrize("typed", ["about 10k", -5, 10.123])
def test_spend_that_is_no_amount_is_an_issue_at_its_cell(tmp_path: Path, typed: object) -> None:
    header, _frame, issues = pr.read_return(fill(template(tmp_path), {"B11": typed, "F13": 1}))
    assert header.spend_gbp is None
    assert [(r, c) for r, c, _v, _why in issues] == [(11, 2)]
    assert "Spend this quarter is not an amount in pounds" in issues[0][3]
