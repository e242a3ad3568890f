"""The exception report: for each measure off track or at risk, a short explanation and the action agreed.

A manager enters both for a measure and quarter (on the Reporting page); they are kept in
``measure_exception`` and frozen into every snapshot of that quarter, so an approved board pack keeps
the words it was approved with even if they are edited later. Text is checked here (length, not
blank) because the page's callback is a public JSON endpoint.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from analysis.fiscal import Quarter
from warehouse import queries
from warehouse.audit import utc_now
from warehouse.reporting_models import MeasureException

EXCEPTION_STATUSES = ("off track", "at risk")
MAX_TEXT = 2000
COLUMNS = ["metric_code", "explanation", "action", "entered_by", "entered_at"]


class ExceptionError(ValueError):
    """An entry that cannot be saved; the message says why."""


def _quarter(label: str) -> str:
    try:
        return Quarter.parse(str(label or "")).label
    except ValueError as exc:
        raise ExceptionError(f"unknown quarter {str(label)[:40]!r}: write it like '2022/23 Q3'") from exc


def exceptions_for(engine: Engine, quarter: str) -> pd.DataFrame:
    """The entries of a quarter (COLUMNS), by metric code."""
    label = _quarter(quarter)
    t = MeasureException.__table__
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(*[t.c[c] for c in COLUMNS]).where(t.c.quarter == label)
                                               .order_by(t.c.metric_code))]
    return pd.DataFrame(rows, columns=COLUMNS)


def save_exception(engine: Engine, metric_code: str, quarter: str, explanation: str, action: str,
                   entered_by: str) -> None:
    """Record (or replace) a measure's explanation and agreed action for a quarter."""
    label = _quarter(quarter)
    code = str(metric_code or "").strip().upper()
    if code not in set(queries.metrics(engine)["metric_code"]):
        raise ExceptionError(f"unknown measure {code[:40]!r}")
    explanation, action = " ".join(str(explanation or "").split()), " ".join(str(action or "").split())
    if not explanation or not action:
        raise ExceptionError("give both a short explanation and the action agreed")
    if len(explanation) > MAX_TEXT or len(action) > MAX_TEXT:
        raise ExceptionError(f"keep the explanation and the action to {MAX_TEXT:,} characters each")
    t = MeasureException.__table__
    with engine.begin() as conn:
        conn.execute(delete(t).where(t.c.metric_code == code, t.c.quarter == label))
        conn.execute(insert(t).values(metric_code=code, quarter=label, explanation=explanation, action=action,
                                      entered_by=str(entered_by)[:100], entered_at=utc_now()))


def exception_rows(kpi_rows: list[dict], entries: pd.DataFrame) -> list[dict]:
    """The exception report: each measure whose year-to-date status is off track or at risk, with its entry
    (or a plain "not yet entered"), off track first."""
    found = {r.metric_code: r for r in entries.itertuples(index=False)}
    out = []
    for r in kpi_rows:
        if r.get("status") not in EXCEPTION_STATUSES:
            continue
        entry = found.get(r["metric_code"])
        out.append({"priority_code": r.get("priority_code") or "", "metric_code": r["metric_code"], "name": r["name"],
                    "status": r["status"], "value": r.get("value"), "target": r.get("expected"),
                    "unit": r.get("unit", ""),
                    "explanation": entry.explanation if entry else "Not yet entered.",
                    "action": entry.action if entry else "Not yet entered.",
                    "entered_by": entry.entered_by if entry else ""})
    return sorted(out, key=lambda r: (EXCEPTION_STATUSES.index(r["status"]), r["priority_code"], r["metric_code"]))


JUDGED = ("on track", "at risk", "off track")


def report_notes(kpi_rows: list[dict], entries: pd.DataFrame, names: dict[str, str], view: str = "") -> list[str]:
    """Sentences that make a short or empty exception report explain itself.

    An empty report reads as "all is well" unless it says why it is empty: every judged measure on
    track, or no measure judged at all (no target, too little data), or no measure reported in the view.
    A view's pack (``view``: 'Basildon; P3 ...') shows the partnership's entries beside the view's own
    figures, and says so; an entry made for a measure that is not off track or at risk here is named,
    so a reader looking for it knows it exists and why it is not listed."""
    where = f" in this view ({view})" if view else ""
    judged = [r for r in kpi_rows if r.get("status") in JUDGED]
    listed = {r["metric_code"] for r in judged if r["status"] in EXCEPTION_STATUSES}
    unjudged = len(kpi_rows) - len(judged)
    not_judged = f"{unjudged} not judged: no target, or too little data" if unjudged else ""
    notes = []
    if not kpi_rows:
        notes.append(f"No measure is reported{where} for the year to date, so no measure is judged.")
    elif not judged:
        notes.append(f"No measure{where} can be judged for the year to date ({not_judged}), so none is listed.")
    elif not listed:
        counted = f"{len(judged)} judged" + (f"; {not_judged}" if not_judged else "")
        notes.append(f"Every measure judged{where} is on track for the year to date ({counted}).")
    elif not_judged:
        notes.append(f"Of the measures{where}, {not_judged}.")
    if view and listed:
        notes.append("Explanations and actions are entered for each measure across the whole partnership; here "
                     "they stand beside this view's own figures.")
    elsewhere = sorted(set(entries["metric_code"]) - listed) if not entries.empty else []
    if elsewhere:
        named = ", ".join(names.get(c, c) for c in elsewhere)
        verb = "is" if len(elsewhere) == 1 else "are"
        notes.append(f"An explanation and action were entered this quarter for {named}, which {verb} not off track "
                     f"or at risk{where}, so {'it is' if verb == 'is' else 'they are'} not listed.")
    return notes


def measures_for_exception_report(engine: Engine, quarter: str) -> list[dict]:
    """The quarter's exception report as it stands now (the rows a snapshot made now would freeze):
    measures off track or at risk for the financial year to date, with any entry already made."""
    from analysis.fiscal import fy_months
    from service.kpis import kpi_view
    from warehouse.filters import Filters

    q = Quarter.parse(_quarter(quarter))
    table = kpi_view(engine, Filters(month_from=fy_months(q.fy)[0], month_to=q.last_month)).table
    rows = [{"priority_code": r["priority_code"] or "", "metric_code": r["metric_code"], "name": r["name"],
             "status": r["status"], "value": r["value"], "expected": r["expected"], "unit": r["unit"]}
            for r in table.to_dict("records")]
    return exception_rows(rows, exceptions_for(engine, q.label))
