"""A KPI card: value for the view, target, share reached, status, change on last year, trend."""

from __future__ import annotations

from dash import dcc, html

from analysis.disclosure import SUPPRESSED, SUPPRESSED_TITLE
from analysis.stocks import STOCK_AGGREGATIONS
from charts.kpi import sparkline
from charts.kpi_text import STARTS_NOTE, basis_text, counted_as, measure_label, shares_text
from charts.theme import format_value

STATUS_CLASS = {"on track": "status-on", "at risk": "status-risk", "off track": "status-off",
                "no target": "status-none"}


def _figure(value: object) -> float | None:
    """Missing figures arrive as None or NaN from the DataFrame; treat both as 'no figure'."""
    return None if value is None or value != value else float(value)


WARNING_KIND = {"history": "far from this project's own history", "limit": "above the metric's monthly limit",
                "combination": "an unlikely combination of figures"}


def accepted_note(accepted: list[dict[str, str]], card_id: str) -> html.Details | None:
    """The card's marked note: figures in it accepted against a plausibility warning, opening to the
    reasons kept with their batches (month, area, why it looked wrong, the reason, who and when)."""
    if not accepted:
        return None
    n = len(accepted)
    items = [html.Li([html.Strong(f"{a['period']}, {a['area']}: "), f"{WARNING_KIND.get(a['kind'], a['kind'])}; "
                      f"accepted by {a['accepted_by']} on {a['accepted_at']}: ", html.Q(a["reason"])])
             for a in accepted]
    return html.Details([
        html.Summary([html.Span("⚠", **{"aria-hidden": "true"}),
                      f" {n} figure{'s' if n != 1 else ''} accepted against a warning"],
                     className="kpi-accepted-summary"),
        html.Ul(items, className="kpi-accepted-reasons"),
    ], className="kpi-accepted", id=f"{card_id}-accepted")


def kpi_card(row: dict, trend, card_id: str,  # noqa: ANN001 - DataFrame
             accepted: list[dict[str, str]] | None = None) -> html.Article:
    row = {**row, **{k: _figure(row[k]) for k in ("target", "share", "change_pct", "previous", "expected")}}
    unit = row["unit"]
    share = row["share"]
    change = row["change_pct"]
    status = row["status"]
    hidden = unit == "people" and _figure(row["value"]) is None  # a small count of people: not shown
    change_text = "no comparison with a year earlier" if change is None else (
        f"{'up' if change >= 0 else 'down'} {abs(change):.0f}% on the same period last year")
    shares = shares_text(share, row.get("share_to_date"), row.get("months_in_period") == 12,
                         row.get("aggregation") in STOCK_AGGREGATIONS)
    target_text = "no target set" if row["target"] is None else (
        f"target {format_value(row['target'], unit)} · {shares}" if shares
        else f"target {format_value(row['target'], unit)}")
    trend_desc = (f"Monthly trend of {row['name']} over the last {len(trend)} months, from "
                  f"{format_value(trend['value'].iloc[0], unit)} to {format_value(trend['value'].iloc[-1], unit)}."
                  if len(trend) else "No monthly data.")
    return html.Article([
        html.H3(measure_label(row["name"], unit, row.get("aggregation", "sum")), className="kpi-title",
                title=STARTS_NOTE if counted_as(unit, row.get("aggregation", "sum")) == "starts" else None),
        html.P(html.Abbr(SUPPRESSED, title=SUPPRESSED_TITLE) if hidden else format_value(row["value"], unit),
               className="kpi-value"),
        html.P(target_text, className="kpi-target"),
        html.P(html.Span(status, className=f"status {STATUS_CLASS.get(status, '')}"), className="kpi-status"),
        accepted_note(accepted or [], card_id),
        html.P(basis_text(row.get("expected_basis")), className="kpi-basis"),
        html.P(change_text, className="kpi-change"),
        html.Figure([
            dcc.Graph(figure=sparkline(trend, row["name"]), config={"displayModeBar": False, "staticPlot": True},
                      className="sparkline", style={"height": "70px"}),
            html.Figcaption(trend_desc, className="visually-hidden"),
        ], className="kpi-trend"),
        html.P(f"Since April 2019: {format_value(row['total_since_2019'], unit)}", className="kpi-total"),
    ], className="kpi-card", id=card_id, **{"aria-label": row["name"]})
