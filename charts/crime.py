"""Crime figures: monthly counts with the year before, counts by crime type, and the LSOA map.

Pure builders (DataFrame or service dataclass in, ``go.Figure`` or text out), shared by the page and
the PDF board pack. Time charts mark the unit's start (April 2019) with a labelled vertical line.

Each builder has a ``*_spec`` twin that returns the figure as a plain dict: the page's callbacks send
those, because building a validated ``go.Figure`` costs more than the database queries behind it
(the Crime callbacks must answer in 25 ms). ``go.Figure(spec)`` validates the same dict for the PDF.

The LSOA map is drawn offline like the areas map: geometry is a URL the browser fetches once (never
part of a callback), the base map is the 14 districts in grey, and a change of period, type or area
sends only the values (``lsoa_map_values``, applied with a Dash ``Patch``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.fiscal import add_months, parse_period
from charts.theme import LEAN, PALETTE, SEQUENTIAL, TEXT_COLOUR

VVU_START = "2019-04"
VVU_LABEL = "VVU starts (April 2019)"
NOW_COLOUR = PALETTE[0]
BEFORE_COLOUR = "#6b7680"  # grey with 4.5:1 contrast on white
BASE_COLOUR = "#d9dee3"
OTHER_COLOUR = "#8a949e"  # the types not chosen (3:1 on white)
LEAN_JSON = LEAN.to_plotly_json()
BORDER_COLOUR = "#5f6b76"


def month_label(month: str) -> str:
    return parse_period(month).strftime("%B %Y") if month else ""


def period_label(first: str, last: str) -> str:
    if not first:
        return "no data"
    return month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"


def fmt_change(change: float | None) -> str:
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "no comparison"
    if abs(change) < 0.05:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {abs(change):.1f}%"


def _day(month: str) -> str:
    return f"{month}-01"


def _values(series: pd.Series) -> np.ndarray:
    """Numbers as one float array (NaN is sent as null): serialised whole, not element by element."""
    return series.to_numpy(dtype=float)


def _text(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=str)


def _layout(title: str, x_title: str, y_title: str, height: int) -> dict:
    """The lean theme's layout as a dict (what charts.theme.base_figure makes, without validation)."""
    return {"template": LEAN_JSON, "title": {"text": title, "x": 0, "xanchor": "left"}, "height": height,
            "xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": y_title}}}


def empty_spec(title: str, message: str) -> dict:
    """A titled figure that says why there is nothing to show (as charts.theme.empty_figure)."""
    layout = _layout(title, "", "", 360)
    layout["xaxis"]["visible"] = False
    layout["yaxis"]["visible"] = False
    layout["annotations"] = [{"text": message, "showarrow": False, "font": {"size": 15}}]
    return {"data": [], "layout": layout}


def monthly_spec(monthly: pd.DataFrame, first: str, last: str, what: str) -> dict:
    """Crimes per month (``monthly``: month, count, year_earlier) with the year before, dashed.

    The selected period is shaded and the VVU's start is a labelled vertical line.
    """
    title = f"{what} per month"
    if monthly.empty:
        return empty_spec(title, "No crime data loaded yet.")
    layout = _layout(title, "Month", "Crimes per month (count)", 380)
    x = _text(_day(m) for m in monthly["month"])
    data = [
        {"type": "scatter", "x": x, "y": _values(monthly["year_earlier"]), "name": "Same month a year earlier",
         "mode": "lines", "line": {"color": BEFORE_COLOUR, "width": 1.5, "dash": "dash"},
         "hovertemplate": "%{x|%B %Y} a year on: %{y:,.0f}<extra>a year earlier</extra>"},
        {"type": "scatter", "x": x, "y": _values(monthly["count"]), "name": "Crimes", "mode": "lines",
         "line": {"color": NOW_COLOUR, "width": 2.5}, "hovertemplate": "%{x|%B %Y}: %{y:,.0f} crimes<extra></extra>"},
    ]
    shapes, notes = [], []
    if first and last:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": _day(first),
                       "x1": _day(add_months(last, 1)), "y0": 0, "y1": 1, "fillcolor": "#0072B2", "opacity": 0.08,
                       "line": {"width": 0}, "layer": "below"})
        notes.append({"x": _day(last), "xref": "x", "y": 1, "yref": "paper", "text": "selected period",
                      "showarrow": False, "xanchor": "right", "yanchor": "bottom", "font": {"size": 11}})
    if monthly["month"].iloc[0] <= VVU_START <= monthly["month"].iloc[-1]:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": _day(VVU_START), "x1": _day(VVU_START),
                       "y0": 0, "y1": 1, "line": {"color": TEXT_COLOUR, "width": 1.5, "dash": "dot"}})
        notes.append({"x": _day(VVU_START), "xref": "x", "y": 1, "yref": "paper", "text": VVU_LABEL,
                      "showarrow": False, "xanchor": "left", "yanchor": "top", "xshift": 4,
                      "font": {"size": 12, "color": TEXT_COLOUR}, "bgcolor": "rgba(255,255,255,0.85)"})
    layout.update(shapes=shapes, annotations=notes, hovermode="x unified",
                  legend={"orientation": "h", "y": -0.22, "x": 0, "traceorder": "reversed"})
    layout["xaxis"].update(type="date", tickformat="%b %Y")
    layout["yaxis"].update(tickformat=",d")
    return {"data": data, "layout": layout}


def monthly_chart(monthly: pd.DataFrame, first: str, last: str, what: str) -> go.Figure:
    return go.Figure(monthly_spec(monthly, first, last, what))


def type_spec(by_type: pd.DataFrame, period: str, comparable: bool, selected: str = "") -> dict:
    """Crimes by type in the period (bars) and the same months a year earlier (markers).

    With ``selected``, that type's bar keeps the main colour and the others turn grey.
    """
    title = f"Crimes by type, {period}"
    if by_type.empty:
        return empty_spec(title, "No crimes in this period.")
    rows = by_type.iloc[::-1]  # plotly draws the first category at the bottom
    layout = _layout(title, "Crimes (count)", "", 160 + 26 * len(rows))
    chosen = rows["crime_type"] == selected
    parts = [(rows, "Crimes in the period", NOW_COLOUR)] if not selected or not chosen.any() else [
        (rows[~chosen], "Other types, in the period", OTHER_COLOUR),
        (rows[chosen], f"{selected}, in the period", NOW_COLOUR)]
    data = [{"type": "bar", "y": _text(part["crime_type"]), "x": _values(part["count"]), "orientation": "h",
             "name": name, "marker": {"color": colour}, "hovertemplate": "%{y}: %{x:,} crimes<extra></extra>"}
            for part, name, colour in parts]
    if comparable:
        data.append({"type": "scatter", "y": _text(rows["crime_type"]), "x": _values(rows["year_earlier"]),
                     "mode": "markers", "name": "Same months a year earlier",
                     "marker": {"color": "white", "size": 9, "symbol": "diamond",
                                "line": {"color": TEXT_COLOUR, "width": 1.5}},
                     "hovertemplate": "%{y}: %{x:,.0f} a year earlier<extra></extra>"})
    layout.update(margin={"l": 200, "r": 20, "t": 50, "b": 100}, barmode="overlay", bargap=0.25,
                  legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0})
    layout["xaxis"].update(tickformat=",d")
    layout["yaxis"].update(automargin=True, categoryorder="array", categoryarray=rows["crime_type"].tolist())
    return {"data": data, "layout": layout}


def type_chart(by_type: pd.DataFrame, period: str, comparable: bool, selected: str = "") -> go.Figure:
    return go.Figure(type_spec(by_type, period, comparable, selected))


def lsoa_map_spec(lsoa_url: str, district_url: str, district_codes: Sequence[str], codes: Sequence[str],
                  extent: tuple[float, float, float, float], height: int = 560) -> dict:
    """The map's geometry: grey districts underneath, LSOAs on top; values come with ``lsoa_map_values``."""
    lon, lat = _frame(extent)
    return {
        "data": [
            {"type": "choropleth", "geojson": district_url, "featureidkey": "id", "locations": list(district_codes),
             "z": [0] * len(district_codes), "colorscale": [[0, BASE_COLOUR], [1, BASE_COLOUR]], "showscale": False,
             "hoverinfo": "skip", "name": "districts", "marker": {"line": {"color": BORDER_COLOUR, "width": 1.2}}},
            {"type": "choropleth", "geojson": lsoa_url, "featureidkey": "id", "locations": list(codes),
             "z": [None] * len(codes), "colorscale": SEQUENTIAL, "zmin": 0, "name": "LSOAs",
             "marker": {"line": {"color": "#ffffff", "width": 0.3}},
             "colorbar": {"title": {"text": "crimes", "side": "right"}, "thickness": 14, "len": 0.8,
                          "outlinewidth": 0},
             # The name comes from the boundary file's properties, so it never travels in a callback.
             "hovertemplate": "<b>%{properties.lsoa_name}</b><br>%{z:,} crimes<extra></extra>"},
        ],
        "layout": {"template": LEAN_JSON, "height": height, "margin": {"l": 0, "r": 0, "t": 50, "b": 0},
                   "dragmode": False, "title": {"text": "", "x": 0, "xanchor": "left", "font": {"color": TEXT_COLOUR}},
                   "geo": {"visible": False, "projection": {"type": "mercator"}, "bgcolor": "rgba(0,0,0,0)",
                           "lonaxis": {"range": lon}, "lataxis": {"range": lat}}},
    }


def lsoa_map_skeleton(lsoa_url: str, district_url: str, district_codes: Sequence[str], codes: Sequence[str],
                      extent: tuple[float, float, float, float], height: int = 560) -> go.Figure:
    return go.Figure(lsoa_map_spec(lsoa_url, district_url, district_codes, codes, extent, height))


def _frame(extent: tuple[float, float, float, float]) -> tuple[list[float], list[float]]:
    west, east, south, north = extent
    pad_x, pad_y = (east - west) * 0.03, (north - south) * 0.03
    return [west - pad_x, east + pad_x], [south - pad_y, north + pad_y]


def lsoa_map_values(values: Sequence[float] | np.ndarray, title: str,
                    extent: tuple[float, float, float, float] | None = None) -> dict:
    """What changes with the period, type or area: figure paths -> values (for a ``Patch``).

    ``values``: one per LSOA, NaN (sent as null: not drawn) outside the chosen area. ``extent``
    (west, east, south, north) frames the chosen area.
    """
    z = np.asarray(values, dtype=float)
    top = float(np.nanmax(z)) if np.isfinite(z).any() else 0.0
    out = {
        ("data", 1, "z"): z,
        ("data", 1, "zmax"): max(top, 1.0),
        ("layout", "title", "text"): title,
    }
    if extent is not None:
        lon, lat = _frame(extent)
        out[("layout", "geo", "lonaxis", "range")] = lon
        out[("layout", "geo", "lataxis", "range")] = lat
    return out


def apply_values(fig: go.Figure | dict, updates: dict) -> go.Figure | dict:
    """Apply ``lsoa_map_values`` in Python (what the Patch does in the browser; for tests and the PDF)."""
    for path, value in updates.items():
        if isinstance(fig, dict):
            target = fig
            for key in path[:-1]:
                target = target[key] if isinstance(key, int) else target.setdefault(key, {})
            target[path[-1]] = value
            continue
        target = fig.data[path[1]] if path[0] == "data" else fig.layout
        keys = path[2:] if path[0] == "data" else path[1:]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return fig


def describe_monthly(monthly: pd.DataFrame, what: str, first: str, last: str) -> str:
    """Text alternative for the monthly chart."""
    if monthly.empty:
        return "No crime data loaded yet."
    peak = monthly.loc[monthly["count"].idxmax()]
    low = monthly.loc[monthly["count"].idxmin()]
    text = (f"Line chart of {what[:1].lower() + what[1:]} per month from {month_label(monthly['month'].iloc[0])} to "
            f"{month_label(monthly['month'].iloc[-1])}, with the same month a year earlier as a dashed line. "
            f"Highest: {int(peak['count']):,} in {month_label(peak['month'])}; lowest: {int(low['count']):,} in "
            f"{month_label(low['month'])}. Latest month: {int(monthly['count'].iloc[-1]):,}.")
    if monthly["month"].iloc[0] <= VVU_START <= monthly["month"].iloc[-1]:
        text += " A vertical line marks the unit's start in April 2019."
    if first:
        text += f" The shaded band is the selected period, {period_label(first, last)}."
    return text


def describe_types(by_type: pd.DataFrame, period: str, comparable: bool) -> str:
    if by_type.empty:
        return f"No crimes in {period}."
    parts = []
    for row in by_type.head(3).itertuples(index=False):
        change = f", {fmt_change(row.change_pct)} on a year earlier" if comparable else ""
        parts.append(f"{row.crime_type} {int(row.count):,}{change}")
    return (f"Bar chart of crimes by type, {period}, largest first: " + "; ".join(parts)
            + (f"; and {len(by_type) - 3} more types." if len(by_type) > 3 else ".")
            + " The same figures are in the table below the chart.")


def describe_map(total: int, top: Sequence[tuple[str, int]], what: str, period: str, area_name: str,
                 unmapped: int, vintage: int) -> str:
    if not total:
        return f"Map of {what.lower()} by LSOA, {period}, {area_name}: no crimes with a location."
    text = (f"Map of {what.lower()} by LSOA (neighbourhoods of about 1,500 residents), {period}, {area_name}: "
            f"{total:,} crimes with a location in the partnership area.")
    if top:
        text += " Most: " + "; ".join(f"{name} ({n:,})" for name, n in top) + "."
    if unmapped:
        text += (f" {unmapped:,} of them are in LSOAs that the {vintage} boundaries drawn here do not have "
                 "(the period spans police.uk's change of LSOA boundaries in 2022).")
    return text
