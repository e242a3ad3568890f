"""Small figures for KPI cards: a trend sparkline with the pro-rata target as a reference."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.theme import LEAN, PALETTE


def sparkline(monthly: pd.DataFrame, title: str) -> go.Figure:
    """Monthly values (columns period, value) as a tiny line; the card's text gives the numbers."""
    fig = go.Figure(go.Scatter(x=monthly["period"], y=monthly["value"], mode="lines", line={"color": PALETTE[0],
                               "width": 2}, hovertemplate="%{x}: %{y:,.0f}<extra></extra>"))
    fig.update_layout(template=LEAN, height=70, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
                      xaxis={"visible": False}, yaxis={"visible": False}, title=None)
    fig.update_layout(meta={"title": title})
    return fig
