"""A metric's financial year against target: period bars and the year-to-date line with its projection.

Pure ``DataFrame -> go.Figure`` (no I/O), shared by the priorities page and the PDF board pack.
Input frames are ``analysis.year_progress`` PERIOD_COLUMNS and PROGRESS_COLUMNS. Colours are the
Okabe-Ito palette and every series also differs by line style, so nothing depends on colour alone.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from analysis.stocks import STOCK_AGGREGATIONS
from charts.theme import LEAN, PALETTE, TARGET_COLOUR, TEXT_COLOUR, unit_label

ACTUAL_COLOUR = PALETTE[0]  # blue
PROJECTION_COLOUR = PALETTE[2]  # bluish green: at least 3:1 against white, unlike sky blue
BAND_COLOUR = "rgba(0,158,115,0.18)"
OUT_OF_VIEW_OPACITY = 0.35


def _values(series: pd.Series) -> list[float | None]:
    """Rounded numbers for the browser (short JSON), None where there is no value."""
    out = []
    for v in series:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(round(float(v), 2))
    return out


def _short(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if abs(value) >= 100 or value == round(value) else f"{value:,.1f}"
    return f"£{text}" if unit == "gbp" else text


def value_format(unit: str) -> str:
    """A hovertemplate fragment for %{y} in the metric's unit."""
    if unit == "gbp":
        return "£%{y:,.0f}"
    if unit == "hours":
        return "%{y:,.1f} hours"
    return "%{y:,.0f} " + unit


def progress_figures(periods: pd.DataFrame, progress: pd.DataFrame, *, name: str, unit: str, aggregation: str,
                     grain: str, financial_year: str, level: float = 0.90,
                     height: int = 360) -> tuple[go.Figure, go.Figure]:
    """Two charts: each period's value against its target; the year so far against target, projected on.

    Two figures, not two panels of one: a panel's title drawn as an annotation overprinted the chart's
    own title and the other panel's on a phone (390 px), and each chart now downloads and reads alone
    (its own title names the measure). Built as dicts and validated once: plotly's incremental
    ``add_trace``/``update_*`` calls cost ~0.2 s a figure, and the priorities page draws thirteen pairs.
    """
    latest = aggregation in STOCK_AGGREGATIONS
    per = "quarter" if grain == "quarter" else "month"
    u = unit_label(unit)
    if latest:
        left_title = f"level at the end of each {per} against the target level"
        right_title = "level through the year, with projection"
        left_y, right_y = f"{u} (level)", f"{u} (level)"
    else:
        left_title = f"each {per} against the {'quarterly' if per == 'quarter' else 'monthly'} target"
        right_title = "year to date against the cumulative target, with projection"
        left_y, right_y = f"{u} per {per}", f"{u}, cumulative"
    x = list(periods["label"])
    px_all = list(progress["label"])
    fmt = value_format(unit)
    opacity = [1.0 if v else OUT_OF_VIEW_OPACITY for v in periods["in_view"]]
    left: list[dict] = [{
        "type": "bar", "x": x, "y": _values(periods["value"]),
        "name": f"Level each {per}" if latest else f"Each {per}",
        "marker": {"color": ACTUAL_COLOUR, "opacity": opacity if min(opacity) < 1 else 1.0},
        "hovertemplate": f"%{{x}}: {fmt}<extra></extra>",
    }]
    if "suppressed" in periods and periods["suppressed"].any():
        hidden = periods[periods["suppressed"]]
        left.append({"type": "scatter", "x": list(hidden["label"]), "y": [0] * len(hidden), "mode": "text",
                     "text": ["[c]"] * len(hidden), "textposition": "top center", "showlegend": False,
                     "name": "suppressed", "textfont": {"color": TEXT_COLOUR},
                     "hovertemplate": "%{x}: [c] suppressed to protect confidentiality<extra></extra>"})
    shapes: list[dict] = []
    annotations: list[dict] = []
    right: list[dict] = []
    dashed = {"color": TARGET_COLOUR, "dash": "dash", "width": 2}
    targets = periods["target"].dropna()
    if len(targets):
        # The period target is the same every period (annual / 12 or / 4, or the level), so one line
        # across the whole chart, labelled with its value, reads better than a trace between bar centres.
        target = round(float(targets.iloc[0]), 2)
        shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": target,
                       "y1": target, "line": dashed, "showlegend": True,
                       "name": "Target" if latest else "Target (pro rata)"})
        annotations.append({"text": f"target {_short(target, unit)}", "xref": "x domain", "x": 1, "xanchor": "right",
                            "yref": "y", "y": target, "yanchor": "bottom", "showarrow": False,
                            "font": {"color": "#a0400a", "size": 12}})
        right.append({"type": "scatter", "x": px_all, "y": _values(progress["target"]), "mode": "lines",
                      "name": "Target", "line": dashed,
                      "hovertemplate": f"Target by end of %{{x}}: {fmt}<extra></extra>"})
    right.append({"type": "scatter", "x": px_all, "y": _values(progress["actual"]), "mode": "lines+markers",
                  "name": "Level" if latest else "Year to date", "line": {"color": ACTUAL_COLOUR, "width": 3},
                  "marker": {"size": 6}, "hovertemplate": f"%{{x}}: {fmt}<extra></extra>"})
    ahead = progress[progress["projected"].notna()]
    if len(ahead) > 1:
        px = list(ahead["label"])
        low, high = _values(ahead["low"]), _values(ahead["high"])
        # The band as one closed polygon: along the upper bound, then back along the lower one.
        right.append({"type": "scatter", "x": px + px[::-1], "y": high + low[::-1], "mode": "lines",
                      "line": {"width": 0}, "fill": "toself", "fillcolor": BAND_COLOUR,
                      "name": f"{level:.0%} interval", "hoverinfo": "skip"})
        interval = "%{customdata[0]:,.0f} to %{customdata[1]:,.0f}"
        if unit == "gbp":
            interval = "£%{customdata[0]:,.0f} to £%{customdata[1]:,.0f}"
        right.append({"type": "scatter", "x": px, "y": _values(ahead["projected"]),
                      "mode": "lines+markers", "name": "Projection",
                      "line": {"color": PROJECTION_COLOUR, "dash": "dot", "width": 2},
                      "marker": {"size": 5, "symbol": "diamond"},
                      "customdata": [[lo, hi] for lo, hi in zip(low, high, strict=True)],
                      "hovertemplate": f"Projected by end of %{{x}}: {fmt}<br>{level:.0%} interval {interval}"
                                       "<extra></extra>"})
    x_title = f"{'Quarter' if per == 'quarter' else 'Month'}, {financial_year}"
    # Half a category of room at both ends, so end labels and points are not cut off.
    # Level labels, at most seven of them (every other month): twelve run together on a phone (390 px),
    # and turned labels pushed the axis title into the legend.
    xaxis = {"title": {"text": x_title, "font": {"size": 13}}, "type": "category", "tickangle": 0, "nticks": 7,
             "range": [-0.5, len(x) - 0.5], "showgrid": False}

    def layout(title: str, y_title: str) -> dict:
        return {
            "template": LEAN, "height": height,
            "title": {"text": f"{name}: {title}", "x": 0, "xanchor": "left", "y": 0.97, "yanchor": "top",
                      "font": {"size": 15}},
            "xaxis": xaxis, "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
            # Room at the foot for the axis title and a legend of two rows (four entries on a phone).
            "margin": {"l": 70, "r": 20, "t": 70, "b": 125}, "bargap": 0.25, "hovermode": "closest",
            # The legend at the foot of the chart itself, not below the plot area: a title wrapped on a phone
            # grows the top margin and shrinks the plot, which drew a plot-relative legend over the axis title.
            "legend": {"orientation": "h", "yref": "container", "y": 0.01, "x": 0, "xanchor": "left",
                       "yanchor": "bottom"},
        }

    each = go.Figure({"data": left, "layout": {**layout(left_title, left_y), "shapes": shapes,
                                               "annotations": annotations}})
    so_far = go.Figure({"data": right, "layout": layout(right_title, right_y)})
    return each, so_far
