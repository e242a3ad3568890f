"""Funding: money by stream and year, spend against grant this year, year-end forecasts and cost per outcome.

Money cannot be carried over between financial years, so the page leads with what is forecast to be
left unspent at 31 March."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Output, callback, dcc, html
from sqlalchemy import Engine

from analysis.disclosure import footnote
from analysis.funding import FLAG_OVER, FLAG_UNDER, MIN_OUTCOMES, furthest_from_grant
from charts.funding import allocation_chart, cumulative_spend_chart, forecast_chart, spend_vs_grant_chart
from charts.tables import badge, link
from charts.theme import format_value
from dashboard import auth
from dashboard.access import sees_project_money
from dashboard.components.filters import FILTER_INPUTS, filter_bar, filters_from, parse_query
from dashboard.components.graph import graph_config
from dashboard.components.html_table import html_table
from dashboard.components.server_grid import (
    GBP,
    LINK_ALIASES,
    LINK_COLUMN,
    SIGNED_PCT,
    THEME,
    WRAP,
    number_column,
    register_server_grid,
    server_grid,
    with_links,
)
from dashboard.engine import engine
from service import warm
from service.cache import cached
from service.funding import FundingView, funding_view
from service.gate import threshold
from warehouse.filters import Filters

dash.register_page(__name__, path="/funding", title="Funding - Essex VVU outcomes", name="Funding", order=4)

FIELDS = ("fy", "area", "priority", "stream", "project")
FLAG_CLASS = {FLAG_UNDER: "status-risk", FLAG_OVER: "status-off"}
NO_MEASURE = "No countable outcome measure"
FLAGGED_SHOWN = 10  # flagged projects listed in full on the page; the grid below holds them all
CHART_BARS = 30  # bars in the forecast chart: more are unreadable


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    return html.Div([
        html.H1("Funding"),
        html.P("Where the money comes from, how much projects have spent of their grants this financial year, "
               "which projects are heading for an under- or overspend, and what each outcome costs.",
               className="lead"),
        html.P([html.Strong("Money cannot be carried over. "),
                "Grants are for one financial year (April to March): anything not spent by 31 March is lost to "
                "the partnership, so an underspend needs action as much as an overspend."],
               className="funding-rule", role="note"),
        filter_bar(f, "/funding", FIELDS),
        html.Div(id="funding-body", **{"aria-live": "polite"}),
    ], className="page page-funding")


def _gbp(value: object) -> str:
    return format_value(None if value is None else float(value), "gbp")


def _pct(value: object, signed: bool = False) -> str:
    if value is None or value != value:
        return "–"
    return f"{float(value):+.0f}%" if signed else f"{float(value):.0f}%"


def _table(caption: str, headers: list[str], rows: list[list], numeric: set[int], class_name: str) -> html.Div:
    return html.Div(html_table(caption, headers, rows, numeric, class_name, row_headers=False),
                    className="table-scroll", tabIndex=0, role="region", **{"aria-label": caption})


def _figure(fig, caption: str, graph_id: str) -> html.Figure:  # noqa: ANN001 - plotly Figure
    # The chart's own height, set on its box too: a responsive chart in a grid cell of no set height
    # measures its parent, which measures the chart, and it grew (or collapsed) with each redraw.
    height = f"{fig.layout.height or 450}px"
    return html.Figure([
        dcc.Graph(id=graph_id, figure=fig, config=graph_config(graph_id), style={"height": height}),
        html.Figcaption(caption, className="visually-hidden"),
    ], className="chart-card")


def _allocation(view: FundingView) -> list:
    alloc = view.allocation
    if alloc.empty:
        return [html.H2("Funding by stream and year"), html.P("No funding has been loaded.")]
    by_year = alloc.groupby("financial_year")[["amount_gbp", "granted_gbp"]].sum()
    caption = "Funding by stream and year: " + "; ".join(
        f"{fy}: {_gbp(r.amount_gbp)} available, {_gbp(r.granted_gbp)} granted" for fy, r in by_year.iterrows())
    rows = [[r.financial_year, r.funding_stream, r.source_body, _gbp(r.amount_gbp), _gbp(r.granted_gbp),
             _gbp(r.unallocated_gbp), f"{int(r.projects)}"]
            for r in alloc.sort_values(["financial_year", "funding_stream"], ascending=[False, True]).itertuples()]
    return [
        html.H2("Funding by stream and year"),
        html.P("What each stream brought in each year (all years; only the funding-stream filter applies here).",
               className="footnote"),
        _figure(allocation_chart(alloc), caption, "funding-allocation-chart"),
        html.Details([
            html.Summary("Show the figures as a table"),
            _table("Funding and grants by stream and financial year, newest first",
                   ["Year", "Stream", "Source", "Available", "Granted to projects", "Not allocated", "Projects"],
                   rows, {3, 4, 5, 6}, "allocation-table"),
        ]),
    ]


def _spend(view: FundingView) -> list:
    q = view.quarterly
    fy = view.financial_year
    if q.empty:
        return []
    reported = q[q["reported"]]
    grant = float(q["cumulative_grant_gbp"].iloc[-1])
    spent = float(reported["spend_gbp"].sum()) if not reported.empty else 0.0
    text = (f"{fy}: grants {_gbp(grant)}; spend reported for {view.quarters_elapsed} of 4 quarters: "
            f"{_gbp(spent)} ({spent / grant * 100:.0f}% of the grant)." if grant else
            f"{fy}: no grants for these filters; spend reported {_gbp(spent)}.")
    per_q = "; ".join(f"{r.label}: {_gbp(r.spend_gbp)} spent" for r in reported.itertuples())
    return [
        html.H2(f"Grants against spend, {fy}"),
        html.P(text, id="funding-spend-summary"),
        html.Div([
            _figure(spend_vs_grant_chart(q, fy), f"Spend by quarter against a quarter of the grant "
                    f"({_gbp(grant / 4)}): {per_q or 'no spend reported'}.", "funding-quarter-chart"),
            _figure(cumulative_spend_chart(q, fy), f"Cumulative spend against the grant spent evenly. {text}",
                    "funding-cumulative-chart"),
        ], className="funding-charts"),
    ]


def _forecast(view: FundingView) -> list:
    fc, t, fy = view.forecast, view.totals, view.financial_year
    head = [html.H2(f"Forecast for the year, {fy}")]
    if fc.empty:
        return head + [html.P("No grants or spend for this year and these filters.")]
    elapsed = view.quarters_elapsed
    if elapsed >= 4:
        method = "The year is complete, so the forecast is the actual spend."
    else:
        method = (f"Run-rate forecast: spend so far ÷ the project's quarters elapsed × its quarters in the year "
                  f"(spend is reported to Q{elapsed}). Projects more than 10% above or below their grant are "
                  "flagged.")
    profile_note = ""
    if view.profile and 0 < elapsed < 4:
        share = view.profile[elapsed - 1]
        profile_note = (f" Spending usually rises towards the year end: in earlier years {share:.0%}"
                        f" of a year's spend had been reported by the end of Q{elapsed}, not {elapsed / 4:.0%}, so "
                        "an early run rate leans towards underspend. The last column forecasts on that "
                        "earlier pattern instead, for comparison.")
    facts = html.Ul([
        html.Li([html.Strong(_gbp(t["forecast_unspent_gbp"])),
                 " forecast to be left unspent at 31 March across underspending projects (it cannot be carried "
                 "over)"]),
        html.Li([html.Strong(f"{t['underspend']}"), f" of {t['projects']} projects forecast to underspend by more "
                 f"than 10%; ", html.Strong(f"{t['overspend']}"), " to overspend by more than 10% (",
                 _gbp(t["forecast_overspend_gbp"]), " over)."]),
        html.Li(f"Total forecast {_gbp(t['forecast_gbp'])} against grants of {_gbp(t['awarded_gbp'])}."),
    ], className="funding-facts")
    flagged_rows = furthest_from_grant(fc, flagged_only=True)
    chart_text = "; ".join(f"{r.project_code} {_pct(r.variance_pct, True)}" for r in
                           flagged_rows.head(CHART_BARS).sort_values("variance_pct").itertuples()) or "none"
    if len(flagged_rows) > CHART_BARS:
        chart_text = f"the {CHART_BARS} furthest of {len(flagged_rows)}: {chart_text}"
    headers = ["Project", "Name", "Grant", "Spent so far", "Quarters elapsed", "Forecast (run rate)",
               "Forecast vs grant", "Flag", "Forecast on past pattern"]
    numeric = {2, 3, 4, 5, 6, 8}

    def table_rows(frame) -> list[list]:  # noqa: ANN001 - DataFrame
        return [[link(r.project_code, f"/projects/{r.project_code}?fy={fy}"), r.project_name,
                 _gbp(r.awarded_gbp), _gbp(r.spend_to_date_gbp), f"{r.quarters_elapsed} of {r.quarters_active}",
                 _gbp(r.forecast_gbp), _pct(r.variance_pct, True),
                 badge(r.flag, f"status {FLAG_CLASS[r.flag]}") if r.flag in FLAG_CLASS else r.flag,
                 _gbp(r.profile_forecast_gbp)] for r in frame.itertuples()]

    shown = flagged_rows.head(FLAGGED_SHOWN)
    more = (f" The {len(shown)} furthest from their grant are listed here; the table of every project below has "
            "them all (filter its Flag column)." if len(flagged_rows) > len(shown) else "")
    return head + [
        html.P(method + profile_note, className="footnote"),
        facts,
        _figure(forecast_chart(fc, fy, limit=CHART_BARS),
                f"Projects forecast more than 10% from their grant: {chart_text}.",
                "funding-forecast-chart"),
        html.Div([
            html.P(f"{len(flagged_rows)} projects flagged.{more}", className="footnote"),
            _table(f"Projects flagged for {fy}, largest difference from grant first", headers, table_rows(shown),
                   numeric, "forecast-table"),
        ]) if not flagged_rows.empty else html.P("No project is flagged."),
        html.H3(f"Year-end forecast for every project, {fy}"),
        html.P("Largest difference from grant first; sort or filter any column.", className="footnote"),
        _grid_block("funding-forecast-grid", FORECAST_COLUMNS, "the forecast for every project",
                    "funding-forecast-export", "funding-forecast-download"),
    ]


def _costs(view: FundingView) -> list:
    costs, fy = view.costs, view.financial_year
    head = [html.H2(f"Cost per outcome, {fy}")]
    if costs.empty:
        return head + [html.P("No grants or spend for this year and these filters.")]
    upto = f"Q{view.quarters_elapsed}" if view.quarters_elapsed < 4 else "the year end"
    parts = head + [html.P(
        f"Spend from April to {upto} ÷ the project's main outcome over the same months (people safeguarded, "
        f"supported, engaged or trained first; otherwise weapons, lines closed or events). Fewer than "
        f"{MIN_OUTCOMES} outcomes is too few for a reliable cost, so none is shown. Projects are grouped by "
        f"outcome, because only like can be compared with like. {footnote(threshold())}", className="footnote")]
    groups = costs.assign(group=costs["outcome_name"].fillna(NO_MEASURE))
    rows = []
    for group, mine in groups.groupby("group", sort=False):
        shown = mine["cost_per_outcome_gbp"].dropna()
        rows.append([group, f"{len(mine):,}", f"{len(shown):,}", _gbp(shown.median()) if not shown.empty else "–",
                     _gbp(shown.min()) if not shown.empty else "–", _gbp(shown.max()) if not shown.empty else "–"])
    rows.sort(key=lambda r: (r[0] == NO_MEASURE, -int(r[1].replace(",", "")), r[0]))
    return parts + [
        _table(f"Cost per outcome by outcome measure, {fy}",
               ["Outcome measure", "Projects", "With a reliable cost", "Median cost", "Lowest", "Highest"], rows,
               {1, 2, 3, 4, 5}, "cost-summary-table"),
        html.H3(f"Cost per outcome by project, {fy}"),
        html.P("Sorted by measure, then lowest cost first. Filter the Outcome measure column to compare like with "
               "like.", className="footnote"),
        _grid_block("funding-cost-grid", COST_GRID_COLUMNS, "cost per outcome by project", "funding-cost-export",
                    "funding-cost-download"),
    ]


FORECAST_COLUMNS = [
    LINK_COLUMN,
    {"field": "project_name", "tooltipField": "project_name", "headerName": "Project", "minWidth": 240, **WRAP},
    number_column("awarded_gbp", "Grant (£)", GBP),
    number_column("spend_to_date_gbp", "Spent so far (£)", GBP),
    {"field": "quarters", "headerName": "Quarters elapsed", "minWidth": 95},
    number_column("forecast_gbp", "Forecast, run rate (£)", GBP),
    number_column("variance_pct", "Forecast vs grant", SIGNED_PCT, width=95),
    {"field": "flag", "headerName": "Flag", "minWidth": 110,
     "cellClassRules": {"status status-risk": f"params.value === {FLAG_UNDER!r}",
                        "status status-off": f"params.value === {FLAG_OVER!r}"}},
    number_column("profile_forecast_gbp", "Forecast on past pattern (£)", GBP),
]
COST_GRID_COLUMNS = [
    {"field": "outcome_name", "tooltipField": "outcome_name", "headerName": "Outcome measure", "minWidth": 160, **WRAP},
    LINK_COLUMN,
    {"field": "project_name", "tooltipField": "project_name", "headerName": "Project", "minWidth": 240, **WRAP},
    {"field": "outcomes_text", "headerName": "Outcomes", "minWidth": 90, "type": "rightAligned"},
    number_column("spend_gbp", "Spend (£)", GBP),
    number_column("cost_per_outcome_gbp", "Cost per outcome (£)", GBP),
    {"field": "reliability", "tooltipField": "reliability", "headerName": "Reliability", "minWidth": 160, **WRAP},
]


def forecast_rows(f: Filters) -> pd.DataFrame:
    """Every project's forecast, largest difference from grant first (the grid's default order)."""
    fc = funding_view(engine(), f).forecast
    if fc.empty:
        return fc
    fc = fc.assign(quarters=[f"{e} of {a}" for e, a in zip(fc["quarters_elapsed"], fc["quarters_active"], strict=True)])
    return with_links(furthest_from_grant(fc), f)


def cost_rows(f: Filters) -> pd.DataFrame:
    """Every project's cost per outcome, by measure then cheapest first; suppressed counts read [c]."""
    costs = funding_view(engine(), f).costs
    if costs.empty:
        return costs
    text = [("[c]" if metric and n != n else format_value(n, "count") if metric else "–")
            for metric, n in zip(costs["outcome_metric"], costs["outcomes"], strict=True)]
    out = costs.assign(outcome_name=costs["outcome_name"].fillna(NO_MEASURE), outcomes_text=text,
                       last=costs["outcome_name"].isna())
    out = out.sort_values(["last", "outcome_name", "cost_per_outcome_gbp", "project_code"], na_position="last",
                          kind="stable")
    return with_links(out, f)


register_server_grid("funding-forecast-grid", forecast_rows, aliases=LINK_ALIASES,
                     export=("funding-forecast-export", "funding-forecast-download", "vvu-forecast"))
register_server_grid("funding-cost-grid", cost_rows, aliases=LINK_ALIASES,
                     export=("funding-cost-export", "funding-cost-download", "vvu-cost-per-outcome"))


def _grid_block(grid_id: str, columns: list[dict], label: str, export_id: str, download_id: str) -> html.Div:
    return html.Div([
        server_grid(grid_id, columns, className="ag-theme-quartz funding-grid",
                    dashGridOptions={"theme": {"function": THEME}, "tooltipShowDelay": 300},
                    getRowId="params.data.project_code", columnSize="responsiveSizeToFit",
                    style={"height": "480px", "width": "100%"}),
        html.Button(f"Download {label} as CSV", id=export_id, n_clicks=0, type="button",
                    className="btn btn-primary btn-sm funding-export"),
        dcc.Download(id=download_id),
    ], role="region", **{"aria-label": label})


@callback(Output("funding-body", "children"), *FILTER_INPUTS)
def render(values: list, ids: list) -> list:
    principal = auth.current()
    project_rows = sees_project_money(principal.role) if principal else True
    return funding_body(engine(), filters_from(values, ids), project_rows)


@warm.also
@cached
def funding_body(eng: Engine, f: Filters, project_rows: bool = True) -> list:
    """The page for a view, built once per data version (and per kind of reader: the board sees the
    partnership's money, not rows by project)."""
    view = funding_view(eng, f)
    if not view.financial_year:
        return [html.P("No funding or observations have been loaded yet.")]
    if not project_rows:
        return [*_allocation(view), *_spend(view),
                html.P("Forecasts and costs by project are shown to managers and approvers.", className="footnote")]
    return [*_allocation(view), *_spend(view), *_forecast(view), *_costs(view)]
