"""Grip figures: the hotspot map, the forest plot of rate ratios, and patrol dosage by week.

Pure builders (DataFrame -> go.Figure, plus the sentence that describes each figure for people who
cannot see it). The map is drawn on plain longitude/latitude axes with equal distances in both
directions, not on a tiled or geo map: it needs no tile server, no world base map and no web
worker, so it draws on a closed network and under the app's content security policy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.numbers import float_or_nan
from charts.tables import table_markup
from charts.theme import GRID_COLOUR, LEGEND_TOP, PALETTE, TARGET_COLOUR, base_figure, empty_figure

LOWER, HIGHER, NONE = PALETTE[0], PALETTE[5], "#8a949e"
OUTLINE = "#7b8794"
POOLED_COLOUR = "#000000"


def fmt_ratio(value: object) -> str:
    v = float_or_nan(value)
    return "–" if math.isnan(v) else f"{v:.2f}"


def fmt_p(value: object) -> str:
    v = float_or_nan(value)
    if math.isnan(v):
        return "–"
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def describe_change(pct: object) -> str:
    """'32% lower' / '15% higher' / 'no different' from a percentage change."""
    v = float_or_nan(pct)
    if math.isnan(v):
        return "not estimable"
    if round(v) == 0:
        return "no different"
    return f"{abs(v):.0f}% {'lower' if v < 0 else 'higher'}"


# ------------------------------------------------------------------------------------------------
# Map
# ------------------------------------------------------------------------------------------------

def map_bbox(hotspots: pd.DataFrame, pad: float = 0.15) -> tuple[float, float, float, float]:
    """(lon0, lat0, lon1, lat1) around the hotspots with some margin (at least ~1 km)."""
    lon0, lon1 = float(hotspots["longitude"].min()), float(hotspots["longitude"].max())
    lat0, lat1 = float(hotspots["latitude"].min()), float(hotspots["latitude"].max())
    dlon = max((lon1 - lon0) * pad, 0.015)
    dlat = max((lat1 - lat0) * pad, 0.01)
    return lon0 - dlon, lat0 - dlat, lon1 + dlon, lat1 + dlat


def hotspot_map(hotspots: pd.DataFrame, outlines: Sequence[dict[str, Any]], group_label: str,
                height: int = 460) -> go.Figure:
    """Hotspots as circles sized by crimes, coloured by the direction of their rate ratio.

    ``hotspots``: hotspot_id, name, latitude, longitude, crimes, patrol_days, rate_ratio.
    ``outlines``: district boundary rings (service.grip.district_outlines).
    """
    title = f"Hotspots sized by crimes recorded ({group_label.lower()})"
    if hotspots.empty:
        return empty_figure(title, "No hotspots have been loaded.")
    fig = base_figure(title, "Longitude (degrees east)", "Latitude (degrees north)", height=height)
    for district in outlines:
        # numpy arrays with NaN between rings: NaN breaks the line, and arrays serialise far faster than lists.
        gap = np.array([[np.nan, np.nan]])
        coords = np.concatenate([part for ring in district["rings"] for part in (np.asarray(ring, float), gap)])
        xs, ys = coords[:, 0], coords[:, 1]
        fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": OUTLINE, "width": 1}, hoverinfo="skip",
                        name="District boundary", legendgroup="boundary",
                        showlegend=district is outlines[0])
    biggest = max(float(hotspots["crimes"].max()), 1.0)
    ratio = pd.to_numeric(hotspots["rate_ratio"], errors="coerce")
    kinds = [("Fewer crimes on patrol days", LOWER, ratio < 1),
             ("More (or as many) crimes on patrol days", HIGHER, ratio >= 1),
             ("No estimate", NONE, ratio.isna())]
    for label, colour, mask in kinds:
        rows = hotspots[mask.to_numpy()]
        if rows.empty:
            continue
        sizes = [8 + 30 * math.sqrt(float(c) / biggest) for c in rows["crimes"]]  # area ~ crimes
        custom = list(zip(rows["hotspot_id"], rows["name"], rows["crimes"].astype(int),
                          rows["patrol_days"].fillna(0).astype(int), [fmt_ratio(r) for r in rows["rate_ratio"]],
                          strict=True))
        fig.add_scatter(
            x=rows["longitude"], y=rows["latitude"], mode="markers", name=label,
            marker={"size": sizes, "color": colour, "opacity": 0.75, "line": {"color": "#ffffff", "width": 1}},
            customdata=custom,
            hovertemplate=("<b>%{customdata[1]}</b> (%{customdata[0]})<br>%{customdata[2]} crimes; "
                           "%{customdata[3]} patrol days<br>rate ratio %{customdata[4]}<extra></extra>"),
        )
    lon0, lat0, lon1, lat1 = map_bbox(hotspots)
    # Equal distances east-west and north-south: a degree of longitude is cos(latitude) of a degree of latitude.
    aspect = 1 / math.cos(math.radians((lat0 + lat1) / 2))
    fig.update_layout(
        xaxis={"range": [lon0, lon1], "showgrid": False, "tickformat": ".2f"},
        yaxis={"range": [lat0, lat1], "showgrid": False, "tickformat": ".2f", "scaleanchor": "x",
               "scaleratio": aspect, "rangemode": "normal"},
        legend=LEGEND_TOP, margin={"t": 90}, dragmode="pan",
    )
    return fig


def describe_map(hotspots: pd.DataFrame, group_label: str) -> str:
    if hotspots.empty:
        return "No hotspots have been loaded."
    top = hotspots.sort_values(["crimes", "hotspot_id"], ascending=[False, True]).head(3)
    ratio = pd.to_numeric(hotspots["rate_ratio"], errors="coerce")
    return (f"Map of {len(hotspots)} hotspots, each a circle sized by the crimes recorded there "
            f"({group_label.lower()}). Most crimes: " +
            "; ".join(f"{r.name} ({int(r.crimes)})" for r in top.itertuples()) +
            f". {int((ratio < 1).sum())} hotspots had fewer crimes per day on patrol days, "
            f"{int((ratio >= 1).sum())} as many or more, and {int(ratio.isna().sum())} have no estimate.")


# ------------------------------------------------------------------------------------------------
# Forest plot
# ------------------------------------------------------------------------------------------------

def forest_plot(effect: pd.DataFrame, title: str, x_title: str,
                pooled_label: str = "All hotspots (pooled)") -> go.Figure:
    """Rate ratio and 95% interval per hotspot (squares and bars), the pooled estimate as a diamond,
    on a log scale with a reference line at 1 (no difference).

    ``effect``: hotspot_id, hotspot_name, rate_ratio, ci_low, ci_high, note; the pooled row has
    hotspot_id "ALL". Hotspots without an interval are listed with "(no estimate)".
    """
    if effect.empty:
        return empty_figure(title, "No patrol or incident data have been loaded.")
    spots = effect[effect["hotspot_id"] != "ALL"].reset_index(drop=True)
    pooled = effect[effect["hotspot_id"] == "ALL"]
    n = len(spots)
    # Top to bottom: hotspots in id order, then the pooled diamond (y = 0) under a gap.
    ys = [n + 1 - i for i in range(n)]
    labels = [f"{r.hotspot_name} ({r.hotspot_id})" if math.isfinite(float_or_nan(r.ci_low))
              else f"{r.hotspot_name} ({r.hotspot_id}) (no estimate)" for r in spots.itertuples()]
    fig = base_figure(title, x_title, "", height=max(320, 26 * (n + 3) + 110))
    ok = spots["ci_low"].map(lambda v: math.isfinite(float_or_nan(v))).to_numpy(dtype=bool)
    est = spots[ok]
    if not est.empty:
        rr = est["rate_ratio"].astype(float)
        fig.add_scatter(
            x=rr, y=[ys[i] for i in range(n) if ok[i]], mode="markers", name="Hotspot (95% interval)",
            marker={"symbol": "square", "size": 9, "color": PALETTE[0]},
            error_x={"type": "data", "symmetric": False, "array": est["ci_high"].astype(float) - rr,
                     "arrayminus": rr - est["ci_low"].astype(float), "color": PALETTE[0], "thickness": 1.5,
                     "width": 4},
            customdata=list(zip([labels[i] for i in range(n) if ok[i]], [fmt_ratio(v) for v in est["ci_low"]],
                                [fmt_ratio(v) for v in est["ci_high"]], strict=True)),
            hovertemplate="<b>%{customdata[0]}</b><br>rate ratio %{x:.2f} (95% CI %{customdata[1]} to "
                          "%{customdata[2]})<extra></extra>",
        )
    lows = list(est["ci_low"].astype(float)) if not est.empty else []
    highs = list(est["ci_high"].astype(float)) if not est.empty else []
    if len(pooled) and math.isfinite(float_or_nan(pooled["ci_low"].iloc[0])):
        p = pooled.iloc[0]
        lo, mid, hi = float(p["ci_low"]), float(p["rate_ratio"]), float(p["ci_high"])
        lows.append(lo)
        highs.append(hi)
        fig.add_scatter(
            x=[lo, mid, hi, mid, lo], y=[0, 0.4, 0, -0.4, 0], mode="lines", fill="toself", name="Pooled (95% interval)",
            line={"color": POOLED_COLOUR, "width": 1}, fillcolor=POOLED_COLOUR,
            hovertemplate=(f"<b>{pooled_label}</b><br>rate ratio {mid:.2f} (95% CI {lo:.2f} to {hi:.2f})"
                           "<extra></extra>"), hoveron="fills+points",
        )
    lo = min([v for v in lows if v > 0] + [0.5])
    hi = max(highs + [2.0])
    lo, hi = max(lo / 1.2, 0.02), min(hi * 1.2, 50.0)
    # A trace, not a shape: shapes and annotations on a log axis take log10 positions, data traces do not.
    fig.add_scatter(x=[1, 1], y=[-0.8, n + 1.6], mode="lines", name="1 = no difference",
                    line={"color": TARGET_COLOUR, "width": 2, "dash": "dash"}, hoverinfo="skip")
    ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if lo <= t <= hi]
    fig.update_layout(
        xaxis={"type": "log", "range": [math.log10(lo), math.log10(hi)], "tickvals": ticks,
               "ticktext": [f"{t:g}" for t in ticks], "gridcolor": GRID_COLOUR},
        yaxis={"tickvals": [*ys, 0], "ticktext": [*labels, f"<b>{pooled_label}</b>"], "range": [-1, n + 2.2],
               "showgrid": False, "rangemode": "normal", "automargin": True},
        legend={"orientation": "h", "y": -0.12 if n > 10 else -0.25}, margin={"l": 20, "r": 20, "t": 60, "b": 60},
    )
    return fig


def describe_forest(effect: pd.DataFrame, subject: str) -> str:
    if effect.empty:
        return "No estimates."
    spots = effect[effect["hotspot_id"] != "ALL"]
    parts = []
    pooled = effect[effect["hotspot_id"] == "ALL"]
    if len(pooled):
        p = pooled.iloc[0]
        parts.append(f"Pooled rate ratio {fmt_ratio(p['rate_ratio'])} (95% CI {fmt_ratio(p['ci_low'])} to "
                     f"{fmt_ratio(p['ci_high'])}).")
    below = spots[pd.to_numeric(spots["ci_high"], errors="coerce") < 1]
    above = spots[pd.to_numeric(spots["ci_low"], errors="coerce") > 1]
    none = spots[pd.to_numeric(spots["ci_low"], errors="coerce").isna()]
    parts.append(f"Of {len(spots)} hotspots, {len(below)} have an interval wholly below 1 ({subject} clearly lower "
                 f"on patrol days), {len(above)} wholly above 1, and {len(none)} have no interval; the rest "
                 "include 1.")
    return " ".join(parts)


# ------------------------------------------------------------------------------------------------
# Dosage
# ------------------------------------------------------------------------------------------------

def dosage_chart(weekly: pd.DataFrame) -> go.Figure:
    """Patrol minutes per week (weeks starting Monday); part weeks are marked in the hover text."""
    title = "Patrol dosage: minutes of patrol per week, all hotspots"
    if weekly.empty or not weekly["patrols"].any():
        return empty_figure(title, "No patrols have been loaded.")
    fig = base_figure(title, "Week starting (Monday)", "Minutes of patrol", height=360)
    part = ["" if d == 7 else f" (part week: {d} days)" for d in weekly["days"]]
    # Part weeks (at the ends of the data) are lighter, so a short week is not read as a fall in dosage.
    colours = [PALETTE[0] if d == 7 else PALETTE[4] for d in weekly["days"]]
    starts = pd.to_datetime(weekly["week_start"])
    fig.add_bar(
        x=starts + pd.Timedelta(days=3.5), y=weekly["patrol_minutes"],
        width=6 * 24 * 3600 * 1000, name="Patrol minutes",  # centred on the week, a day's gap between bars
        marker_color=colours,
        customdata=list(zip(weekly["patrols"], weekly["hotspots_patrolled"], weekly["officer_minutes"], part,
                            [f"{w:%-d %b %Y}" for w in weekly["week_start"]], strict=True)),
        hovertemplate=("Week of %{customdata[4]}%{customdata[3]}<br>%{y:,.0f} patrol minutes in "
                       "%{customdata[0]:,} visits<br>%{customdata[1]} hotspots patrolled; "
                       "%{customdata[2]:,.0f} officer-minutes<extra></extra>"),
    )
    fig.update_layout(
        xaxis={"type": "date", "tickformat": "%-d %b %Y", "tick0": str(weekly["week_start"].iloc[0]),
               "dtick": 14 * 24 * 3600 * 1000, "automargin": True,
               # A week of room before the first bar: its date label, centred on the axis's first tick,
               # otherwise ran under the "0" of the minutes axis.
               "range": [starts.iloc[0] - pd.Timedelta(days=7), starts.iloc[-1] + pd.Timedelta(days=8)]},
        yaxis={"tickformat": ",.0f"}, showlegend=False, margin={"b": 70},
    )
    return fig


def describe_dosage(weekly: pd.DataFrame) -> str:
    if weekly.empty or not weekly["patrols"].any():
        return "No patrols have been loaded."
    full = weekly[weekly["days"] == 7]
    basis = full if not full.empty else weekly
    parts = weekly[weekly["days"] < 7]
    part_text = "".join(f" The week of {r.week_start:%-d %B} is a part week ({r.days} days), shown lighter."
                        for r in parts.itertuples())
    return (f"Patrol minutes per week from the week of {weekly['week_start'].iloc[0]:%-d %B %Y} to the week of "
            f"{weekly['week_start'].iloc[-1]:%-d %B %Y}: {weekly['patrol_minutes'].sum():,.0f} minutes in "
            f"{int(weekly['patrols'].sum()):,} visits; full weeks ranged from {basis['patrol_minutes'].min():,.0f} "
            f"to {basis['patrol_minutes'].max():,.0f} minutes.{part_text}")


# ------------------------------------------------------------------------------------------------
# Table
# ------------------------------------------------------------------------------------------------

def table_html(caption: str, headers: list[str], rows: list[tuple[list[str], bool]], first_numeric: int = 1) -> str:
    """The effects table (hotspot rows; the pooled row marked) as escaped HTML: see charts.tables.
    Columns from ``first_numeric`` to the one before the last (the note) are right-aligned numbers."""
    width = len(headers)
    return table_markup(caption, headers, [cells for cells, _pooled in rows], numeric=range(first_numeric, width - 1),
                        class_name="grip-table", row_classes=["grip-pooled" if pooled else "" for _c, pooled in rows])
