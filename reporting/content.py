"""What a snapshot freezes, built from the warehouse, and the canonical JSON it is frozen as.

``build_content`` gathers, for one quarter and its financial year to date: every KPI with its target
and status (``analysis.progress.kpi_table``, as the overview), the aggregated observations behind
them (by month, area, project, and people by age, sex and ethnicity), the funding and spend position
(``analysis.funding``), return completeness (``analysis.returns``), the crime and Grip summaries when
those services exist, and the facts a reader needs to trust it: when and by whom it was made, the
load batches it drew on, the disclosure rule in force, the rules and the metric definitions.

Every table of people passes through ``analysis.disclosure.suppress`` before it is frozen, so the
frozen JSON (and therefore every export and the API) holds no count of 1 to the threshold and no
hidden cell that subtraction within its table could recover. Suppressed cells are the string
``"[c]"``.

``canonical_json`` fixes the bytes: sorted keys, no spaces, whole numbers as integers, other numbers
rounded to 6 decimal places, NaN as null. The snapshot's hash is the SHA-256 of those bytes.
Exporters read only this content; nothing here renders.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from analysis.disclosure import SUPPRESSED, footnote
from analysis.fiscal import Quarter, add_months, fy_months, months_between
from analysis.numbers import finite_or_none
from analysis.outcomes import CRIME_EXCLUDED_FROM_TOTAL
from analysis.progress import AT_RISK, ON_TRACK, SINCE
from analysis.returns import DUE_DAYS, return_status
from charts.kpi_text import BASIS_LABEL, SHARE_LABEL, SHARE_TO_DATE_LABEL, STARTS_NOTE, measure_label
from service.kpis import kpi_view
from service.observations import observation_totals
from settings import load_settings
from warehouse import queries, reporting_models
from warehouse.filters import Filters

SCHEMA_VERSION = 1
TITLE = "Essex Violence and Vulnerability Unit: outcomes snapshot"
TOTAL = "TOTAL"
DIMENSION_ORDER = {
    "age_band": ("under 10", "10-13", "14-17", "18-24", "25 and over", "unknown"),
    "sex": ("female", "male", "other", "unknown"),
    "ethnicity": ("Asian", "Black", "Mixed", "White", "Other", "unknown"),
}
DIMENSION_LABELS = {"age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnicity"}

# Column types the exporters know how to format: text, count (whole number), number (one decimal),
# number3 (three decimals, for ratios), gbp (pounds), pct (a percentage already multiplied by 100),
# value (formatted by the row's unit), date (ISO text).
COLUMN_TYPES = ("text", "count", "number", "number3", "gbp", "pct", "value", "date")


class NoData(ValueError):
    """The quarter asked for has no observations."""


@dataclass(frozen=True)
class SnapshotDoc:
    """A stored snapshot as the exporters see it: frozen content plus its status and approval."""

    id: int
    quarter: str
    status: str
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str
    content: dict
    content_sha256: str

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    def section(self, key: str) -> dict | None:
        return next((s for s in self.content.get("sections", []) if s["key"] == key), None)


# ---------------------------------------------------------------------------------------------------
# Canonical JSON


def normalise(value: Any) -> Any:
    """Plain JSON values with fixed number formatting (see module docstring)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, int | float):  # numpy scalars
        return normalise(value.item())
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        rounded = round(value, 6)
        if rounded == int(rounded) and abs(rounded) < 2**53:
            return int(rounded)
        return rounded
    raise TypeError(f"cannot freeze a {type(value).__name__} in snapshot content")


def canonical_json(content: dict) -> str:
    return json.dumps(normalise(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------------
# Helpers


def column(key: str, label: str, type_: str = "text", unit: str = "") -> dict:
    """A typed column; ``unit`` names what a metric column counts ("people" marks a controlled column)."""
    if type_ not in COLUMN_TYPES:
        raise ValueError(f"unknown column type {type_!r}")
    return {"key": key, "label": label, "type": type_, **({"unit": unit} if unit else {})}


def section(key: str, title: str, description: str, columns: list[dict], rows: list[dict],
            notes: Iterable[str] = (), people: bool = False, chart: dict | None = None) -> dict:
    """A table as frozen: typed columns and rows of plain values ("[c]" where suppressed).

    ``chart`` tells the board pack how to draw the section, e.g. {"kind": "forest"}.
    """
    keys = [c["key"] for c in columns]
    clean = [{k: row.get(k) for k in keys} for row in rows]
    hidden = sum(1 for row in clean for v in row.values() if v == SUPPRESSED)
    out = {"key": key, "title": title, "description": description, "columns": columns, "rows": clean,
           "notes": list(notes), "people": people, "suppressed_cells": hidden}
    if chart:
        out["chart"] = chart
    return out


def _published(value: Any) -> Any:
    """A published count as frozen: "[c]" where disclosure control hid it, else a float (None stays None)."""
    if value is None:
        return None
    return SUPPRESSED if pd.isna(value) else float(value)


def _people(info: pd.DataFrame) -> set[str]:
    return set(info.loc[info["unit"] == "people", "metric_code"])


# ---------------------------------------------------------------------------------------------------
# Sections

KPI_COLUMNS = [
    column("priority_code", "Priority"), column("metric_code", "Code"), column("name", "Measure"),
    column("unit", "Unit"), column("value", "Value", "value"), column("target", "Target", "value"),
    column("share_pct", SHARE_LABEL, "pct"), column("share_to_date_pct", SHARE_TO_DATE_LABEL, "pct"),
    column("expected", "Target for the months so far", "value"), column("expected_basis", BASIS_LABEL),
    column("status", "Status"), column("previous", "Same period last year", "value"),
    column("change_pct", "Change on last year (%)", "pct"),
    column("total_since_2019", "April 2019 to period end", "value"),
]


def kpi_section(key: str, title: str, description: str, table: pd.DataFrame) -> dict:
    """The published KPI table (``service.kpis.kpi_view``): a hidden count hides its share and change."""
    rows = []
    for r in table.to_dict("records"):
        share, change = finite_or_none(r["share"]), finite_or_none(r["change_pct"])
        to_date = finite_or_none(r.get("share_to_date"))
        people = r["unit"] == "people"
        count = (lambda v: _published(v)) if people else finite_or_none  # noqa: E731
        row = {
            "priority_code": r["priority_code"] or "", "metric_code": r["metric_code"],
            "name": measure_label(r["name"], r["unit"], r["aggregation"]), "unit": r["unit"],
            "value": count(r["value"]), "target": finite_or_none(r["target"]),
            "share_pct": None if share is None else share * 100.0,
            "share_to_date_pct": None if to_date is None else to_date * 100.0,
            "expected": finite_or_none(r["expected"]),
            "expected_basis": r.get("expected_basis") or "",
            "status": r["status"], "previous": None if r["previous"] is None else count(r["previous"]),
            "change_pct": change, "total_since_2019": count(r["total_since_2019"]),
        }
        if row["value"] == SUPPRESSED:
            row["share_pct"] = SUPPRESSED if finite_or_none(r["target"]) else None
            row["share_to_date_pct"] = SUPPRESSED if finite_or_none(r["expected"]) else None
            row["change_pct"] = SUPPRESSED if row["previous"] is not None else None
        elif row["previous"] == SUPPRESSED:
            row["change_pct"] = SUPPRESSED
        rows.append(row)
    return section(key, title, description, KPI_COLUMNS, rows, people=True)


def monthly_section(monthly: pd.DataFrame, ytd: pd.DataFrame, info: pd.DataFrame, months: list[str]) -> dict:
    """Each measure by month over the financial year to date, with the year-to-date figure.

    ``monthly`` (metric_code, period, value) and ``ytd`` (metric_code, value) come published by the
    gate: the year to date is its own cell, not the sum of the published months.
    """
    have = monthly[monthly["period"].isin(months)]
    by_cell = {(c, p): v for c, p, v in zip(have["metric_code"], have["period"], have["value"], strict=True)}
    to_date = dict(zip(ytd["metric_code"], ytd["value"], strict=True))
    reported = set(have["metric_code"])
    rows = []
    for m in info.itertuples(index=False):
        row: dict[str, Any] = {"priority_code": m.priority_code or "", "metric_code": m.metric_code,
                               "name": m.name, "unit": m.unit}
        if m.metric_code in reported:
            row.update({p: _published(by_cell.get((m.metric_code, p), 0.0)) for p in months},
                       total=_published(to_date.get(m.metric_code, 0.0)))
        else:
            row.update({p: None for p in months}, total=None)
        rows.append(row)
    cols = [column("priority_code", "Priority"), column("metric_code", "Code"), column("name", "Measure"),
            column("unit", "Unit"), *[column(p, p, "value") for p in months],
            column("total", "Year to date", "value")]
    return section("monthly", "Monthly values, financial year to date",
                   f"Each measure month by month from {months[0]} to {months[-1]}. 'Year to date' is the sum "
                   "of the months, or for a stock (aggregation 'latest') the last month reported.",
                   cols, rows, people=True)


def _grid_section(key: str, title: str, description: str, values: pd.DataFrame, totals: pd.DataFrame, group: str,
                  labels: pd.DataFrame, info: pd.DataFrame) -> dict:
    """Groups (areas or projects) as rows and metrics as columns, with a total row; all published by the
    gate (the total row is its own published cell per metric, not the sum of the published groups)."""
    codes = [c for c in info["metric_code"] if c in set(values["metric_code"])]
    keys = [group, "metric_code"]
    grid = values.groupby(keys)["value"].sum(min_count=1).unstack().reindex(columns=codes)  # hidden stays NaN
    present = values.groupby(keys).size().unstack().reindex_like(grid)
    grid = grid.where(present.notna(), 0.0)  # absent means nothing reported: 0
    grid = grid.loc[sorted(grid.index)]
    total = dict(zip(totals["metric_code"], totals["value"], strict=True))
    grid.loc[TOTAL] = [total.get(c, 0.0) for c in codes]
    people = [c for c in codes if c in _people(info)]
    grid = grid.astype(object)
    for c in people:
        grid[c] = [_published(v) for v in grid[c]]
    label_cols = [c for c in labels.columns if c != group]
    lookup = labels.set_index(group)
    rows = []
    for idx, vals in grid.iterrows():
        row = {group: "" if idx == TOTAL else idx}
        for c in label_cols:
            row[c] = "Total" if (idx == TOTAL and c == label_cols[0]) else (
                "" if idx == TOTAL or idx not in lookup.index else lookup.at[idx, c])
        row.update({c: vals[c] for c in codes})
        rows.append(row)
    names = dict(zip(info["metric_code"], info["name"], strict=True))
    units = dict(zip(info["metric_code"], info["unit"], strict=True))
    type_for = {"people": "count", "gbp": "gbp", "hours": "number"}
    cols = [column(group, "Code"), *[column(c, c.replace("_", " ").capitalize()) for c in label_cols],
            *[column(c, names[c], type_for.get(units[c], "count"), units[c]) for c in codes]]
    return section(key, title, description, cols, rows, people=bool(people))


def breakdown_section(engine: Engine, info: pd.DataFrame, quarter: Quarter, scope: Filters | None = None) -> dict:
    """People started in the quarter by age band, sex and ethnicity (``service.breakdowns``, published)."""
    from service.breakdowns import breakdown_view

    codes = [c for c in info.loc[(info["unit"] == "people") & (info["aggregation"] == "sum"), "metric_code"]]
    in_quarter = replace(scope or Filters(), fy=quarter.fy, quarter=f"Q{quarter.number}", month_from="", month_to="")
    rows: list[dict] = []
    for dim, order in DIMENSION_ORDER.items():
        tables = {c: breakdown_view(engine, in_quarter, c, dim).table for c in codes}
        for cat in [*order, TOTAL]:
            cells = {}
            for c, table in tables.items():
                key = "Total" if cat == TOTAL else cat
                cells[c] = _published(table.at[key, quarter.label]) if (
                    not table.empty and key in table.index and quarter.label in table.columns) else 0.0
            rows.append({"dimension": DIMENSION_LABELS[dim], "category": "Total" if cat == TOTAL else cat, **cells})
    names = dict(zip(info["metric_code"], info["name"], strict=True))
    cols = [column("dimension", "Split by"), column("category", "Group"),
            *[column(c, names[c], "count", "people") for c in codes]]
    return section("breakdown", f"People by age band, sex and ethnicity, {quarter.label}",
                   "New people started in the quarter, split as partners reported them ('unknown' where no split "
                   "was given). Counts are published with disclosure control, so a block's parts may differ "
                   "slightly from its total.", cols, rows, people=True)


def funding_sections(engine: Engine, quarter: Quarter) -> list[dict]:
    """Funding by stream for the year, spend against grant to the quarter's end, and per project."""
    try:
        from analysis.funding import allocation_table, forecast_table, forecast_totals, quarterly_spend
        from warehouse import finance_queries
    except ImportError:  # the funding topic is not installed in this tree
        return []
    fy = quarter.fy
    allocation = allocation_table(finance_queries.funding_by_stream(engine), finance_queries.grants_by_stream(engine))
    allocation = allocation[allocation["financial_year"] == fy]
    reported = finance_queries.spend_quarters_reported(engine, fy)
    elapsed = min(quarter.number, reported)
    everyone = Filters()
    scope = queries.project_scope(engine, everyone)
    grants = finance_queries.project_grants(engine, everyone, fy)
    spend = finance_queries.project_spend(engine, everyone, fy)
    forecast = forecast_table(scope, grants, spend, fy, elapsed)
    quarterly = quarterly_spend(spend, float(grants["awarded_gbp"].sum()), fy, elapsed)
    totals = forecast_totals(forecast)
    ledger = (f"Spend is reported to {Quarter(quarter.fy_start, elapsed).label}." if elapsed
              else "No spend was reported for the year by the quarter's end.")
    if 0 < elapsed < quarter.number:
        ledger += f" The spend ledger did not yet cover {quarter.label}."
    money = [column("funding_stream", "Stream"), column("source_body", "Source"),
             column("amount_gbp", "Funding (£)", "gbp"), column("granted_gbp", "Granted to projects (£)", "gbp"),
             column("unallocated_gbp", "Not yet granted (£)", "gbp"), column("projects", "Projects", "count")]
    quarters = [column("quarter", "Quarter number", "count"), column("label", "Quarter"),
                column("reported", "Spend reported"), column("spend_gbp", "Spend (£)", "gbp"),
                column("grant_share_gbp", "Quarter of grant (£)", "gbp"),
                column("cumulative_spend_gbp", "Spend to date (£)", "gbp"),
                column("cumulative_grant_gbp", "Grant to date (£)", "gbp")]
    projects = [column("project_code", "Code"), column("project_name", "Project"),
                column("awarded_gbp", "Grant (£)", "gbp"), column("spend_to_date_gbp", "Spend to date (£)", "gbp"),
                column("forecast_gbp", "Year-end forecast (£)", "gbp"), column("variance_gbp", "Variance (£)", "gbp"),
                column("variance_pct", "Variance (%)", "pct"), column("flag", "Flag")]
    summary = (f"Grant £{totals['awarded_gbp']:,.0f}; spend to date £{totals['spend_to_date_gbp']:,.0f}; "
               f"year-end forecast £{totals['forecast_gbp']:,.0f}; forecast unspent "
               f"£{totals['forecast_unspent_gbp']:,.0f}; {totals['underspend']} project(s) forecast to underspend "
               f"and {totals['overspend']} to overspend by more than 10%.")
    by_category = _spend_by_category(engine, scope, grants, spend, elapsed)
    return [
        by_category,
        section("funding", f"Funding by stream, {fy}", "Money each funding stream brought for the year and how "
                "much of it was granted to projects.", money, allocation.to_dict("records")),
        section("spend", f"Spend against grant, {fy} to the end of Q{quarter.number}",
                "Quarterly spend by all projects against an even quarter of their grants. " + ledger, quarters,
                quarterly.to_dict("records"), notes=[summary]),
        section("spend_projects", f"Spend by project, {fy} to the end of Q{quarter.number}",
                "Each project's spend so far, its year-end run-rate forecast and how far that is from its grant "
                "(flagged beyond 10%). " + ledger,
                projects, forecast.to_dict("records"), notes=[summary]),
    ]


def _spend_by_category(engine: Engine, scope: pd.DataFrame, grants: pd.DataFrame, spend: pd.DataFrame,
                       elapsed: int) -> dict:
    """Spend against grant by priority (the grant's category) and quarter, as a grant monitor files it.

    Quarters after the last one the spend ledger covers are blank (not reported), never 0.
    """
    names = dict(zip(queries.priorities(engine)["priority_code"], queries.priorities(engine)["name"], strict=True))
    priority = dict(zip(scope["project_code"], scope["priority_code"], strict=True))
    g = grants.assign(priority_code=grants["project_code"].map(priority)).groupby("priority_code")["awarded_gbp"].sum()
    sp = spend.assign(priority_code=spend["project_code"].map(priority)).groupby(
        ["priority_code", "quarter"])["spend_gbp"].sum()
    rows = []
    for code in sorted(set(g.index) | {c for c, _q in sp.index}):
        row: dict[str, Any] = {"priority_code": code, "category": f"{code} {names.get(code, '')}".strip(),
                               "grant_gbp": float(g.get(code, 0.0))}
        for q in range(1, 5):
            row[f"q{q}_gbp"] = float(sp.get((code, q), 0.0)) if q <= elapsed else None
        row["spend_gbp"] = sum(v for q in range(1, 5) if (v := row[f"q{q}_gbp"]) is not None)
        row["remaining_gbp"] = row["grant_gbp"] - row["spend_gbp"]
        rows.append(row)
    cols = [column("priority_code", "Priority"), column("category", "Category (priority)"),
            column("grant_gbp", "Grant for the year (£)", "gbp"),
            *[column(f"q{q}_gbp", f"Spend Q{q} (£)", "gbp") for q in range(1, 5)],
            column("spend_gbp", "Spend to date (£)", "gbp"), column("remaining_gbp", "Grant not yet spent (£)", "gbp")]
    return section("spend_by_category", "Spend against grant by category and quarter",
                   "Each priority's grants for the year and its projects' spend quarter by quarter; a blank quarter "
                   "was not yet reported.", cols, rows)


def completeness_section(engine: Engine, quarter: Quarter) -> dict:
    """Quarterly returns due for the quarter: on time, late or missing (as at the snapshot)."""
    projects = queries.project_scope(engine, Filters())
    table = return_status(projects, queries.expected_returns(engine), quarter.last_month)
    table = table[table["label"] == quarter.label].merge(projects[["project_code", "project_name"]],
                                                       on="project_code", how="left")
    counts = table["status"].value_counts()
    note = (f"{len(table)} returns were due for {quarter.label}: {int(counts.get('on time', 0))} on time, "
            f"{int(counts.get('late', 0))} late, {int(counts.get('missing', 0))} missing at the time of the "
            f"snapshot (a return is due {DUE_DAYS} days after the quarter ends).")
    order = {"missing": 0, "late": 1, "on time": 2}
    table = table.assign(_o=table["status"].map(order)).sort_values(["_o", "project_code"])
    cols = [column("project_code", "Code"), column("project_name", "Project"), column("status", "Return"),
            column("due_on", "Due", "date"), column("submitted_on", "Received", "date"),
            column("days_late", "Days late", "count")]
    return section("completeness", f"Returns for {quarter.label}", "Whether each project's quarterly return "
                   "had arrived when the snapshot was made.", cols, table.to_dict("records"), notes=[note])


# ---------------------------------------------------------------------------------------------------
# Optional sections: the Grip effect and the crime trend, from their services when those exist

GRIP_TABLES = ("grip_hotspot", "grip_patrol", "grip_incident", "grip_harm_weight")


def grip_section(engine: Engine) -> tuple[dict | None, list[int]]:
    """The Grip patrol effect as the Grip page shows it (all offences, crime counts), and its batches."""
    try:
        from service.grip import grip_view
    except ImportError:
        return None, []
    try:
        view = grip_view(engine, "all", "count")
    except SQLAlchemyError:  # the Grip tables are not in this database
        return None, []
    if view.effect.empty:
        return None, []
    frame = view.effect
    cols = [column("hotspot_id", "Hotspot"), column("hotspot_name", "Name"),
            column("patrol_days", "Patrol days", "count"),
            column("non_patrol_days", "Days compared with (no patrol that day or the day before)", "count"),
            column("crimes_patrol", "Crimes on patrol days", "count"),
            column("crimes_non_patrol", "Crimes on the days compared with", "count"),
            column("rate_ratio", "Rate ratio", "number3"), column("ci_low", "95% CI low", "number3"),
            column("ci_high", "95% CI high", "number3"), column("pct_change", "Change (%)", "pct"),
            column("note", "Note")]
    pooled = view.pooled
    window = f"{view.window_start} to {view.window_end}" if view.window_start else "the loaded days"
    notes = [f"Each hotspot over its own period, {window} in all; {view.incidents.get('total', 0):,} incidents "
             f"loaded. Modelled: {view.hotspots_modelled} of {view.hotspots_total} hotspots, "
             f"{view.days_modelled:,} hotspot-days."]
    notes += [f"Left out of the pooled model: {name} ({h}): {why}." for h, name, why in view.excluded]
    notes.append("Design: randomised assignment (a patrol plan is loaded)." if view.randomised else
                 "Design: patrols not allocated at random (weaker evidence than a randomised trial).")
    if pooled and pd.notna(pooled.get("ci_low")):
        notes.append(f"Pooled rate ratio {float(pooled['rate_ratio']):.2f} (95% CI {float(pooled['ci_low']):.2f} to "
                     f"{float(pooled['ci_high']):.2f}): below 1 means fewer crimes per day on patrol days.")
    notes += list(view.notes)
    sec = section("grip_effect", "Grip hotspot patrols: crimes on patrol days against days without",
                  "Crimes per day at each hotspot on days with a Grip patrol against days with no patrol that day or "
                  "the day before, as a rate ratio with its 95% interval (Poisson model with hotspot, day-of-week "
                  "and week effects; standard errors clustered by hotspot, CR2), all operations, as the Grip page "
                  "showed it when the snapshot was made.", cols, frame.to_dict("records"), notes,
                  chart={"kind": "forest"})
    return sec, reporting_models.batches_in_tables(engine, GRIP_TABLES)


def crime_section(engine: Engine, quarter: Quarter) -> tuple[dict | None, list[int]]:
    """Police recorded crime by month over the three years to the quarter's end (service.crime), and its batches.

    Crimes in the partnership's districts and unitary authorities, with the same month a year earlier;
    rows outside the area or without a location are counted in columns of their own, so every row
    loaded for those months is accounted for.
    """
    try:
        from service.crime import crime_table
        from warehouse.crime_models import BUCKET_NAMES, NO_LOCATION, OUTSIDE
    except ImportError:
        return None, []
    first = add_months(quarter.last_month, -35)
    try:
        frame = crime_table(engine, Filters(month_from=add_months(first, -12), month_to=quarter.last_month), "",
                            ("month", "area", "crime_type"))
    except (SQLAlchemyError, ValueError):  # the crime tables are not in this database
        return None, []
    frame = frame[frame["month"] >= add_months(first, -12)]
    if frame.empty or not (frame["month"] >= first).any():
        return None, []
    # Police recorded crime excludes anti-social behaviour (police.uk publishes both; ASB incidents are
    # not crimes): it gets a column of its own, so every row loaded is still accounted for.
    is_asb = frame["crime_type"].isin(CRIME_EXCLUDED_FROM_TOTAL)
    asb = frame[is_asb].groupby("month")["count"].sum()
    frame = frame[~is_asb]
    inside = frame[~frame["area_code"].isin(list(BUCKET_NAMES))].groupby("month")["count"].sum()
    outside = frame[frame["area_code"] == OUTSIDE].groupby("month")["count"].sum()
    nowhere = frame[frame["area_code"] == NO_LOCATION].groupby("month")["count"].sum()
    months = sorted(m for m in set(frame["month"]) if m >= first)
    rows = [{"month": m, "crimes": int(inside.get(m, 0)),
             "year_earlier": int(inside[add_months(m, -12)]) if add_months(m, -12) in inside.index else None,
             "outside_area": int(outside.get(m, 0)), "no_location": int(nowhere.get(m, 0)),
             "anti_social_behaviour": int(asb.get(m, 0))} for m in months]
    cols = [column("month", "Month"), column("crimes", "Crimes in the partnership area", "count"),
            column("year_earlier", "Same month a year earlier", "count"),
            column("outside_area", "Outside the partnership area", "count"),
            column("no_location", "No location", "count"),
            column("anti_social_behaviour", "Anti-social behaviour (not crime)", "count")]
    quarter_rows = [r for r in rows if quarter.first_month <= r["month"] <= quarter.last_month]
    notes = [f"{sum(r['crimes'] for r in quarter_rows):,} crimes were recorded in the partnership area in "
             f"{quarter.label} ({len(quarter_rows)} of its 3 months loaded)." if quarter_rows else
             f"No police data had been loaded for {quarter.label}; the latest month loaded is {months[-1]}."]
    sec = section("crime_trend", f"Police recorded crime by month, {months[0]} to {months[-1]}",
                  "Street-level crimes from police.uk in the partnership's districts and unitary authorities, "
                  "month by month, with the same month a year earlier. Anti-social behaviour is not crime and "
                  "is counted apart.", cols, rows, notes,
                  chart={"kind": "line", "x": "month", "y": ["crimes", "year_earlier"], "x_title": "Month",
                         "y_title": "Crimes per month"})
    batches = reporting_models.batches_in_tables(engine, ["crime"], "month", add_months(first, -12),
                                                 quarter.last_month)
    return sec, batches


# ---------------------------------------------------------------------------------------------------
# The executive summary, the exception report and the outcome measures


def priority_sentences(kpi_rows: list[dict], priorities: list[dict]) -> list[str]:
    """The position against each priority in one sentence, from the year-to-date statuses."""
    out = []
    for p in priorities:
        mine = [r for r in kpi_rows if r["priority_code"] == p["priority_code"]]
        judged = [r for r in mine if r["status"] in ("on track", "at risk", "off track")]
        by = {s: [r["name"] for r in judged if r["status"] == s] for s in ("on track", "at risk", "off track")}
        head = f"{p['priority_code']} {p['name']}: "
        if not judged:
            out.append(head + f"none of its {len(mine)} measures has a target to judge against yet.")
            continue
        text = f"{len(by['on track'])} of {len(judged)} measures with a target are on track to date"
        for status in ("at risk", "off track"):
            if by[status]:
                text += f"; {status}: {', '.join(by[status])}"
        out.append(head + text + ".")
    return out


def _last_approved(engine: Engine, quarter: Quarter) -> dict | None:
    """The latest standing approved snapshot of this quarter or an earlier one (id, quarter, approved_at,
    kpis_fytd rows), for "what changed since the last approved snapshot"."""
    snap = reporting_models.ReportSnapshot.__table__
    sup = reporting_models.ReportSupersession.__table__
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(snap.c.id, snap.c.quarter, snap.c.approved_at, snap.c.content).where(
                snap.c.status == "approved", ~snap.c.id.in_(select(sup.c.snapshot_id)))).all()
    except SQLAlchemyError:
        return None
    earlier = [r for r in rows if Quarter.parse(r.quarter) <= quarter]
    if not earlier:
        return None
    best = max(earlier, key=lambda r: (Quarter.parse(r.quarter), r.id))
    content = json.loads(best.content)
    fytd = next((s for s in content.get("sections", []) if s["key"] == "kpis_fytd"), {"rows": []})
    return {"id": best.id, "quarter": best.quarter, "approved_at": best.approved_at, "rows": fytd["rows"]}


def change_sentences(previous: dict | None, kpi_rows: list[dict]) -> list[str]:
    """What changed since the last approved snapshot: measures whose year-to-date status moved, and
    measures new to or gone from the report."""
    if previous is None:
        return ["No snapshot had been approved before this one, so there is nothing to compare with."]
    before = {r["metric_code"]: r for r in previous["rows"]}
    now = {r["metric_code"]: r for r in kpi_rows}
    lines = []
    for code, r in now.items():
        old = before.get(code)
        if old is None:
            lines.append(f"{r['name']}: new in this report ({r['status']}).")
        elif old["status"] != r["status"]:
            lines.append(f"{r['name']}: {old['status']} in {previous['quarter']}, now {r['status']}.")
    lines += [f"{r['name']}: no longer reported." for c, r in before.items() if c not in now]
    head = f"Since snapshot {previous['id']} ({previous['quarter']}, the last approved): "
    if not lines:
        return [head + "no measure's status has changed."]
    return [head + f"{len(lines)} measure(s) changed status.", *lines]


def exception_section(engine: Engine, quarter: Quarter, kpi_rows: list[dict], view: str = "") -> dict:
    """The exception report, with notes that say why it is short or empty (``report_notes``); ``view``:
    the slicers of a current-view pack in words, '' for the whole partnership."""
    from reporting.exceptions import exception_rows, exceptions_for, report_notes

    try:
        entries = exceptions_for(engine, quarter.label)
    except SQLAlchemyError:  # the table is not in this database yet
        entries = pd.DataFrame(columns=["metric_code", "explanation", "action", "entered_by", "entered_at"])
    rows = exception_rows(kpi_rows, entries)
    cols = [column("priority_code", "Priority"), column("metric_code", "Code"), column("name", "Measure"),
            column("status", "Status"), column("value", "Value to date", "value"),
            column("target", "Target to date", "value"), column("unit", "Unit"),
            column("explanation", "Explanation"), column("action", "Action agreed"),
            column("entered_by", "Entered by")]
    info = queries.metrics(engine)
    names = dict(zip(info["metric_code"], info["name"], strict=True))
    return section("exceptions", f"Exception report, {quarter.label}",
                   "Each measure off track or at risk for the financial year to date, with the manager's short "
                   "explanation and the action agreed, as entered on the Reporting page for this quarter.",
                   cols, rows, notes=report_notes(kpi_rows, entries, names, view), people=True)


def commentary_sections(engine: Engine, quarter: Quarter, info: pd.DataFrame, scope: Filters) -> list[dict]:
    """What partners said: the notes sent with the quarter's returns, and the figures of the financial
    year to date loaded against a plausibility warning with the reason given (``service.chase``), both
    within the view: its project, its area (and the districts within it) and its priority's measures."""
    from service.chase import figures_accepted_against_warnings, partner_commentary

    names = dict(zip(info["metric_code"], info["name"], strict=True))
    all_areas = queries.areas(engine)
    areas = dict(zip(all_areas["area_code"], all_areas["area_name"], strict=True))
    # an area's view keeps what was said about it or about the districts within it
    places = set(all_areas.loc[(all_areas["area_code"] == scope.area) | (all_areas["parent_code"] == scope.area),
                               "area_code"]) if scope.area else None
    try:
        notes = partner_commentary(engine, quarter, scope)
        accepted = figures_accepted_against_warnings(engine, scope)
    except SQLAlchemyError:  # the returns tables are not in this database yet
        notes = accepted = pd.DataFrame(columns=["metric_code", "period"])
    if places is not None:
        notes, accepted = notes[notes["area_code"].isin(places)], accepted[accepted["area_code"].isin(places)]
    notes = notes[notes["metric_code"].isin(names)]
    first = fy_months(quarter.fy)[0]
    accepted = accepted[accepted["metric_code"].isin(names) & (accepted["period"] >= first)
                        & (accepted["period"] <= quarter.last_month)].sort_values(
        ["period", "project_code", "metric_code"], kind="stable")
    note_rows = [{"project_code": r.project_code, "project_name": r.project_name, "measure": names[r.metric_code],
                  "area": areas.get(r.area_code, r.area_code), "note": r.note} for r in notes.itertuples()]
    warn_rows = [{"project_code": r.project_code, "measure": names[r.metric_code],
                  "area": areas.get(r.area_code, r.area_code), "period": r.period, "value": r.value,
                  "warning": r.message, "reason": r.reason, "accepted_by": r.accepted_by}
                 for r in accepted.itertuples()]
    return [
        section("partner_commentary", f"Partner commentary, {quarter.label}",
                "The notes partners sent with their returns for the quarter (the current return of each project; a "
                "revised return brings its own notes).",
                [column("project_code", "Project"), column("project_name", "Project name"),
                 column("measure", "Measure"), column("area", "Area"), column("note", "Commentary")], note_rows),
        section("accepted_warnings", f"Figures accepted against a plausibility warning, {quarter.fy} to date",
                "Figures still in force that were loaded although a plausibility check warned about them, with the "
                "reason the person accepting them gave.",
                [column("project_code", "Project"), column("measure", "Measure"), column("area", "Area"),
                 column("period", "Month"), column("value", "Figure", "number"), column("warning", "Warning"),
                 column("reason", "Reason accepted"), column("accepted_by", "Accepted by")], warn_rows),
    ]


def outcome_sections(engine: Engine, quarter: Quarter) -> list[dict]:
    """The Home Office's outcome measures (service.outcomes): a summary per measure, the hospital
    admissions trend beside England, and the police measures by financial year."""
    from service.outcomes import BASELINE_LABEL, outcome_view

    view = outcome_view(engine, quarter.last_month)
    measures = section("outcome_measures", "Outcome measures the Home Office judges VRUs by",
                       "Each success measure with its source, definition, latest period and interval. Where the "
                       "partnership has no data for a measure, it says so rather than show 0.",
                       [column(c, c.replace("_", " ").capitalize()) for c in
                        ("measure", "source", "period", "value", "interval", "unit", "baseline", "note",
                         "definition")], view.measures.to_dict("records"))
    health = section("health_trend", "Hospital admissions for violence: trend against the pre-2019 baseline",
                     f"Fingertips indicator 11201, age-standardised rate per 100,000, three financial years pooled, "
                     f"for the partnership's county and unitary authorities beside England; the baseline is "
                     f"{BASELINE_LABEL}. A blank value was suppressed by Fingertips (count below 10).",
                     [column("area_code", "Area code"), column("area_name", "Area"), column("time_period", "Period"),
                      column("value", "Rate per 100,000", "number"), column("lower_ci95", "95% CI low", "number"),
                      column("upper_ci95", "95% CI high", "number"), column("count", "Admissions", "count"),
                      column("baseline", "Baseline rate", "number"),
                      column("change_pct", "Change on baseline (%)", "pct"),
                      column("england", "England rate", "number"), column("value_note", "Note")],
                     view.health.to_dict("records"),
                     chart={"kind": "health"} if not view.health.empty else None)
    police = section("police_outcomes", "Police recorded serious violence and knife and weapon offences",
                     "Offences in the partnership's areas by financial year from police.uk (the crime page's "
                     "groupings); change on the first full year loaded. police.uk has no ages: no under-25 split.",
                     [column("measure", "Measure"), column("financial_year", "Financial year"),
                      column("months", "Months", "count"), column("crimes", "Offences", "count"),
                      column("change_pct", "Change on first full year (%)", "pct")], view.police.to_dict("records"))
    return [measures, health, police]


# ---------------------------------------------------------------------------------------------------


def rules(threshold: int) -> list[str]:
    return [
        f"Status compares each value with its expected position for the months elapsed: on track at "
        f"{ON_TRACK:.0%} or more, at risk from {AT_RISK:.0%}, off track below {AT_RISK:.0%}; 'no target' where "
        "none was set.",
        "Quarter targets are the annual partnership target x 3/12. The expected position (the target for the months "
        "so far) follows each measure's seasonal profile in its latest complete earlier years where it has two or "
        "more, else the straight line (the annual target x months elapsed/12); the column 'Expected position "
        "judged on' says which. A stock's target (aggregation 'latest', e.g. active caseload) is a level, so it is "
        "the annual target in every period.",
        STARTS_NOTE + " Months add up without counting anyone twice within one project. Levels (e.g. active "
        "caseload) carry each open project's last reported level forward for up to three months; running totals "
        "(organisations funded since 2019) never fall when a fund closes.",
        "Financial years run April to March; quarters are Q1 April-June to Q4 January-March.",
        "Disclosure control: " + footnote(threshold),
    ]


SLICERS = ("area", "priority", "stream", "project")


def view_scope(f: Filters) -> Filters:
    """The slicers of a view (area, priority, funding stream, project), without its months."""
    return Filters(**{k: getattr(f, k) for k in SLICERS})


def describe_scope(engine: Engine, scope: Filters) -> str:
    """The slicers in the words people know: 'Basildon; P1 Organised crime'."""
    names = {
        "area": dict(zip(*[queries.areas(engine)[c] for c in ("area_code", "area_name")], strict=True)),
        "priority": {c: f"{c} {n}" for c, n in zip(*[queries.priorities(engine)[c] for c in (
            "priority_code", "name")], strict=True)},
        "project": {c: f"{c} {n}" for c, n in zip(*[queries.projects(engine)[c] for c in (
            "project_code", "project_name")], strict=True)},
    }
    parts = []
    for key in SLICERS:
        code = getattr(scope, key)
        if code:
            label = names.get(key, {}).get(code, code)
            parts.append(f"funding stream {label}" if key == "stream" else label)
    return "; ".join(parts)


def _in_scope(table: pd.DataFrame, scope: Filters) -> pd.DataFrame:
    """A priority's view lists that priority's measures and the outcome measures (as the overview does)."""
    if not scope.priority or table.empty:
        return table
    return table[table["priority_code"].fillna("").isin([scope.priority, ""])].reset_index(drop=True)


def build_content(engine: Engine, quarter: Quarter, threshold: int, made_at: datetime, made_by: str,
                  scope: Filters | None = None) -> dict:
    """Everything a snapshot of ``quarter`` freezes (plain values; see ``canonical_json``).

    ``scope`` (a current-view pack only; snapshots are always of the whole partnership) narrows the
    measures, their breakdowns and the exception report to the view's area, priority, funding stream
    or project, as the overview shows them; funding, returns, outcome measures, crime and Grip stay
    partnership-wide, and the pack says so (``meta['view']``).
    """
    scope = view_scope(scope or Filters())
    scoped = any(getattr(scope, k) for k in SLICERS)

    def months(first: str, last: str) -> Filters:
        return replace(scope, month_from=first, month_to=last)

    data_to = queries.data_runs_to(engine)
    fy = quarter.fy
    in_quarter = observation_totals(engine, months(quarter.first_month, quarter.last_month), ("metric",)).frame
    if not data_to or in_quarter.empty:
        span = f"the data run from {SINCE} to {data_to}" if data_to else "no observations are loaded"
        raise NoData(f"no observations for {quarter.label}: {span}")
    runs_to = min(data_to, quarter.last_month)
    info = queries.metrics(engine)
    info = info.assign(_outcome=info["priority_code"].fillna("") == "").sort_values(
        ["_outcome", "priority_code", "metric_code"], kind="stable").drop(columns="_outcome").reset_index(drop=True)
    year = fy_months(fy)
    fytd = months_between(year[0], quarter.last_month)
    # Every count of people below comes through the gate (service.gate): the snapshot freezes exactly
    # what the pages and the API publish for the same views.
    in_q = months(quarter.first_month, quarter.last_month)
    to_date = months(year[0], quarter.last_month)
    kpi_q = _in_scope(kpi_view(engine, in_q).table, scope)
    kpi_y = kpi_view(engine, to_date)
    kpi_y_table = _in_scope(kpi_y.table, scope)
    monthly = kpi_y.monthly[kpi_y.monthly["metric_code"].isin(kpi_y_table["metric_code"])]
    ytd = kpi_y_table[["metric_code", "value"]]
    if scoped:
        info = info[info["metric_code"].isin(kpi_y_table["metric_code"])].reset_index(drop=True)

    areas = queries.areas(engine)[["area_code", "area_name"]]
    projects = queries.projects(engine)[["project_code", "project_name", "priority_code"]]
    by_area = observation_totals(engine, in_q, ("metric", "area")).frame
    by_project = observation_totals(engine, in_q, ("metric", "project")).frame
    quarter_totals = observation_totals(engine, in_q, ("metric",)).frame

    sections = [
        kpi_section("kpis_quarter", f"Headline measures, {quarter.label}",
                    f"Every measure for {quarter.first_month} to {quarter.last_month} against its quarter target.",
                    kpi_q),
        kpi_section("kpis_fytd", f"Headline measures, {fy} to date",
                    f"Every measure for {year[0]} to {quarter.last_month} against the year's target pro rata.",
                    kpi_y_table),
        monthly_section(monthly, ytd, info, fytd),
        _grid_section("by_area", f"Measures by area, {quarter.label}", "Each measure in the quarter by the area "
                      "where it was delivered; the total row is the whole partnership area.",
                      by_area, quarter_totals, "area_code", areas, info),
        _grid_section("by_project", f"Measures by project, {quarter.label}", "Each measure in the quarter by "
                      "project; the total row is every project together.",
                      by_project, quarter_totals, "project_code", projects, info),
        breakdown_section(engine, info, quarter, scope),
        *funding_sections(engine, quarter),
        completeness_section(engine, quarter),
    ]
    fytd_rows = sections[1]["rows"]
    sections.append(exception_section(engine, quarter, fytd_rows, describe_scope(engine, scope) if scoped else ""))
    sections += commentary_sections(engine, quarter, info, scope)
    sections += outcome_sections(engine, quarter)
    batch_ids = reporting_models.source_batch_ids(engine, quarter.last_month, fy)
    for sec, extra in (crime_section(engine, quarter), grip_section(engine)):
        if sec is not None:
            sections.append(sec)
            batch_ids = sorted(set(batch_ids) | set(extra))
    batches = reporting_models.batch_info(engine, batch_ids)
    no_data = sorted(set(info["metric_code"]) - set(in_quarter["metric_code"]))
    priorities = queries.priorities(engine)[["priority_code", "name"]]
    if scope.priority:
        priorities = priorities[priorities["priority_code"] == scope.priority]
    previous = _last_approved(engine, quarter)
    changes = change_sentences(previous, fytd_rows) if not scoped or previous is None else [
        f"The last approved snapshot ({previous['id']}, {previous['quarter']}) covers the whole partnership and "
        "this pack one part of it, so their statuses are not compared; the pack of the whole partnership says "
        "what changed."]
    meta = {
        "schema_version": SCHEMA_VERSION,
        "title": TITLE,
        "quarter": quarter.label,
        "financial_year": fy,
        "quarter_first": quarter.first_month,
        "quarter_last": quarter.last_month,
        "fytd_first": year[0],
        "fytd_last": quarter.last_month,
        "data_runs_to": runs_to,
        "made_at": made_at,
        "made_by": made_by,
        "source_batches": batches.to_dict("records"),
        "disclosure": {"threshold": threshold, "rule": footnote(threshold),
                       "function": "service.gate (analysis.disclosure.protect)",
                       "suppressed_cells": sum(s["suppressed_cells"] for s in sections)},
        "rules": rules(threshold),
        "definitions": info[["metric_code", "name", "unit", "aggregation", "priority_code", "definition"]]
        .to_dict("records"),
        "priorities": priorities.to_dict("records"),
        "metrics_without_data": no_data,
        "contact": load_settings().report_contact,
        "summary": {"priorities": priority_sentences(fytd_rows, priorities.to_dict("records")),
                    "changes": changes},
    }
    if scoped:  # only then, so snapshots (always partnership-wide) hash exactly as before
        meta["view"] = {"filters": scope.to_query(), "description": describe_scope(engine, scope),
                        "partnership_wide": "funding and spend, return completeness, outcome measures, crime "
                                            "and Grip patrols"}
    from etl.demo import holds_sample

    if holds_sample(engine):  # only then, so packs of real data hash exactly as before
        meta["sample"] = True
    return normalise({"meta": meta, "sections": sections})
