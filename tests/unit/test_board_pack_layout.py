"""Board pack charts are legible in print, read from the figures' layout (no rendering needed).

- Month axes carry whole labels ("Jan 2022", never "2022-1"): explicit tick text, at most 14 labels so
  plotly never thins or cuts them, angled, with automatic margins.
- Legends sit below the plot (y < 0, anchored at their top), so none can overprint a title, a
  subtitle or the data.
- Sheet names of the return are whole: over-long names drop whole words, never cut one.
"""

from __future__ import annotations

import re

import pytest

from reporting.export_xlsx import MAX_SHEET_NAME, SHEET_NAMES, _sheet_title
from reporting.figures import health_figure, month_ticks, series_figure, spend_figure


def _months(first_year: int, n: int) -> list[str]:
    return [f"{first_year + (m // 12)}-{m % 12 + 1:02d}" for m in range(n)]


def test_a_three_year_month_axis_has_whole_labels() -> None:
    months = _months(2022, 36)  # the crime trend's three years
    rows = [{"month": m, "crimes": 1000 + i, "year_earlier": 990} for i, m in enumerate(months)]
    fig, _alt = series_figure(rows, "month", ["crimes", "year_earlier"], "Crime", "Month", "Crimes per month")
    axis = fig.layout.xaxis
    # 36 months at one label a quarter: 12 labels, each a whole month name and year
    assert list(axis.tickvals) == months[::3] and len(axis.ticktext) == 12
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", t) for t in axis.ticktext), axis.ticktext
    assert axis.ticktext[0] == "Jan 2022" and axis.ticktext[-1] == "Oct 2024"
    assert axis.automargin is True and axis.tickangle == -45
    assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"


@pytest.mark.parametrize("n, step", [(6, 1), (14, 1), (15, 3), (42, 3), (43, 6), (78, 6)])
def test_month_ticks_never_print_more_than_14_labels(n: int, step: int) -> None:
    vals, text = month_ticks(_months(2019, n))
    assert len(vals) == len(text) <= 14 and vals == _months(2019, n)[::step]


def test_legends_are_below_the_plot_in_every_pack_chart() -> None:
    spend, _ = spend_figure([{"quarter": q, "label": f"2022/23 Q{q}", "spend_gbp": 10.0, "grant_share_gbp": 12.0,
                              "cumulative_spend_gbp": 10.0 * q, "cumulative_grant_gbp": 12.0 * q, "reported": True}
                             for q in (1, 2, 3, 4)], "2022/23")
    health, _ = health_figure([
        {"area_code": code, "area_name": name, "time_period": p, "value": v, "lower_ci95": v - 1, "upper_ci95": v + 1}
        for code, name in (("E10000012", "Essex"), ("E92000001", "England"))
        for p, v in (("2016/17 - 18/19", 40.0), ("2019/20 - 21/22", 35.0))], "Admissions")
    for fig in (spend, health):
        assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"
        assert fig.layout.margin.b >= 120  # room for the axis title and the legend beneath it


def test_every_sheet_name_of_the_return_is_whole() -> None:
    assert all(len(name) <= MAX_SHEET_NAME for name in SHEET_NAMES.values())
    used: set[str] = set()
    # a title longer than Excel allows loses whole words, never part of one
    title = "Police recorded crime by month, 2021-12 to 2024-11"
    assert _sheet_title(title, used) == "Police recorded crime by month"
    assert _sheet_title(title, used) == "Police recorded crime by (2)"
