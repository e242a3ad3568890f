"""Areas: one metric on a map of the 14 lower-tier authorities, as a count or a rate per 1,000
residents, with the same figures in a table beside it. ``metric=`` and ``measure=count|rate`` are
in the URL so the view can be shared.

The map works offline: its geometry is a file served from /assets/geo/ (fetched once by the
browser, never inside a callback) and plotly's base map is pointed at a local empty stub. The
callback sends only the values, as a ``Patch``.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, dcc, html, no_update

from analysis.disclosure import SUPPRESSED, SUPPRESSED_TITLE, footnote
from analysis.fiscal import parse_period
from analysis.stocks import STOCK_AGGREGATIONS
from charts.maps import map_skeleton, map_values
from charts.theme import unit_label
from dashboard.components.filters import FILTER_INPUTS, filter_bar, filters_from, parse_query
from dashboard.components.graph import graph_config
from dashboard.engine import engine
from service.areas import area_view, map_areas, map_extent, metrics_with_data, parse_measure, parse_metric_choice
from service.gate import threshold

dash.register_page(__name__, path="/areas", title="Areas - Essex VVU outcomes", name="Areas", order=2)

FIELDS = ("fy", "quarter", "priority", "stream", "project")
GEOJSON = "geo/districts.geojson"


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    eng = engine()
    metric = parse_metric_choice(eng, query.get("metric"))
    measure = parse_measure(query.get("measure"))
    areas = map_areas(eng)
    skeleton = map_skeleton(dash.get_asset_url(GEOJSON), areas["area_code"], areas["area_name"], map_extent())
    return html.Div([
        html.H1("Areas"),
        html.P("Where the work happens: one measure for each district and unitary authority, as a count or as a "
               "rate per 1,000 residents (so large and small places can be compared). The county row is the sum "
               "of its twelve districts.", className="lead"),
        filter_bar(f, "/areas", FIELDS),
        html.Div([
            html.Div(html.Label([
                html.Span("Measure", className="form-label"),
                dbc.Select(id="areas-metric", value=metric,
                           options=[{"label": name, "value": code} for code, name in metrics_with_data(eng)]),
            ]), className="filter"),
            html.Fieldset([
                html.Legend("Show", className="form-label"),
                dbc.RadioItems(id="areas-measure", value=measure, inline=True, className="measure-radios",
                               options=[{"label": "Count", "value": "count"},
                                        {"label": "Rate per 1,000 residents", "value": "rate"}]),
            ], className="filter areas-measure"),
        ], className="filter-bar page-controls", role="group", **{"aria-label": "Map options"}),
        html.Div([
            html.Figure([
                dcc.Graph(id="areas-map", figure=skeleton, className="areas-map",
                          config=graph_config("areas-map", scrollZoom=False, topojsonURL=dash.get_asset_url("geo/")),
                          style={"height": "520px"}),
                html.Figcaption(id="areas-caption", className="chart-alt"),
            ], className="chart-card areas-map-card"),
            html.Div(id="areas-table", className="areas-table-wrap", tabIndex=0, role="region",
                     **{"aria-label": "Areas table (scrolls sideways on a narrow screen)"}),
        ], className="areas-grid", **{"aria-live": "polite"}),
    ], className="page page-areas")


def _number(value: float, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if decimals == 0 and abs(value - round(value)) > 1e-9:
        decimals = 1
    return f"{value:,.{decimals}f}"


def _count_cell(row: dict, unit: str) -> html.Td:
    if row["suppressed"]:
        return html.Td(SUPPRESSED, title=SUPPRESSED_TITLE, className="suppressed")
    text = _number(row["value"])
    return html.Td(f"£{text}" if unit == "gbp" else text)


def _table(view, period: str) -> html.Table:  # noqa: ANN001 - service dataclass
    u = unit_label(view.unit)
    head = html.Thead(html.Tr([html.Th("Area", scope="col"), html.Th(f"Count ({u})", scope="col"),
                               html.Th("Residents", scope="col"), html.Th("Rate per 1,000 residents", scope="col")]))
    rows = []
    children = view.table["parent_code"].value_counts()
    for r in view.table.to_dict("records"):
        child = bool(r["parent_code"])
        name = r["area_name"]
        if r["area_type"] == "county":
            name = f"{name} county (sum of {children.get(r['area_code'], 0)} districts)"
        rate = html.Td(SUPPRESSED, title=SUPPRESSED_TITLE, className="suppressed") if r["suppressed"] else \
            html.Td(_number(r["rate"], 2))
        rows.append(html.Tr([html.Th(name, scope="row", className="child" if child else None),
                             _count_cell(r, view.unit), html.Td(_number(r["population"])), rate],
                            className=f"area-{r['area_type']}"))
    return html.Table([
        html.Caption(f"{view.metric_name} by area, {period}: count, residents and rate per 1,000 residents"),
        head, html.Tbody(rows),
    ], className="data areas-table")


def _period(view, f) -> str:  # noqa: ANN001
    if not view.first:
        return "no data"
    if f.quarter and f.fy:
        return f"{f.fy} {f.quarter}"
    text = view.filters.describe(view.data_to).split(",")[0]
    if view.last > view.data_to >= view.first:
        text += f" (to {parse_period(view.data_to).strftime('%B %Y')})"
    return text


def _summary(view, measure: str, period: str) -> str:  # noqa: ANN001
    """Text alternative for the map: the highest and lowest areas and the county."""
    t = view.table
    lower = t[t["area_type"].isin(["district", "unitary"]) & ~t["suppressed"]]
    col = "value" if measure == "count" else "rate"
    what = view.metric_name if measure == "count" else f"{view.metric_name} per 1,000 residents"
    if lower.empty or lower[col].isna().all():
        return f"Map of {what} by area, {period}: no figures to show."
    dec = 0 if measure == "count" else 2
    top = lower.loc[lower[col].idxmax()]
    low = lower.loc[lower[col].idxmin()]
    text = (f"Map of {what} by district and unitary authority, {period}. Highest: {top['area_name']} "
            f"({_number(top[col], dec)}); lowest: {low['area_name']} ({_number(low[col], dec)}).")
    county = t[t["area_type"] == "county"]
    if len(county):
        c = county.iloc[0]
        text += (f" {c['area_name']} county (sum of its districts): {_number(c['value'])}, "
                 f"{_number(c['rate'], 2)} per 1,000 residents.")
    hidden = int(t["suppressed"].sum())
    if hidden:
        text += f" {hidden} areas suppressed ({SUPPRESSED})."
    text += " The same figures are in the table."
    return text


@callback(Output("areas-map", "figure"), Output("areas-table", "children"), Output("areas-caption", "children"),
          FILTER_INPUTS[0], Input("areas-metric", "value"), Input("areas-measure", "value"), FILTER_INPUTS[1])
def render(values: list, metric: str | None, measure: str | None, ids: list) -> tuple:
    f = filters_from(values, ids)
    eng = engine()
    metric = parse_metric_choice(eng, metric)
    measure = parse_measure(measure)
    if not metric:
        return no_update, html.P("No observations have been loaded yet."), ""
    view = area_view(eng, f, metric)
    period = _period(view, f)
    u = unit_label(view.unit)
    if measure == "rate":
        title, colour = f"{view.metric_name} per 1,000 residents, {period}", f"{u} per 1,000"
    else:
        title, colour = f"{view.metric_name}, {period}", u
    codes = list(map_areas(eng)["area_code"])
    patch = Patch()
    for path, value in map_values(view.table, codes, measure=measure, title=title, colour_title=colour,
                                  unit=view.unit).items():
        target = patch
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    notes = [html.P(footnote(threshold()), className="footnote")] if view.people else []
    if view.aggregation in STOCK_AGGREGATIONS:
        notes.append(html.P("This measure is a level (a stock), so each area shows its value in the last month "
                            "with data in the period, not a sum over months.", className="footnote"))
    return patch, [_table(view, period), *notes], _summary(view, measure, period)


@callback(Output("url-sync", "search", allow_duplicate=True), Input("areas-metric", "value"),
          Input("areas-measure", "value"), State("url-sync", "search"), prevent_initial_call=True)
def controls_to_url(metric: str | None, measure: str | None, search: str | None) -> str:
    """Put the metric and measure in the address, beside the filters, so the view can be shared."""
    current = parse_qsl((search or "").lstrip("?"))
    metric, measure = parse_metric_choice(engine(), metric), parse_measure(measure)
    given = dict(current)
    if "metric" not in given and "measure" not in given and (metric, measure) == (
            parse_metric_choice(engine(), ""), "count"):
        return no_update  # the default view keeps a clean address (and no extra history entry)
    params = [(k, v) for k, v in current if k not in ("metric", "measure")]
    params += [("metric", metric), ("measure", measure)]
    return no_update if sorted(params) == sorted(current) else "?" + urlencode(params)
