"""Projects and partners: the grid of projects within the filters, and one project's page.

Delivery against target uses ``analysis.progress.kpi_table`` per project, exactly as the overview
does for a project filter, so the grid, the project page and the API agree.

Definitions (shown in the grid's header tooltips and the API's meta):
- delivery_pct: mean, over the project's metrics with a project target for the year, of the value
  for the view ÷ the target for the view (the annual target, or its share for a quarter) × 100.
  Half-way through a year about 50% is on track.
- delivery_status: on track / at risk / off track, judging the mean of value ÷ target pro-rata for
  the months elapsed (on track from 95%, at risk from 80%).
- grant_gbp / spend_gbp: awarded (all streams) and spent so far in the view's financial year.
- latest_return / returns_missing: status of the latest quarter a return was due for, and how many
  due returns never arrived (all quarters to date).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import fy_months
from analysis.funding import delivery_summary, yearly_values
from analysis.progress import kpi_table
from service.cache import cached
from service.returns import returns_view
from warehouse import finance_queries, project_queries, queries
from warehouse.filters import Filters

GRID_COLUMNS = [
    "project_code", "project_name", "org_name", "priority_code", "funding_stream", "delivery_pct",
    "delivery_status", "metrics_with_target", "grant_gbp", "spend_gbp", "spend_pct", "latest_return",
    "latest_return_status", "returns_missing", "returns_late",
]

DEFINITIONS = {
    "delivery_pct": "Mean, over the project's metrics with a project target for the year, of value for the period "
                    "÷ target for the period (annual target, or its quarter share) × 100. Half-way through a year "
                    "about 50% is on track.",
    "delivery_status": "Mean of value ÷ target pro-rata for the months elapsed: on track from 95%, at risk from "
                       "80%, off track below.",
    "grant_gbp": "Grants awarded to the project for the financial year, all funding streams, in pounds.",
    "spend_gbp": "Spend the project reported so far in the financial year, in pounds.",
    "spend_pct": "Spend so far ÷ grant × 100.",
    "latest_return": "The latest quarter a return was due for, and its status (on time, late, missing).",
    "returns_missing": "Quarterly returns due that never arrived, all quarters to date.",
}


def _time_only(f: Filters) -> Filters:
    """The view's period without the slicers: a project's delivery is judged on all its areas."""
    return Filters(fy=f.fy, quarter=f.quarter, month_from=f.month_from, month_to=f.month_to)


def _project_kpis(monthly: pd.DataFrame, info: pd.DataFrame, targets: pd.DataFrame, first: str, last: str,
                  data_to: str, fy: str) -> pd.DataFrame:
    """kpi_table restricted to the metrics that have a target (keeps a 70-project grid fast)."""
    mine = info[info["metric_code"].isin(targets["metric_code"])]
    return kpi_table(monthly, mine, targets, first, last, data_to, fy_months(fy))


@cached
def projects_table(engine: Engine, f: Filters) -> pd.DataFrame:
    """One row per project within the slicers (GRID_COLUMNS), for the view's financial year."""
    scope = queries.project_scope(engine, f)
    if scope.empty:
        return pd.DataFrame(columns=GRID_COLUMNS)
    names = queries.projects(engine).set_index("project_code")["org_name"]
    data_to = queries.data_runs_to(engine)
    rows = {code: {"project_code": code} for code in scope["project_code"]}
    for r in scope.itertuples(index=False):
        rows[r.project_code].update(project_name=r.project_name, org_name=names.get(r.project_code),
                                    priority_code=r.priority_code, funding_stream=r.funding_stream)

    # Delivery against project targets for the view's period.
    if data_to:
        first, last = f.months(data_to)
        fy = f.year(data_to)
        monthly = queries.monthly_totals(engine, _time_only(f), first=first, last=last, by=("project_code",))
        monthly = monthly[monthly["project_code"].isin(rows)]
        targets = project_queries.project_targets(engine, fy)
        info = queries.metrics(engine)
        by_project = dict(tuple(monthly.groupby("project_code")))
        for code, tgt in targets[targets["project_code"].isin(rows)].groupby("project_code"):
            mine = by_project.get(code, monthly.iloc[0:0])
            kpis = _project_kpis(mine, info, tgt, first, last, data_to, fy)
            rows[code].update(delivery_summary(kpis))
        grants = finance_queries.project_grants(engine, f, fy).groupby("project_code")["awarded_gbp"].sum()
        spend = finance_queries.project_spend(engine, f, fy).groupby("project_code")["spend_gbp"].sum()
        for code, row in rows.items():
            grant = float(grants.get(code, 0.0))
            spent = round(float(spend.get(code, 0.0)), 2)
            row.update(grant_gbp=grant, spend_gbp=spent,
                       spend_pct=round(spent / grant * 100.0, 1) if grant > 0 else None)

    returns = returns_view(engine, f)
    if not returns.empty:
        ordered = returns.sort_values(["project_code", "financial_year", "quarter"])
        for code, grp in ordered.groupby("project_code"):
            if code not in rows:
                continue
            last_row = grp.iloc[-1]
            rows[code].update(latest_return=f"{last_row['label']}: {last_row['status']}",
                              latest_return_status=last_row["status"],
                              returns_missing=int((grp["status"] == "missing").sum()),
                              returns_late=int((grp["status"] == "late").sum()))
    frame = pd.DataFrame(list(rows.values()))
    for col in GRID_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame["delivery_status"] = frame["delivery_status"].fillna("no target")
    frame["metrics_with_target"] = frame["metrics_with_target"].fillna(0).astype(int)
    for col in ("returns_missing", "returns_late"):
        frame[col] = frame[col].fillna(0).astype(int)
    return frame[GRID_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class ProjectView:
    """Everything one project's page and ``/api/v1/projects/<code>`` show."""

    code: str
    detail: dict
    areas: pd.DataFrame  # area_code, area_name, area_type
    financial_year: str
    first: str
    last: str
    data_to: str
    kpis: pd.DataFrame  # analysis.progress.KPI_COLUMNS for the project's metrics, the view's period
    monthly: pd.DataFrame  # metric_code, period, financial_year, value (all months, all areas)
    yearly: pd.DataFrame  # metric_code, financial_year, value, months, target_value
    metric_info: pd.DataFrame  # queries.metrics rows for the project's metrics
    returns: pd.DataFrame  # service.returns.returns_view rows
    loads: pd.DataFrame  # warehouse.project_queries.LOAD_COLUMNS
    grants: pd.DataFrame  # funding_stream, financial_year, awarded_gbp
    spend: pd.DataFrame  # financial_year, quarter, spend_gbp
    delivery: dict = field(default_factory=dict)


@cached
def project_view(engine: Engine, code: str, f: Filters) -> ProjectView | None:
    """One project for the view's period; None when no project has this code."""
    detail = project_queries.project_detail(engine, code)
    if detail.empty:
        return None
    only = Filters(fy=f.fy, quarter=f.quarter, month_from=f.month_from, month_to=f.month_to, project=code)
    data_to = queries.data_runs_to(engine)
    metric_codes = project_queries.project_metric_codes(engine, code)
    info = queries.metrics(engine)
    info = info[info["metric_code"].isin(metric_codes)].reset_index(drop=True)
    monthly = queries.monthly_totals(engine, only)[["metric_code", "period", "financial_year", "value"]]
    targets = project_queries.project_targets(engine, code=code)
    yearly = yearly_values(monthly, info).merge(targets[["metric_code", "financial_year", "target_value"]],
                                                on=["metric_code", "financial_year"], how="outer")
    yearly = yearly.sort_values(["metric_code", "financial_year"]).reset_index(drop=True)
    first = last = fy = ""
    kpis = pd.DataFrame()
    delivery: dict = {}
    if data_to:
        first, last = only.months(data_to)
        fy = only.year(data_to)
        year_targets = targets[targets["financial_year"] == fy][["metric_code", "target_value"]]
        kpis = kpi_table(monthly, info, year_targets, first, last, data_to, fy_months(fy))
        delivery = delivery_summary(kpis[kpis["metric_code"].isin(year_targets["metric_code"])])
    grants = finance_queries.project_grants(engine, only)[["funding_stream", "financial_year", "awarded_gbp"]]
    spend = finance_queries.project_spend(engine, only)[["financial_year", "quarter", "spend_gbp"]]
    return ProjectView(
        code=code, detail=detail.iloc[0].to_dict(), areas=project_queries.project_areas(engine, code),
        financial_year=fy, first=first, last=last, data_to=data_to, kpis=kpis, monthly=monthly, yearly=yearly,
        metric_info=info, returns=returns_view(engine, Filters(project=code)),
        loads=project_queries.project_load_history(engine, code), grants=grants, spend=spend, delivery=delivery,
    )
