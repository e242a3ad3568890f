"""The forecast chart keeps to the projects furthest from their grant when many are flagged."""

from __future__ import annotations

import pandas as pd

from analysis.funding import FLAG_OVER, FLAG_UNDER
from charts.funding import forecast_chart


def _forecast(n: int) -> pd.DataFrame:
    variance = [float(i - n // 2) * 3 for i in range(n)]
    return pd.DataFrame({
        "project_code": [f"PRJ{i:03d}" for i in range(n)], "project_name": "A project", "forecast_gbp": 1.0,
        "awarded_gbp": 1.0, "variance_pct": variance,
        "flag": [FLAG_UNDER if v < -10 else FLAG_OVER if v > 10 else "within 10%" for v in variance],
    })


def test_few_flagged_projects_all_drawn() -> None:
    fig = forecast_chart(_forecast(12), "2025/26")
    drawn = [code for trace in fig.data for code in trace.y]
    assert sorted(drawn) == ["PRJ000", "PRJ001", "PRJ002", "PRJ010", "PRJ011"]  # |variance| > 10
    assert "furthest" not in fig.layout.title.text


def test_many_flagged_projects_keep_the_furthest_and_say_so() -> None:
    fig = forecast_chart(_forecast(50), "2025/26", limit=10)
    drawn = {code for trace in fig.data for code in trace.y}
    # -75..-54 and +63..+72 are the ten largest differences (PRJ000-005, PRJ046-049).
    assert drawn == {f"PRJ{i:03d}" for i in (*range(6), *range(46, 50))}
    assert "the 10 furthest of 43" in fig.layout.title.text
