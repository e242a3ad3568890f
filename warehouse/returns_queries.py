"""Read queries for checking a return before it loads and for chasing returns: a project's own history,
the rows a file would replace, metrics' monthly limits, contacts, chases and accepted warnings.

Aggregates in SQL, works on SQLite and PostgreSQL; writes nothing (``etl.preview`` and
``service.chase`` own their writes).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, func, or_, select

from analysis.fiscal import add_months
from warehouse import models as m
from warehouse import returns_models as rm
from warehouse.project_ranges import range_conditions
from warehouse.queries import PRJ, _frame

OBS = m.Observation.__table__
OM = m.ObservationMonthly.__table__
HISTORY_MONTHS = 36
ROW_KEY = ["project_code", "area_code", "metric_code", "period", "age_band", "sex", "ethnicity"]


def history_before(conn: Connection, ranges: dict[str, list[str]], metrics: list[str]) -> pd.DataFrame:
    """Each project's own monthly figures (splits added up) in the three years before its file's months.

    Columns: project_code, area_code, metric_code, period, value."""
    cols = ["project_code", "area_code", "metric_code", "period", "value"]
    if not ranges or not metrics:
        return pd.DataFrame(columns=cols)
    before = {p: [add_months(lo, -HISTORY_MONTHS), add_months(lo, -1)] for p, (lo, _hi) in ranges.items()}
    rows = []
    for where in range_conditions(OM, before):
        stmt = select(OM.c.project_code, OM.c.area_code, OM.c.metric_code, OM.c.period, OM.c.value).where(
            where, OM.c.metric_code.in_(metrics))
        rows.extend(tuple(r) for r in conn.execute(stmt).all())
    return pd.DataFrame(rows, columns=cols)


def metric_limits(conn: Connection) -> dict[str, float]:
    """metric_code -> max_per_month, for metrics that have one (metrics.csv)."""
    t = m.Metric.__table__
    return {c: float(v) for c, v in conn.execute(select(t.c.metric_code, t.c.max_per_month)
                                                 .where(t.c.max_per_month.is_not(None)))}


def project_contacts(engine: Engine) -> pd.DataFrame:
    """Each project's organisation and who to chase there. Columns: project_code, org_code, org_name,
    contact_name, contact_email."""
    o = m.Organisation.__table__
    stmt = (select(PRJ.c.project_code, PRJ.c.org_code, o.c.org_name, o.c.contact_name, o.c.contact_email)
            .join(o, o.c.org_code == PRJ.c.org_code, isouter=True))
    frame = _frame(engine, stmt, ["project_code", "org_code", "org_name", "contact_name", "contact_email"])
    return frame.fillna("")


def last_chases(engine: Engine, only: tuple[str, str, int] | None = None) -> pd.DataFrame:
    """The latest chase of each project quarter. Columns: project_code, financial_year, quarter,
    last_chased (datetime), last_chased_by (who), chases (how many times). ``only``: one (project_code,
    financial_year, quarter), so recording a chase reads that quarter's chases, not every chase ever."""
    t = rm.ReturnChase.__table__
    group = (t.c.project_code, t.c.financial_year, t.c.quarter)
    chosen = select(*group, t.c.chased_at, t.c.chased_by, t.c.id)
    if only is not None:
        chosen = chosen.where(*[c == v for c, v in zip(group, only, strict=True)])
    rows = chosen.subquery()
    group = (rows.c.project_code, rows.c.financial_year, rows.c.quarter)
    ranked = select(*group, rows.c.chased_at, rows.c.chased_by,
                    func.row_number().over(partition_by=group, order_by=(rows.c.chased_at.desc(), rows.c.id.desc()))
                    .label("newest"),
                    func.count().over(partition_by=group).label("chases")).subquery()
    stmt = (select(ranked.c.project_code, ranked.c.financial_year, ranked.c.quarter, ranked.c.chased_at,
                   ranked.c.chased_by, ranked.c.chases).where(ranked.c.newest == 1))
    return _frame(engine, stmt, ["project_code", "financial_year", "quarter", "last_chased", "last_chased_by",
                                 "chases"])


def submissions(engine: Engine, org: str = "") -> pd.DataFrame:
    """Every return received, newest first, with the date on the form and who sent it.

    Columns: project_code, financial_year, quarter, submitted_on, date_on_form, submitter, batch_id."""
    r = m.ReturnSubmission.__table__
    conds = [r.c.project_code.in_(select(PRJ.c.project_code).where(PRJ.c.org_code == org))] if org else []
    stmt = (select(r.c.project_code, r.c.financial_year, r.c.quarter, r.c.submitted_on, r.c.date_on_form,
                   r.c.submitter, r.c.batch_id).where(*conds).order_by(r.c.submitted_on.desc(), r.c.id.desc()))
    return _frame(engine, stmt, ["project_code", "financial_year", "quarter", "submitted_on", "date_on_form",
                                 "submitter", "batch_id"])


def accepted_warnings(engine: Engine, org: str = "", project: str = "", months: tuple[str, str] | None = None,
                      area: str = "", stream: str = "", priority: str = "") -> pd.DataFrame:
    """Figures loaded against a plausibility warning, with the reason given, newest first; optionally only
    those of a view (its months, area or the districts of a county, funding stream, priority).

    Only warnings of figures still in force (their batch's rows not since replaced) are listed.
    Columns: batch_id, project_code, area_code, metric_code, period, kind, value, message, reason,
    accepted_by, accepted_at, file_name."""
    w = rm.BatchWarning.__table__
    lb = m.LoadBatch.__table__
    areas = m.Area.__table__
    conds = [w.c.batch_id.in_(select(OBS.c.batch_id).distinct())]
    if org:
        conds.append(w.c.project_code.in_(select(PRJ.c.project_code).where(PRJ.c.org_code == org)))
    if project:
        conds.append(w.c.project_code == project)
    if months:
        conds.append(w.c.period.between(*months))
    if area:
        conds.append(or_(w.c.area_code == area,
                         w.c.area_code.in_(select(areas.c.area_code).where(areas.c.parent_code == area))))
    if stream:
        conds.append(w.c.project_code.in_(select(PRJ.c.project_code).where(PRJ.c.funding_stream == stream)))
    if priority:
        conds.append(w.c.project_code.in_(select(PRJ.c.project_code).where(PRJ.c.priority_code == priority)))
    stmt = (select(w.c.batch_id, w.c.project_code, w.c.area_code, w.c.metric_code, w.c.period, w.c.kind, w.c.value,
                   w.c.message, w.c.reason, w.c.accepted_by, w.c.accepted_at, lb.c.file_name)
            .join(lb, lb.c.id == w.c.batch_id).where(*conds).order_by(w.c.accepted_at.desc(), w.c.id))
    return _frame(engine, stmt, ["batch_id", "project_code", "area_code", "metric_code", "period", "kind", "value",
                                 "message", "reason", "accepted_by", "accepted_at", "file_name"])


def resolving_loads(engine: Engine, rejected: list[int]) -> dict[int, int]:
    """For refused batches, the first later batch that loaded a corrected file: the same file name and
    kind, or a return for the same project and quarter. rejected id -> loaded id (absent: unresolved)."""
    if not rejected:
        return {}
    lb = m.LoadBatch.__table__
    bad = lb.alias("bad")
    good = lb.alias("good")
    same = (good.c.file_name == bad.c.file_name) | (
        (bad.c.project_code != "") & (good.c.project_code == bad.c.project_code)
        & (good.c.first_period == bad.c.first_period))
    stmt = (select(bad.c.id, func.min(good.c.id))
            .join(good, (good.c.id > bad.c.id) & (good.c.kind == bad.c.kind) & (good.c.outcome == "loaded") & same)
            .where(bad.c.id.in_(rejected)).group_by(bad.c.id))
    with engine.connect() as conn:
        return {int(a): int(b) for a, b in conn.execute(stmt).all()}


def quarter_notes(engine: Engine, financial_year: str, quarter: int, project: str = "", org: str = "") -> pd.DataFrame:
    """Every partner's commentary on one quarter from its current return (as ``return_notes``), for the board
    pack. Columns: project_code, project_name, metric_code, area_code, note."""
    n = rm.ReturnNote.__table__
    r = m.ReturnSubmission.__table__
    conds = [n.c.financial_year == financial_year, n.c.quarter == int(quarter)]
    if project:
        conds.append(n.c.project_code == project)
    if org:
        conds.append(PRJ.c.org_code == org)
    stmt = (select(n.c.project_code, PRJ.c.project_name, n.c.metric_code, n.c.area_code, n.c.note)
            .join(r, r.c.batch_id == n.c.batch_id).join(PRJ, PRJ.c.project_code == n.c.project_code)
            .where(*conds).order_by(n.c.project_code, n.c.metric_code, n.c.area_code))
    return _frame(engine, stmt, ["project_code", "project_name", "metric_code", "area_code", "note"])


def return_notes(engine: Engine, project: str) -> pd.DataFrame:
    """The partner's commentary from each quarter's current return (a superseded return's notes are not
    shown). Columns: financial_year, quarter, metric_code, area_code, note."""
    n = rm.ReturnNote.__table__
    r = m.ReturnSubmission.__table__
    stmt = (select(n.c.financial_year, n.c.quarter, n.c.metric_code, n.c.area_code, n.c.note)
            .join(r, r.c.batch_id == n.c.batch_id).where(n.c.project_code == project)
            .order_by(n.c.financial_year.desc(), n.c.quarter.desc(), n.c.metric_code, n.c.area_code))
    return _frame(engine, stmt, ["financial_year", "quarter", "metric_code", "area_code", "note"])
