"""Figures for the board pack, built from a snapshot's frozen sections, and rendered to PNG offline.

Builders are pure (rows -> go.Figure plus a text alternative) on the lean theme in ``charts.theme``;
the funding chart is ``charts.funding``'s, shared with the funding page. ``render_png`` draws every
figure of a pack in the process's kept-open headless Chromium (``reporting.chart_browser``), which is
the system's ``/usr/bin/chromium`` and downloads nothing.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from analysis.disclosure import SUPPRESSED
from charts.kpi_text import SHARE_TO_DATE_LABEL
from charts.theme import PALETTE, STATUS_COLOURS, TARGET_COLOUR, base_figure, empty_figure
from reporting.chart_browser import BROWSER

WIDTH, HEIGHT = 900, 420
# In print every legend sits under the plot, below the axis title, so it can never overprint a title,
# a subtitle or the data; the bottom margin leaves it room.
LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.32, "yanchor": "top"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(period: str) -> str:
    """'2022-01' -> 'Jan 2022': whole, unambiguous and short enough to print at an angle."""
    year, month = str(period).split("-")[:2]
    return f"{MONTHS[int(month) - 1]} {year}"


def month_ticks(months: Sequence[str], most: int = 14) -> tuple[list[str], list[str]]:
    """Tick positions and whole labels for a month axis: every month, or every quarter's first month
    (or every 6th/12th) so that at most ``most`` labels are printed and none is thinned or cut by plotly."""
    step = next((s for s in (1, 3, 6, 12, 24) if len(months) / s <= most), 24)
    vals = [m for i, m in enumerate(months) if i % step == 0]
    return vals, [month_label(m) for m in vals]


def _wrap(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def priority_figure(rows: Sequence[dict], title: str) -> tuple[go.Figure, str]:
    """Each measure of a priority as % of its target for the months so far, coloured and labelled by status."""
    key = "share_to_date_pct"
    shown = [r for r in rows if isinstance(r.get(key), int | float)]
    no_target = [r["name"] for r in rows if r.get(key) is None]
    hidden = [r["name"] for r in rows if r.get(key) == SUPPRESSED]
    extra = []
    if no_target:
        extra.append("No target: " + ", ".join(no_target) + ".")
    if hidden:
        extra.append("Suppressed (small numbers): " + ", ".join(hidden) + ".")
    if not shown:
        fig = empty_figure(title, "No measure in this priority has a target to compare with.")
        fig.update_layout(width=WIDTH, height=300)
        return fig, " ".join(["No measure in this priority has a target to compare with.", *extra])
    shown = sorted(shown, key=lambda r: r["name"])
    height = 150 + 62 * len(shown)
    fig = base_figure(title, f"Value as {SHARE_TO_DATE_LABEL} (100% = on target)", "", height=height)
    top = max(125.0, max(float(r[key]) for r in shown) * 1.18)
    fig.add_bar(
        x=[float(r[key]) for r in shown], y=[_wrap(r["name"]) for r in shown], orientation="h",
        marker_color=[STATUS_COLOURS.get(r["status"], PALETTE[0]) for r in shown],
        text=[f"{float(r[key]):.0f}% · {r['status']}" for r in shown], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x:.0f}" + SHARE_TO_DATE_LABEL[1:] + "<extra></extra>",
        showlegend=False,
    )
    fig.add_vline(x=100, line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                  annotation_text="target to date", annotation_position="top",
                  annotation_font={"color": "#a0400a", "size": 12})
    fig.update_layout(xaxis={"range": [0, top], "ticksuffix": "%"},
                      yaxis={"autorange": "reversed", "rangemode": "normal", "ticklabelstandoff": 8},
                      margin={"l": 250, "r": 30, "t": 60, "b": 60}, width=WIDTH, bargap=0.35)
    alt = "; ".join(f"{r['name']}: {float(r[key]):.0f}{SHARE_TO_DATE_LABEL[1:]} ({r['status']})" for r in shown)
    return fig, " ".join([alt + ".", *extra])


def spend_figure(rows: Sequence[dict], financial_year: str) -> tuple[go.Figure, str]:
    """Cumulative spend against the grant spent evenly (charts.funding, as on the funding page)."""
    frame = pd.DataFrame(list(rows))
    if "quarter" not in frame and "label" in frame:  # snapshots frozen before the number was kept
        frame["quarter"] = frame["label"].str[-1].astype(int)
    from charts.funding import cumulative_spend_chart

    fig = cumulative_spend_chart(frame, financial_year)
    fig.update_layout(width=WIDTH, height=HEIGHT, margin={"l": 100, "r": 30, "t": 70, "b": 140},
                      legend=LEGEND_BELOW)
    parts = []
    for r in rows:
        if r.get("cumulative_spend_gbp") is not None:
            parts.append(f"{r['label']}: £{float(r['cumulative_spend_gbp']):,.0f} spent to date against "
                         f"£{float(r['cumulative_grant_gbp']):,.0f} if spent evenly")
    return fig, ("; ".join(parts) + ".") if parts else "No spend reported yet this year."


def series_figure(rows: Sequence[dict], x: str, ys: Sequence[str], title: str, x_title: str, y_title: str,
                  names: dict[str, str] | None = None) -> tuple[go.Figure, str]:
    """A line per column over a section's rows (the crime trend); the first line solid, the others dashed."""
    names = names or {}
    if not rows:
        fig = empty_figure(title, "No data.")
        fig.update_layout(width=WIDTH, height=300)
        return fig, "No data."
    fig = base_figure(title, x_title, y_title, height=HEIGHT)
    xs = [str(r.get(x)) for r in rows]
    parts = []
    for i, key in enumerate(ys):
        values = [r.get(key) if isinstance(r.get(key), int | float) else None for r in rows]
        label = names.get(key, key.replace("_", " "))
        fig.add_scatter(x=xs, y=values, name=label, mode="lines+markers",
                        line={"color": PALETTE[i % len(PALETTE)], "width": 3 if i == 0 else 2,
                              "dash": "solid" if i == 0 else "dash"},
                        hovertemplate=f"{label}<br>%{{x}}: %{{y:,.0f}}<extra></extra>")
        have = [(m, v) for m, v in zip(xs, values, strict=True) if v is not None]
        if have:
            parts.append(f"{label}: {have[0][1]:,.0f} in {have[0][0]}" + (
                f" to {have[-1][1]:,.0f} in {have[-1][0]}" if len(have) > 1 else ""))
    is_months = all(len(v) == 7 and v[4] == "-" for v in xs)
    ticks = month_ticks(xs) if is_months else (xs, xs)
    fig.update_layout(width=WIDTH, height=HEIGHT + 60, yaxis={"tickformat": ",.0f", "automargin": True},
                      xaxis={"type": "category", "tickmode": "array", "tickvals": ticks[0], "ticktext": ticks[1],
                             "tickangle": -45, "automargin": True},
                      margin={"l": 90, "r": 30, "t": 60, "b": 170}, legend=LEGEND_BELOW | {"y": -0.45})
    return fig, ("; ".join(parts) + ".") if parts else "No data."


def health_figure(rows: Sequence[dict], title: str) -> tuple[go.Figure, str]:
    """The hospital admissions rate per pooled period for each partnership area beside England (dashed),
    with 95% intervals; the baseline period is shaded. Suppressed values are gaps, never 0."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        fig = empty_figure(title, "No Fingertips data loaded.")
        fig.update_layout(width=WIDTH, height=300)
        return fig, "No Fingertips data loaded."
    from analysis.outcomes import BASELINE_PERIOD_START, ENGLAND

    periods = sorted(set(frame["time_period"]))  # "2014/15 - 16/17" labels sort as their years
    fig = base_figure(title, "Three financial years pooled", "Rate per 100,000",
                      height=HEIGHT + 80)
    parts = []
    for i, (code, mine) in enumerate(frame.groupby("area_code", sort=False)):
        england = code == ENGLAND
        mine = mine.set_index("time_period").reindex(periods)
        values = [None if pd.isna(v) else float(v) for v in mine["value"]]
        low = [None if pd.isna(v) or pd.isna(lo) else float(v) - float(lo)
               for v, lo in zip(mine["value"], mine["lower_ci95"], strict=True)]
        high = [None if pd.isna(v) or pd.isna(hi) else float(hi) - float(v)
                for v, hi in zip(mine["value"], mine["upper_ci95"], strict=True)]
        name = str(mine["area_name"].dropna().iloc[0]) if mine["area_name"].notna().any() else code
        fig.add_scatter(x=periods, y=values, name=name, mode="lines+markers",
                        line={"color": "#222222" if england else PALETTE[i % len(PALETTE)], "width": 3,
                              "dash": "dash" if england else "solid"},
                        error_y={"type": "data", "array": high, "arrayminus": low, "visible": True,
                                 "thickness": 1.2, "width": 3})
        have = [(p, v) for p, v in zip(periods, values, strict=True) if v is not None]
        if have:
            parts.append(f"{name}: {have[0][1]:.1f} in {have[0][0]} to {have[-1][1]:.1f} in {have[-1][0]}")
    base = [p for p in periods if str(p).startswith(str(BASELINE_PERIOD_START))]
    if base:
        fig.add_vrect(x0=periods.index(base[0]) - 0.4, x1=periods.index(base[0]) + 0.4, fillcolor="#cccccc",
                      opacity=0.35, line_width=0, annotation_text="pre-2019 baseline", annotation_position="top left")
    fig.update_layout(width=WIDTH, xaxis={"type": "category", "tickangle": -30, "automargin": True},
                      yaxis={"rangemode": "tozero", "automargin": True},
                      margin={"l": 90, "r": 30, "t": 60, "b": 170}, legend=LEGEND_BELOW | {"y": -0.42})
    return fig, ("; ".join(parts) + " (per 100,000).") if parts else "No values published."


def forest_figure(rows: Sequence[dict], title: str) -> tuple[go.Figure, str]:
    """The Grip page's forest plot (charts.grip) from the frozen effect rows."""
    from charts.grip import describe_forest, forest_plot

    frame = pd.DataFrame(list(rows))
    for col in ("rate_ratio", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    fig = forest_plot(frame, title, "Crimes per day on patrol days ÷ days without (rate ratio, log scale)")
    fig.update_layout(width=WIDTH)
    return fig, describe_forest(frame, "crime")


def render_png(figures: Sequence[go.Figure], scale: float = 2.0) -> list[bytes]:
    """PNG bytes for each figure, drawn in this process's kept-open Chromium (``reporting.chart_browser``)."""
    return BROWSER.render(figures, scale)
