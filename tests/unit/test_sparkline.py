"""The KPI card's sparkline is a plain figure dict (issue 14: no go.Figure per card) that plotly accepts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.kpi import sparkline


def test_sparkline_is_a_valid_plain_figure() -> None:
    # Three months, the middle one missing: the line has a gap there (None), never a 0.
    trend = pd.DataFrame({"period": ["2024-04", "2024-05", "2024-06"], "value": [3.0, float("nan"), 5.0]})
    fig = sparkline(trend, "Hours of detached youth work")
    assert fig["data"][0]["x"] == ["2024-04", "2024-05", "2024-06"]
    assert fig["data"][0]["y"] == [3.0, None, 5.0]
    assert fig["layout"]["meta"] == {"title": "Hours of detached youth work"}
    checked = go.Figure(fig)  # raises on any property plotly does not know
    assert checked.layout.height == 70 and checked.layout.xaxis.visible is False
    assert checked.layout.template.layout.colorway[0] == "#0072B2"  # the lean theme, not plotly's default
