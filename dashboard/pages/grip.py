"""Grip patrols: is crime lower at the hotspots on days with a patrol? ``offence_group=``,
``measure=count|harm`` and ``operation=all|N`` are in the URL so the view can be shared.

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

from analysis.grip import ALL_GROUPS, ALL_OPERATIONS, FEW_CRIMES, OFFENCE_GROUPS, POOLED
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
    operations,
    parse_measure,
    parse_offence_group,
    parse_operation,
)

dash.register_page(__name__, path="/grip", title="Grip patrols - Essex VVU outcomes", name="Grip patrols", order=7)



def _choice(parse, value: object, default: str) -> str:  # noqa: ANN001 - a service parse function
    try:
        return parse(value)
    except ChoiceError:
        return default  # a bad link falls back to the default view


SOUTHEND_PAPER = "https://doi.org/10.1007/s41887-021-00067-2"
ROWAN_PAPER = "https://doi.org/10.1007/s41887-021-00066-3"


def _operation_options() -> list[dict[str, str]]:
    """"All operations" and one option per operation in the loaded data."""
    try:
        ops = operations(engine())
    except Exception:  # noqa: BLE001 - no Grip tables yet: offer "all" only, the body says what is missing
        ops = None
    options = [{"label": "All operations", "value": ALL_OPERATIONS}]
    if ops is not None:
        options += [{"label": label, "value": op} for op, label in zip(ops["operation"], ops["label"], strict=True)]
    return options


def layout(offence_group: str | None = None, measure: str | None = None, operation: str | None = None,
           **_query: str) -> html.Div:
    group = _choice(parse_offence_group, offence_group, ALL_GROUPS)
    shown = _choice(parse_measure, measure, "count")
    options = _operation_options()
    op = _choice(parse_operation, operation, ALL_OPERATIONS)
    if op not in {o["value"] for o in options}:
        op = ALL_OPERATIONS  # a link to an operation that no longer exists shows all of them
    return html.Div([
        html.H1("Grip hotspot patrols"),
        html.P(["Is recorded crime lower at the Grip hotspots on days with a patrol than on days without one? "
                "Each hotspot is compared only with itself, over its own period, on the same days of the week. "
                "Published figures from the Southend trial are quoted at the foot of the page as reference, "
                "apart from this dashboard's own numbers."], className="lead"),
        html.Div([
            html.Div(html.Label([
                html.Span("Operation", className="form-label"),
                dbc.Select(id="grip-operation", value=op, options=options),
            ]), className="filter"),
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


KEYS = ("operation", "offence_group", "measure")


@callback(Output("url-sync", "search", allow_duplicate=True), Input("grip-offence", "value"),
          Input("grip-measure", "value"), Input("grip-operation", "value"), State("url-sync", "search"),
          prevent_initial_call=True)
def controls_to_url(group: str | None, measure: str | None, operation: str | None, search: str | None) -> str:
    """Put the operation, offence group and measure in the address so the view can be shared."""
    current = parse_qsl((search or "").lstrip("?"))
    group = _choice(parse_offence_group, group, ALL_GROUPS)
    measure = _choice(parse_measure, measure, "count")
    operation = _choice(parse_operation, operation, ALL_OPERATIONS)
    given = dict(current)
    if not any(k in given for k in KEYS) and (group, measure, operation) == (ALL_GROUPS, "count", ALL_OPERATIONS):
        return no_update  # the default view keeps a clean address
    params = [(k, v) for k, v in current if k not in KEYS]
    params += [("operation", operation), ("offence_group", group), ("measure", measure)]
    new = "?" + urlencode(params)
    return no_update if new == (search or "") else new


@callback(Output("grip-body", "children"), Input("grip-offence", "value"), Input("grip-measure", "value"),
          Input("grip-operation", "value"))
def render(group: str | None, measure: str | None, operation: str | None = None) -> list:
    return _body(engine(), _choice(parse_offence_group, group, ALL_GROUPS), _choice(parse_measure, measure, "count"),
                 _choice(parse_operation, operation, ALL_OPERATIONS))


@cached
def _body(eng: Engine, group: str, measure: str, operation: str = ALL_OPERATIONS) -> list:
    """The page body for one view, built once per data version: building plotly figures and the table
    takes ~100 ms, replaying the cached components a few (see the timing in tests/e2e/test_grip_page.py)."""
    view = grip_view(eng, group, measure, operation)
    if not view.pooled:
        return [html.P("No Grip hotspot, patrol and incident data have been loaded yet (files hotspots.csv, "
                       "patrols.csv and incidents.csv; see the data formats)." if operation == ALL_OPERATIONS else
                       f"There is no operation {operation} in the loaded data: choose another operation.")]
    return [*_headline(view), *_charts(view), *_table(view), *_displacement(view), *_dosage(view),
            _reference()]


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


def _p_text(value: object) -> str:
    v = float_or_nan(value)
    return "p < 0.001" if v < 0.001 else f"p = {fmt_p(v)}"


def _ratio_sentence(row: dict, lead: str, subject: str, verb: str, reference: str) -> list:
    """'<lead>, <subject> <verb> N% lower than <reference> (rate ratio, interval; p)' and what the
    interval says about chance."""
    if math.isnan(float_or_nan(row.get("rate_ratio"))):
        return [f"{lead}: no estimate for {subject} ({row.get('note') or 'no data'})."]
    out = [f"{lead}, {subject} {verb} ", html.Strong(describe_change(row["pct_change"])),
           f" than {reference} (rate ratio {fmt_ratio(row['rate_ratio'])}, {_interval(row)}; "
           f"{_p_text(row['p_value'])})."]
    low, high = float_or_nan(row["ci_low"]), float_or_nan(row["ci_high"])
    if low <= 1 <= high:
        out.append(" The interval includes 1 (no difference), so chance alone could explain a difference this size.")
    elif high < 1 or low > 1:
        out.append(" The whole interval is on one side of 1: a difference this size is unlikely to be chance alone.")
    return out


def _design(view: GripView) -> html.P:
    if view.randomised:
        return html.P([html.Strong("Design: randomised assignment. "),
                       "A patrol plan is loaded: each hotspot-day was assigned a patrol or not by the plan. The "
                       "comparison of assigned with unassigned days (intention to treat), first below, is the fair "
                       "test; the comparison of days that were actually patrolled follows it."],
                      className="grip-design", id="grip-design", role="note")
    return html.P([html.Strong("Design: patrols were not allocated at random. "),
                   "These numbers compare days that happened to be patrolled with days that were not, in the same "
                   "places. That is weaker evidence than a randomised trial (such as Southend's, quoted at the foot "
                   "of the page): officers may patrol on days they expect trouble, or when they are free. Load a "
                   "patrol plan (patrol_plan.csv) to have the randomised comparison."],
                  className="grip-design", id="grip-design", role="note")


def _headline(view: GripView) -> list:
    p, nd = view.pooled, view.pooled_next_day
    harm = view.measure == "harm"
    subject = "crime harm" if harm else _subject(view)
    n = view.hotspots_modelled
    sentence = _ratio_sentence(p, "On patrol days", f"{subject} at the {n} hotspot{'s' if n != 1 else ''} modelled",
                               _verb(view, harm), "on days with no patrol that day or the day before")
    unit, fmt = ("days of harm", ",.1f") if harm else ("crimes", ",.2f")
    left_out = "; ".join(f"{name} ({h}): {why}" for h, name, why in view.excluded)
    modelled = [html.Strong("Modelled: "), f"{n} of {view.hotspots_total} hotspots, "
                f"{view.days_modelled:,} hotspot-days ({int(p['patrol_days']):,} with a patrol, "
                f"{int(p['non_patrol_days']):,} with no patrol that day or the day before, the rest the day after "
                "a patrol)."]
    if left_out:
        modelled.append(f" Left out, with the reason: {left_out}.")
    facts = html.Ul([
        html.Li(modelled, id="grip-modelled"),
        html.Li([html.Strong("Study period: "), f"each hotspot over its own period (active dates, or the span of its "
                 f"patrol log); in this view {_date(view.window_start)} to {_date(view.window_end)}. The table "
                 "gives each hotspot's period."]),
        html.Li([html.Strong("Per hotspot-day: "),
                 f"{float_or_nan(p['mean_patrol']):{fmt}} {unit} on patrol days "
                 f"({float_or_nan(p['crimes_patrol']):,.0f} in all) against {float_or_nan(p['mean_non_patrol']):{fmt}} "
                 f"on the days compared with ({float_or_nan(p['crimes_non_patrol']):,.0f}). "
                 "These plain averages mix hotspots and days of the week, so the rate ratio, which compares each "
                 "hotspot only with itself on the same days of the week, is the fairer measure."]),
        html.Li([html.Strong("Patrol time: "), f"{float_or_nan(p['patrol_minutes']):,.0f} minutes "
                 f"({float_or_nan(p['patrol_minutes']) / max(int(p['patrol_days']), 1):,.0f} per patrol day)."]),
        html.Li([html.Strong("Incidents: "), f"{view.incidents.get('total', 0):,} loaded; "
                 f"{view.incidents.get('derived', 0):,} placed in a hotspot by their position, "
                 f"{view.incidents.get('none', 0):,} outside every hotspot (not counted here, but some are in the "
                 "displacement rings below)."]),
    ], className="grip-facts")
    carry = _ratio_sentence(nd, "The day after a patrol (itself without a patrol)", subject, _verb(view, harm),
                            "on days with no patrol that day or the day before")
    carry.append(" Patrol days are compared with days that had no patrol the day before either, so any lingering "
                 "deterrence does not make the reference days look quieter.")
    notes = [html.P(n, className="footnote grip-note", role="note") for n in view.notes]
    if harm:
        weights = "; ".join(f"{g} {w:,.0f}" for g, w in sorted(view.weights.items(), key=lambda x: -x[1]))
        notes.append(html.P(f"Each crime counts as its harm weight (illustrative days of imprisonment): {weights}.",
                            className="footnote grip-note"))
    if view.offence_group != ALL_GROUPS:
        notes.append(html.P(f"Many comparisons: {len(OFFENCE_GROUPS)} offence groups can be chosen here, and with "
                            "that many, one may show a difference by chance alone. Give more weight to all offences "
                            "and to groups chosen before the data were seen (violence, for Grip).",
                            className="footnote grip-note", role="note"))
    heading = "patrol days against days without a patrol"
    return [
        html.Section([
            html.H2(f"{GROUP_LABELS[view.offence_group]}: {heading}"),
            _design(view),
            *notes,
            *_itt(view),
            html.P(sentence, className="grip-headline", id="grip-headline"),
            facts,
            html.P(carry, id="grip-next-day"),
        ], className="grip-summary", **{"aria-label": "Pooled effect"}),
    ]


def _itt(view: GripView) -> list:
    """Intention to treat from the patrol plan, with compliance, when a plan is loaded."""
    if not view.randomised:
        return []
    harm = view.measure == "harm"
    subject = "crime harm" if harm else _subject(view)
    c = view.compliance
    share = c.get("assigned_patrolled", 0) / max(c.get("assigned_days", 0), 1)
    off = c.get("unassigned_patrolled", 0) / max(c.get("unassigned_days", 0), 1)
    sentence = _ratio_sentence(view.pooled_itt, "On days the plan assigned a patrol", subject, _verb(view, harm),
                               "on days it did not, whatever was delivered")
    return [html.Div([
        html.P(sentence, id="grip-itt", className="grip-headline"),
        html.P([html.Strong("Compliance: "),
                f"{c.get('assigned_patrolled', 0):,} of {c.get('assigned_days', 0):,} assigned days were patrolled "
                f"({share:.0%}); {c.get('unassigned_patrolled', 0):,} of {c.get('unassigned_days', 0):,} unassigned "
                f"days were patrolled anyway ({off:.0%}). Missed and extra patrols pull the assigned-day comparison "
                "towards no difference, so it understates the effect of a patrol that happens; in exchange it "
                "keeps the protection of random assignment, which the delivered-patrol comparison below does "
                "not have. The comparison of days actually patrolled follows."], id="grip-compliance"),
    ], className="grip-itt")]


def _displacement(view: GripView) -> list:
    r = view.pooled_ring
    if not r:
        return []
    inner, outer = view.ring_inner_m, view.ring_outer_m
    ring = f"{inner:,.0f} m to {outer:,.0f} m beyond each hotspot's edge"
    sentence = _ratio_sentence(r, "On patrol days", f"recorded crime in the ring {ring}", "was",
                               "on days with no patrol that day or the day before")
    ratio, low, high = (float_or_nan(r.get(k)) for k in ("rate_ratio", "ci_low", "ci_high"))
    if math.isnan(low):
        reading = "There is too little crime in the rings for an answer."
    elif low > 1:
        reading = "Crime rose round the corner on patrol days: a sign of displacement."
    elif high < 1:
        reading = "Crime also fell round the corner on patrol days: the benefit spread (diffusion of benefits)."
    else:
        reading = ("No clear sign either way: the interval includes 1, so this data show neither crime moving round "
                   "the corner nor the benefit spreading, within the precision the interval gives.")
    return [html.Section([
        html.H2("Displacement: did crime move round the corner?"),
        html.P(sentence, id="grip-ring"),
        html.P([reading, f" Ring crimes: {float_or_nan(r.get('exposed_total')):,.0f} on patrol days, "
                f"{float_or_nan(r.get('reference_total')):,.0f} on the reference days. A crime inside any hotspot is "
                "never a ring crime; one in two rings counts for both hotspots. The ring's size is set by "
                "GRIP_RING_INNER_M and GRIP_RING_OUTER_M."], className="footnote"),
        html.P(["For comparison, not the same data: Bedfordshire Police's randomised Operation Rowan trial found no "
                "displacement of crime into 100 m buffers around its patrolled areas (",
                html.A("Cambridge Journal of Evidence-Based Policing, 2021", href=ROWAN_PAPER), ")."],
               className="footnote"),
    ], className="grip-displacement", **{"aria-label": "Displacement"})]


def _reference() -> html.Section:
    return html.Section([
        html.H2("Reference figures: the Southend trial (published, not this data)"),
        html.P(["In Southend-on-Sea in 2020, each of 20 hotspots was assigned at random, day by day, to a patrol or "
                "none for 90 days, and the assigned days were compared (a randomised trial). The Home Office's "
                "announcement of the national roll-out reported 73% less violent crime and 31% less street crime on "
                "patrol days than on days without (Home Office press release 'Forces given funding boost to "
                "increase roll out of hotspot policing', 17 September 2021). The trial's own paper reports crime "
                "harm rather than counts (Basford and others, ",
                html.A("Cambridge Journal of Evidence-Based Policing, 2021", href=SOUTHEND_PAPER), ")."]),
        html.P("These are another programme's published results from random assignment. They are not computed from "
               "the data on this page, and a comparison of patrols that were not randomised is weaker evidence: "
               "do not read this dashboard's figures as the same kind of finding.", className="footnote"),
    ], className="grip-reference", **{"aria-label": "Reference figures"})


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


TABLE_HEADERS = ["Hotspot", "Period", "Patrol days", "Days compared with", "{what} on patrol days",
                 "{what} on days compared with", "Per patrol day", "Per day compared with", "Difference",
                 "Rate ratio (95% CI)", "p-value", "Patrol minutes", "Note"]


def _period(row: dict) -> str:
    start, end = row.get("period_start"), row.get("period_end")
    if not hasattr(start, "strftime") or not hasattr(end, "strftime"):
        return "–"
    nb = "\u00a0"  # each date stays on one line; the cell breaks only at "to"
    return f"{start:%-d{nb}%b{nb}%Y} to {end:%-d{nb}%b{nb}%Y}"


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
        rows.append(([name, _period(r), f"{int(r['patrol_days'])}", f"{int(r['non_patrol_days'])}",
                      _cell(r["crimes_patrol"], ",.0f"), _cell(r["crimes_non_patrol"], ",.0f"),
                      _cell(r["mean_patrol"], ",.2f"), _cell(r["mean_non_patrol"], ",.2f"),
                      describe_change(r["pct_change"]), ratio, fmt_p(r["p_value"]),
                      _cell(r["patrol_minutes"], ",.0f"), r["note"] or ""], pooled))
    caption = (f"{GROUP_LABELS[view.offence_group]}{' (harm-weighted)' if harm else ''} by hotspot: patrol days "
               "against days with no patrol that day or the day before; the pooled row is last")
    n = max(len(view.effect) - 1, 0)
    return [
        html.H2("By hotspot"),
        html.P(f"A hotspot's own interval is wide: most have only a few crimes a month. Fewer than {FEW_CRIMES} "
               "crimes is flagged. A hotspot patrolled every day, or with no crimes, has no comparison and no "
               "estimate; the pooled estimate still uses every other hotspot.", className="footnote"),
        html.P([html.Strong("Many comparisons. "),
                f"Each of these {n} hotspots has its own p-value. Even if patrols changed nothing, about 1 in 20 "
                f"would show p < 0.05 by chance alone (about {n / 20:.0f} of {n} here), so a single hotspot with a "
                "small p-value is not evidence on its own. Judge the programme by the pooled estimate."],
               className="footnote", id="grip-many", role="note"),
        html.Div(dcc.Markdown(table_html(caption, headers, rows, first_numeric=2), dangerously_allow_html=True,
                              id="grip-table"),
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
                     "including the next day. Days after a patrol are therefore kept apart: patrol days are compared "
                     "with days that had no patrol that day or the day before, and the day-after comparison above "
                     "shows whether the effect lingers. Longer-lasting effects would still make the comparison "
                     "conservative."]),
            html.Li([html.Strong("Displacement. "), "Crime may move round the corner rather than stop. A fall inside "
                     "a hotspot is not a fall overall: the displacement section compares crime in a ring round each "
                     "hotspot on patrol days and other days. (Studies more often find benefits spreading to nearby "
                     "streets than crime moving, but it is not guaranteed.)"]),
            html.Li([html.Strong("Small numbers. "), "A single hotspot has few crimes, so its own figure can swing "
                     "widely by chance. Trust the pooled estimate and the intervals more than any one hotspot's "
                     "percentage."]),
            html.Li([html.Strong("Unless patrol days were assigned at random. "), "Officers may patrol on days they "
                     "expect trouble (making patrols look less effective) or when they are free on quiet days (making "
                     "them look more effective). Comparing each hotspot with itself on the same days of the week and "
                     "in the same weeks removes differences between places and the calendar, not every difference "
                     "between days. Only randomly assigned patrol days (a patrol plan) remove this doubt, and only "
                     "the comparison of assigned days keeps that protection."]),
            html.Li([html.Strong("Recording, not all crime. "), "These are crimes recorded by police. Patrols can "
                     "raise recording (officers see and report more), which is why drugs offences, mostly found by "
                     "officers, often rise on patrol days."]),
        ]),
    ], className="grip-caveats", **{"aria-label": "Caveats"})


def _method() -> html.Details:
    return html.Details([
        html.Summary("How this is worked out"),
        html.P("The unit is the hotspot-day. Each hotspot is studied over its own period: its active dates from "
               "hotspots.csv, or where those are blank the first to the last day of its own patrol log (and plan), "
               "cut to the days the incident data cover. Days outside a hotspot's period are not in its data, so a "
               "hotspot of one year's operation is never padded with another year's quiet days. Hotspots whose "
               "periods overlap form one operation. A day with at least one patrol visit is a patrol day. An "
               "incident without a hotspot is placed in the nearest hotspot whose circle contains it (great-circle "
               "distance), or in none."),
        html.P("The rate ratio is crimes per day on patrol days divided by crimes per day on days with no patrol "
               "that day or the day before. The pooled figure comes from a Poisson regression of daily counts with a "
               "separate baseline for each hotspot, effects for the day of the week and the calendar week (patrols "
               "that favour Fridays, or busy weeks, are not credited with the calendar), and terms for patrol days "
               "and for days after a patrol. Per hotspot, the same terms with the hotspot's own day-of-week "
               "pattern. A hotspot with no crimes, or patrolled every day or never, tells nothing about the effect "
               "and is left out of the pooled model, with the reason shown."),
        html.P("Intervals allow for crime counts varying more than chance from day to day and for days of one "
               "hotspot being alike (weekly plans, spells of trouble): standard errors are clustered by hotspot "
               "(per hotspot, by calendar week) with a correction for few hotspots (CR2, with t critical values). "
               "In 400 simulated programmes for each of five designs (independent days, extra variation, weekly "
               "plans with lasting shocks, weekend-favouring patrols, next-day deterrence) and true ratios of 0.6 "
               "and 1.0, 93% to 96% of these 95% intervals contained the true value "
               "(bench/results/grip-coverage-*.md). The p-value tests a rate ratio of 1. The difference shown is "
               "(rate ratio − 1) × 100%."),
        html.P("With a patrol plan, the randomised comparison uses the same model with one term, for days assigned a "
               "patrol, over the planned hotspot-days. The displacement ring uses the same model as the patrol "
               "comparison on crimes in the ring."),
        html.P("'Crime harm' weights each crime by its seriousness, in days of imprisonment in the style of the "
               "Cambridge Crime Harm Index, from the loaded file crime_harm_weights.csv. The weights shipped with "
               "the dashboard (data/reference/crime_harm_weights.csv) are illustrative, not the official index; "
               "load the partnership's own to replace them."),
    ], className="grip-method")
