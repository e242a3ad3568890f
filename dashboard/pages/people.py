"""People reached: one people metric by age band, sex and ethnicity, quarter by quarter, small counts hidden."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from dashboard.components.breakdown import breakdown_table
from dashboard.components.filters import FILTER_INPUTS, choice_name, filter_bar, filters_from, parse_query
from dashboard.engine import engine
from service.breakdowns import DIMENSION_LABELS, breakdown_view, choose_metric, people_metrics

dash.register_page(__name__, path="/people", title="People reached - Essex VVU outcomes", name="People reached",
                   order=3)


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    metric = choose_metric(engine(), query.get("metric"))
    options = [{"label": r.name, "value": r.metric_code} for r in people_metrics(engine()).itertuples()]
    return html.Div([
        html.H1("People reached"),
        html.P("Who the projects reached: new people counted in each quarter, by age band, sex and ethnicity. "
               "Counts of a few people are hidden so that nobody can be identified.", className="lead"),
        filter_bar(f, "/people"),
        html.Div(html.Label([
            html.Span("People measure", className="form-label"),
            dbc.Select(id="people-metric", value=metric, options=options),
        ]), className="filter people-metric"),
        html.Div(id="people-body", **{"aria-live": "polite"}),
    ], className="page page-people")


@callback(Output("url-sync", "search", allow_duplicate=True), Input("people-metric", "value"),
          State("url-sync", "search"), prevent_initial_call=True)
def metric_to_url(metric: str | None, current: str | None) -> str:
    """Keep ``metric=`` in the address (the shared filter callback keeps it when filters change)."""
    code = choose_metric(engine(), metric)
    pairs = [(k, v) for k, v in parse_qsl((current or "").lstrip("?")) if k != "metric"]
    new = "?" + urlencode([*pairs, ("metric", code)])
    return no_update if new == (current or "") else new


@callback(Output("people-body", "children"), *FILTER_INPUTS, Input("people-metric", "value"))
def render(values: list, ids: list, metric: str | None) -> list:
    f = filters_from(values, ids)
    code = choose_metric(engine(), metric)
    if not code:
        return [html.P("No people measures have been loaded yet.")]
    views = [breakdown_view(engine(), f, code, dim) for dim in DIMENSION_LABELS]
    first = views[0]
    if first.table.empty:
        return [html.P(first.note or "No figures for this view.")]
    hidden = sum(v.suppressed_cells for v in views)
    return [
        html.H2(f"{first.metric_name}: {first.first} to {first.last}"),
        html.P([html.Strong("Scope: "), f.describe(first.data_to, choice_name) if first.data_to else "all",
                f". {hidden} cells hidden by disclosure control." if hidden else ". No cells needed hiding."]),
        html.P(first.note, className="footnote") if first.note else None,
        html.P(first.footnote, className="footnote"),
        html.Div([breakdown_table(v, f"people-{v.dimension.replace('_', '-')}", with_notes=False)
                  for v in views], className="breakdown-grid"),
    ]
