"""Funding figures: allocation by stream and year, spend against grant by quarter, forecast variance.

Pure builders (DataFrame -> go.Figure) on ``analysis.funding`` frames, shared by pages and reports.
Money axes are in pounds; the even-quarter grant line is the reference ("target") line.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analysis.funding import FLAG_OVER, FLAG_UNDER, VARIANCE_THRESHOLD, furthest_from_grant
from charts.theme import LEGEND_TOP, PALETTE, TARGET_COLOUR, base_figure, empty_figure

STREAM_ORDER = ("HO_VRU", "HO_GRIP", "ECC", "PFCC")
FLAG_COLOURS = {FLAG_UNDER: PALETTE[0], FLAG_OVER: PALETTE[5]}


def _tidy(fig: go.Figure, money_axis: str = "y") -> go.Figure:
    """Legend above the plot (never over an axis title); money ticks as £800k, £1.5M, wide enough to read."""
    fig.update_layout(legend=LEGEND_TOP, margin={"t": 90, "b": 60})
    axis = fig.layout.yaxis if money_axis == "y" else fig.layout.xaxis
    axis.update(tickprefix="£", tickformat="~s", automargin=True)
    if money_axis == "y":
        fig.update_xaxes(automargin=True)
    return fig


def _streams(allocation: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(allocation["funding_stream"]))
    return [s for s in STREAM_ORDER if s in present] + sorted(s for s in present if s not in STREAM_ORDER)


def allocation_chart(allocation: pd.DataFrame) -> go.Figure:
    """Stacked bars: money each funding stream brought in each financial year (£)."""
    title = "Funding by stream and financial year"
    if allocation.empty:
        return empty_figure(title, "No funding has been loaded.")
    fig = base_figure(title, "Financial year", "Funding (£)", height=380)
    for i, stream in enumerate(_streams(allocation)):
        rows = allocation[allocation["funding_stream"] == stream]
        fig.add_bar(
            x=rows["financial_year"], y=rows["amount_gbp"], name=stream,
            marker_color=PALETTE[i % len(PALETTE)],
            customdata=rows[["source_body", "granted_gbp"]].to_numpy(),
            hovertemplate=(f"<b>{stream}</b> (%{{customdata[0]}})<br>%{{x}}: £%{{y:,.0f}} available"
                           "<br>£%{customdata[1]:,.0f} granted to projects<extra></extra>"),
        )
    fig.update_layout(barmode="stack", legend_title_text="Stream: ")
    return _tidy(fig)


def spend_vs_grant_chart(quarterly: pd.DataFrame, financial_year: str) -> go.Figure:
    """Bars of spend per quarter against a line at a quarter of the year's grant (£)."""
    title = f"Spend by quarter against grant ÷ 4<br><sup>{financial_year}</sup>"
    if quarterly.empty or not quarterly["grant_share_gbp"].any() and not quarterly["spend_gbp"].notna().any():
        return empty_figure(title, "No grants or spend for this year and these filters.")
    fig = base_figure(title, f"Quarter of {financial_year}", "Pounds (£)")
    quarters = "Q" + quarterly["quarter"].astype(str)
    fig.add_bar(x=quarters, y=quarterly["spend_gbp"], name="Spend reported", marker_color=PALETTE[0],
                hovertemplate=f"{financial_year} %{{x}}: £%{{y:,.0f}} spent<extra></extra>")
    fig.add_scatter(x=quarters, y=quarterly["grant_share_gbp"], name="Quarter of the grant (grant ÷ 4)",
                    mode="lines+markers", line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                    hovertemplate=f"{financial_year} %{{x}}: £%{{y:,.0f}} (grant ÷ 4)<extra></extra>")
    return _tidy(fig)


def cumulative_spend_chart(quarterly: pd.DataFrame, financial_year: str) -> go.Figure:
    """Spend to date by quarter end against the grant spent evenly through the year (£)."""
    title = f"Cumulative spend against the grant<br><sup>{financial_year}, grant spent evenly as the guide</sup>"
    if quarterly.empty or not quarterly["cumulative_grant_gbp"].any() and not quarterly["spend_gbp"].notna().any():
        return empty_figure(title, "No grants or spend for this year and these filters.")
    fig = base_figure(title, f"End of quarter, {financial_year}", "Cumulative pounds (£)")
    quarters = "Q" + quarterly["quarter"].astype(str)
    fig.add_scatter(x=quarters, y=quarterly["cumulative_grant_gbp"], name="Grant spent evenly",
                    mode="lines+markers", line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                    hovertemplate=f"End of {financial_year} %{{x}}: £%{{y:,.0f}} if spent evenly<extra></extra>")
    fig.add_scatter(x=quarters, y=quarterly["cumulative_spend_gbp"], name="Spend to date",
                    mode="lines+markers", line={"color": PALETTE[0], "width": 3},
                    hovertemplate=f"End of {financial_year} %{{x}}: £%{{y:,.0f}} spent to date<extra></extra>")
    return _tidy(fig)


def forecast_chart(forecast: pd.DataFrame, financial_year: str, limit: int = 30) -> go.Figure:
    """Flagged projects: forecast year-end spend against grant, as % over (+) or under (−).

    At most ``limit`` bars, those furthest from their grant: beyond that the bars are unreadable (and
    the page's table lists every project).
    """
    title = f"Forecast more than 10% from the grant<br><sup>{financial_year}, run rate, by project</sup>"
    flagged = furthest_from_grant(forecast, flagged_only=True) if not forecast.empty else forecast
    if flagged.empty:
        return empty_figure(title, "No project is forecast to miss its grant by more than 10%.")
    if len(flagged) > limit:
        title = (f"Forecast more than 10% from the grant: the {limit} furthest of {len(flagged)}<br>"
                 f"<sup>{financial_year}, run rate, by project</sup>")
        flagged = flagged.head(limit)
    flagged = flagged.sort_values("variance_pct")
    labels = flagged["project_code"]
    fig = base_figure(title, "Forecast against grant (%)", "Project", height=max(300, 60 + 22 * len(flagged)))
    for flag, colour in FLAG_COLOURS.items():
        rows = flagged[flagged["flag"] == flag]
        if rows.empty:
            continue
        fig.add_bar(
            x=rows["variance_pct"], y=rows["project_code"], orientation="h", name=f"Forecast {flag}",
            marker_color=colour,
            customdata=rows[["project_name", "forecast_gbp", "awarded_gbp"]].to_numpy(),
            hovertemplate=("<b>%{y}</b> %{customdata[0]}<br>forecast £%{customdata[1]:,.0f} against grant "
                           "£%{customdata[2]:,.0f} (%{x:+.0f}%)<extra></extra>"),
        )
    limit = VARIANCE_THRESHOLD * 100
    for x in (-limit, limit):
        fig.add_vline(x=x, line={"color": TARGET_COLOUR, "dash": "dash", "width": 1})
    fig.update_layout(yaxis={"categoryorder": "array", "categoryarray": list(labels), "rangemode": "normal",
                             "automargin": True}, xaxis_ticksuffix="%", legend=LEGEND_TOP, margin={"t": 90})
    return fig
