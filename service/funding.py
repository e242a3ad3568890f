"""The funding view: allocation by stream and year, spend against grant, forecasts and cost per outcome.

One function the funding page, the API and exports share, cached per data version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import Quarter, parse_fy
from analysis.funding import (
    OUTCOME_PREFERENCE,
    allocation_table,
    cost_per_outcome,
    forecast_table,
    forecast_totals,
    quarterly_spend,
    spend_profile,
)
from service.gate import publish, view
from warehouse import finance_queries, queries
from warehouse.filters import Filters


@dataclass(frozen=True)
class FundingView:
    filters: Filters
    financial_year: str
    quarters_elapsed: int  # quarters of the year the spend ledger covers (0-4)
    profile: list[float] | None  # share of a year's spend done by the end of Q1..Q4 in earlier years
    allocation: pd.DataFrame  # analysis.funding.ALLOCATION_COLUMNS, every year (stream filter only)
    quarterly: pd.DataFrame  # analysis.funding.QUARTERLY_COLUMNS for the year, projects in the slicers
    forecast: pd.DataFrame  # analysis.funding.FORECAST_COLUMNS
    costs: pd.DataFrame  # analysis.funding.COST_COLUMNS
    totals: dict = field(default_factory=dict)  # analysis.funding.forecast_totals


def funding_year(engine: Engine, f: Filters) -> str:
    """The view's financial year: the chosen one, else the latest with observations or spend."""
    if f.fy:
        return f.fy
    data_to = queries.data_runs_to(engine)
    if data_to:
        return f.year(data_to)
    years = finance_queries.funding_by_stream(engine)["financial_year"]
    return str(years.max()) if not years.empty else ""


@view()
def funding_view(engine: Engine, f: Filters, limit: int = 0) -> FundingView:
    fy = funding_year(engine, f)
    allocation = allocation_table(finance_queries.funding_by_stream(engine, f.stream),
                                  finance_queries.grants_by_stream(engine, f.stream))
    if not fy:
        empty = pd.DataFrame()
        return FundingView(f, "", 0, None, allocation, empty, empty, empty, forecast_totals(empty))
    elapsed = finance_queries.spend_quarters_reported(engine, fy)
    scope = queries.project_scope(engine, f)
    grants = finance_queries.project_grants(engine, f, fy)
    # Every project's spend, every year, read once: earlier years give the profile, and the view's
    # year for the projects in scope is the same rows, in the same order, as project_spend(f, fy).
    history = finance_queries.project_spend(engine, Filters())
    in_view = (history["financial_year"] == fy) & history["project_code"].isin(scope["project_code"])
    spend = history[in_view].reset_index(drop=True)
    profile = spend_profile(history[history["financial_year"] < fy])
    forecast = forecast_table(scope, grants, spend, fy, elapsed, profile=profile)
    quarterly = quarterly_spend(spend, float(grants["awarded_gbp"].sum()), fy, elapsed)

    # Outcomes over the same quarters as the spend, on every area of each project.
    outcomes = pd.DataFrame(columns=["project_code", "metric_code", "value"])
    if elapsed:
        first = Quarter(parse_fy(fy), 1).first_month
        last = Quarter(parse_fy(fy), elapsed).last_month
        outcomes = publish(engine, finance_queries.project_outcomes(engine, f, first, last, OUTCOME_PREFERENCE),
                           limit)
    in_time = spend[spend["quarter"] <= elapsed]
    costs = cost_per_outcome(scope, grants, in_time, outcomes, queries.metrics(engine))
    return FundingView(f, fy, elapsed, profile, allocation, quarterly, forecast, costs, forecast_totals(forecast))
