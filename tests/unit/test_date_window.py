"""Known answers for the date window (analysis.date_window) and the replace-share arithmetic."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.date_window import date_window
from etl.replace_rule import removed_share


def test_window_on_4_december_2026_with_the_defaults() -> None:
    """First year 2015 -> from 1 April 2015; December plus 3 months -> end of March 2027; financial
    year 2026/27 plus 10 -> planned dates to 31 March 2037."""
    w = date_window(2015, 3, 10, date(2026, 12, 4))
    assert (w.first, w.last, w.plan_last) == (date(2015, 4, 1), date(2027, 3, 31), date(2037, 3, 31))
    assert (w.first_period, w.last_period(), w.last_period(planned=True)) == ("2015-04", "2027-03", "2037-03")
    assert (w.first_fy_start(), w.last_fy_start(planned=False), w.last_fy_start()) == (2015, 2026, 2036)


def test_window_edges() -> None:
    """No margin on 31 January: the window ends that day. A leap February ends on the 29th. In
    March (still 2025/26) a zero horizon ends planned dates with that financial year."""
    assert date_window(2019, 0, 0, date(2025, 1, 31)).last == date(2025, 1, 31)
    assert date_window(2019, 1, 0, date(2024, 1, 10)).last == date(2024, 2, 29)
    assert date_window(2019, 0, 0, date(2026, 3, 15)).plan_last == date(2026, 3, 31)


def test_outside_checks_read_the_text(monkeypatch) -> None:  # noqa: ANN001
    """Years 1 and 9999 are outside (read as text, never as a pandas date, which cannot hold them)."""
    from etl.dates import outside_dates, outside_financial_years, outside_periods

    monkeypatch.setenv("DATA_FIRST_YEAR", "2019")
    assert outside_dates(pd.Series(["0001-01-01", "9999-12-31", "2019-04-01", "2019-03-31", None])).tolist() == \
        [True, True, False, True, False]
    assert outside_periods(pd.Series(["9999-12", "2019-04", "2019-03"])).tolist() == [True, False, True]
    assert outside_financial_years(pd.Series(["9999/00", "2019/20", "2018/19"])).tolist() == [True, False, True]


def test_removed_share() -> None:
    """14,758 rows replaced by 5: 14,753 go, 99.97%; a file as large or larger removes nothing."""
    assert round(removed_share(14_758, 5), 4) == 0.9997
    assert removed_share(100, 100) == 0 and removed_share(100, 150) == 0 and removed_share(0, 5) == 0
