"""analysis.returns with hand-worked answers: which project quarters a return was due for, and
whether it came on time, late or not at all."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.fiscal import Quarter
from analysis.returns import RETURN_COLUMNS, expected_quarters, last_due_quarter, return_status

PROJECTS = pd.DataFrame([
    {"project_code": "A", "project_name": "Started in May", "start_date": date(2024, 5, 10), "end_date": None},
    {"project_code": "B", "project_name": "Ended in May", "start_date": date(2023, 12, 1),
     "end_date": date(2024, 5, 31)},
])


def test_last_due_quarter_is_the_last_complete_one() -> None:
    assert last_due_quarter("2025-02") == Quarter(2024, 3)  # Q4 runs to March: not complete
    assert last_due_quarter("2025-03") == Quarter(2024, 4)
    assert last_due_quarter("") is None


def test_expected_quarters_from_start_to_end_or_the_data() -> None:
    assert expected_quarters(date(2024, 5, 10), None, "2025-02") == [Quarter(2024, 1), Quarter(2024, 2),
                                                                     Quarter(2024, 3)]
    assert expected_quarters(date(2023, 12, 1), date(2024, 5, 31), "2025-02") == [
        Quarter(2023, 3), Quarter(2023, 4), Quarter(2024, 1)]
    assert expected_quarters(date(2025, 4, 1), None, "2025-02") == []  # starts after the data
    assert expected_quarters(date(2024, 5, 10), None, "") == []


def test_return_status_known_answers() -> None:
    submissions = pd.DataFrame([
        ("A", "2024/25", 1, date(2024, 7, 30)),  # Q1 ends 30 June: due 30 July, on the day
        ("A", "2024/25", 2, date(2024, 10, 1)),
        ("A", "2024/25", 2, date(2024, 11, 4)),  # sent again: the last one counts, 5 days after 30 October
        ("Z", "2024/25", 1, date(2024, 7, 1)),  # a project not asked about
    ], columns=["project_code", "financial_year", "quarter", "submitted_on"])
    table = return_status(PROJECTS, submissions, "2025-02")
    assert list(table.columns) == RETURN_COLUMNS
    assert list(zip(table["project_code"], table["label"], table["status"], strict=True)) == [
        ("A", "2024/25 Q1", "on time"), ("A", "2024/25 Q2", "late"), ("A", "2024/25 Q3", "missing"),
        ("B", "2023/24 Q3", "missing"), ("B", "2023/24 Q4", "missing"), ("B", "2024/25 Q1", "missing"),
    ]
    a = table[table["project_code"] == "A"].set_index("quarter")
    assert a.loc[1, "due_on"] == date(2024, 7, 30) and a.loc[1, "days_late"] == 0
    assert a.loc[2, "due_on"] == date(2024, 10, 30) and a.loc[2, "submitted_on"] == date(2024, 11, 4)
    assert a.loc[2, "days_late"] == 5
    assert a.loc[3, "due_on"] == date(2025, 1, 30) and pd.isna(a.loc[3, "days_late"])
    assert a.loc[3, "submitted_on"] is None
    assert table["quarter"].dtype == "int64" and table["days_late"].dtype == "float64"


def test_return_status_without_data_or_projects_is_empty() -> None:
    none = pd.DataFrame(columns=["project_code", "financial_year", "quarter", "submitted_on"])
    assert return_status(PROJECTS, none, "").empty
    assert list(return_status(PROJECTS.iloc[0:0], none, "2025-02").columns) == RETURN_COLUMNS
    # Nothing submitted at all: every due quarter is missing.
    assert set(return_status(PROJECTS, none, "2025-02")["status"]) == {"missing"}
