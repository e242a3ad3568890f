"""One project's figures: each metric by financial year against its project target, and the selected
year month by month against the target pro rata.

Pure builders (DataFrame -> go.Figure), shared by the project page and reports.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.progress import cumulative_by_month
from analysis.stocks import STOCK_AGGREGATIONS
from charts.theme import LEGEND_TOP, PALETTE, TARGET_COLOUR, base_figure, empty_figure, unit_label


def _tidy(fig: go.Figure, unit: str) -> go.Figure:
    """Legend above the plot (never over an axis title); room for tick labels; £ ticks for money."""
    fig.update_layout(legend=LEGEND_TOP, margin={"t": 90, "b": 50})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if unit == "gbp":
        fig.update_yaxes(tickprefix="£", tickformat="~s")
    return fig


def _axis(unit: str) -> str:
    label = unit_label(unit)
    return "Pounds (£)" if label == "£" else label.capitalize()


def _money(unit: str) -> str:
    return "£" if unit == "gbp" else ""


def _suffix(unit: str) -> str:
    return "" if unit == "gbp" else f" {unit_label(unit)}"


def metric_by_year_chart(yearly: pd.DataFrame, name: str, unit: str, aggregation: str,
                         current_year: str = "") -> go.Figure:
    """Bars of the metric per financial year, with the project's target for each year as a marker line.

    ``yearly``: financial_year, value, months, target_value (one metric). ``current_year`` (not
    finished yet) is hatched so a part-year total does not read as a shortfall.
    """
    how = "value at each year's last month" if aggregation in STOCK_AGGREGATIONS else "total per financial year"
    title = f"{name}<br><sup>{how} against the project's target</sup>"
    if yearly.empty:
        return empty_figure(title, "No figures or targets for this measure.")
    fig = base_figure(title, "Financial year", _axis(unit), height=360)
    pre = _money(unit)
    hover = (f"%{{x}}: {pre}%{{y:,.0f}}{_suffix(unit)} (%{{customdata[0]}} months reported)<extra></extra>")
    done = yearly[yearly["financial_year"] != current_year]
    so_far = yearly[yearly["financial_year"] == current_year]
    fig.add_bar(x=done["financial_year"], y=done["value"], name="Reported", marker_color=PALETTE[0],
                customdata=done[["months"]].fillna(0).to_numpy(), hovertemplate=hover)
    if not so_far.empty:
        fig.add_bar(x=so_far["financial_year"], y=so_far["value"], name=f"{current_year} so far",
                    marker={"color": "white", "line": {"color": PALETTE[0], "width": 2},
                            "pattern": {"shape": "/", "fgcolor": PALETTE[0], "bgcolor": "white", "solidity": 0.45}},
                    customdata=so_far[["months"]].fillna(0).to_numpy(), hovertemplate=hover)
    targets = yearly.dropna(subset=["target_value"])
    if not targets.empty:
        fig.add_scatter(x=targets["financial_year"], y=targets["target_value"], name="Project target",
                        mode="markers", marker={"symbol": "line-ew-open", "size": 36, "color": TARGET_COLOUR,
                                                "line": {"width": 3, "color": TARGET_COLOUR}},
                        hovertemplate=f"%{{x}} target: {pre}%{{y:,.0f}}<extra></extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=sorted(yearly["financial_year"].unique()))
    return _tidy(fig, unit)


def metric_in_year_chart(monthly: pd.DataFrame, fy_months: list[str], target: float | None, name: str,
                         unit: str, aggregation: str, financial_year: str,
                         expected_now: tuple[str, float, str] | None = None) -> go.Figure:
    """The selected year month by month: running total against the target pro rata (a straight line
    from 0 to the annual target), or for a ``latest`` metric each month's value against the target.

    ``monthly``: period, value (one metric, any months; those of the year are used). ``expected_now``:
    (month, expected position, basis) when the status was judged on a seasonal profile, not the pro-rata
    line: marked, so the chart shows what the status beside it was judged against.
    """
    latest = aggregation in STOCK_AGGREGATIONS
    how = "each month" if latest else "running total"
    title = f"{name}<br><sup>{financial_year}, {how} against the target{'' if latest else ' pro rata'}</sup>"
    mine = monthly[monthly["period"].isin(fy_months)]
    if mine.empty and target is None:
        return empty_figure(title, f"No figures or target for {financial_year}.")
    fig = base_figure(title, "Month", _axis(unit), height=360)
    pre = _money(unit)
    if latest:
        series = mine.groupby("period", as_index=False)["value"].sum()
        fig.add_scatter(x=series["period"], y=series["value"], name="Reported", mode="lines+markers",
                        line={"color": PALETTE[0], "width": 3},
                        hovertemplate=f"%{{x}}: {pre}%{{y:,.0f}}<extra></extra>")
        if target is not None:
            fig.add_scatter(x=fy_months, y=[target] * len(fy_months), name="Project target", mode="lines",
                            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                            hovertemplate=f"Target: {pre}%{{y:,.0f}}<extra></extra>")
    else:
        cum = cumulative_by_month(mine, fy_months)
        reported = cum[cum["period"] <= (mine["period"].max() if not mine.empty else "")]
        fig.add_scatter(x=reported["period"], y=reported["cumulative"], name="Running total", mode="lines+markers",
                        line={"color": PALETTE[0], "width": 3},
                        hovertemplate=f"%{{x}}: {pre}%{{y:,.0f}} so far this year<extra></extra>")
        if target is not None:
            pro_rata = [target * (i + 1) / len(fy_months) for i in range(len(fy_months))]
            fig.add_scatter(x=fy_months, y=pro_rata, name="Target pro rata", mode="lines",
                            line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                            hovertemplate=f"%{{x}}: {pre}%{{y:,.0f}} expected by month end<extra></extra>")
        if expected_now is not None and expected_now[0] in fy_months:
            month, value, basis = expected_now
            fig.add_scatter(x=[month], y=[value], name="Expected by now (seasonal)", mode="markers",
                            marker={"symbol": "diamond-open", "size": 13, "color": TARGET_COLOUR,
                                    "line": {"width": 2}},
                            hovertemplate=f"%{{x}}: {pre}%{{y:,.0f}} expected by now, from the {basis}<extra></extra>")
    labels = {m: _month_label(m) for m in fy_months}
    fig.update_xaxes(categoryorder="array", categoryarray=fy_months, type="category", tickangle=0,
                     tickmode="array", tickvals=fy_months[::2], ticktext=[labels[m] for m in fy_months[::2]])
    return _tidy(fig, unit)


def _month_label(period: str) -> str:
    """'2025-04' -> 'Apr 25' for a short, unrotated axis label."""
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{names[int(period[5:7]) - 1]} {period[2:4]}"
