"""The window of dates the warehouse accepts and the views read: one rule for the loader and the pages.

From 1 April of the programme's first financial year to the end of the current month plus a margin
for dates that happened; up to the end of a financial year some years ahead for planned dates
(project ends, targets, funding). The loader refuses dates outside it (``etl.dates``); the read
queries ignore stored rows outside it, so one bad row can never make a view build a month axis
across eight thousand years. Pure: the caller passes the settings and today's date
(``warehouse.window.current_window`` reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DateWindow:
    first: date
    last: date  # for dates that happened
    plan_last: date  # for planned dates

    def upper(self, planned: bool) -> date:
        return self.plan_last if planned else self.last

    @property
    def first_period(self) -> str:
        return self.first.isoformat()[:7]

    def last_period(self, planned: bool = False) -> str:
        return self.upper(planned).isoformat()[:7]

    def first_fy_start(self) -> int:
        return self.first.year if self.first.month >= 4 else self.first.year - 1

    def last_fy_start(self, planned: bool = True) -> int:
        upper = self.upper(planned)
        return upper.year if upper.month >= 4 else upper.year - 1

    def describe(self, planned: bool = False) -> str:
        setting = "PLAN_HORIZON_YEARS" if planned else "DATE_MARGIN_MONTHS"
        return (f"outside the accepted dates {self.first.isoformat()} to {self.upper(planned).isoformat()} "
                f"(set by DATA_FIRST_YEAR and {setting})")


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def date_window(first_year: int, margin_months: int, horizon_years: int, today: date) -> DateWindow:
    """The window for these settings as of ``today``."""
    months = today.year * 12 + today.month - 1 + margin_months
    last = _month_end(months // 12, months % 12 + 1)
    fy_start = today.year if today.month >= 4 else today.year - 1
    plan_last = date(fy_start + horizon_years + 1, 3, 31)
    return DateWindow(date(first_year, 4, 1), last, max(plan_last, last))

