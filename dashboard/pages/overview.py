"""Overview: the board's screen. One card per headline metric for the selected period."""

from __future__ import annotations

from datetime import date

import dash
import pandas as pd
from dash import Output, callback, html
from sqlalchemy import Engine

from analysis.fiscal import add_months
from analysis.stocks import STOCK_AGGREGATIONS
from dashboard.components.filters import FILTER_INPUTS, choice_name, filter_bar, filters_from, parse_query
from dashboard.components.kpi_card import kpi_card
from dashboard.engine import engine
from service import warm
from service.cache import cached
from service.chase import accepted_by_metric
from service.kpis import kpi_view
from service.observations import observation_totals
from service.returns import returns_in_view
from warehouse.filters import Filters

dash.register_page(__name__, path="/", title="Overview - Essex VVU outcomes", name="Overview", order=0)


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    return html.Div([
        html.H1("Overview"),
        html.P("Progress against this year's targets for every headline measure. Status compares a running total "
               "with where it is expected to be by now: its target shared over the months by the measure's own "
               "seasonal pattern in earlier years where there are two or more, evenly otherwise (each card says "
               "which); a level (such as an active caseload) is compared with its target as it stands.",
               className="lead"),
        filter_bar(f, "/"),
        html.P([html.Strong("Printed: "), date.today().strftime("%-d %B %Y")], className="print-only"),
        html.Div(id="overview-body", **{"aria-live": "polite"}),
    ], className="page page-overview")


@callback(Output("overview-body", "children"), *FILTER_INPUTS)
def render(values: list, ids: list) -> list:
    return overview_body(engine(), filters_from(values, ids))


def stock_trend(eng: Engine, f: Filters, code: str, last: str) -> pd.DataFrame:
    """A level's last 12 months as the card's figure is made: carried forward per series (period, value)."""
    year = Filters(month_from=add_months(last, -11), month_to=last, area=f.area, priority=f.priority, stream=f.stream,
                   project=f.project)
    frame = observation_totals(eng, year, ("metric", "month"), code).frame
    return frame.rename(columns={"month": "period"})[["period", "value"]]


@warm.also
@cached
def overview_body(eng: Engine, f: Filters) -> list:
    """The cards for a view, built once per data version (13 small charts take longer than the figures)."""
    view = kpi_view(eng, f)
    if view.table.empty:
        return [html.P("No observations have been loaded yet.")]
    returns = returns_in_view(eng, f)  # the view's quarters: the same count as the data quality page
    missing = int((returns["status"] == "missing").sum())
    late = int((returns["status"] == "late").sum())
    cards = []
    accepted = accepted_by_metric(eng, f, view.first, view.last)  # beside the figure: the reasons kept
    reported = set(view.monthly["metric_code"])
    table = view.table.assign(_order=view.table["priority_code"].replace("", "P9")).sort_values(
        ["_order", "metric_code"], kind="stable")
    # A measure of another priority is out of the view, not missing: only in-scope ones are listed.
    in_scope = table if not f.priority else table[table["priority_code"].isin([f.priority, ""])]
    without_data = [r["name"] for r in in_scope.to_dict("records") if r["metric_code"] not in reported]
    for row in table.to_dict("records"):
        if row["metric_code"] not in reported:
            continue
        trend = view.monthly[(view.monthly["metric_code"] == row["metric_code"])
                             & (view.monthly["period"] <= view.last)].groupby("period", as_index=False)["value"].sum()
        if row["aggregation"] in STOCK_AGGREGATIONS:  # a level's trend is its level each month, carried as the card's
            trend = stock_trend(eng, f, row["metric_code"], min(view.last, view.data_to))
        cards.append(kpi_card(row, trend.tail(12), f"kpi-{row['metric_code'].lower()}",
                              accepted.get(row["metric_code"], [])))
    query = f.to_query()
    return [
        html.P(html.A("Board pack (PDF)", href="/api/v1/board-pack.pdf" + (f"?{query}" if query else ""),
                      id="overview-board-pack", className="btn-primary board-pack-link", download="",
                      title="The board pack of this view's latest quarter: executive summary, exception report, "
                            "measures, funding, outcome measures (PDF, made now, not a snapshot)"),
               className="overview-actions"),
        html.Section([
            html.P([html.Strong("Period: "), f"{view.first} to {view.last} ({f.describe(view.data_to, choice_name)})"]),
            html.P([html.Strong("Data run to: "), view.data_to]),
            html.P([html.Strong("Returns: "), f"{missing} expected returns missing, {late} arrived late in this "
                    "period ", dash.dcc.Link("(see data quality)", href="/data-quality" + (
                        "?" + f.to_query() if f.to_query() else ""))]),
        ], className="overview-facts", **{"aria-label": "About these figures"}),
        html.H2("Headline measures"),
        html.Div(cards, className="kpi-grid"),
        html.P(f"No data reported yet for: {', '.join(without_data)}.", className="footnote")
        if without_data else None,
    ]
