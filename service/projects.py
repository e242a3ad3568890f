"""Projects and partners: the grid of projects within the filters, and one project's page.

Delivery against target uses ``analysis.progress.kpi_table`` per project, exactly as the overview
does for a project filter, so the grid, the project page and the API agree.

Definitions (shown in the grid's header tooltips and the API's meta):
- delivery_pct: mean, over the project's metrics with a project target, of the value for the view ÷
  the expected position for its months so far (each month against its own year's target, spread by the
  project's own seasonal profile where it has the history, else a twelfth a month; a level against its
  target level), × 100, each measure counting at most 500%. ``delivery_basis`` says which.
- delivery_status: on track from 95%, at risk from 80%, off track below: the same number judged, so
  sorting by delivery gives the status order.
- Only projects active in the view's period are listed, unless ended ones are asked for.
- grant_gbp / spend_gbp: awarded (all streams) and spent so far in the view's financial year.
- latest_return / returns_missing: status of the latest quarter in the view a return was due for,
  and how many returns due in the view's quarters never arrived (as on the data quality page).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import add_months, fy_months, fy_of_period, months_between
from analysis.funding import delivery_of_rows, delivery_summary, totals_by_project, yearly_values
from analysis.progress import KPI_COLUMNS, SINCE, KpiPeriod, by_key_and_metric, kpi_table
from analysis.seasonal import SeasonalProfile
from analysis.stocks import STOCK_NOTES, apply_levels, typed_notes
from service.cache import cached
from service.gate import People, publish, publish_kpis, view
from service.returns import returns_in_view, returns_view
from service.stocks import stock_levels
from warehouse import finance_queries, project_queries, queries
from warehouse.filters import Filters

GRID_COLUMNS = [
    "project_code", "project_name", "org_name", "priority_code", "funding_stream", "delivery_pct",
    "delivery_status", "metrics_with_target", "grant_gbp", "spend_gbp", "spend_pct", "latest_return",
    "latest_return_status", "returns_missing", "returns_late", "delivery_basis",
]

DEFINITIONS = {
    "delivery_pct": "Mean, over the project's metrics with a project target, of value ÷ the expected position for "
                    "the months so far (each month against its own year's target, by the project's seasonal profile "
                    "where it has the history, else a twelfth a month; a level such as a caseload against its "
                    "target level) × 100, each measure counting at most 500%. 100% is on target.",
    "delivery_status": "The delivery % judged: on track from 95%, at risk from 80%, off track below, so sorting by "
                       "delivery gives the status order.",
    "delivery_basis": "What each measure's target for the months so far follows: the seasonal profile of the "
                      "project's own earlier years (grants paid in July and January), or the straight line (a "
                      "twelfth of the annual target a month) where it has too little history.",
    "grant_gbp": "Grants awarded to the project for the financial year, all funding streams, in pounds.",
    "spend_gbp": "Spend the project reported so far in the financial year, in pounds.",
    "spend_pct": "Spend so far ÷ grant × 100.",
    "latest_return": "The latest quarter a return was due for, and its status (on time, late, missing).",
    "returns_missing": "Quarterly returns due in the view's quarters that never arrived (as on the data quality "
                       "page and the overview).",
}


def _time_only(f: Filters) -> Filters:
    """The view's period without the slicers: a project's delivery is judged on all its areas."""
    return Filters(fy=f.fy, quarter=f.quarter, month_from=f.month_from, month_to=f.month_to)


def _targets_by_project(targets: pd.DataFrame, codes: Collection[str]) -> dict[str, dict[str, dict[str, float]]]:
    """Annual targets by metric and financial year for each of ``codes`` (project_targets rows), so a
    view across 31 March judges each month against its own year's target."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for code, metric, fy, value in zip(targets["project_code"].tolist(), targets["metric_code"].tolist(),
                                       targets["financial_year"].tolist(), targets["target_value"].tolist(),
                                       strict=True):
        if code in codes:
            out.setdefault(code, {}).setdefault(metric, {})[fy] = value
    return out


def _view_monthly(engine: Engine, f: Filters, data_to: str) -> pd.DataFrame:
    """Monthly totals per project and metric for the view's period, every area of each project."""
    first, last = f.months(data_to)
    return queries.monthly_totals(engine, _time_only(f), first=first, last=last, by=("project_code",))


def _delivery(engine: Engine, f: Filters, codes: Collection[str], data_to: str, limit: int) -> dict[str, dict]:
    """delivery_summary per project with a project target for the view's year.

    One split of ``_view_monthly`` for the whole grid, then ``KpiPeriod.rows``
    (the rows of ``kpi_table``) per project over the metrics it has a target for: the same figures as
    the project page, without a DataFrame per project (428 of them took two seconds).
    """
    first, last = f.months(data_to)
    fy = f.year(data_to)
    metrics = list(queries.metrics(engine).itertuples(index=False))
    years = sorted({fy_of_period(mo) for mo in months_between(first, last)})
    targets = _targets_by_project(project_queries.project_targets(engine), codes)
    targets = {code: mine for code, mine in targets.items() if any(y in by for by in mine.values() for y in years)}
    view = KpiPeriod(first, last, data_to, fy_months(fy))
    months = by_key_and_metric(_view_monthly(engine, f, data_to), "project_code")
    profiles = project_profiles(engine, view.profile_fy, data_to, limit) if targets else {}
    levels = stock_levels(engine, _time_only(f), queries.metrics(engine), min(last, data_to), by="project_code")
    rows = []
    for code, annual in targets.items():
        mine = [metric for metric in metrics if metric.metric_code in annual]
        own = {metric: pair for (metric, project), pair in levels.items() if project == code}
        judged = view.rows(months.get(code, {}), mine, annual, profiles.get(code, {}))
        rows += [{**row, "project_code": code} for row in apply_levels(judged, own)]
    if not rows:
        return {}
    # One published table for the whole grid: each project's counts of people through the gate.
    published = publish_kpis(engine, pd.DataFrame(rows), limit)
    by_project: dict[str, list[dict]] = {}
    for record in published.to_dict("records"):  # one conversion, not a DataFrame per project
        by_project.setdefault(record["project_code"], []).append(record)
    return {code: delivery_of_rows(records) for code, records in by_project.items()}


@cached
def project_profiles(engine: Engine, profile_fy: str, data_to: str,
                     limit: int) -> dict[str, dict[str, SeasonalProfile | None]]:
    """Each project's seasonal profiles for a view of ``profile_fy``, learnt as the overview filtered to
    that project learns them (``service.kpis.kpi_view``): from the project's own published months before
    that year. So a project's status is judged against the same expected position in the grid, on its
    page and on the overview filtered to it (grants paid in July and January are not "behind" in
    October). Depends on the year and the data only, not on the view's slicers: worked out once per
    data version and year, not per grid view."""
    view = KpiPeriod(fy_months(profile_fy)[0], fy_months(profile_fy)[-1], data_to, fy_months(profile_fy))
    before = add_months(fy_months(profile_fy)[0], -1)
    history = publish(engine, queries.monthly_totals(engine, Filters(), first=SINCE, last=before,
                                                     by=("project_code",)), limit)
    return {code: view.profiles(frame[["metric_code", "period", "value"]])
            for code, frame in history.groupby("project_code", sort=False)}


def _returns_summary(returns: pd.DataFrame, codes: Collection[str]) -> dict[str, dict]:
    """Per project: the latest quarter a return was due for and its status, and counts missing and late.

    One pass over the rows (no sort): the latest is the greatest (financial_year, quarter), the last
    such row when a quarter repeats, as sorting stably and taking the last row would give.
    """
    out: dict[str, dict] = {}
    latest: dict[str, tuple[str, int]] = {}
    if returns.empty:
        return out
    for code, fy, quarter, label, status in zip(
            returns["project_code"].tolist(), returns["financial_year"].tolist(), returns["quarter"].tolist(),
            returns["label"].tolist(), returns["status"].tolist(), strict=True):
        if code not in codes:
            continue
        summary = out.get(code)
        if summary is None:
            summary = out[code] = {"latest_return": None, "latest_return_status": None, "returns_missing": 0,
                                   "returns_late": 0}
        if code not in latest or (fy, quarter) >= latest[code]:
            latest[code] = (fy, quarter)
            summary.update(latest_return=f"{label}: {status}", latest_return_status=status)
        summary["returns_missing"] += status == "missing"
        summary["returns_late"] += status == "late"
    return out


def active_in(projects: pd.DataFrame, first: str, last: str) -> pd.Series:
    """Which projects (start_date, end_date; blank end: ongoing) were active in any month [first, last]."""
    start = projects["start_date"].map(lambda d: d.strftime("%Y-%m") if d is not None and d == d else "0000-00")
    end = projects["end_date"].map(lambda d: d.strftime("%Y-%m") if d is not None and d == d else "9999-12")
    return (start <= last) & (end >= first)


@view()
def projects_table(engine: Engine, f: Filters, include_ended: bool = False, limit: int = 0) -> pd.DataFrame:
    """One row per project within the slicers (GRID_COLUMNS), for the view's period.

    Only projects active at some point of the view's months, unless ``include_ended``: a project that
    ended years ago is not "no target" this year, it is not in this year at all.
    """
    scope = queries.project_scope(engine, f)
    data_to = queries.data_runs_to(engine)
    if not include_ended and data_to:
        scope = scope[active_in(scope, *f.months(data_to))]
    if scope.empty:
        return pd.DataFrame(columns=GRID_COLUMNS)
    names = queries.projects(engine)
    org_names = dict(zip(names["project_code"].tolist(), names["org_name"].tolist(), strict=True))
    rows = {code: {"project_code": code} for code in scope["project_code"].tolist()}
    for code, name, priority, stream in zip(scope["project_code"].tolist(), scope["project_name"].tolist(),
                                            scope["priority_code"].tolist(), scope["funding_stream"].tolist(),
                                            strict=True):
        rows[code].update(project_name=name, org_name=org_names.get(code), priority_code=priority,
                          funding_stream=stream)

    for code, summary in _returns_summary(returns_in_view(engine, f), rows).items():
        rows[code].update(summary)
    if data_to:
        fy = f.year(data_to)
        grants = totals_by_project(finance_queries.project_grants(engine, f, fy), "awarded_gbp")
        spend = totals_by_project(finance_queries.project_spend(engine, f, fy), "spend_gbp")
        # Delivery against project targets for the view's period.
        for code, delivery in _delivery(engine, f, rows, data_to, limit).items():
            rows[code].update(delivery)
        for code, row in rows.items():
            grant = float(grants.get(code, 0.0))
            spent = round(float(spend.get(code, 0.0)), 2)
            row.update(grant_gbp=grant, spend_gbp=spent,
                       spend_pct=round(spent / grant * 100.0, 1) if grant > 0 else None)
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


@view(People("monthly"), People("yearly"))
def project_view(engine: Engine, code: str, f: Filters, limit: int = 0) -> ProjectView | None:
    """One project for the view's period; None when no project has this code."""
    detail = project_queries.project_detail(engine, code)
    if detail.empty:
        return None
    only = Filters(fy=f.fy, quarter=f.quarter, month_from=f.month_from, month_to=f.month_to, project=code)
    data_to = queries.data_runs_to(engine)
    metric_codes = project_queries.project_metric_codes(engine, code)
    info = queries.metrics(engine)
    info = info[info["metric_code"].isin(metric_codes)].reset_index(drop=True)
    monthly = queries.monthly_totals(engine, only)[["metric_code", "period", "financial_year", "value", "value_key"]]
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
        year_targets = targets[targets["financial_year"] == fy][["metric_code", "financial_year", "target_value"]]
        # Every year's targets (a view across 31 March takes each month's own) and the project's own
        # published history for its seasonal profiles: the grid's rule (``_delivery``) and the overview's.
        raw = kpi_table(monthly, info, targets[["metric_code", "financial_year", "target_value"]], first, last,
                        data_to, fy_months(fy), history=publish(engine, monthly, limit))
        own = {metric: pair for (metric, _g), pair in stock_levels(engine, only, info, min(last, data_to)).items()}
        raw = typed_notes(pd.DataFrame(apply_levels(raw.to_dict("records"), own), columns=[*raw.columns, *STOCK_NOTES]))
        kpis = publish_kpis(engine, raw, limit)[[*KPI_COLUMNS, *STOCK_NOTES]]
        delivery = delivery_summary(kpis[kpis["metric_code"].isin(year_targets["metric_code"])])
    grants = finance_queries.project_grants(engine, only)[["funding_stream", "financial_year", "awarded_gbp"]]
    spend = finance_queries.project_spend(engine, only)[["financial_year", "quarter", "spend_gbp"]]
    return ProjectView(
        code=code, detail=detail.iloc[0].to_dict(), areas=project_queries.project_areas(engine, code),
        financial_year=fy, first=first, last=last, data_to=data_to, kpis=kpis, monthly=monthly, yearly=yearly,
        metric_info=info, returns=returns_view(engine, Filters(project=code)),
        loads=project_queries.project_load_history(engine, code), grants=grants, spend=spend, delivery=delivery,
    )
