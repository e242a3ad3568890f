"""Column parsing (etl.columns): forgiving about form, strict about meaning.

Each column parses a whole Series; the rows it refuses come back in ``bad`` with a reason a person
can act on. Distinct cells are parsed once and spread back, so results must line up with the input
index whatever it is.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from etl.columns import (
    Choice,
    Code,
    CodeList,
    DateCol,
    FinancialYear,
    Flag,
    Number,
    Period,
    Text,
    blank_cells,
    normalise_header,
)


def cells(*values: object, start: int = 2) -> pd.Series:
    """Raw cells as the CSV reader gives them (text), indexed like spreadsheet rows."""
    return pd.Series(list(values), index=range(start, start + len(values)), dtype=object)


def parse(column, *values: object):  # noqa: ANN001, ANN201 - small helper
    return column.parse_cells(cells(*values))


# --- numbers --------------------------------------------------------------------------------------
def test_number_accepts_thousands_separators_decimals_and_spaces() -> None:
    p = parse(Number("value"), "1,234", " 12 ", "1,234,567.5", "0", "3.25", "£1,500.00", "+7")
    assert not p.bad.any()
    assert p.values.tolist() == [1234.0, 12.0, 1234567.5, 0.0, 3.25, 1500.0, 7.0]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-1", "must not be negative"),
        ("-1,234", "must not be negative"),
        ("lots", "not a number"),
        ("12,34", "not a number"),  # a comma that is not a thousands separator changes meaning
        ("1.234,5", "not a number"),  # continental style is refused, not guessed
        ("n/a", "not a number"),
        ("inf", "not a finite number"),
        ("1e400", "not a finite number"),
    ],
)
def test_number_refuses_what_changes_meaning(raw: str, reason: str) -> None:
    p = parse(Number("value"), raw)
    assert p.bad.tolist() == [True]
    assert p.reasons.tolist() == [reason]


def test_number_negative_allowed_integer_and_decimals() -> None:
    assert parse(Number("v", allow_negative=True), "-3.5").values.tolist() == [-3.5]
    whole = parse(Number("v", integer=True), "3", "3.0", "3.5")
    assert whole.bad.tolist() == [False, False, True]
    assert whole.reasons[4] == "must be a whole number"
    money = parse(Number("v", decimals=2), "10.25", "10.255", "1,000.1")
    assert money.bad.tolist() == [False, True, False]
    assert money.reasons[3] == "at most 2 decimal places"


def test_required_blank_is_missing_and_optional_blank_takes_default() -> None:
    required = parse(Number("value"), "", "   ", "5")
    assert required.bad.tolist() == [True, True, False]
    assert required.reasons[2] == required.reasons[3] == "required value is missing"
    optional = parse(Choice("sex", required=False, default="unknown", choices=("female", "male")), "", " ")
    assert not optional.bad.any()
    assert optional.values.tolist() == ["unknown", "unknown"]


# --- codes and choices ----------------------------------------------------------------------------
def test_choice_is_case_and_space_insensitive_and_stored_canonically() -> None:
    col = Choice("age_band", choices=("under 10", "25 and over", "18-24"))
    p = parse(col, "UNDER 10", " 25  And Over ", "18-24", "18 - 24", "teen")
    assert p.bad.tolist() == [False, False, False, True, True]
    assert p.values.tolist()[:3] == ["under 10", "25 and over", "18-24"]
    assert p.reasons[6] == "must be one of: under 10, 25 and over, 18-24"


def test_code_is_upper_cased_and_stripped_and_checked_for_shape() -> None:
    p = parse(Code("project_code"), " prj001 ", "Prj-02", "PRJ 003", "ÄBC", "-X")
    assert p.values.tolist()[:2] == ["PRJ001", "PRJ-02"]
    assert p.bad.tolist() == [False, False, True, True, True]
    assert set(p.reasons[p.bad]) == {"not a valid code"}


def test_code_list_normalises_separators() -> None:
    p = parse(CodeList("area_codes"), " e07000066 ; E07000075;", "A;;B", "A, B")
    assert p.values.tolist()[0] == "E07000066;E07000075"
    assert p.bad.tolist() == [False, True, True]


# --- dates, months, years, flags, text ------------------------------------------------------------
def test_period_must_be_a_real_month() -> None:
    p = parse(Period("period"), "2023-04", " 2023-12 ", "2023-13", "2023-4", "April 2023", "2023-04-01")
    assert p.bad.tolist() == [False, False, True, True, True, True]
    assert p.values.tolist()[:2] == ["2023-04", "2023-12"]
    assert p.reasons[4] == "not a month in the form YYYY-MM"


def test_dates_financial_years_and_flags() -> None:
    d = parse(DateCol("start_date"), "2023-04-01", "2023-02-30", "01/04/2023")
    assert d.values[2] == date(2023, 4, 1) and d.bad.tolist() == [False, True, True]
    fy = parse(FinancialYear("financial_year"), "2022/23", "2022 / 23", "2022/24", "2022")
    assert fy.bad.tolist() == [False, False, True, True] and fy.values[3] == "2022/23"
    flag = parse(Flag("higher_is_better"), "TRUE", "no", "Y", "0", "maybe")
    assert flag.values.tolist()[:4] == [True, False, True, False] and flag.bad.tolist()[-1]


def test_text_length_limit() -> None:
    p = parse(Text("name", max_length=5), "short", "too long")
    assert p.bad.tolist() == [False, True] and p.reasons[3] == "longer than 5 characters"


# --- the distinct-value fast path keeps rows aligned ------------------------------------------------
def test_results_follow_the_input_index_and_repeats() -> None:
    raw = pd.Series(["5", "x", "5", "", "x", "1,000"] * 1000, index=np.arange(1000, 7000) * 3, dtype=object)
    p = Number("value").parse_cells(raw)
    assert p.values.index.equals(raw.index) and p.bad.index.equals(raw.index)
    assert p.bad.tolist() == [False, True, False, True, True, False] * 1000
    assert p.values.iloc[[0, 2, 5, 5000]].tolist() == [5.0, 5.0, 1000.0, 5.0]  # row 5000 repeats row 2
    assert p.reasons.iloc[:5].tolist() == ["", "not a number", "", "required value is missing", "not a number"]


def test_blank_cells_sees_spaces_and_missing_values() -> None:
    raw = pd.Series(["", "  ", "\t", "a", None, np.nan, " b "], dtype=object)
    assert blank_cells(raw).tolist() == [True, True, True, False, True, True, False]


@pytest.mark.parametrize(
    ("header", "name"),
    [("Project Code", "project_code"), (" project_code ", "project_code"), ("PROJECT-CODE", "project_code"),
     ("\ufeffperiod", "period"), ("Crime ID", "crime_id"), ("area__code", "area_code")],
)
def test_header_names_normalise(header: str, name: str) -> None:
    assert normalise_header(header) == name
