"""Money and delivery for projects: allocation, spend against grant, year-end forecasts, cost per outcome.

Pure functions on small DataFrames (no I/O), so the numbers the funding page, the projects grid and
the API show are decided here and tested with known answers.

Rules that shape them:
- Money cannot be carried over between financial years (April to March): a grant not spent by
  31 March is lost, so an underspend matters as much as an overspend.
- The year-end forecast is a run rate: spend so far ÷ the project's quarters elapsed × the
  project's quarters in the year (4 for a project active all year). A finished year's forecast is
  its actual spend.
- Cost per outcome divides spend by the project's main countable outcome over the same quarters,
  and is not shown when fewer than ``MIN_OUTCOMES`` outcomes were recorded (too few to be reliable).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd

from analysis.fiscal import Quarter, parse_fy
from analysis.numbers import finite_or_none
from analysis.progress import MetricMonths, aggregate, aggregate_key, judge

VARIANCE_THRESHOLD = 0.10  # forecast more than 10% away from the grant is flagged
RATIO_CAP = 5.0  # one measure far above its target must not hide the others: each counts at most 500%
MIN_OUTCOMES = 10  # fewer outcomes than this: cost per outcome is unreliable and not shown
QUARTERS = (1, 2, 3, 4)

# The outcome a project's cost is measured against: the first of these it reports. People helped
# come first; only metrics summed over time qualify (a stock such as a caseload has no "per").
OUTCOME_PREFERENCE = (
    "SAFEGUARDED", "IND_SUPPORTED", "YP_ENGAGED", "PROF_TRAINED", "WEAPONS_SURRENDERED", "CL_LINES_CLOSED",
    "COMMUNITY_EVENTS", "TRAINING_SESSIONS", "BESPOKE_PACKAGES",
)

FLAG_UNDER = "underspend"
FLAG_OVER = "overspend"
FLAG_OK = "within 10%"
FLAG_NO_GRANT = "spend without grant"
FLAG_NOT_STARTED = "no quarter elapsed"

FORECAST_COLUMNS = [
    "project_code", "project_name", "awarded_gbp", "spend_to_date_gbp", "quarters_active", "quarters_elapsed",
    "forecast_gbp", "variance_gbp", "variance_pct", "flag", "profile_forecast_gbp", "profile_flag",
]
QUARTERLY_COLUMNS = ["quarter", "label", "spend_gbp", "grant_share_gbp", "cumulative_spend_gbp",
                     "cumulative_grant_gbp", "reported"]
ALLOCATION_COLUMNS = ["funding_stream", "source_body", "financial_year", "amount_gbp", "granted_gbp",
                      "unallocated_gbp", "projects"]
COST_COLUMNS = [
    "project_code", "project_name", "outcome_metric", "outcome_name", "outcome_unit", "outcomes",
    "awarded_gbp", "spend_gbp", "cost_per_outcome_gbp", "reliability",
]
DELIVERY_KEYS = ("delivery_pct", "delivery_status", "metrics_with_target")


def totals_by_project(frame: pd.DataFrame, column: str) -> dict[str, float]:
    """``column`` summed per project_code, as a dict ({} for no rows): tables of 700 projects look
    each one up, and a Series ``get`` per project adds up."""
    if frame.empty:
        return {}
    sums = frame.groupby("project_code")[column].sum()
    return dict(zip(sums.index.tolist(), sums.tolist(), strict=True))


def active_quarters(start: date, end: date | None, financial_year: str) -> list[int]:
    """Quarter numbers (1-4) of ``financial_year`` in which a project with these dates was active."""
    fy = parse_fy(financial_year)
    first = Quarter.of(start)
    last = Quarter.of(end) if end is not None else Quarter(fy + 1, 4)
    return [q for q in QUARTERS if first <= Quarter(fy, q) <= last]


def quarters_reported(spend: pd.DataFrame) -> int:
    """The latest quarter (1-4) with any spend reported in a year's spend rows; 0 when none."""
    if spend.empty:
        return 0
    return int(spend["quarter"].max())


def run_rate_forecast(spend_to_date: float, quarters_elapsed: int, quarters_active: int) -> float | None:
    """Year-end spend if the rate so far continues: to date ÷ elapsed × active. None before any quarter."""
    if quarters_elapsed <= 0 or quarters_active <= 0:
        return None
    if quarters_elapsed >= quarters_active:
        return float(spend_to_date)
    return float(spend_to_date) / quarters_elapsed * quarters_active


def classify(forecast: float | None, awarded: float | None, threshold: float = VARIANCE_THRESHOLD) -> str:
    """underspend / overspend when the forecast is more than ``threshold`` away from the grant."""
    awarded = finite_or_none(awarded) or 0.0
    if forecast is None:
        return FLAG_NOT_STARTED
    if awarded <= 0:
        return FLAG_NO_GRANT if forecast > 0 else FLAG_OK
    share = (forecast - awarded) / awarded
    if share < -threshold:
        return FLAG_UNDER
    if share > threshold:
        return FLAG_OVER
    return FLAG_OK


def spend_profile(spend: pd.DataFrame) -> list[float] | None:
    """Share of a year's spend reported by the end of Q1, Q2, Q3 and Q4 in past complete years.

    ``spend``: project_code, financial_year, quarter, spend_gbp over many years. Only project-years
    with spend in all four quarters count (a project starting or ending mid-year would skew it).
    None when there is no such year.
    """
    if spend.empty:
        return None
    wide = spend.pivot_table(index=["project_code", "financial_year"], columns="quarter", values="spend_gbp",
                             aggfunc="sum")
    if not set(QUARTERS) <= set(wide.columns):
        return None
    full = wide[list(QUARTERS)].dropna()
    total = float(full.to_numpy().sum())
    if full.empty or total <= 0:
        return None
    sums = full.sum()
    running, out = 0.0, []
    for q in QUARTERS:
        running += float(sums[q])
        out.append(running / total)
    return out


def forecast_table(projects: pd.DataFrame, grants: pd.DataFrame, spend: pd.DataFrame, financial_year: str,
                   quarters_elapsed: int, threshold: float = VARIANCE_THRESHOLD,
                   profile: list[float] | None = None) -> pd.DataFrame:
    """One row per project with a grant or spend in the year: spend so far, forecast and a flag.

    ``projects``: project_code, project_name, start_date, end_date. ``grants``: project_code,
    awarded_gbp (any number of rows per project: streams are added). ``spend``: project_code,
    quarter (1-4), spend_gbp for ``financial_year``. ``quarters_elapsed``: quarters of the year the
    spend ledger covers (the same for every project, so a missing return counts as no spend).
    The flag uses the run rate. ``profile`` (from ``spend_profile``) adds a second, context-only
    forecast for projects active all year: spend so far ÷ the share past years had spent by now.
    """
    awarded = totals_by_project(grants, "awarded_gbp")
    in_time = spend[spend["quarter"] <= quarters_elapsed] if not spend.empty else spend
    spent = totals_by_project(in_time, "spend_gbp")
    rows = []
    for p in projects.itertuples(index=False):
        grant = float(awarded.get(p.project_code, 0.0))
        to_date = float(spent.get(p.project_code, 0.0))
        if grant <= 0 and to_date <= 0:
            continue
        end = p.end_date if isinstance(p.end_date, date) else None
        active = active_quarters(p.start_date, end, financial_year)
        elapsed = sum(1 for q in active if q <= quarters_elapsed)
        forecast = run_rate_forecast(to_date, elapsed, len(active))
        variance = None if forecast is None else forecast - grant
        by_profile = forecast
        if profile and len(active) == 4 and 0 < quarters_elapsed < 4 and profile[quarters_elapsed - 1] > 0:
            by_profile = to_date / profile[quarters_elapsed - 1]
        rows.append({
            "project_code": p.project_code, "project_name": p.project_name, "awarded_gbp": grant,
            "spend_to_date_gbp": round(to_date, 2), "quarters_active": len(active), "quarters_elapsed": elapsed,
            "forecast_gbp": None if forecast is None else round(forecast, 2),
            "variance_gbp": None if variance is None else round(variance, 2),
            "variance_pct": round(variance / grant * 100.0, 1) if variance is not None and grant > 0 else None,
            "flag": classify(forecast, grant, threshold),
            "profile_forecast_gbp": None if by_profile is None else round(by_profile, 2),
            "profile_flag": classify(by_profile, grant, threshold),
        })
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def furthest_from_grant(forecast: pd.DataFrame, flagged_only: bool = False) -> pd.DataFrame:
    """Forecast rows, largest difference from the grant first (|variance %|; no forecast counts as 0).

    The one order the funding page's table, chart and grid share, so they list the same projects
    first; stable, so ties keep the forecast's own order. ``flagged_only``: just the projects
    flagged for an under- or overspend.
    """
    rows = forecast[forecast["flag"].isin([FLAG_UNDER, FLAG_OVER])] if flagged_only else forecast
    distance = rows["variance_pct"].abs().fillna(0)
    return rows.loc[distance.sort_values(ascending=False, kind="stable").index]


def forecast_totals(forecast: pd.DataFrame) -> dict[str, float | int]:
    """Headline sums: grant, spend so far, forecast, forecast unspent (lost at 31 March), flags."""
    if forecast.empty:
        return {"awarded_gbp": 0.0, "spend_to_date_gbp": 0.0, "forecast_gbp": 0.0, "forecast_unspent_gbp": 0.0,
                "forecast_overspend_gbp": 0.0, "underspend": 0, "overspend": 0, "projects": 0}
    variance = forecast["variance_gbp"].astype(float).fillna(0.0)
    return {
        "awarded_gbp": float(forecast["awarded_gbp"].sum()),
        "spend_to_date_gbp": round(float(forecast["spend_to_date_gbp"].sum()), 2),
        "forecast_gbp": round(float(forecast["forecast_gbp"].astype(float).fillna(0.0).sum()), 2),
        "forecast_unspent_gbp": round(float(-variance[variance < 0].sum()), 2),
        "forecast_overspend_gbp": round(float(variance[variance > 0].sum()), 2),
        "underspend": int((forecast["flag"] == FLAG_UNDER).sum()),
        "overspend": int((forecast["flag"] == FLAG_OVER).sum()),
        "projects": len(forecast),
    }


def quarterly_spend(spend: pd.DataFrame, awarded_total: float, financial_year: str,
                    quarters_elapsed: int) -> pd.DataFrame:
    """Spend per quarter of the year against an even quarter of the grant, with running totals.

    Quarters not yet reported have no spend (None), so a chart does not draw them as zero.
    """
    fy = parse_fy(financial_year)
    by_q = spend.groupby("quarter")["spend_gbp"].sum() if not spend.empty else pd.Series(dtype=float)
    rows, running = [], 0.0
    for q in QUARTERS:
        reported = q <= quarters_elapsed
        value = float(by_q.get(q, 0.0)) if reported else None
        if value is not None:
            running += value
        rows.append({
            "quarter": q, "label": Quarter(fy, q).label, "spend_gbp": None if value is None else round(value, 2),
            "grant_share_gbp": round(awarded_total / 4.0, 2),
            "cumulative_spend_gbp": round(running, 2) if reported else None,
            "cumulative_grant_gbp": round(awarded_total * q / 4.0, 2), "reported": reported,
        })
    return pd.DataFrame(rows, columns=QUARTERLY_COLUMNS)


def allocation_table(funding: pd.DataFrame, grants: pd.DataFrame) -> pd.DataFrame:
    """Each stream's money per year, how much was granted to projects and what was left unallocated.

    ``funding``: funding_stream, source_body, financial_year, amount_gbp. ``grants``:
    funding_stream, financial_year, awarded_gbp, projects.
    """
    if funding.empty:
        return pd.DataFrame(columns=ALLOCATION_COLUMNS)
    merged = funding.merge(grants, on=["funding_stream", "financial_year"], how="left")
    merged["granted_gbp"] = merged["awarded_gbp"].astype(float).fillna(0.0)
    merged["projects"] = merged["projects"].fillna(0).astype(int)
    merged["amount_gbp"] = merged["amount_gbp"].astype(float)
    merged["unallocated_gbp"] = (merged["amount_gbp"] - merged["granted_gbp"]).round(2)
    return merged.sort_values(["financial_year", "funding_stream"])[ALLOCATION_COLUMNS].reset_index(drop=True)


def _summed_metrics(metric_info: pd.DataFrame) -> set[str]:
    """Metrics summed over time: the only ones a cost can be "per" (a stock such as a caseload is not)."""
    return set(metric_info.loc[metric_info["aggregation"] == "sum", "metric_code"])


def _preferred_outcome(reported: Iterable[str], summed: set[str]) -> str | None:
    have = set(reported) & summed
    for code in OUTCOME_PREFERENCE:
        if code in have:
            return code
    return None


def choose_outcome_metric(reported: Iterable[str], metric_info: pd.DataFrame) -> str | None:
    """The project's main countable outcome: the first of OUTCOME_PREFERENCE it reports, summed metrics only."""
    return _preferred_outcome(reported, _summed_metrics(metric_info))


def _outcome_totals(outcomes: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Outcome totals per project and metric (``outcomes`` rows), from one grouping of the whole frame.

    Grouping once (not once per project) keeps a 700-project page fast; each total is the same
    grouped sum over the same rows in the same order, so the figures do not change.
    """
    if outcomes.empty:
        return {}
    sums = outcomes.groupby(["project_code", "metric_code"])["value"].sum(min_count=1)  # hidden stays hidden
    out: dict[str, dict[str, float]] = {}
    for (project, metric), total in zip(sums.index.tolist(), sums.tolist(), strict=True):
        out.setdefault(project, {})[metric] = total
    return out


def cost_per_outcome(projects: pd.DataFrame, grants: pd.DataFrame, spend: pd.DataFrame, outcomes: pd.DataFrame,
                     metric_info: pd.DataFrame, min_outcomes: int = MIN_OUTCOMES) -> pd.DataFrame:
    """£ spent per outcome, per project, over the same quarters.

    ``outcomes``: project_code, metric_code, value (totals over the quarters ``spend`` covers).
    Fewer than ``min_outcomes`` outcomes: no cost is shown ("too few outcomes"). Counts of people come
    published (``service.gate``): a hidden one (NaN) has no count and no cost.
    """
    names = dict(zip(metric_info["metric_code"].tolist(), metric_info["name"].tolist(), strict=True))
    units = dict(zip(metric_info["metric_code"].tolist(), metric_info["unit"].tolist(), strict=True))
    summed = _summed_metrics(metric_info)
    awarded = totals_by_project(grants, "awarded_gbp")
    spent = totals_by_project(spend, "spend_gbp")
    by_project = _outcome_totals(outcomes)
    rows = []
    for code, project_name in zip(projects["project_code"].tolist(), projects["project_name"].tolist(),
                                  strict=True):
        grant = float(awarded.get(code, 0.0))
        money = float(spent.get(code, 0.0))
        if grant <= 0 and money <= 0:
            continue
        totals = by_project.get(code, {})
        metric = _preferred_outcome(totals, summed)
        row = {"project_code": code, "project_name": project_name, "outcome_metric": metric,
               "outcome_name": None, "outcome_unit": None, "outcomes": None, "awarded_gbp": grant,
               "spend_gbp": round(money, 2), "cost_per_outcome_gbp": None}
        if metric is None:
            row["reliability"] = "no countable outcome measure"
        else:
            count = float(totals[metric])
            unit = str(units[metric])
            row.update(outcome_name=str(names[metric]), outcome_unit=unit, outcomes=count)
            if math.isnan(count):
                row["outcomes"] = None
                row["reliability"] = f"too few outcomes (under {min_outcomes}); count suppressed"
            elif count < min_outcomes:
                row["reliability"] = f"too few outcomes (under {min_outcomes})" if count > 0 else "no outcomes recorded"
            elif money <= 0:
                row["reliability"] = "no spend reported"
            else:
                row["cost_per_outcome_gbp"] = round(money / count, 2)
                row["reliability"] = "reliable"
        rows.append(row)
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def delivery_summary(kpis: pd.DataFrame) -> dict[str, object]:
    """Delivery against target for one project, from its ``analysis.progress.kpi_table`` rows.

    delivery_pct: mean over the metrics that have a target of value ÷ the target for the months so far
    (each ratio capped at 500%), × 100. delivery_status: ``judge`` of that same mean (on track from 95%,
    at risk from 80%, off track below), so the two always agree.
    """
    return delivery_of_rows(kpis.to_dict("records") if not kpis.empty else [])


def delivery_of_rows(rows: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """``delivery_summary`` of kpi rows as dicts (``analysis.progress.KpiPeriod.rows``): the projects
    grid judges hundreds of projects, and a DataFrame per project would cost more than the sums."""
    # A hidden (suppressed) count has no share: delivery is judged on the published figures only.
    with_target = [row for row in rows if (finite_or_none(row["target"]) or 0.0) > 0
                   and finite_or_none(row["value"]) is not None]
    if not with_target:
        return {"delivery_pct": None, "delivery_status": "no target", "metrics_with_target": 0, "delivery_basis": None}
    ratios = []
    for row in with_target:
        expected = finite_or_none(row["expected"])
        if not expected:
            continue
        value = float(row["value"])
        ratio = value / expected if row["higher_is_better"] else (expected / value if value else RATIO_CAP)
        ratios.append(min(ratio, RATIO_CAP))
    if not ratios:
        return {"delivery_pct": None, "delivery_status": "no target", "metrics_with_target": len(with_target),
                "delivery_basis": None}
    mean_ratio = sum(ratios) / len(ratios)
    # One number decides both: the percentage shown is the one judged, so sorting by delivery gives the
    # status order (on track from 95%, at risk from 80%).
    shown = round(mean_ratio * 100.0, 1)  # judged as shown: 94.96% reads 95.0%, and is on track
    return {
        "delivery_pct": shown,
        "delivery_status": judge(shown / 100.0, 1.0),
        "metrics_with_target": len(with_target),
        "delivery_basis": basis_summary(row.get("expected_basis") for row in with_target),
    }


def basis_summary(bases: Iterable[object]) -> str | None:
    """What the expected positions were judged against, over a project's measures: the one basis when
    they share it ('seasonal profile of 2021/22 – 2023/24'), else each with its count of measures."""
    counts = Counter(str(b) for b in bases if b)
    if len(counts) <= 1:
        return next(iter(counts), None)
    return "; ".join(f"{basis} ({n} measure{'s' if n > 1 else ''})" for basis, n in sorted(counts.items()))


def yearly_values(monthly: pd.DataFrame, metric_info: pd.DataFrame) -> pd.DataFrame:
    """Per metric and financial year: the sum of months, or the last month's value for a ``latest`` metric.

    ``monthly``: metric_code, period, financial_year, value. Columns out: metric_code, financial_year,
    value, months (months reported).
    """
    keyed = "value_key" in monthly.columns
    cols = ["metric_code", "financial_year", "value", "months", *(["value_key"] if keyed else [])]
    if monthly.empty:
        return pd.DataFrame(columns=cols)
    aggregation = dict(zip(metric_info["metric_code"], metric_info["aggregation"], strict=True))
    sums = ["value", "value_key"] if keyed else ["value"]
    by_month = monthly.groupby(["metric_code", "financial_year", "period"], as_index=False)[sums].sum()
    rows = []
    for (metric, fy), grp in by_month.groupby(["metric_code", "financial_year"]):
        months = MetricMonths.of_frame(grp.sort_values("period"))
        rule = aggregation.get(metric, "sum")  # the one sum-versus-latest rule (analysis.progress.aggregate)
        row = {"metric_code": metric, "financial_year": fy, "value": aggregate(months, rule), "months": len(grp)}
        if keyed:  # the disclosure cell key of the rows counted (analysis.disclosure)
            row["value_key"] = aggregate_key(months, rule)
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)
