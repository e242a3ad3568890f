"""SQL conditions keeping the read queries inside the date window (``analysis.date_window``).

Why: the loader refuses dates outside the window, but a database may still hold such rows (loaded
before the rule, restored, edited by hand). A view that derives its default months from the data,
or lays out an axis from the first to the last stored month, would build it across thousands of
years from one such row, or fail on a year 0 or 10000. The queries that decide ranges or list
periods, years and project dates read through these conditions, so stored rows outside the window
are ignored by every view. The upper bound is the planned one (targets and funding run ahead).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Date, and_, case, or_, type_coerce

from analysis.date_window import DateWindow, date_window
from analysis.fiscal import fy_label
from settings import load_settings


def current_window(today: date | None = None) -> DateWindow:
    """The window from the environment's settings as of today (the loader's rule too: ``etl.dates``)."""
    s = load_settings()
    return date_window(s.data_first_year, s.date_margin_months, s.plan_horizon_years, today or date.today())


def period_ok(column: ColumnElement) -> ColumnElement[bool]:
    """A 'YYYY-MM' column inside the window."""
    w = current_window()
    return column.between(w.first_period, w.last_period(planned=True))


def fy_ok(column: ColumnElement) -> ColumnElement[bool]:
    """A financial-year label ('2022/23') column inside the window (labels sort by their first year)."""
    w = current_window()
    return column.between(fy_label(w.first_fy_start()), fy_label(w.last_fy_start(planned=True)))


def dates_ok(start: ColumnElement, end: ColumnElement | None = None) -> ColumnElement[bool]:
    """A start date (and an optional end date, NULL meaning ongoing) inside the window."""
    w = current_window()
    cond = start.between(w.first, w.plan_last)
    if end is not None:
        cond = and_(cond, or_(end.is_(None), end.between(w.first, w.plan_last)))
    return cond


def start_in_window(column: ColumnElement) -> ColumnElement:
    """A project's start date, brought inside the window (a start in year 1 reads as the window's first
    day), labelled as the column so the frames keep their names."""
    w = current_window()
    return type_coerce(case((column < w.first, w.first), (column > w.plan_last, w.plan_last), else_=column),
                       Date).label(column.name)


def end_in_window(column: ColumnElement) -> ColumnElement:
    """A project's end date (NULL: ongoing), brought inside the window; an end in year 9999 reads as
    ongoing."""
    w = current_window()
    return type_coerce(case((column > w.plan_last, None), (column < w.first, w.first), else_=column),
                       Date).label(column.name)
