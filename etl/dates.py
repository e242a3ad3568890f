"""The window of dates a loaded file may hold, and the checks every reader applies against it.

Why: a row with period ``9999-12`` or a project running from ``0001-01-01`` to ``9999-12-31`` used to
load, and then every view built a month axis across eight thousand years (500 errors, pages of
megabytes). Dates that happened lie from 1 April of the programme's first financial year
(``DATA_FIRST_YEAR``) to the end of the current month plus a margin (``DATE_MARGIN_MONTHS``); planned
dates (a project's dates, the financial years of targets and funding, a patrol plan) may reach
``PLAN_HORIZON_YEARS`` financial years ahead. All comparisons work on the ISO text, so a date too far
out for pandas (year 1 or 9999) is still named as outside the window rather than as malformed.

Pure: reads the settings and the clock, never the database.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis.date_window import DateWindow
from warehouse.window import current_window


def window(today: date | None = None) -> DateWindow:
    """The window as of ``today`` (default: now), from the settings (one rule: ``analysis.date_window``)."""
    return current_window(today)


def outside_dates(text: pd.Series, planned: bool = False) -> pd.Series:
    """True where an ISO date text (YYYY-MM-DD...) lies outside the window; blanks and None are False."""
    w = window()
    s = text.astype("string").str.slice(0, 10)
    out = (s < w.first.isoformat()) | (s > w.upper(planned).isoformat())
    return out.fillna(False).astype(bool)


def outside_periods(text: pd.Series, planned: bool = False) -> pd.Series:
    """True where a YYYY-MM month lies outside the window (a month partly inside it is inside)."""
    w = window()
    s = text.astype("string").str.slice(0, 7)
    out = (s < w.first.isoformat()[:7]) | (s > w.upper(planned).isoformat()[:7])
    return out.fillna(False).astype(bool)


def outside_financial_years(text: pd.Series, planned: bool = True) -> pd.Series:
    """True where a financial year 'YYYY/YY' starts outside the window (by its first year)."""
    w = window()
    start = pd.to_numeric(text.astype("string").str.slice(0, 4), errors="coerce")
    first_fy, last_fy = w.first_fy_start(), w.last_fy_start(planned)
    return ((start < first_fy) | (start > last_fy)).fillna(False).astype(bool)


def reason(planned: bool = False) -> str:
    """The problem text for a value outside the window."""
    return window().describe(planned)


def date_outside(value: date | None, planned: bool = False) -> bool:
    """One date (already parsed) outside the window; None is not."""
    if value is None:
        return False
    w = window()
    return value < w.first or value > w.upper(planned)
