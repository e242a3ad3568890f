"""Readers for the reference files of the data contract (areas, priorities, metrics, ...).

A reference file is small; loading it replaces the rows with the same keys and keeps the others,
so a partnership can send a corrected ``projects.csv`` without resending everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, bindparam, delete, insert

from etl.columns import Choice, Code, CodeList, DateCol, Email, FinancialYear, Flag, Number, Schema, Text
from etl.sources.base import Context, Source, clean
from warehouse import models as m

ORG_TYPES = ("charity", "council", "police", "health", "education", "justice", "faith", "fire", "community", "other")


class ReferenceSource(Source):
    """A reference table whose rows are replaced by key."""

    table: Any = None
    provides_lookup: str = ""

    def provides(self) -> tuple[str, str] | None:
        return (self.provides_lookup, self.key[0]) if self.provides_lookup else None

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_keys(frame, ctx)

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = clean(frame).drop(columns=["_row"]).to_dict("records")
        for r in records:
            r["batch_id"] = batch_id
        return records

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        frame = pd.concat(list(frames), ignore_index=True)
        records = self.rows(frame, batch_id)
        keys = [{f"k_{k}": r[k] for k in self.key} for r in records]
        table = self.table.__table__
        cond = and_(*[table.c[k] == bindparam(f"k_{k}") for k in self.key])
        conn.execute(delete(table).where(cond), keys)
        conn.execute(insert(table), records)
        return len(records)


class Areas(ReferenceSource):
    kind, title, table, provides_lookup = "areas", "Areas", m.Area, "area"
    key = ("area_code",)
    schema = Schema([
        Code("area_code"),
        Text("area_name"),
        Choice("area_type", choices=("county", "district", "unitary")),
        Code("parent_code", required=False, lookup="area"),
        Number("population", integer=True),
    ])

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = super().rows(frame, batch_id)
        for r in records:
            r["population"] = int(r["population"])
        return records


class Priorities(ReferenceSource):
    kind, title, table, provides_lookup = "priorities", "Priorities", m.Priority, "priority"
    key = ("priority_code",)
    schema = Schema([Code("priority_code"), Text("name"), Text("description", required=False, max_length=2000)])


class Metrics(ReferenceSource):
    kind, title, table, provides_lookup = "metrics", "Metrics", m.Metric, "metric"
    key = ("metric_code",)
    schema = Schema([
        Code("metric_code"),
        Text("name"),
        Code("unit", pattern=r"^[A-Z_]{1,20}$"),
        Choice("aggregation", choices=("sum", "latest", "cumulative")),
        Code("priority_code", required=False, lookup="priority"),
        Choice("source", choices=("partner", "police", "health", "finance")),
        Flag("higher_is_better"),
        Text("definition", required=False, max_length=4000),
        # Optional plausibility limit: a month above it is a warning to accept (analysis.plausibility).
        Number("max_per_month", required=False, header_required=False, default=None),
    ])

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = super().rows(frame, batch_id)
        for r in records:
            r["unit"] = r["unit"].lower()
            r["higher_is_better"] = bool(r["higher_is_better"])
            limit = r.get("max_per_month")
            r["max_per_month"] = None if limit is None or pd.isna(limit) or limit == "" else float(limit)
        return records


class Organisations(ReferenceSource):
    kind, title, table, provides_lookup = "organisations", "Organisations", m.Organisation, "organisation"
    key = ("org_code",)
    schema = Schema([Code("org_code"), Text("org_name"), Choice("org_type", choices=ORG_TYPES),
                     # Optional: who to chase for a late or missing return (service.chase).
                     Text("contact_name", required=False, header_required=False),
                     Email("contact_email", required=False, header_required=False)])


class Funding(ReferenceSource):
    kind, title, table, provides_lookup = "funding", "Funding", m.Funding, "funding_stream"
    key = ("funding_stream", "financial_year")
    schema = Schema([
        Code("funding_stream"),
        Text("source_body"),
        FinancialYear("financial_year"),
        Number("amount_gbp", decimals=2),
    ])


class Projects(ReferenceSource):
    kind, title, table, provides_lookup = "projects", "Projects", m.Project, "project"
    key = ("project_code",)
    schema = Schema([
        Code("project_code"),
        Text("project_name"),
        Code("org_code", lookup="organisation"),
        Code("priority_code", lookup="priority"),
        Code("funding_stream", lookup="funding_stream"),
        DateCol("start_date", planned=True),
        DateCol("end_date", required=False, default=None, planned=True),
        CodeList("area_codes", lookup="area"),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        super().check(frame, ctx)
        for r, start, end in zip(frame["_row"], frame["start_date"], frame["end_date"], strict=True):
            if isinstance(start, date) and isinstance(end, date) and end < start:
                ctx.add(r, "end_date", end, "end date is before the start date")

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = super().rows(frame, batch_id)
        for r in records:
            r.pop("area_codes")
            if not isinstance(r["end_date"], date):
                r["end_date"] = None
        return records

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        frame = pd.concat(list(frames), ignore_index=True)
        n = super().write(conn, iter([frame]), batch_id, ctx)
        pa = m.ProjectArea.__table__
        conn.execute(delete(pa).where(pa.c.project_code == bindparam("p")), [{"p": c} for c in frame["project_code"]])
        links = [
            {"project_code": p, "area_code": a}
            for p, codes in zip(frame["project_code"], frame["area_codes"], strict=True)
            for a in dict.fromkeys(codes.split(";"))
        ]
        if links:
            conn.execute(insert(pa), links)
        return n


class Targets(ReferenceSource):
    kind, title, table = "targets", "Targets", m.Target
    key = ("metric_code", "financial_year", "scope", "scope_code")
    schema = Schema([
        Code("metric_code", lookup="metric"),
        FinancialYear("financial_year"),
        Choice("scope", choices=("partnership", "project", "area")),
        Code("scope_code", required=False),
        Number("target_value"),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        super().check(frame, ctx)
        lookups = {"project": "project", "area": "area"}
        for r, scope, code in zip(frame["_row"], frame["scope"], frame["scope_code"], strict=True):
            if scope == "partnership" and code:
                ctx.add(r, "scope_code", code, "must be blank for a partnership target")
            elif scope in lookups and not code:
                ctx.add(r, "scope_code", "", f"a {scope} target needs a {scope} code")
            elif scope in lookups and code not in ctx.codes.get(lookups[scope], set()):
                ctx.add(r, "scope_code", code, f"unknown {scope} code")


class Grants(ReferenceSource):
    kind, title, table = "grants", "Grants", m.Grant
    key = ("project_code", "funding_stream", "financial_year")
    schema = Schema([
        Code("project_code", lookup="project"),
        Code("funding_stream", lookup="funding_stream"),
        FinancialYear("financial_year"),
        Number("awarded_gbp", decimals=2),
    ])


class SpendSource(ReferenceSource):
    kind, title, table = "spend", "Spend", m.Spend
    key = ("project_code", "financial_year", "quarter")
    schema = Schema([
        Code("project_code", lookup="project"),
        FinancialYear("financial_year"),
        Choice("quarter", choices=("Q1", "Q2", "Q3", "Q4")),
        Number("spend_gbp", decimals=2),
    ])


class Returns(ReferenceSource):
    """The unit's log of when each project's quarterly return arrived (an extension of the contract)."""

    kind, title, table = "returns", "Return log", m.ReturnSubmission
    key = ("project_code", "financial_year", "quarter")
    schema = Schema([
        Code("project_code", lookup="project"),
        FinancialYear("financial_year"),
        Choice("quarter", choices=("Q1", "Q2", "Q3", "Q4")),
        DateCol("submitted_on"),
    ])

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = super().rows(frame, batch_id)
        for r in records:
            r["quarter"] = int(r["quarter"][1])
        return records


SOURCES: list[Source] = [
    Areas(), Priorities(), Metrics(), Organisations(), Funding(), Projects(), Targets(), Grants(), SpendSource(),
    Returns(),
]
