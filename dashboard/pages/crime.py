"""Crime: police.uk street-level crime by month, area and crime type, with rates per 1,000 residents,
the change on the same months a year earlier and a map by LSOA. ``month_from``, ``month_to``,
``area`` and ``crime_type`` are in the URL so a view can be shared.

Thin on purpose: the numbers come from service.crime (cached per data version, read from summary
tables) and the figures from charts.crime. The map works offline: its geometry is fetched once from
the server, the base map points at a local stub, and a change of filters sends only the values.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, dcc, html, no_update

from charts.crime import (
    apply_values,
    describe_map,
    describe_monthly,
    describe_types,
    fmt_change,
    lsoa_map_spec,
    lsoa_map_values,
    month_label,
    monthly_spec,
    period_label,
    type_spec,
)
from charts.tables import cell
from dashboard.components.graph import graph_config
from dashboard.engine import engine
from service.crime import (
    crime_choices,
    lsoa_extent,
    lsoa_features,
    page_map,
    page_period,
    page_view,
    vintage_for,
)
from warehouse.crime_models import BUCKET_NAMES
from warehouse.filters import Filters

dash.register_page(__name__, path="/crime", title="Crime - Essex VVU outcomes", name="Crime", order=6)

ALL = "all"
PARAMS = ("month_from", "month_to", "area", "crime_type")
INPUTS = [Input("crime-month-from", "value"), Input("crime-month-to", "value"), Input("crime-area", "value"),
          Input("crime-type", "value")]


def _choice(month_from: object, month_to: object, area: object, crime_type: object) -> tuple[Filters, str, str]:
    """Validated view from untrusted values (URL or callback): a bad value falls back to the default."""
    f, ctype = crime_choices(engine()).parse(month_from, month_to, area, crime_type)
    return f, ctype, f.area


def _select(cid: str, label: str, value: str, options: list[tuple[str, str]]) -> html.Div:
    return html.Div(html.Label([
        html.Span(label, className="form-label"),
        dbc.Select(id=cid, value=value, options=[{"label": text, "value": code} for code, text in options]),
    ]), className="filter")


def _what(crime_type: str) -> str:
    return crime_type or "Crimes (all types)"


def _map_title(crime_type: str, period: str, area_name: str) -> str:
    where = "" if area_name == "All areas" else f", {area_name}"
    return f"{_what(crime_type)} by LSOA<br><span style='font-size:0.8em'>{period}{where}</span>"


def _skeleton(vintage: int) -> dict:
    codes, _names, _areas = lsoa_features(vintage)
    districts = sorted(set(lsoa_features(2021)[2]))
    return lsoa_map_spec(f"/api/v1/crime/boundaries/lsoa{vintage % 100:02d}.geojson",
                         dash.get_asset_url("geo/districts.geojson"), districts, codes, lsoa_extent())


def layout(month_from: str | None = None, month_to: str | None = None, area: str | None = None,
           crime_type: str | None = None, **_query: str) -> html.Div:
    choices = crime_choices(engine())
    f, ctype, area_code = _choice(month_from, month_to, area, crime_type)
    months = list(choices.months)
    month_options = [(m, month_label(m)) for m in months]
    vintage = vintage_for(f.month_to or "2022-01")
    return html.Div([
        html.H1("Crime"),
        html.P(["Street-level crime and anti-social behaviour as published by police.uk for Essex Police, by month, "
                "area and crime type. Rates are per 1,000 residents. The Violence and Vulnerability Unit started in "
                "April 2019. Every row counts somewhere: in its district, ",
                html.Em("outside the partnership area"), " (crimes Essex Police recorded in neighbouring authorities) "
                "or under ", html.Em("no location"), "."], className="lead"),
        html.Form([
            _select("crime-month-from", "From", f.month_from, month_options),
            _select("crime-month-to", "To", f.month_to, month_options),
            _select("crime-area", "Area", area_code or ALL, [(ALL, "All areas (every row)"), *choices.areas]),
            _select("crime-type", "Crime type", ctype or ALL,
                    [(ALL, "All crime types"), *[(t, t) for t in choices.types]]),
            html.Div(dcc.Link("Reset filters", href="/crime", className="reset-link", refresh=True),
                     className="filter filter-reset"),
        ], className="filter-bar", role="search", **{"aria-label": "Crime filters"}),
        html.Section(id="crime-facts", className="crime-facts", **{"aria-live": "polite",
                                                                     "aria-label": "Figures for the period"}),
        html.Figure([
            dcc.Graph(id="crime-monthly", config=graph_config("crime-by-month"), style={"height": "380px"}),
            html.Figcaption(id="crime-monthly-caption", className="chart-alt"),
        ], className="chart-card crime-monthly-card"),
        html.Div([
            html.Figure([
                dcc.Graph(id="crime-types", config=graph_config("crime-by-type")),
                html.Figcaption(id="crime-types-caption", className="chart-alt"),
            ], className="chart-card crime-types-card"),
            html.Figure([
                dcc.Graph(id="crime-map", figure=_skeleton(vintage), className="crime-map",
                          config=graph_config("crime-map", scrollZoom=False, topojsonURL=dash.get_asset_url("geo/")),
                          style={"height": "560px"}),
                html.Figcaption(id="crime-map-caption", className="chart-alt"),
            ], className="chart-card crime-map-card"),
        ], className="crime-grid"),
        dcc.Store(id="crime-map-vintage", data=vintage),
        html.Div(id="crime-table", className="crime-table-wrap"),
    ], className="page page-crime")


def _number(value: object, decimals: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{float(value):,.{decimals}f}"


def _fact(term: str, big: str, small: str = "", big_class: str = "crime-big") -> html.Div:
    return html.Div([html.Dt(term), html.Dd([html.Span(big, className=big_class),
                                             html.Span(small, className="crime-small") if small else None])],
                    className="crime-fact")


def _facts(view) -> list:  # noqa: ANN001 - service.crime.CrimeView
    period = period_label(view.first, view.last)
    months = sum(view.first <= m <= view.last for m in view.months)
    counts = dict(zip(view.by_area["area_code"], view.by_area["count"], strict=True))
    if view.year_earlier:
        change = fmt_change((view.count - view.year_earlier) * 100 / view.year_earlier)
        before = (change, f"{_number(view.year_earlier)} in the same months a year earlier")
    else:
        before = ("no comparison", "no data for the same months a year earlier")
    if view.area and view.population:
        rate = (_number(view.rate, 2), f"per 1,000 residents of {view.area_name} ({_number(view.population)})")
    elif not view.area and view.rate is not None:
        inside = counts["TOTAL"]
        rate = (_number(view.rate, 2), f"per 1,000 residents of the partnership area: its {_number(inside)} crimes, "
                                       f"{_number(view.population)} residents")
    else:
        rate = ("–", "no rate: this bucket has no residents")
    total, outside, nowhere = counts["ALL"], counts["OUTSIDE"], counts["NO_LOCATION"]
    everything = (f"{_number(total - outside - nowhere)} in the partnership area, {_number(outside)} outside it, "
                  f"{_number(nowhere)} with no location")
    return [html.Dl([
        _fact("Period", period, f"{months} months", "crime-big crime-period"),
        _fact(_what(view.crime_type), _number(view.count), view.area_name if view.area else "all areas (every row)"),
        _fact("Rate", *rate),
        _fact("Change on a year earlier", *before),
        _fact("Every row in the period" if not view.crime_type else "Every row of this type", _number(total),
              everything),
    ], className="crime-dl")]


def _tables(view, period: str) -> dcc.Markdown:  # noqa: ANN001 - service.crime.CrimeView
    """The area table and the crime-type table as one block of HTML.

    Some 250 cells as Dash components cost more to build and serialise than the whole view costs to
    compute, so the tables are written as HTML and shown by one Markdown component. Every value is
    escaped (crime types come from uploaded files).
    """
    heads = ("Area", "Crimes", "Residents", "Rate per 1,000 residents", "Same months a year earlier", "Change")
    rows = []
    for r in view.by_area.itertuples(index=False):
        name = f"{r.area_name} county (sum of its districts)" if r.area_type == "county" else r.area_name
        cls = f"area-{r.area_type}" + (" selected" if r.area_code == (view.area or "ALL") else "")
        rows.append(f'<tr class="{escape(cls)}">' + cell("th", name, scope="row", class_="child" if r.parent_code
                                                            else "")
                    + "".join(cell("td", v) for v in (_number(r.count), _number(r.population), _number(r.rate, 2),
                                                        _number(r.year_earlier), fmt_change(r.change_pct)))
                    + "</tr>")
    caption = (f"{_what(view.crime_type)} by area, {period}: count, residents, rate per 1,000 residents and change "
               "on the same months a year earlier (every area, whatever the area filter)")
    areas = ('<table class="data crime-table">' + cell("caption", caption) + "<thead><tr>"
             + "".join(cell("th", h, scope="col") for h in heads) + "</tr></thead><tbody>" + "".join(rows)
             + "</tbody></table>")
    type_rows = "".join("<tr>" + cell("th", r.crime_type, scope="row") + cell("td", _number(r.count))
                        + cell("td", _number(r.year_earlier)) + cell("td", fmt_change(r.change_pct)) + "</tr>"
                        for r in view.by_type.itertuples(index=False))
    types = ('<details class="crime-types-details"><summary>Crimes by type as a table</summary>'
             '<table class="data crime-types-table">' + cell("caption", f"Crimes by type, {view.area_name}, {period}")
             + "<thead><tr>" + "".join(cell("th", h, scope="col") for h in (
                 "Crime type", "Crimes", "Same months a year earlier", "Change"))
             + "</tr></thead><tbody>" + type_rows + "</tbody></table></details>")
    return dcc.Markdown(areas + types, dangerously_allow_html=True, className="crime-tables")


@callback(Output("crime-facts", "children"), Output("crime-monthly", "figure"),
          Output("crime-monthly-caption", "children"), Output("crime-types", "figure"),
          Output("crime-types-caption", "children"), Output("crime-table", "children"), *INPUTS)
def render(month_from: str | None, month_to: str | None, area: str | None, crime_type: str | None) -> tuple:
    view = page_view(engine(), month_from, month_to, area, crime_type)
    ctype = view.crime_type
    if not view.months:
        empty = html.P("No police.uk crime data has been loaded yet: load a street-level file with "
                       "`python -m etl load FILE`.")
        return [empty], monthly_spec(view.monthly, "", "", _what(ctype)), "", type_spec(view.by_type, "", False), \
            "", None
    period = period_label(view.first, view.last)
    what = f"{_what(ctype)}, {view.area_name}"
    monthly = monthly_spec(view.monthly, view.first, view.last, what)
    types = type_spec(view.by_type, f"{view.area_name}, {period}", view.comparable, ctype)
    return (_facts(view), monthly, describe_monthly(view.monthly, what, view.first, view.last), types,
            describe_types(view.by_type, period, view.comparable),
            _tables(view, period))


@callback(Output("crime-map", "figure"), Output("crime-map-vintage", "data"), Output("crime-map-caption", "children"),
          *INPUTS, State("crime-map-vintage", "data"))
def render_map(month_from: str | None, month_to: str | None, area: str | None, crime_type: str | None,
               shown: object) -> tuple:
    data = page_map(engine(), month_from, month_to, area, crime_type)
    ctype, area_code, area_name = data.crime_type, data.area, data.area_name
    period = period_label(data.first, data.last)
    updates = lsoa_map_values(data.values, _map_title(ctype, period, area_name), data.extent)
    caption = describe_map(data.total, data.top, _what(ctype), period, area_name, data.unmapped, data.vintage)
    if area_code in BUCKET_NAMES:
        caption = f"{BUCKET_NAMES[area_code]} has no LSOAs in the partnership area to map. " + caption
    if shown == data.vintage:
        patch = Patch()
        for path, value in updates.items():
            target = patch
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        return patch, no_update, caption
    return apply_values(_skeleton(data.vintage), updates), data.vintage, caption


@callback(Output("url-sync", "search", allow_duplicate=True), *INPUTS, State("url-sync", "search"),
          prevent_initial_call=True)
def controls_to_url(month_from: str | None, month_to: str | None, area: str | None, crime_type: str | None,
                    search: str | None) -> str:
    """Put the view in the address so it can be shared; the default view keeps a clean address."""
    f, ctype, area_code = _choice(month_from, month_to, area, crime_type)
    default_first, default_last = page_period(list(crime_choices(engine()).months))
    current = parse_qsl((search or "").lstrip("?"))
    params = [(k, v) for k, v in current if k not in PARAMS]
    if (f.month_from, f.month_to) != (default_first, default_last):
        params += [("month_from", f.month_from), ("month_to", f.month_to)]
    if area_code:
        params.append(("area", area_code))
    if ctype:
        params.append(("crime_type", ctype))
    return no_update if sorted(params) == sorted(current) else ("?" + urlencode(params) if params else "")
