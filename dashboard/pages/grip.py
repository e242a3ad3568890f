"""Grip patrols: is crime lower at the hotspots on days with a patrol? ``offence_group=`` and
``measure=count|harm`` are in the URL so the view can be shared.

The estimates are computed at load time and cached per data version (service.grip), so the
callback only formats them; the map is drawn on plain axes, so nothing is fetched from outside.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html, no_update
from sqlalchemy import Engine

from analysis.grip import ALL_GROUPS, FEW_CRIMES, POOLED
from analysis.numbers import float_or_nan
from charts.grip import (
    describe_change,
    describe_dosage,
    describe_forest,
    describe_map,
    dosage_chart,
    fmt_p,
    fmt_ratio,
    forest_plot,
    hotspot_map,
    map_bbox,
    table_html,
)
from dashboard.components.graph import graph_config
from dashboard.engine import engine
from service.cache import cached
from service.grip import (
    GROUP_LABELS,
    GROUPS,
    MEASURE_LABELS,
    ChoiceError,
    GripView,
    district_outlines,
    grip_view,
    parse_measure,
    parse_offence_group,
)

dash.register_page(__name__, path="/grip", title="Grip patrols - Essex VVU outcomes", name="Grip patrols", order=7)



def _choice(parse, value: object, default: str) -> str:  # noqa: ANN001 - a service parse function
    try:
        return parse(value)
    except ChoiceError:
        return default  # a bad link falls back to the default view


def layout(offence_group: str | None = None, measure: str | None = None, **_query: str) -> html.Div:
    group = _choice(parse_offence_group, offence_group, ALL_GROUPS)
    shown = _choice(parse_measure, measure, "count")
    return html.Div([
        html.H1("Grip hotspot patrols"),
        html.P(["Is recorded crime lower at the Grip hotspots on days with a patrol than on days without one? "
                "Each hotspot's patrol days are compared with its own days without a patrol. The Home Office funds "
                "Grip patrols on evidence of this kind: in Southend-on-Sea in 2020, violent crime in the 20 "
                "highest-crime hotspots was 73% lower, and street crime 31% lower, on patrol days than on days "
                "without patrols."], className="lead"),
        html.Div([
            html.Div(html.Label([
                html.Span("Offence group", className="form-label"),
                dbc.Select(id="grip-offence", value=group,
                           options=[{"label": GROUP_LABELS[g], "value": g} for g in GROUPS]),
            ]), className="filter"),
            html.Fieldset([
                html.Legend("Count crimes as", className="form-label"),
                dbc.RadioItems(id="grip-measure", value=shown, inline=True,
                               options=[{"label": label, "value": m} for m, label in MEASURE_LABELS.items()]),
            ], className="filter grip-measure"),
            html.Div(dcc.Link("Reset", href="/grip", refresh=True, className="reset-link"),
                     className="filter filter-reset"),
        ], className="filter-bar page-controls", role="group", **{"aria-label": "Grip options"}),
        html.Div(id="grip-body", **{"aria-live": "polite"}),
        _caveats(),
        _method(),
    ], className="page page-grip")


@callback(Output("url-sync", "search", allow_duplicate=True), Input("grip-offence", "value"),
          Input("grip-measure", "value"), State("url-sync", "search"), prevent_initial_call=True)
def controls_to_url(group: str | None, measure: str | None, search: str | None) -> str:
    """Put the offence group and measure in the address so the view can be shared."""
    current = parse_qsl((search or "").lstrip("?"))
    group = _choice(parse_offence_group, group, ALL_GROUPS)
    measure = _choice(parse_measure, measure, "count")
    given = dict(current)
    if "offence_group" not in given and "measure" not in given and (group, measure) == (ALL_GROUPS, "count"):
        return no_update  # the default view keeps a clean address
    params = [(k, v) for k, v in current if k not in ("offence_group", "measure")]
    params += [("offence_group", group), ("measure", measure)]
    new = "?" + urlencode(params)
    return no_update if new == (search or "") else new


@callback(Output("grip-body", "children"), Input("grip-offence", "value"), Input("grip-measure", "value"))
def render(group: str | None, measure: str | None) -> list:
    return _body(engine(), _choice(parse_offence_group, group, ALL_GROUPS), _choice(parse_measure, measure, "count"))


@cached
def _body(eng: Engine, group: str, measure: str) -> list:
    """The page body for one view, built once per data version: building plotly figures and the table
    takes ~100 ms, replaying the cached components a few (see the timing in tests/e2e/test_grip_page.py)."""
    view = grip_view(eng, group, measure)
    if not view.pooled:
        return [html.P("No Grip hotspot, patrol and incident data have been loaded yet (files hotspots.csv, "
                       "patrols.csv and incidents.csv; see the data formats).")]
    return [*_headline(view), *_charts(view), *_table(view), *_dosage(view)]


# ------------------------------------------------------------------------------------------------
# Pieces
# ------------------------------------------------------------------------------------------------

def _plain(fig: go.Figure) -> dict:
    """The figure as a dict, so a cached body is not re-validated and re-copied by plotly on every request."""
    return fig.to_plotly_json()


def _subject(view: GripView) -> str:
    return "recorded crime" if view.offence_group == ALL_GROUPS else f"recorded {view.offence_group} offences"


def _verb(view: GripView, harm: bool) -> str:
    return "was" if harm or view.offence_group == ALL_GROUPS else "were"


def _interval(row: dict) -> str:
    if math.isnan(float_or_nan(row.get("ci_low"))):
        return "no interval"
    return f"95% confidence interval {fmt_ratio(row['ci_low'])} to {fmt_ratio(row['ci_high'])}"


def _date(value: object) -> str:
    return f"{value:%-d %B %Y}" if hasattr(value, "strftime") else "–"


def _headline(view: GripView) -> list:
    p, nd = view.pooled, view.pooled_next_day
    harm = view.measure == "harm"
    subject = "crime harm" if harm else _subject(view)
    hotspots = len(view.effect) - 1
    if math.isnan(float_or_nan(p["rate_ratio"])):
        sentence = [f"No pooled estimate for {subject}: {p['note']}."]
    else:
        sentence = [f"On patrol days, {subject} at the {hotspots} hotspots {_verb(view, harm)} ",
                    html.Strong(describe_change(p["pct_change"])),
                    f" than on days without a patrol (rate ratio {fmt_ratio(p['rate_ratio'])}, {_interval(p)}; "
                    f"p {'< 0.001' if float_or_nan(p['p_value']) < 0.001 else '= ' + fmt_p(p['p_value'])})."]
        low, high = float_or_nan(p["ci_low"]), float_or_nan(p["ci_high"])
        if low <= 1 <= high:
            sentence.append(" The interval includes 1 (no difference), so chance alone could explain a difference "
                            "this size.")
        elif high < 1:
            sentence.append(" The whole interval is below 1: a difference this size is unlikely to be chance alone.")
    unit, fmt = ("days of harm", ",.1f") if harm else ("crimes", ",.2f")
    days = int(p["patrol_days"]) + int(p["non_patrol_days"])
    facts = html.Ul([
        html.Li([html.Strong("Study period: "), f"{_date(view.window_start)} to {_date(view.window_end)} "
                 f"({days:,} hotspot-days: {int(p['patrol_days']):,} with a patrol, "
                 f"{int(p['non_patrol_days']):,} without)."]),
        html.Li([html.Strong("Per hotspot-day: "),
                 f"{float_or_nan(p['mean_patrol']):{fmt}} {unit} on patrol days "
                 f"({float_or_nan(p['crimes_patrol']):,.0f} in all) against {float_or_nan(p['mean_non_patrol']):{fmt}} "
                 f"on days without ({float_or_nan(p['crimes_non_patrol']):,.0f}). "
                 "These plain averages mix hotspots, and busier hotspots are patrolled more often, so the rate "
                 "ratio, which compares each hotspot only with itself, is the fairer measure."]),
        html.Li([html.Strong("Patrol time: "), f"{float_or_nan(p['patrol_minutes']):,.0f} minutes "
                 f"({float_or_nan(p['patrol_minutes']) / max(int(p['patrol_days']), 1):,.0f} per patrol day)."]),
        html.Li([html.Strong("Incidents: "), f"{view.incidents.get('total', 0):,} loaded; "
                 f"{view.incidents.get('derived', 0):,} placed in a hotspot by their position, "
                 f"{view.incidents.get('none', 0):,} outside every hotspot (not counted here)."]),
    ], className="grip-facts")
    if math.isnan(float_or_nan(nd.get("rate_ratio"))):
        carry = f"The day after a patrol: no estimate ({nd.get('note') or 'no data'})."
    else:
        carry = (f"The day after a patrol (itself without a patrol), {subject} {_verb(view, harm)} "
                 f"{describe_change(nd['pct_change'])} than on other days without a patrol (rate ratio "
                 f"{fmt_ratio(nd['rate_ratio'])}, {_interval(nd)}).")
    carry += (" If patrols keep deterring crime into the next day (residual deterrence), some of the 'days without "
              "a patrol' are quieter because of patrols, and the plain patrol-day comparison above understates "
              "their effect: it is conservative.")
    notes = [html.P(n, className="footnote grip-note", role="note") for n in view.notes]
    if harm:
        weights = "; ".join(f"{g} {w:,.0f}" for g, w in sorted(view.weights.items(), key=lambda x: -x[1]))
        notes.append(html.P(f"Each crime counts as its harm weight (illustrative days of imprisonment): {weights}.",
                            className="footnote grip-note"))
    return [
        html.Section([
            html.H2(f"{GROUP_LABELS[view.offence_group]}: patrol days against days without a patrol"),
            *notes,
            html.P(sentence, className="grip-headline", id="grip-headline"),
            facts,
            html.P(carry, id="grip-next-day"),
        ], className="grip-summary", **{"aria-label": "Pooled effect"}),
    ]


def _charts(view: GripView) -> list:
    label = GROUP_LABELS[view.offence_group]
    outlines = district_outlines(map_bbox(view.hotspots)) if not view.hotspots.empty else []
    subject = "crime harm" if view.measure == "harm" else _subject(view)
    forest = forest_plot(view.effect, f"Rate ratio by hotspot, {label.lower()}"
                         + (" (harm-weighted)" if view.measure == "harm" else ""),
                         "Rate ratio, patrol days ÷ days without (log scale)")
    return [html.Div([
        html.Figure([
            dcc.Graph(id="grip-map", figure=_plain(hotspot_map(view.hotspots, outlines, label)),
                      config=graph_config("grip-hotspots-map")),
            html.Figcaption(describe_map(view.hotspots, label), className="visually-hidden"),
        ], className="chart-card grip-map"),
        html.Figure([
            dcc.Graph(id="grip-forest", figure=_plain(forest), config=graph_config("grip-effect")),
            html.Figcaption(["Below 1: fewer per day on patrol days. Squares are hotspots with their 95% "
                             "intervals; the diamond is the pooled estimate. ",
                             html.Span(describe_forest(view.effect, subject), className="visually-hidden")],
                            className="chart-alt"),
        ], className="chart-card grip-forest"),
    ], className="grip-charts")]


def _cell(value: object, fmt: str) -> str:
    v = float_or_nan(value)
    return "–" if math.isnan(v) else format(v, fmt)


TABLE_HEADERS = ["Hotspot", "Patrol days", "Days without", "{what} on patrol days", "{what} on days without",
                 "Per patrol day", "Per day without", "Difference", "Rate ratio (95% CI)", "p-value", "Patrol minutes",
                 "Note"]


def _table(view: GripView) -> list:
    harm = view.measure == "harm"
    headers = [h.format(what="Harm" if harm else "Crimes") for h in TABLE_HEADERS]
    rows = []
    for r in view.effect.to_dict("records"):
        pooled = r["hotspot_id"] == POOLED
        ratio = fmt_ratio(r["rate_ratio"])
        if not math.isnan(float_or_nan(r["ci_low"])):
            ratio += f" ({fmt_ratio(r['ci_low'])} to {fmt_ratio(r['ci_high'])})"
        name = r["hotspot_name"] if pooled else f"{r['hotspot_name']} ({r['hotspot_id']})"
        rows.append(([name, f"{int(r['patrol_days'])}", f"{int(r['non_patrol_days'])}",
                      _cell(r["crimes_patrol"], ",.0f"), _cell(r["crimes_non_patrol"], ",.0f"),
                      _cell(r["mean_patrol"], ",.2f"), _cell(r["mean_non_patrol"], ",.2f"),
                      describe_change(r["pct_change"]), ratio, fmt_p(r["p_value"]),
                      _cell(r["patrol_minutes"], ",.0f"), r["note"] or ""], pooled))
    caption = (f"{GROUP_LABELS[view.offence_group]}{' (harm-weighted)' if harm else ''} by hotspot: patrol days "
               "against days without a patrol; the pooled row (hotspot fixed effects) is last")
    return [
        html.H2("By hotspot"),
        html.P(f"A hotspot's own interval is wide: most have only a few crimes a month. Fewer than {FEW_CRIMES} "
               "crimes is flagged. A hotspot patrolled every day, or with no crimes, has no comparison and no "
               "estimate; the pooled estimate still uses every other hotspot.", className="footnote"),
        html.Div(dcc.Markdown(table_html(caption, headers, rows), dangerously_allow_html=True, id="grip-table"),
                 className="table-scroll", tabIndex=0, role="region", **{"aria-label": "Effect by hotspot"}),
    ]


def _dosage(view: GripView) -> list:
    return [
        html.H2("Patrol dosage"),
        html.P("Grip patrols are short, frequent visits (around 15 minutes, the 'Koper curve'). Dosage is the patrol "
               "time each week, summed over hotspots; a fall in dosage is worth checking before reading the effect.",
               className="footnote"),
        html.Figure([
            dcc.Graph(id="grip-dosage", figure=_plain(dosage_chart(view.weekly)),
                      config=graph_config("grip-dosage")),
            html.Figcaption(describe_dosage(view.weekly), className="chart-alt"),
        ], className="chart-card"),
    ]


def _caveats() -> html.Section:
    return html.Section([
        html.H2("Read with care"),
        html.Ul([
            html.Li([html.Strong("Regression to the mean. "), "Hotspots are chosen because crime there was high. "
                     "High counts tend to fall back towards normal on their own, with or without patrols. Comparing "
                     "patrol days with other days in the same period, at the same hotspot, guards against much of "
                     "this, but not all."]),
            html.Li([html.Strong("Residual deterrence. "), "Patrols may keep crime down after officers leave, "
                     "including the next day. Those quieter days count as 'without a patrol', so the plain comparison "
                     "understates the effect. The day-after comparison above shows whether this happens."]),
            html.Li([html.Strong("Displacement. "), "Crime may move round the corner rather than stop. A fall inside "
                     "a hotspot is not a fall overall; crime just outside the hotspots is not shown here. (Studies "
                     "more often find benefits spreading to nearby streets than crime moving, but it is not "
                     "guaranteed.)"]),
            html.Li([html.Strong("Small numbers. "), "A single hotspot has few crimes, so its own figure can swing "
                     "widely by chance. Trust the pooled estimate and the intervals more than any one hotspot's "
                     "percentage."]),
            html.Li([html.Strong("Patrols are not allocated at random. "), "Officers may patrol on days they expect "
                     "trouble (making patrols look less effective) or when they are free on quiet days (making them "
                     "look more effective). Comparing each hotspot with itself removes differences between places, "
                     "not between days. Only randomly allocated patrol days would remove this doubt."]),
            html.Li([html.Strong("Recording, not all crime. "), "These are crimes recorded by police. Patrols can "
                     "raise recording (officers see and report more), which is why drugs offences, mostly found by "
                     "officers, often rise on patrol days."]),
        ]),
    ], className="grip-caveats", **{"aria-label": "Caveats"})


def _method() -> html.Details:
    return html.Details([
        html.Summary("How this is worked out"),
        html.P("The unit is the hotspot-day: every hotspot, every day from the first to the last day that both the "
               "patrol log and the incident data cover. A day with at least one patrol visit is a patrol day. An "
               "incident without a hotspot is placed in the nearest hotspot whose circle contains it (great-circle "
               "distance), or in none."),
        html.P("The rate ratio is crimes per day on patrol days divided by crimes per day on days without. The "
               "pooled figure comes from a Poisson regression of daily counts with a separate baseline for each "
               "hotspot (hotspot fixed effects), so each hotspot is compared with itself. Crime counts vary more "
               "from day to day than a Poisson model expects, so each interval uses the wider of two standard "
               "errors that allow for this (quasi-Poisson and the robust 'sandwich' error), never narrower "
               "than Poisson. Tested on simulated data with a known effect, 94% of these 95% intervals "
               "contained the true value. Intervals are 95% Wald intervals; the p-value tests a rate ratio "
               "of 1. The difference shown is (rate ratio − 1) × 100%."),
        html.P("'Crime harm' weights each crime by its seriousness, in days of imprisonment in the style of the "
               "Cambridge Crime Harm Index, from the loaded file crime_harm_weights.csv. The weights shipped with "
               "the dashboard (data/reference/crime_harm_weights.csv) are illustrative, not the official index; "
               "load the partnership's own to replace them."),
    ], className="grip-method")
