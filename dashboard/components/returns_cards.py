"""The data quality page's return cards: an upload's preview (what would change, the headline effect,
warnings), the chase list, a partner's return history, and figures accepted against a warning.

Pure layout from service results; the page owns the callbacks. Tables are plain HTML tables with
captions and scoped headings (WCAG), one per card.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from dash import html

from analysis.numbers import how_many

STATUS_WORDS = {"on track": "On track", "at risk": "At risk", "off track": "Off track", "suppressed": "Hidden"}


def _table(caption: str, headers: Sequence[str], rows: list, table_id: str, numeric: Sequence[int] = ()) -> html.Div:
    body = [html.Tr([html.Td(cell, className="num" if i in numeric else None) for i, cell in enumerate(r)])
            for r in rows]
    return html.Div(html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
        html.Tbody(body),
    ], className="data", id=table_id), className="table-scroll", tabIndex="0", role="region",
        **{"aria-label": caption})


def _num(value: object, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "[c]" if unit == "people" else "–"
    number = float(value)  # type: ignore[arg-type]
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
    return f"£{text}" if unit == "gbp" else text


def _share(value: object) -> str:
    return "–" if value is None or (isinstance(value, float) and pd.isna(value)) else f"{float(value) * 100:,.0f}%"


PART_WORDS = {"totals": "Totals", "people by group": "People by group (age, sex, ethnicity)"}


def preview_cards(changes: list[dict], headline: list[dict], warnings: list[dict],
                  spend: dict | None = None) -> list:
    """What a checked file would do: rows per metric, month and part (totals, people by group), the spend
    for the quarter, the headline figures, the warnings."""
    out: list = []
    rows = [[c["metric_code"] or "all rows", c["period"] or "–", PART_WORDS.get(c.get("part", ""), "–"),
             f"{c['added']:,}", f"{c['replaced']:,}", f"{c['removed']:,}"] for c in changes]
    if rows:
        out.append(_table("Rows that would be added, replaced and removed, by metric, month and sheet part",
                          ("Metric", "Month", "Rows", "Added", "Replaced", "Removed"), rows,
                          "data-quality-preview-changes", numeric=(3, 4, 5)))
    if spend:
        now = "none held" if spend["before"] is None else _num(spend["before"], "gbp")
        out.append(_table("Spend for the quarter (the return's spend cell)",
                          ("Project", "Quarter", "Now", "After loading"),
                          [[spend["project_code"], spend["quarter"], now, _num(spend["after"], "gbp")]],
                          "data-quality-preview-spend", numeric=(2, 3)))
    if headline:
        hrows = [[f"{h['name']} ({h['metric_code']})", h["financial_year"], _num(h["before"], h["unit"]),
                  _num(h["after"], h["unit"]), _share(h["before_share"]), _share(h["after_share"]),
                  STATUS_WORDS.get(h["before_status"], h["before_status"] or "–"),
                  STATUS_WORDS.get(h["after_status"], h["after_status"] or "–")] for h in headline]
        out.append(_table("Effect on the headline figures of the year (counts of people are protected, "
                          "shown as [c] when small)",
                          ("Measure", "Year", "Now", "After loading", "Of target now", "Of target after",
                           "Status now", "Status after"), hrows, "data-quality-preview-headline",
                          numeric=(2, 3, 4, 5)))
    if warnings:
        wrows = [[w["metric_code"], w.get("area_name") or w["area_code"], w["period"], _num(w["value"]), w["message"]]
                 for w in warnings]
        out.append(html.Div([
            html.H3(f"{len(warnings)} figure(s) look wrong: check them", id="data-quality-warnings-heading"),
            html.P("Correct the file and upload it again, or, if these figures are right, say why below and "
                   "confirm. Your reason is kept with the figures and shown beside them."),
            _table("Plausibility warnings", ("Metric", "Area", "Month", "Figure", "Why it looks wrong"), wrows,
                   "data-quality-preview-warnings", numeric=(3,)),
        ], className="dq-warnings", role="alert"))
    return out


def chase_card(frame: pd.DataFrame) -> list:
    """Missing and late returns with whom to chase, a prepared email each, and when last chased."""
    if frame.empty:
        return [html.H2("Chase list", id="data-quality-chase-heading"),
                html.P("No return in this view is missing or late.")]
    rows = []
    for r in frame.itertuples():
        contact = r.contact_name or "no contact on file"
        mail = (html.A(f"Email {r.contact_name or r.contact_email}", href=r.mailto,
                       **{"aria-label": f"Email {contact} about {r.project_code} {r.quarter}"})
                if r.mailto else "no email on file")
        last = "never" if r.last_chased is None or pd.isna(r.last_chased) else \
            f"{pd.Timestamp(r.last_chased):%Y-%m-%d %H:%M} by {r.last_chased_by or 'unknown'} ({r.chases}×)"
        rows.append([f"{r.project_code} {r.project_name}", r.quarter, "Missing" if r.status == "missing" else "Late",
                     f"{pd.Timestamp(r.due_on):%Y-%m-%d}", f"{r.days_overdue:,}", r.org_name, contact, last, mail])
    return [
        html.H2("Chase list", id="data-quality-chase-heading"),
        html.P(f"{how_many(len(frame), 'return')} missing or late in this view, most overdue first. Days overdue: "
               "to today for a missing return, days late for one that arrived late."),
        _table("Returns to chase", ("Project", "Quarter", "Status", "Due", "Days overdue", "Organisation",
                                    "Contact", "Last chased", "Prepared email"), rows, "data-quality-chase-table",
               numeric=(4,)),
    ]


def history_card(frame: pd.DataFrame, partner: bool) -> list:
    """Returns received, newest first; the date on the form only where it differs from the receipt."""
    title = "Your returns" if partner else "Returns received"
    if frame.empty:
        return [html.H2(title), html.P("No quarterly return workbook has been received yet.")]
    rows = [[r.project_code, r.quarter, f"{pd.Timestamp(r.received):%Y-%m-%d}",
             "" if r.date_on_form is None or pd.isna(r.date_on_form) else f"{pd.Timestamp(r.date_on_form):%Y-%m-%d}",
             r.submitter] for r in frame.head(50).itertuples()]
    return [html.H2(title),
            html.P("Lateness is judged by the day the return reached us; the date typed on the form is shown "
                   "where it differs."),
            _table(f"{title}, newest first", ("Project", "Quarter", "Received", "Date on the form", "Sent by"), rows,
                   "data-quality-history-table")]


def accepted_card(frame: pd.DataFrame) -> list:
    """Figures in force that were loaded against a plausibility warning, with the reason given."""
    if frame.empty:
        return []
    rows = [[r.project_code, r.metric_code, r.area_code, r.period, _num(r.value), r.message, r.reason,
             f"{r.accepted_by}, {pd.Timestamp(r.accepted_at):%Y-%m-%d}"] for r in frame.head(100).itertuples()]
    return [html.H2("Figures accepted against a warning"),
            _table("Figures loaded although they looked wrong, with the reason given",
                   ("Project", "Metric", "Area", "Month", "Figure", "Warning", "Reason", "Accepted by"), rows,
                   "data-quality-accepted", numeric=(4,))]
