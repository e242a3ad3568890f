"""Choropleth of the 14 lower-tier authorities, drawn offline.

Pure figure builders (no I/O). The geometry is never put in the figure: ``geojson`` is the URL of
the boundary file served from ``/assets/geo/``, which plotly.js fetches once and caches, so a figure
or an update carries only codes and numbers. The ``geo`` subplot also asks for a base map
(``world_110m.json``) even when hidden; the page points the Graph's ``topojsonURL`` at a local
empty stub, so nothing is fetched from outside the server.

Two traces: a grey base layer with every area (so an area with no figure, or a suppressed one,
still shows its outline and answers hover), and the value layer on top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from charts.theme import LEAN, SEQUENTIAL, TEXT_COLOUR

NO_VALUE_COLOUR = "#d9dee3"
BORDER_COLOUR = "#5f6b76"  # outlines stay visible where the lightest colour meets the white page


def bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(west, east, south, north) of every coordinate in a GeoJSON FeatureCollection."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: list) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        else:
            for part in coords:
                walk(part)

    for feature in geojson.get("features", []):
        walk(feature["geometry"]["coordinates"])
    return min(xs), max(xs), min(ys), max(ys)


def map_skeleton(geojson_url: str, codes: Sequence[str], names: Sequence[str],
                 extent: tuple[float, float, float, float], height: int = 520) -> go.Figure:
    """The map with geometry and outlines only; values arrive later (see ``map_values``).

    ``extent`` (west, east, south, north, see ``bounds``) frames the map: plotly's ``fitbounds``
    leaves wide padding around a small area, an explicit longitude and latitude range fills the frame.
    """
    codes, names = list(codes), list(names)
    fig = go.Figure()
    fig.add_trace(go.Choropleth(
        geojson=geojson_url, featureidkey="id", locations=codes, z=[0] * len(codes), customdata=names,
        colorscale=[[0, NO_VALUE_COLOUR], [1, NO_VALUE_COLOUR]], showscale=False, name="areas",
        marker={"line": {"color": BORDER_COLOUR, "width": 0.6}}, hovertemplate="%{customdata}<extra></extra>",
    ))
    fig.add_trace(go.Choropleth(
        geojson=geojson_url, featureidkey="id", locations=codes, z=[None] * len(codes), name="values",
        colorscale=SEQUENTIAL, zmin=0, marker={"line": {"color": BORDER_COLOUR, "width": 0.6}},
        colorbar={"title": {"text": "", "side": "right"}, "thickness": 14, "len": 0.8, "outlinewidth": 0},
        hovertemplate="%{customdata}<extra></extra>",
    ))
    west, east, south, north = extent
    pad_x, pad_y = (east - west) * 0.02, (north - south) * 0.02
    fig.update_geos(visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)",
                    lonaxis_range=[west - pad_x, east + pad_x], lataxis_range=[south - pad_y, north + pad_y])
    fig.update_layout(template=LEAN, height=height, margin={"l": 0, "r": 0, "t": 50, "b": 0},
                      title={"text": "", "x": 0, "xanchor": "left", "font": {"color": TEXT_COLOUR}},
                      dragmode=False)
    return fig


def _fmt(value: float | None, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.{decimals}f}"


def map_values(table: pd.DataFrame, codes: Sequence[str], *, measure: str, title: str, colour_title: str,
               unit: str) -> dict:
    """What changes when the metric, measure or filters change: one value per map area, in ``codes`` order.

    ``table``: area_code, area_name, value, population, rate, suppressed (bool). Returns a dict of
    figure paths -> values, applied with a Dash ``Patch`` (or to a skeleton figure in tests and the
    PDF pack with :func:`apply_values`).
    """
    rows = table.set_index("area_code")
    z, labels, base_labels = [], [], []
    money = unit == "gbp"
    for code in codes:
        if code not in rows.index:
            z.append(None)
            labels.append("")
            base_labels.append(f"{code}: no figure")
            continue
        r = rows.loc[code]
        hidden = bool(r.get("suppressed", False))
        count = None if hidden or pd.isna(r["value"]) else float(r["value"])
        rate = None if hidden or pd.isna(r["rate"]) else float(r["rate"])
        value = count if measure == "count" else rate
        z.append(None if value is None else round(value, 3))
        count_text = ("£" if money else "") + _fmt(count, 0 if money or count is None or count == round(count) else 1)
        text = (f"<b>{r['area_name']}</b><br>{count_text} {'' if money else unit}".rstrip()
                + f"<br>{_fmt(rate, 2)} per 1,000 residents<br>{_fmt(float(r['population']), 0)} residents")
        labels.append(text)
        base_labels.append(f"<b>{r['area_name']}</b><br>[c] suppressed to protect confidentiality" if hidden
                           else f"<b>{r['area_name']}</b><br>no figure")
    hidden = any("[c]" in label for label in base_labels)
    note = [{"text": "Grey: suppressed to protect confidentiality [c]", "showarrow": False,
             "xref": "paper", "yref": "paper", "x": 0, "y": 0, "xanchor": "left", "yanchor": "bottom",
             "font": {"size": 12, "color": TEXT_COLOUR}}] if hidden else []
    return {
        ("layout", "annotations"): note,
        ("data", 0, "customdata"): base_labels,
        ("data", 1, "z"): z,
        ("data", 1, "customdata"): labels,
        ("data", 1, "colorbar", "title", "text"): colour_title,
        ("layout", "title", "text"): title,
    }


def apply_values(fig: go.Figure, updates: dict) -> go.Figure:
    """Apply ``map_values`` to a skeleton figure in Python (what the Patch does in the browser)."""
    for path, value in updates.items():
        if path[0] == "data":
            target = fig.data[path[1]]
            keys = path[2:]
        else:
            target = fig.layout
            keys = path[1:]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return fig
