"""One lean chart theme: colour-blind-safe palette, readable fonts, no heavy default template.

The default plotly template is most of a small figure's bytes; this one carries only what we use.
"""

from __future__ import annotations

import plotly.graph_objects as go

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
TARGET_COLOUR = "#D55E00"
TEXT_COLOUR = "#1f2933"
GRID_COLOUR = "#d9dee3"
STATUS_COLOURS = {"on track": "#006d3c", "at risk": "#8a5a00", "off track": "#b00020", "no target": "#4a5560"}
SEQUENTIAL = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"], [1.0, "#08306b"]]

LEAN = go.layout.Template(
    layout=go.Layout(
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", "size": 13,
              "color": TEXT_COLOUR},
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        # automargin: the margins grow to hold long tick labels and the axis titles beside them, so
        # "10,000" never sits on "Crimes per month" on a phone.
        xaxis={"gridcolor": GRID_COLOUR, "linecolor": "#8a949e", "zeroline": False, "automargin": True},
        yaxis={"gridcolor": GRID_COLOUR, "linecolor": "#8a949e", "zeroline": False, "rangemode": "tozero",
               "automargin": True},
        hoverlabel={"bgcolor": "white", "font": {"size": 13}},
        legend={"orientation": "h", "y": -0.2},
    )
)


# A legend between the title and the plot, where a wrapped title or turned tick labels cannot meet it.
LEGEND_TOP = {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"}


def base_figure(title: str, x_title: str, y_title: str, height: int = 360) -> go.Figure:
    """An empty figure with the theme, a title and axis titles (with units) already set."""
    fig = go.Figure()
    fig.update_layout(template=LEAN, title={"text": title, "x": 0, "xanchor": "left"}, height=height,
                      xaxis_title=x_title, yaxis_title=y_title)
    return fig


def unit_label(unit: str) -> str:
    """Axis wording for a metric unit: 'people', 'hours', '£'."""
    return {"gbp": "£", "people": "people", "hours": "hours"}.get(unit, unit)


def format_value(value: float | None, unit: str) -> str:
    if value is None or value != value:  # None or NaN: no figure
        return "–"
    if unit == "gbp":
        return f"£{value:,.0f}"
    if abs(value - round(value)) < 1e-9:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def empty_figure(title: str, message: str) -> go.Figure:
    """A titled figure that says why there is nothing to show (never a blank box)."""
    fig = base_figure(title, "", "")
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False},
                      annotations=[{"text": message, "showarrow": False, "font": {"size": 15}}])
    return fig
