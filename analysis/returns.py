"""Return completeness and timeliness: which project quarters were due, on time, late or missing.

A return is due for every financial quarter a project was active in, up to the last quarter the
data cover. It is on time when it arrived within ``DUE_DAYS`` of the quarter's end.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from analysis.fiscal import Quarter, add_months, parse_period

DUE_DAYS = 30
RETURN_COLUMNS = ["project_code", "financial_year", "quarter", "label", "due_on", "submitted_on", "status",
                  "days_late"]


def quarter_end(q: Quarter) -> date:
    return parse_period(add_months(q.last_month, 1)) - timedelta(days=1)


def last_due_quarter(last_month: str) -> Quarter | None:
    """The data's last complete quarter, the latest a return can be due for (None without data)."""
    if not last_month:
        return None
    final = Quarter.of(parse_period(last_month))
    if final.last_month > last_month:  # the data's last quarter is not complete yet
        final = Quarter.of(parse_period(add_months(final.first_month, -1)))
    return final


def _ordinal(q: Quarter) -> int:
    """Quarters counted from year 0, so a run of quarters is a ``range``."""
    return q.fy_start * 4 + q.number - 1


def _from_ordinal(n: int) -> Quarter:
    return Quarter(n // 4, n % 4 + 1)


def expected_quarters(start: date, end: date | None, last_month: str) -> list[Quarter]:
    """Quarters from the project's start to its end (or the data's last full quarter)."""
    final = last_due_quarter(last_month)
    if final is None:
        return []
    if end is not None:
        final = min(final, Quarter.of(end))
    return [_from_ordinal(n) for n in range(_ordinal(Quarter.of(start)), _ordinal(final) + 1)]


def return_status(projects: pd.DataFrame, submissions: pd.DataFrame, last_month: str,
                  due_days: int = DUE_DAYS) -> pd.DataFrame:
    """One row per expected project quarter with its status (on time, late, missing).

    ``projects``: project_code, start_date, end_date. ``submissions``: project_code,
    financial_year, quarter, submitted_on (the last row wins for a quarter sent twice). A quarter's
    label and due date are worked out once per quarter, not per project quarter, and rows are plain
    tuples: 700 projects over six years are ~10,000 rows, and the grid must stay fast.
    """
    got: dict[tuple[str, str, int], object] = {}
    if not submissions.empty:
        keys = zip(submissions["project_code"].tolist(), submissions["financial_year"].tolist(),
                   [int(q) for q in submissions["quarter"].tolist()], strict=True)
        got = dict(zip(keys, submissions["submitted_on"].tolist(), strict=True))
    final = last_due_quarter(last_month)
    rows: list[tuple] = []
    if final is not None and not projects.empty:
        facts: dict[int, tuple[str, int, str, date]] = {}  # ordinal -> fy, number, label, due
        for code, start, end_date in zip(projects["project_code"].tolist(), projects["start_date"].tolist(),
                                         projects["end_date"].tolist(), strict=True):
            stop = min(final, Quarter.of(end_date)) if isinstance(end_date, date) else final
            for n in range(_ordinal(Quarter.of(start)), _ordinal(stop) + 1):
                fact = facts.get(n)
                if fact is None:
                    q = _from_ordinal(n)
                    fact = facts[n] = (q.fy, q.number, q.label, quarter_end(q) + timedelta(days=due_days))
                fy, number, label, due = fact
                submitted = got.get((code, fy, number))
                if submitted is None:
                    status, late = "missing", None
                elif submitted <= due:
                    status, late = "on time", 0
                else:
                    status, late = "late", (submitted - due).days
                rows.append((code, fy, number, label, due, submitted, status, late))
    return pd.DataFrame(rows, columns=RETURN_COLUMNS)
