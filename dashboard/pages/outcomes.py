"""Outcome measures: the Home Office's success measures for VRUs as the partnership can report them.

Hospital admissions for violence (Fingertips indicator 11201) for the partnership's county and unitary
authorities beside England against the pre-2019 baseline; police recorded serious violence and knife
and weapon offences by financial year (the crime page's groupings, analysis.outcomes.CRIME_GROUPS);
homicide as "no data". Each with its source, definition, period and interval. Thin: the figures come
from service.outcomes (the board pack and the Home Office return read the same), the chart from
reporting.figures.
"""

from __future__ import annotations

import dash
import pandas as pd
from dash import dcc, html

from analysis.outcomes import HEALTH_DEFINITION, HOSPITAL_ADMISSIONS_INDICATOR
from dashboard.components.graph import graph_config
from dashboard.engine import engine
from reporting.figures import health_figure
from service.outcomes import BASELINE_LABEL, NO_UNDER_25, outcome_view
from warehouse.outcome_queries import rows_by_role

dash.register_page(__name__, path="/outcomes", title="Outcome measures - Essex VVU outcomes", name="Outcome measures",
                   order=5)


def _num(value: object, digits: int = 1) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):,.{digits}f}"


def _table(caption: str, header: list[str], rows: list[list], label: str) -> html.Div:
    return html.Div(html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in header])),
        html.Tbody([html.Tr([html.Th(r[0], scope="row"), *[html.Td(c) for c in r[1:]]]) for r in rows]),
    ], className="data"), className="table-scroll", tabIndex=0, role="region", **{"aria-label": label})


def accounting(eng) -> str:  # noqa: ANN001 - an Engine
    """Every Fingertips row loaded, accounted for by where it belongs."""
    counts = rows_by_role(eng)
    if counts.empty:
        return "No Fingertips export is loaded."
    total = int(counts["rows"].sum())
    by = counts.groupby("role")["rows"].sum()
    hidden = int(counts["suppressed"].sum())
    return (f"{total:,} Fingertips rows loaded: {int(by.get('partnership', 0)):,} for the partnership's areas, "
            f"{int(by.get('comparator', 0)):,} for comparators (England and the region), "
            f"{int(by.get('outside', 0)):,} for areas outside the partnership; {hidden:,} of them without a value "
            "(suppressed by Fingertips because the count was below 10, shown as blank, never 0).")


def layout(**_query: str) -> html.Div:
    eng = engine()
    view = outcome_view(eng)
    measures = _table("Each outcome measure with its latest period and interval",
                      ["Measure", "Value", "Unit", "Period", "Interval", "Baseline", "Note", "Source"],
                      [[r["measure"], r["value"], r["unit"], r["period"], r["interval"], r["baseline"], r["note"],
                        r["source"]] for r in view.measures.to_dict("records")], "Outcome measures")
    fig, alt = health_figure(view.health.to_dict("records"), "Hospital admissions for violence per 100,000, "
                             "partnership areas beside England")
    fig.update_layout(width=None, autosize=True)
    trend_rows = [[r["area_name"], r["time_period"], _num(r["value"]) or r["value_note"],
                   f"{_num(r['lower_ci95'])} to {_num(r['upper_ci95'])}" if pd.notna(r["value"]) else "",
                   _num(r["change_pct"], 0) + ("%" if pd.notna(r["change_pct"]) else ""), _num(r["england"])]
                  for r in view.health.to_dict("records")]
    police_rows = [[r["measure"], r["financial_year"], f"{r['months']}", f"{r['crimes']:,}",
                    _num(r["change_pct"], 0) + ("%" if pd.notna(r["change_pct"]) else "")]
                   for r in view.police.to_dict("records")]
    definitions = {r["measure"].split(",")[0]: (r["source"], r["definition"]) for r in view.measures.to_dict("records")}
    return html.Div([
        html.H1("Outcome measures"),
        html.P("The Home Office judges violence reduction units by hospital admissions for assault with a knife or "
               "sharp object, knife-enabled serious violence and non-domestic homicide, especially among under-25s. "
               "This page shows what the partnership can report for each, with its source, definition, period and "
               "interval; where it has no data for a measure it says so rather than show 0.", className="lead"),
        html.Section([html.H2("The measures"), measures], **{"aria-label": "The measures"}),
        html.Section([
            html.H2(f"Hospital admissions for violence (Fingertips {HOSPITAL_ADMISSIONS_INDICATOR})"),
            html.P(f"Against the pre-2019 baseline ({BASELINE_LABEL}, the shaded period), for the partnership's "
                   "county and unitary authorities beside England (dashed). Bars are 95% confidence intervals."),
            dcc.Graph(id="outcomes-health", figure=fig, config=graph_config("hospital-admissions-for-violence"),
                      responsive=True,
                      style={"height": "560px"}),
            html.P("Chart in words: " + alt, className="footnote"),
            _table("Rate per 100,000 by period, with its 95% interval and change on the baseline",
                   ["Area", "Period", "Rate per 100,000", "95% interval", "Change on baseline", "England"],
                   trend_rows, "Hospital admissions by period"),
            html.P(accounting(eng), id="outcomes-accounting", className="footnote"),
            html.P(HEALTH_DEFINITION, className="footnote"),
        ], **{"aria-label": "Hospital admissions for violence"}),
        html.Section([
            html.H2("Police recorded serious violence and knife and weapon offences"),
            html.P("From police.uk, in the partnership's districts and unitary authorities, by financial year, with "
                   "the same groupings as the crime page. " + NO_UNDER_25),
            _table("Offences by financial year", ["Measure", "Financial year", "Months", "Offences",
                                                  "Change on first full year"], police_rows, "Police measures")
            if police_rows else html.P("No police.uk data is loaded."),
            html.Ul([html.Li([html.Strong(k + ": "), f"{src}. {d}"]) for k, (src, d) in definitions.items()
                     if not k.startswith("Hospital")], className="footnote"),
        ], **{"aria-label": "Police measures"}),
    ], className="page page-outcomes")
