"""A disclosure-controlled breakdown as an accessible HTML table: caption, header scopes, [c] explained.

Takes a ``service.breakdowns.BreakdownView``, whose table is already suppressed: this module only
renders, it never sees a hidden number.
"""

from __future__ import annotations

from dash import html

from analysis.disclosure import SUPPRESSED, SUPPRESSED_TITLE, is_suppressed, render
from service.breakdowns import TOTAL, BreakdownView, category_label


def suppressed_mark() -> html.Abbr:
    return html.Abbr(SUPPRESSED, title=SUPPRESSED_TITLE, className="suppressed")


def cell(value: object) -> html.Td:
    if is_suppressed(value):
        return html.Td(suppressed_mark(), className="num is-suppressed")
    return html.Td(render(value), className="num")


def one_year(view: BreakdownView) -> str:
    """The financial year when every column falls in it (headers then say just Q1..Q4), else ''."""
    years = {q.split()[0] for q in view.quarters}
    return years.pop() if len(years) == 1 else ""


def period_text(view: BreakdownView) -> str:
    if not view.quarters:
        return "no quarters"
    if len(view.quarters) == 1:
        return view.quarters[0]
    fy = one_year(view)
    if fy:
        first, last = view.quarters[0].split()[1], view.quarters[-1].split()[1]
        return fy if len(view.quarters) == 4 else f"{fy} {first} to {last}"
    return f"{view.quarters[0]} to {view.quarters[-1]}"


def breakdown_table(view: BreakdownView, table_id: str, with_notes: bool = True) -> html.Section:
    """One dimension's table with its caption and, unless the page shows them once for several tables,
    the note about the period and the disclosure footnote."""
    heading = f"By {view.dimension_label.lower()}"
    if view.table.empty:
        return html.Section([html.H3(heading), html.P(view.note or "No figures for this view.")],
                            className="breakdown", id=table_id)
    header = html.Tr([html.Th(view.dimension_label, scope="col"),
                      *[html.Th(q.split()[1] if one_year(view) else q, scope="col") for q in view.quarters],
                      html.Th(TOTAL, scope="col")])
    body = []
    for code, row in view.table.iterrows():
        is_total = code == TOTAL
        label = TOTAL if is_total else category_label(str(code))
        body.append(html.Tr([html.Th(label, scope="row"), *[cell(row[c]) for c in view.columns]],
                            className="total-row" if is_total else None))
    caption = f"{view.metric_name} by {view.dimension_label.lower()}, {period_text(view)} (people)"
    parts = [
        html.H3(heading),
        html.Div(html.Table([html.Caption(caption), html.Thead(header), html.Tbody(body)],
                            className="data breakdown-table"),
                 className="table-scroll", tabIndex="0", role="region", **{"aria-label": caption}),
    ]
    if with_notes:
        parts += [html.P(view.note, className="footnote") if view.note else None,
                  html.P(view.footnote, className="footnote")]
    return html.Section(parts, className="breakdown", id=table_id)
