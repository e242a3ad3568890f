"""The chase list: every expected return in the view that is missing or arrived late, with whom to
chase (organisations.csv contact_name, contact_email), days overdue and the last time it was chased,
a prepared ``mailto:`` link per return (no mail server is needed or assumed), and recording a chase.

"Missing" and "late" are ``service.returns.returns_in_view``'s, the one definition the overview, the
data quality grid and the API share. Chases are read fresh (they do not change the data version).
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

import pandas as pd
from sqlalchemy import Engine, insert

from analysis.fiscal import Quarter
from service.returns import returns_in_view
from warehouse.audit import utc_now
from warehouse.filters import Filters
from warehouse.returns_models import ReturnChase
from warehouse.returns_queries import (
    accepted_warnings,
    last_chases,
    project_contacts,
    quarter_notes,
    return_notes,
    submissions,
)

CHASE_COLUMNS = ["project_code", "project_name", "quarter", "status", "due_on", "submitted_on", "days_overdue",
                 "org_name", "contact_name", "contact_email", "last_chased", "last_chased_by", "chases", "mailto"]
NOTE_MAX = 500


def chase_message(row: dict, today: date) -> tuple[str, str]:
    """(subject, body) of the prepared email for one return, in plain words."""
    who = row.get("contact_name") or "colleague"
    subject = f"VVU quarterly return {row['quarter']} for {row['project_code']}"
    if row["status"] == "missing":
        state = (f"was due on {row['due_on']:%d %B %Y} and has not reached us yet "
                 f"({row['days_overdue']} days overdue)")
    else:
        state = (f"was due on {row['due_on']:%d %B %Y} and reached us on {row['submitted_on']:%d %B %Y}, "
                 f"{row['days_overdue']} days late")
    body = (f"Dear {who},\n\nThe {row['quarter']} quarterly return for {row['project_code']} "
            f"{row['project_name']} {state}.\n\nYou can download the return template for this project and "
            "quarter from the dashboard's Data quality page, and upload the completed workbook there.\n\n"
            f"Thank you,\nEssex Violence and Vulnerability Unit\n({today:%d %B %Y})")
    return subject, body


def mailto(email: str, subject: str, body: str) -> str:
    """A mailto: link with the subject and body percent-encoded ('' without an address)."""
    if not email:
        return ""
    return f"mailto:{quote(email, safe='@.+-_')}?subject={quote(subject)}&body={quote(body)}"


def chase_list(engine: Engine, f: Filters, today: date | None = None) -> pd.DataFrame:
    """Missing and late returns of the view, most overdue first. Columns: CHASE_COLUMNS.

    ``days_overdue``: for a missing return, days from its due date to ``today``; for a late one, how
    many days after its due date it arrived."""
    today = today or utc_now().date()
    table = returns_in_view(engine, f)
    wanted = table[table["status"].isin(["missing", "late"])].copy()
    if wanted.empty:
        return pd.DataFrame(columns=CHASE_COLUMNS)
    due = pd.to_datetime(wanted["due_on"]).dt.date
    wanted["days_overdue"] = [
        int(late) if status == "late" else max(0, (today - d).days)
        for status, late, d in zip(wanted["status"], wanted["days_late"], due, strict=True)]
    wanted = wanted.merge(project_contacts(engine), on="project_code", how="left")
    chases = last_chases(engine)
    wanted = wanted.merge(chases, on=["project_code", "financial_year", "quarter"], how="left")
    wanted["chases"] = wanted["chases"].fillna(0).astype(int)
    wanted["quarter"] = wanted["label"]
    for col in ("org_name", "contact_name", "contact_email", "project_name", "last_chased_by"):
        wanted[col] = wanted[col].fillna("")
    links = []
    for row in wanted.to_dict("records"):
        subject, body = chase_message(row, today)
        links.append(mailto(row["contact_email"], subject, body))
    wanted["mailto"] = links
    wanted["last_chased"] = wanted["last_chased"].astype(object).where(wanted["last_chased"].notna(), None)
    out = wanted.sort_values(["days_overdue", "project_code"], ascending=[False, True])
    return out[CHASE_COLUMNS].reset_index(drop=True)


def record_chase(engine: Engine, project_code: str, quarter: str, chased_by: str, note: str = "",
                 when: datetime | None = None) -> dict[str, object]:
    """Record that someone chased a project's return for a quarter ('2024/25 Q2'), and return what the
    chase list now says of it (project_code, quarter, last_chased, last_chased_by, chases). ValueError, in
    words for the person, for a bad quarter label, an unknown project or a blank name."""
    from warehouse.queries import project_org

    q = Quarter.parse(quarter)
    code = str(project_code).strip().upper()[:20]
    if not project_org(engine, code):
        raise ValueError(f"unknown project code {project_code!r}")
    who = " ".join(str(chased_by).split())[:100]
    if not who:
        raise ValueError("say who chased the return")
    with engine.begin() as conn:
        conn.execute(insert(ReturnChase).values(
            project_code=code, financial_year=q.fy, quarter=q.number,
            chased_at=when or utc_now(), chased_by=who, note=" ".join(note.split())[:NOTE_MAX]))
    row = last_chases(engine, only=(code, q.fy, q.number)).iloc[0]
    return {"project_code": code, "quarter": q.label, "last_chased": pd.Timestamp(row["last_chased"]).isoformat(),
            "last_chased_by": row["last_chased_by"], "chases": int(row["chases"])}


def partner_history(engine: Engine, org: str) -> pd.DataFrame:
    """Every return an organisation sent, newest first, with the date on the form where it differs from
    the day it reached us. Columns: project_code, quarter, received, date_on_form, submitter."""
    frame = submissions(engine, org)
    if frame.empty:
        return pd.DataFrame(columns=["project_code", "quarter", "received", "date_on_form", "submitter"])
    frame["quarter"] = [Quarter(int(fy[:4]), int(q)).label for fy, q in zip(frame["financial_year"],
                                                                             frame["quarter"], strict=True)]
    differs = frame["date_on_form"].notna() & (frame["date_on_form"] != frame["submitted_on"])
    frame["date_on_form"] = frame["date_on_form"].where(differs, None)
    return frame.rename(columns={"submitted_on": "received"})[
        ["project_code", "quarter", "received", "date_on_form", "submitter"]]


def figures_accepted_against_warnings(engine: Engine, f: Filters | None = None) -> pd.DataFrame:
    """For the board pack and the pages: every figure in force that was loaded against a plausibility
    warning, with the reason given. Columns: see ``warehouse.returns_queries.accepted_warnings``."""
    f = f or Filters()
    return accepted_warnings(engine, org=f.org, project=f.project)


def accepted_by_metric(engine: Engine, f: Filters, first: str, last: str) -> dict[str, list[dict[str, str]]]:
    """Per metric, the figures of the view (months ``first`` to ``last``) accepted against a warning:
    month, area, kind, reason, who and when, newest first, for the note on the overview's cards.

    No value and no project: the card is partnership-level, and a count of people shown here in clear
    would step round disclosure control."""
    frame = accepted_warnings(engine, org=f.org, project=f.project, months=(first, last), area=f.area,
                              stream=f.stream, priority=f.priority)
    if frame.empty:
        return {}
    from warehouse.queries import areas

    known = areas(engine)
    names = dict(zip(known["area_code"], known["area_name"], strict=True))
    out: dict[str, list[dict[str, str]]] = {}
    for r in frame.to_dict("records"):
        out.setdefault(r["metric_code"], []).append({
            "period": r["period"], "area": names.get(r["area_code"], r["area_code"]), "kind": r["kind"],
            "reason": r["reason"],
            "accepted_by": r["accepted_by"], "accepted_at": f"{pd.Timestamp(r['accepted_at']):%Y-%m-%d}"})
    return out


def project_commentary(engine: Engine, project: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the partner's notes per quarter and metric, figures accepted against a warning) for one project,
    shown beside its measures."""
    return return_notes(engine, project), accepted_warnings(engine, project=project)


def partner_commentary(engine: Engine, quarter: Quarter, f: Filters | None = None) -> pd.DataFrame:
    """For the board pack: the notes partners sent with their returns for ``quarter`` (current returns
    only), within the view's project or partner scope. Columns: see ``quarter_notes``."""
    f = f or Filters()
    return quarter_notes(engine, quarter.fy, quarter.number, project=f.project, org=f.org)
