"""UK financial-year arithmetic (analysis.fiscal): the one place months become years and quarters.

Financial years run 1 April to 31 March, so March belongs to the year that began the April before
and April starts a new year: 2023-03 is 2022/23 Q4 and 2023-04 is 2023/24 Q1.
"""

from __future__ import annotations

from datetime import date

import pytest

from analysis.fiscal import (
    Quarter,
    add_months,
    financial_year,
    fiscal_quarter,
    fy_label,
    fy_months,
    fy_of_period,
    months_between,
    parse_fy,
    parse_period,
    period_of,
    quarter_of_period,
    share_of_year_elapsed,
)


@pytest.mark.parametrize(
    ("period", "fy", "quarter"),
    [
        ("2023-03", "2022/23", 4),  # last month of a year
        ("2023-04", "2023/24", 1),  # first month of the next
        ("2023-06", "2023/24", 1),
        ("2023-07", "2023/24", 2),
        ("2023-09", "2023/24", 2),
        ("2023-10", "2023/24", 3),
        ("2023-12", "2023/24", 3),
        ("2024-01", "2023/24", 4),  # January: the calendar year changes, the financial year does not
        ("1999-12", "1999/00", 3),  # the two-digit end wraps at the century
        ("2000-02", "1999/00", 4),
    ],
)
def test_financial_year_and_quarter_of_a_month(period: str, fy: str, quarter: int) -> None:
    assert fy_of_period(period) == fy
    assert quarter_of_period(period) == quarter
    d = parse_period(period)
    assert (financial_year(d), fiscal_quarter(d)) == (fy, quarter)
    assert Quarter.of(d) == Quarter.parse(f"{fy} Q{quarter}")


def test_year_boundary_by_day() -> None:
    assert financial_year(date(2023, 3, 31)) == "2022/23"
    assert financial_year(date(2023, 4, 1)) == "2023/24"
    assert fy_label(2019) == "2019/20"


def test_quarter_months_and_labels() -> None:
    q = Quarter.parse("2022/23 Q4")
    assert (q.fy_start, q.number, q.fy, q.label, str(q)) == (2022, 4, "2022/23", "2022/23 Q4", "2022/23 Q4")
    assert (q.first_month, q.last_month) == ("2023-01", "2023-03")
    assert q.months == ["2023-01", "2023-02", "2023-03"]
    assert Quarter.parse("2023/24 Q1").months == ["2023-04", "2023-05", "2023-06"]
    assert q.previous_year() == Quarter(2021, 4)
    assert Quarter(2022, 4) < Quarter(2023, 1) < Quarter(2023, 2)  # order follows time


@pytest.mark.parametrize("label", [" 2022/23  q3 ", "2022 / 23 Q3", "2022/23 Q3"])
def test_quarter_parse_forgives_spacing_and_case(label: str) -> None:
    assert Quarter.parse(label) == Quarter(2022, 3)


@pytest.mark.parametrize(
    "label",
    ["", None, "2022/23", "2022/24 Q1", "2022/23 Q5", "2022/23 Q0", "2022-23 Q1", "Q1 2022/23", "22/23 Q1"],
)
def test_quarter_parse_refuses_anything_else(label: str | None) -> None:
    with pytest.raises(ValueError, match="not a quarter like '2022/23 Q3'"):
        Quarter.parse(label)  # type: ignore[arg-type]


def test_parse_fy_and_its_errors() -> None:
    assert parse_fy("2022/23") == 2022
    assert parse_fy(" 1999 / 00 ") == 1999
    for bad in ("2022/24", "2022-23", "2022", "", "22/23"):
        with pytest.raises(ValueError, match="not a financial year"):
            parse_fy(bad)


def test_parse_period_and_its_errors() -> None:
    assert parse_period("2022-07") == date(2022, 7, 1)
    assert period_of(date(2022, 7, 31)) == "2022-07"
    for bad in ("2022-13", "2022-00", "2022-7", "July 2022", "2022-07-01", ""):
        with pytest.raises(ValueError, match="not a month"):
            parse_period(bad)


def test_add_months_crosses_years_both_ways() -> None:
    assert add_months("2023-11", 3) == "2024-02"
    assert add_months("2023-01", -1) == "2022-12"
    assert add_months("2023-03", 12) == "2024-03"
    assert add_months("2023-03", 0) == "2023-03"
    assert add_months("2020-01", -25) == "2017-12"


def test_months_between_is_inclusive_and_empty_when_reversed() -> None:
    assert months_between("2022-11", "2023-02") == ["2022-11", "2022-12", "2023-01", "2023-02"]
    assert months_between("2023-04", "2023-04") == ["2023-04"]
    assert months_between("2023-05", "2023-04") == []
    assert len(months_between("2019-04", "2025-09")) == 78  # the sample data's span: 6.5 years


def test_fy_months_and_share_elapsed() -> None:
    months = fy_months("2023/24")
    assert (len(months), months[0], months[-1]) == (12, "2023-04", "2024-03")
    assert share_of_year_elapsed("2023/24", "2023-09") == 0.5  # April..September is half the year
    assert share_of_year_elapsed("2023/24", "2023-03") == 0.0  # data stop before the year starts
    assert share_of_year_elapsed("2023/24", "2025-01") == 1.0
