"""Crime: police.uk street-level crime by month, area and crime type, with rates per 1,000 residents,
the change on the same months a year earlier, totals per financial year and a map by LSOA.
``fy`` (or ``month_from`` and ``month_to``), ``area`` and ``crime_type`` are in the URL so a view can
be shared; ``fy`` also carries over from and to the other pages.

Police recorded crime leaves anti-social behaviour out (incidents, not crimes: a figure of its own),
and the serious violence and knife and weapon groupings are analysis.outcomes.CRIME_GROUPS, each
shown with its definition.

Thin on purpose: the numbers come from service.crime (cached per data version, read from summary
tables) and the figures from charts.crime. The map works offline: its geometry is fetched once from
the server, the base map points at a local stub, and a change of filters sends only the values.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, ctx, dcc, html, no_update

from analysis.fiscal import fy_of_period
from analysis.outcomes import ANTI_SOCIAL_BEHAVIOUR, CRIME_GROUPS
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
    RECORDED_CRIME,
    YEAR_COLUMNS,
    crime_choices,
    fy_period,
    lsoa_extent,
    lsoa_features,
    page_map,
    page_period,
    page_view,
    selection_definition,
    vintage_for,
)
from warehouse.crime_models import BUCKET_NAMES
from warehouse.filters import Filters

dash.register_page(__name__, path="/crime", title="Crime - Essex VVU outcomes", name="Crime", order=6)

ALL = "all"
CUSTOM = "months"  # the year select's choice for a period that is not one financial year
PARAMS = ("fy", "month_from", "month_to", "area", "crime_type")
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
    if crime_type == ANTI_SOCIAL_BEHAVIOUR:
        return "Anti-social behaviour incidents"
    return crime_type or RECORDED_CRIME


def _type_options(types: tuple[str, ...]) -> list[tuple[str, str]]:
    """Police recorded crime first, then the groupings, the crime types and anti-social behaviour last
    (it is not crime, and says so)."""
    crimes = [(t, t) for t in types if t != ANTI_SOCIAL_BEHAVIOUR]
    asb = [(ANTI_SOCIAL_BEHAVIOUR, f"{ANTI_SOCIAL_BEHAVIOUR} (incidents, not crime)")] if ANTI_SOCIAL_BEHAVIOUR in \
        types else []
    return [(ALL, f"{RECORDED_CRIME} (every crime type)"), *[(g, f"Grouping: {g}") for g in CRIME_GROUPS], *crimes,
            *asb]


def _year_options(years: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Financial years with data, newest first; a year not complete says which months it has."""
    out = []
    for fy, first, last in years:
        whole = first.endswith("-04") and last.endswith("-03")
        out.append((fy, fy if whole else f"{fy} ({period_label(first, last)})"))
    return [*out, (CUSTOM, "Months chosen in From and To")]


def _year_of(first: str, last: str, months: tuple[str, ...] | list[str]) -> str:
    """The financial year a period is (all its months with data), else CUSTOM."""
    if not first:
        return CUSTOM
    fy = fy_of_period(first)
    return fy if fy_period(fy, months) == (first, last) else CUSTOM


def _map_title(crime_type: str, period: str, area_name: str) -> str:
    where = "" if area_name == "All areas" else f", {area_name}"
    return f"{_what(crime_type)} by LSOA<br><span style='font-size:0.8em'>{period}{where}</span>"


def _skeleton(vintage: int) -> dict:
    codes, _names, _areas = lsoa_features(vintage)
    districts = sorted(set(lsoa_features(2021)[2]))
    return lsoa_map_spec(f"/api/v1/crime/boundaries/lsoa{vintage % 100:02d}.geojson",
                         dash.get_asset_url("geo/districts.geojson"), districts, codes, lsoa_extent())


def layout(month_from: str | None = None, month_to: str | None = None, area: str | None = None,
           crime_type: str | None = None, fy: str | None = None, **_query: str) -> html.Div:
    choices = crime_choices(engine())
    if fy and not (month_from or month_to):  # a financial year, e.g. carried over from another page
        month_from, month_to = fy_period(str(fy)[:7].replace("-", "/"), choices.months)
    f, ctype, area_code = _choice(month_from, month_to, area, crime_type)
    months = list(choices.months)
    month_options = [(m, month_label(m)) for m in months]
    vintage = vintage_for(f.month_to or "2022-01")
    return html.Div([
        html.H1("Crime"),
        html.P(["Street-level crime and anti-social behaviour as published by police.uk for Essex Police, by month, "
                "area and crime type. Police recorded crime leaves anti-social behaviour out: its incidents are "
                "not crimes and are counted apart. Years are financial years (April to March); rates are per 1,000 "
                "residents. The Violence and Vulnerability Unit started in "
                "April 2019. Every row counts somewhere: in its district, ",
                html.Em("outside the partnership area"), " (crimes Essex Police recorded in neighbouring authorities) "
                "or under ", html.Em("no location"), "."], className="lead"),
        html.Form([
            _select("crime-year", "Financial year", _year_of(f.month_from, f.month_to, months),
                    _year_options(choices.years())),
            _select("crime-month-from", "From", f.month_from, month_options),
            _select("crime-month-to", "To", f.month_to, month_options),
            _select("crime-area", "Area", area_code or ALL, [(ALL, "All areas (every row)"), *choices.areas]),
            _select("crime-type", "Crime type", ctype or ALL, _type_options(choices.types)),
            html.Div(dcc.Link("Reset filters", href="/crime", className="reset-link", refresh=True),
                     className="filter filter-reset"),
        ], className="filter-bar", role="search", **{"aria-label": "Crime filters"}),
        html.Section(id="crime-facts", className="crime-facts", **{"aria-live": "polite",
                                                                     "aria-label": "Figures for the period"}),
        html.P(id="crime-definition", className="crime-definition"),
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
    facts = [
        _fact("Period", period, f"{months} months", "crime-big crime-period"),
        _fact(_what(view.crime_type), _number(view.count), view.area_name if view.area else "all areas (every row)"),
        _fact("Rate", *rate),
        _fact("Change on a year earlier", *before),
        _fact("Where they were recorded", _number(total), everything),
    ]
    if view.crime_type != ANTI_SOCIAL_BEHAVIOUR:
        asb_change = ("no comparison" if not view.asb_year_earlier else
                      fmt_change((view.asb - view.asb_year_earlier) * 100 / view.asb_year_earlier))
        facts.append(_fact("Anti-social behaviour (not crime)", _number(view.asb),
                           f"incidents, not counted above; {asb_change} on a year earlier"))
    return [html.Dl(facts, className="crime-dl")]


def _year_table(view) -> str:  # noqa: ANN001 - service.crime.CrimeView
    """Counts per financial year (April to March) in the chosen area; a partial year says which months."""
    heads = {YEAR_COLUMNS[""]: RECORDED_CRIME, **{YEAR_COLUMNS[g]: g for g in CRIME_GROUPS},
             YEAR_COLUMNS[ANTI_SOCIAL_BEHAVIOUR]: "Anti-social behaviour (not crime)"}
    rows = []
    for r in view.by_year.iloc[::-1].to_dict("records"):
        label = r["financial_year"] + ("" if r["months"] == 12 else
                                       f" ({period_label(r['first'], r['last'])}, {r['months']} months)")
        rows.append("<tr>" + cell("th", label, scope="row")
                    + "".join(cell("td", _number(r[col])) for col in heads) + "</tr>")
    caption = (f"By financial year (April to March), {view.area_name}: police recorded crime, the groupings and "
               "anti-social behaviour")
    definitions = "".join(cell("dt", name) + cell("dd", selection_definition(sel).split(": ", 1)[1])
                          for sel, name in (("", RECORDED_CRIME), *((g, g) for g in CRIME_GROUPS),
                                            (ANTI_SOCIAL_BEHAVIOUR, ANTI_SOCIAL_BEHAVIOUR)))
    return ('<table class="data crime-years-table">' + cell("caption", caption) + "<thead><tr>"
            + cell("th", "Financial year", scope="col") + "".join(cell("th", h, scope="col") for h in heads.values())
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            + '<h2 class="crime-definitions-head">What each figure counts</h2><dl class="crime-definitions">'
            + definitions + "</dl>")


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
    return dcc.Markdown(areas + _year_table(view) + types, dangerously_allow_html=True, className="crime-tables")


@callback(Output("crime-facts", "children"), Output("crime-monthly", "figure"),
          Output("crime-monthly-caption", "children"), Output("crime-types", "figure"),
          Output("crime-types-caption", "children"), Output("crime-table", "children"),
          Output("crime-definition", "children"), *INPUTS)
def render(month_from: str | None, month_to: str | None, area: str | None, crime_type: str | None) -> tuple:
    view = page_view(engine(), month_from, month_to, area, crime_type)
    ctype = view.crime_type
    if not view.months:
        empty = html.P("No police.uk crime data has been loaded yet: load a street-level file with "
                       "`python -m etl load FILE`.")
        return [empty], monthly_spec(view.monthly, "", "", _what(ctype)), "", type_spec(view.by_type, "", False), \
            "", None, view.definition
    period = period_label(view.first, view.last)
    what = f"{_what(ctype)}, {view.area_name}"
    monthly = monthly_spec(view.monthly, view.first, view.last, what)
    types = type_spec(view.by_type, f"{view.area_name}, {period}", view.comparable, ctype)
    return (_facts(view), monthly, describe_monthly(view.monthly, what, view.first, view.last), types,
            describe_types(view.by_type, period, view.comparable),
            _tables(view, period), view.definition)


@callback(Output("crime-year", "value"), Output("crime-month-from", "value"), Output("crime-month-to", "value"),
          Input("crime-year", "value"), Input("crime-month-from", "value"), Input("crime-month-to", "value"))
def year_and_months(year: str | None, month_from: str | None, month_to: str | None) -> tuple:
    """Keep the year select and the From and To selects in step: choosing a financial year sets its months
    (those with data); choosing months shows their financial year, or "months chosen" when they are not one."""
    months = crime_choices(engine()).months
    if ctx.triggered_id == "crime-year" and year != CUSTOM:
        first, last = fy_period(str(year or "")[:7], months)
        return no_update, first or no_update, last or no_update
    f, _ctype, _area = _choice(month_from, month_to, "", "")
    shown = _year_of(f.month_from, f.month_to, months)
    return (shown if shown != year else no_update), no_update, no_update


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
    months = crime_choices(engine()).months
    default_first, default_last = page_period(list(months))
    current = parse_qsl((search or "").lstrip("?"))
    params = [(k, v) for k, v in current if k not in PARAMS]
    year = _year_of(f.month_from, f.month_to, months)
    if year != CUSTOM and (year != fy_of_period(default_last) or ("fy", year) in current):
        params.append(("fy", year))  # a financial year: other pages open on it too
    elif (f.month_from, f.month_to) != (default_first, default_last):
        params += [("month_from", f.month_from), ("month_to", f.month_to)]
    if area_code:
        params.append(("area", area_code))
    if ctype:
        params.append(("crime_type", ctype))
    return no_update if sorted(params) == sorted(current) else ("?" + urlencode(params) if params else "")
