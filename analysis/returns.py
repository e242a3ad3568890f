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


def expected_quarters(start: date, end: date | None, last_month: str) -> list[Quarter]:
    """Quarters from the project's start to its end (or the data's last full quarter)."""
    if not last_month:
        return []
    final = Quarter.of(parse_period(last_month))
    if final.last_month > last_month:  # the data's last quarter is not complete yet
        final = Quarter.of(parse_period(add_months(final.first_month, -1)))
    if end is not None:
        final = min(final, Quarter.of(end))
    q = Quarter.of(start)
    out = []
    while q <= final:
        out.append(q)
        q = Quarter(q.fy_start + (q.number == 4), q.number % 4 + 1)
    return out


def return_status(projects: pd.DataFrame, submissions: pd.DataFrame, last_month: str,
                  due_days: int = DUE_DAYS) -> pd.DataFrame:
    """One row per expected project quarter with its status (on time, late, missing)."""
    got = {(r.project_code, r.financial_year, int(r.quarter)): r.submitted_on for r in submissions.itertuples()}
    rows = []
    for p in projects.itertuples():
        end = p.end_date if isinstance(p.end_date, date) else None
        for q in expected_quarters(p.start_date, end, last_month):
            due = quarter_end(q) + timedelta(days=due_days)
            submitted = got.get((p.project_code, q.fy, q.number))
            if submitted is None:
                status, late = "missing", None
            elif submitted <= due:
                status, late = "on time", 0
            else:
                status, late = "late", (submitted - due).days
            rows.append({"project_code": p.project_code, "financial_year": q.fy, "quarter": q.number,
                         "label": q.label, "due_on": due, "submitted_on": submitted, "status": status,
                         "days_late": late})
    return pd.DataFrame(rows, columns=RETURN_COLUMNS)
