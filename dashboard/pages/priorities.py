"""Priorities: each priority's metrics through the financial year, by month or quarter, against target,
with a projection to the year end. ``grain=month|quarter`` in the URL keeps the view shareable."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html, no_update
from sqlalchemy import Engine

from analysis.fiscal import parse_period
from charts.progress import progress_figures
from charts.progress_text import describe_progress, headline_of
from dashboard.access import MAKES_DRAFTS
from dashboard.components.exception_entry import entry_block, save_entry, who
from dashboard.components.filters import (
    FILTER_INPUTS,
    choice_name,
    filter_bar,
    filter_id,
    filters_from,
    parse_query,
)
from dashboard.components.graph import graph_config
from dashboard.engine import engine
from reporting import exceptions
from reporting.board_pack import NoDataForView, view_quarter
from service import warm
from service.cache import cached
from service.options import filter_options
from service.priorities import GRAINS, parse_grain, priority_view
from warehouse.filters import Filters

dash.register_page(__name__, path="/priorities", title="Priorities - Essex VVU outcomes", name="Priorities",
                   order=1)

STATUS_CLASS = {"on track": "status-on", "at risk": "status-risk", "off track": "status-off",
                "no target": "status-none", "suppressed": "status-none"}


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    grain = parse_grain(query.get("grain"))
    return html.Div([
        html.H1("Priorities"),
        html.P("Each priority's measures through the financial year: what was delivered each month or quarter "
               "against the target pro rata, the year to date against where it is expected to be (the measure's "
               "seasonal pattern from earlier years, or an even share), and where the year is heading.",
               className="lead"),
        filter_bar(f, "/priorities"),
        html.Div(html.Div(html.Label([
            html.Span("Show values by", className="form-label"),
            dbc.Select(id="priorities-grain", value=grain,
                       options=[{"label": g.capitalize(), "value": g} for g in GRAINS]),
        ]), className="filter"), className="filter-bar page-controls", role="group",
            **{"aria-label": "Chart options"}),
        html.Div(id="priorities-body", **{"aria-live": "polite"}),
        # One callback per priority, so each response carries a few charts rather than all of them.
        *[html.Div(id=_section_id(code)) for code, _label in filter_options(engine()).priorities],
        html.Div(id="priorities-footnote"),
    ], className="page page-priorities")


def _section_id(code: str) -> dict[str, str]:
    return {"type": "priority-section", "code": code}


def _metric_card(m, view) -> html.Article:  # noqa: ANN001 - service dataclasses
    each, so_far = progress_figures(m.periods, m.progress, name=m.name, unit=m.unit, aggregation=m.aggregation,
                                    grain=view.grain, financial_year=view.financial_year)
    # Each graph in a box of its own, so its "download data" button (assets/chart_csv.js) stays under it
    # rather than taking a place in the pair's grid.
    graphs = [
        html.Div(dcc.Graph(figure=fig, config=graph_config(f"progress-{m.name}-{part}"), className="progress-graph",
                           style={"height": "360px"}), className="progress-one")
        for fig, part in ((each, "each-period"), (so_far, "year-to-date"))
    ]
    return html.Article([
        html.Div([
            html.H3(m.name, className="metric-title"),
            html.Span(m.status, className=f"status {STATUS_CLASS.get(m.status, '')}"),
        ], className="metric-head"),
        html.P(headline_of(m, view.financial_year), className="metric-headline"),
        html.Figure([
            html.Div(graphs, className="progress-pair"),
            html.Figcaption(describe_progress(m, view.financial_year), className="chart-alt"),
        ], className="progress-figure"),
        # Filled per request (role-dependent, so never in this cached card): the exception report entry.
        html.Div(id={"type": "priorities-exception", "index": m.metric_code}, className="priorities-exception"),
    ], className="chart-card metric-card", id=f"priorities-{m.metric_code.lower()}",
        **{"aria-label": m.name})


def _scope(view) -> str:  # noqa: ANN001
    f = view.filters
    if f.project:
        return f"targets of project {choice_name('project', f.project)}"
    if f.area and not (f.priority or f.stream):
        return f"targets for {choice_name('area', f.area)}"
    if f.priority or f.stream:
        return "the sum of the targets of the projects in the selection"
    return "partnership targets"


@callback(Output("priorities-body", "children"), Output("priorities-footnote", "children"), FILTER_INPUTS[0],
          Input("priorities-grain", "value"), FILTER_INPUTS[1])
def render(values: list, grain: str | None, ids: list) -> tuple[list, list]:
    f = filters_from(values, ids)
    view = priority_view(engine(), f, parse_grain(grain))
    if not view.data_to:
        return [html.P("No observations have been loaded yet.")], []
    data_to = parse_period(view.data_to).strftime("%B %Y")
    months = min(view.months_elapsed, 12)
    facts = html.Section([
        html.P([html.Strong("Financial year: "), f"{view.financial_year} ({months} of 12 months with data; "
                                                   f"data run to {data_to})"]),
        html.P([html.Strong("Targets: "), f"{_scope(view)}. Each month or quarter is set against an even share "
                                           "of the annual target; the year to date against where it is expected to "
                                           "be by now: the measure's seasonal profile where it has two or more "
                                           "complete earlier years, an even share otherwise (each chart's "
                                           "description says which)."]),
        html.Details([
            html.Summary("How the projection works"),
            html.P("Where a measure has two or more complete earlier years, the year-end projection follows its "
                   "seasonal profile from the latest three of them: the year's level is what has been counted so "
                   "far divided by the share of the year the profile expects by now (before a twelfth of the year "
                   "is expected, the earlier years' average), and the remaining months bring their usual share of "
                   "it. The shaded band is a 90% prediction interval allowing for months that vary more than a "
                   "Poisson count; back-tested on earlier years it held the outcome about 9 times in 10. Without "
                   "that history the projection is the run rate (the average of the months so far), which assumes "
                   "no season, so no chance of reaching the target is given. For a level such as an active "
                   "caseload it is the average month-to-month change, also without a chance figure."),
        ], className="method-note"),
    ], className="overview-facts priorities-facts", **{"aria-label": "About these figures"})
    extra = []
    if view.without_data:
        extra.append(html.P(f"No data or target in this view for: {', '.join(view.without_data)}.",
                            className="footnote"))
    return [facts], extra


@callback(Output(_section_id(MATCH), "children"), FILTER_INPUTS[0], Input("priorities-grain", "value"),
          FILTER_INPUTS[1], State(_section_id(MATCH), "id"))
def render_section(values: list, grain: str | None, ids: list, section: dict) -> list:
    return priority_section(engine(), filters_from(values, ids), parse_grain(grain), str((section or {}).get("code")))


@cached
def priority_section(eng: Engine, f: Filters, grain: str, code: str) -> list:
    """One priority's section: its measures' charts against target (built once per data version)."""
    view = priority_view(eng, f, grain)
    mine = [s for s in view.sections if s.priority_code == code]
    if not view.data_to or not mine:
        return []
    s = mine[0]
    head_id = f"priorities-{s.priority_code.lower()}-title"
    body = [_metric_card(m, view) for m in s.metrics] or [
        html.P("No measure of this priority has data or a target in this view.")]
    return [html.Section([
        html.H2(f"{s.priority_code}: {s.name}", id=head_id),
        html.P(s.description, className="priority-description"),
        *body,
    ], className="priority-section", **{"aria-labelledby": head_id})]


@warm.also
def _warm_sections(eng: Engine, f: Filters) -> list:
    """Every priority's section of the default grain, as a first visit asks for them."""
    return [priority_section(eng, f, GRAINS[0], code) for code, _label in filter_options(eng).priorities]


@callback(Output("url-sync", "search", allow_duplicate=True), Input("priorities-grain", "value"),
          State("url-sync", "search"), prevent_initial_call=True)
def grain_to_url(grain: str | None, search: str | None) -> str:
    """Put the granularity in the address, beside the filters, so the view can be shared."""
    current = parse_qsl((search or "").lstrip("?"))
    grain = parse_grain(grain)
    if grain == "month" and "grain" not in dict(current):
        return no_update  # the default view keeps a clean address (and no extra history entry)
    params = [(k, v) for k, v in current if k != "grain"]
    params.append(("grain", grain))
    return no_update if sorted(params) == sorted(current) else "?" + urlencode(params)


@callback(Output({"type": "priorities-exception", "index": ALL}, "children"),
          Input({"type": "priorities-exception", "index": ALL}, "id"), *FILTER_INPUTS)
def render_exceptions(mine: list, values: list, ids: list) -> list:
    """Each measure card's exception report entry for the view's quarter, when the measure is off track or
    at risk for the partnership's year to date (the report's rows); managers may edit it here.

    One callback for every card on the page: the report is worked out once per view, not once per card."""
    codes = [str((me or {}).get("index", "")) for me in mine or []]
    try:
        quarter = view_quarter(engine(), filters_from(values, ids)).label
        report = {r["metric_code"]: r for r in exceptions.measures_for_exception_report(engine(), quarter)}
    except (NoDataForView, ValueError):
        return [[] for _ in codes]
    editable = who()[1] in MAKES_DRAFTS
    return [[entry_block(report[code], quarter, editable, "priorities"),
             html.Div(id={"type": "priorities-exc-message", "index": code}, role="status")]
            if code in report else [] for code in codes]


@callback(Output({"type": "priorities-exc-message", "index": MATCH}, "children"),
          Input({"type": "priorities-exc-save", "index": MATCH}, "n_clicks"),
          State({"type": "priorities-exc-expl", "index": MATCH}, "value"),
          State({"type": "priorities-exc-action", "index": MATCH}, "value"),
          State(filter_id(ALL), "value"), State(filter_id(ALL), "id"), prevent_initial_call=True)
def save_exception(clicks: int | None, explanation: str | None, action: str | None, values: list,
                   ids: list) -> html.P:
    """Save the measure's entry for the view's quarter; inputs are untrusted JSON (checked in ``save_entry``)."""
    if not isinstance(clicks, int) or clicks < 1 or not isinstance(ctx.triggered_id, dict):
        return no_update
    try:
        quarter = view_quarter(engine(), filters_from(values, ids)).label
    except NoDataForView as exc:
        return html.P(f"Not saved: {exc}.", className="reporting-error")
    ok, text = save_entry(str(ctx.triggered_id.get("index", "")), quarter, explanation, action)
    return html.P(text, className="reporting-ok" if ok else "reporting-error")
