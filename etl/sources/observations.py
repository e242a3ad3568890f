"""Reader for the programme observations CSV: monthly figures per project, area and metric.

A later file for the same project and months is a revision: the rows it replaces move to
``observation_history`` in the same transaction, so every earlier figure stays explainable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, DateTime, func, insert, literal, select

from analysis.fiscal import fy_of_period, period_of, quarter_of_period
from etl.columns import Choice, Code, Number, Period, Schema, blank_cells
from etl.key_spill import KeySpill, duplicates, totals_beside_splits
from etl.replace_rule import check_replace
from etl.sources.base import Context, Source
from warehouse.models import Observation, ObservationHistory
from warehouse.project_ranges import range_conditions
from warehouse.summaries import refresh_observation_summaries_for

AGE_BANDS = ("under 10", "10-13", "14-17", "18-24", "25 and over", "unknown")
SEXES = ("female", "male", "other", "unknown")
ETHNICITIES = ("Asian", "Black", "Mixed", "White", "Other", "unknown")
SPLITS = ("age_band", "sex", "ethnicity")
GROUP = ("project_code", "area_code", "metric_code", "period")
KEY = (*GROUP, *SPLITS)
FRACTIONAL_UNITS = {"hours", "gbp"}
INSERT_COLUMNS = (
    "batch_id", "source_row", "period", "financial_year", "quarter", "project_code", "area_code",
    "metric_code", "age_band", "sex", "ethnicity", "value",
)


class Observations(Source):
    kind = "observations"
    title = "Programme observations"
    key = KEY
    reuse_parsed = True
    schema = Schema([
        Period("period"),
        Code("project_code", lookup="project"),
        Code("area_code", lookup="area"),
        Code("metric_code", lookup="metric"),
        Number("value"),
        Choice("age_band", required=False, header_required=False, default="unknown", choices=AGE_BANDS),
        Choice("sex", required=False, header_required=False, default="unknown", choices=SEXES),
        Choice("ethnicity", required=False, header_required=False, default="unknown", choices=ETHNICITIES),
    ])

    def parse(self, chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        # Remember which rows gave no split at all: they are totals, which must not sit beside splits.
        total = blank_cells(chunk[SPLITS[0]]) & blank_cells(chunk[SPLITS[1]]) & blank_cells(chunk[SPLITS[2]])
        frame = super().parse(chunk, ctx)
        frame["_total"] = total
        return frame

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_units(frame, ctx)
        self.check_dates(frame, ctx)
        st = ctx.state
        column_hash = {c: pd.util.hash_array(frame[c].to_numpy(dtype=object)) for c in KEY}
        group_hash = _combine([column_hash[c] for c in GROUP])
        key_hash = _combine([group_hash, *[column_hash[c] for c in SPLITS]])
        # Whole-file key checks wait for finish(); their per-row hashes go to disk, not memory.
        spill: KeySpill = st.setdefault("key_spill", KeySpill())
        spill.add(key_hash, group_hash, frame["_row"].to_numpy(dtype=np.int64), frame["_total"].to_numpy(dtype=bool))
        ranges: dict[str, list[str]] = st.setdefault("ranges", {})
        good = frame.loc[~frame["_bad_period"] & ~frame["_bad_project_code"], ["project_code", "period"]]
        for project, periods in good.drop_duplicates().groupby("project_code")["period"]:
            lo, hi = periods.min(), periods.max()
            have = ranges.setdefault(project, [lo, hi])
            have[0], have[1] = min(have[0], lo), max(have[1], hi)
        st["rows_total"] = st.get("rows_total", 0) + len(frame)
        per_project: dict[str, int] = st.setdefault("rows_per_project", {})
        for project, n in frame["project_code"].value_counts().items():
            per_project[project] = per_project.get(project, 0) + int(n)

    def check_units(self, frame: pd.DataFrame, ctx: Context) -> None:
        units = ctx.state.get("metric_units", {})
        whole = ~frame["metric_code"].map(units).isin(FRACTIONAL_UNITS)
        values = pd.to_numeric(frame["value"], errors="coerce")
        fractional = whole & ((values % 1) != 0).fillna(False) & ~frame["_bad_value"]
        ctx.add_mask(frame, fractional, "value", "counts must be whole numbers")

    def check_dates(self, frame: pd.DataFrame, ctx: Context) -> None:
        starts = {p: period_of(s) for p, (s, _e) in ctx.projects.items()}
        ends = {p: period_of(e) for p, (_s, e) in ctx.projects.items() if isinstance(e, date)}
        first = frame["project_code"].map(starts)
        last = frame["project_code"].map(ends)
        ok_cells = ~frame["_bad_period"] & first.notna()
        early = ok_cells & (frame["period"] < first)
        late = ok_cells & last.notna() & (frame["period"] > last)
        ctx.add_mask(frame, early, "period", "before the project's start date")
        ctx.add_mask(frame, late, "period", "after the project's end date")

    def finish(self, ctx: Context) -> None:
        """Duplicate keys and totals beside splits, over the whole file, one hash partition at a time
        (``etl.key_spill``): memory stays bounded however many rows the file has."""
        spill: KeySpill | None = ctx.state.pop("key_spill", None)
        if spill is None or not spill.rows:
            ctx.add(1, "", "", "the file has a header but no data rows")
            return
        try:
            for records in spill.partitions():
                for row, first in duplicates(records):
                    if len(ctx.problems) >= ctx.max_problems:
                        break
                    ctx.add(row, "period", "", f"duplicate of row {first}: same {', '.join(KEY)}")
                for row in totals_beside_splits(records)[: ctx.max_problems]:
                    ctx.add(int(row), "age_band", "", "a total row (no age, sex or ethnicity) sits beside split "
                            "rows for the same project, area, metric and month; give either the total or the splits")
        finally:
            spill.close()

    def summary(self, ctx: Context) -> dict[str, Any]:
        ranges = ctx.state.get("ranges", {})
        out: dict[str, Any] = {}
        if ranges:
            out["first_period"] = min(r[0] for r in ranges.values())
            out["last_period"] = max(r[1] for r in ranges.values())
        if len(ranges) == 1:
            out["project_code"] = next(iter(ranges))
        return out

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        ranges: dict[str, list[str]] = ctx.state["ranges"]
        check_revision_shrink(conn, ranges, ctx)
        replace_rows(conn, ranges, batch_id)
        written = insert_observations(conn, (to_rows(frame, batch_id) for frame in frames))
        refresh_observation_summaries_for(conn, ranges, rows_added=written)
        return written


def _combine(hashes: list[np.ndarray]) -> np.ndarray:
    """One 64-bit hash from several columns' hashes (order matters; uint64 arithmetic wraps)."""
    out = hashes[0].copy()
    for h in hashes[1:]:
        out *= np.uint64(0x100000001B3)
        out ^= h
    return out


def to_rows(frame: pd.DataFrame, batch_id: int) -> pd.DataFrame:
    """The typed frame as the observation table's columns, fiscal year and quarter derived here."""
    codes, months = pd.factorize(frame["period"].astype(object))  # a few dozen months, parsed once each
    fy = np.array([fy_of_period(p) for p in months], dtype=object)
    quarter = np.array([quarter_of_period(p) for p in months], dtype=np.int64)
    n = len(frame)

    def text(values: object) -> pd.Series:  # object dtype: no per-cell conversion to pandas strings
        return pd.Series(values, index=frame.index, dtype=object)

    return pd.DataFrame({
        "batch_id": pd.Series(np.full(n, batch_id, dtype=np.int64), index=frame.index),
        "source_row": frame["_row"].astype("int64"),
        "period": text(frame["period"].to_numpy(dtype=object)),
        "financial_year": text(fy[codes]),
        "quarter": pd.Series(quarter[codes], index=frame.index),
        "project_code": text(frame["project_code"].to_numpy(dtype=object)),
        "area_code": text(frame["area_code"].to_numpy(dtype=object)),
        "metric_code": text(frame["metric_code"].to_numpy(dtype=object)),
        "age_band": text(frame["age_band"].to_numpy(dtype=object)),
        "sex": text(frame["sex"].to_numpy(dtype=object)),
        "ethnicity": text(frame["ethnicity"].to_numpy(dtype=object)),
        "value": pd.to_numeric(frame["value"]).astype(float),
    })[list(INSERT_COLUMNS)]


def insert_observations(conn: Connection, rows: pd.DataFrame | Iterable[pd.DataFrame]) -> int:
    """The fast path: one COPY on PostgreSQL (parsing the next chunk while the server takes this
    one), one executemany per chunk on SQLite. ``rows``: a frame of ``to_rows`` or an iterable of them.
    """
    frames = [rows] if isinstance(rows, pd.DataFrame) else rows
    cols = ", ".join(INSERT_COLUMNS)
    written = 0
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY observation ({cols}) FROM STDIN") as copy:
            for frame in frames:
                for row in _values(frame):
                    copy.write_row(row)
                written += len(frame)
        return written
    sql = f"INSERT INTO observation ({cols}) VALUES ({', '.join('?' * len(INSERT_COLUMNS))})"
    for frame in frames:
        if len(frame):
            conn.exec_driver_sql(sql, _values(frame))
            written += len(frame)
    return written


def _values(frame: pd.DataFrame) -> list[tuple]:
    """Plain Python values column by column, then zipped: far cheaper than iterating a DataFrame's
    rows or formatting it as CSV text."""
    return list(zip(*[frame[c].to_numpy(dtype=object).tolist() for c in INSERT_COLUMNS], strict=True))


def check_revision_shrink(conn: Connection, ranges: dict[str, list[str]], ctx: Context) -> None:
    """The replace-share rule (``etl.replace_rule``) for each project's months the file revises."""
    o = Observation.__table__
    incoming: dict[str, int] = ctx.state.get("rows_per_project", {})
    for project, (first, last) in sorted(ranges.items()):
        held = conn.execute(select(func.count()).select_from(o)
                            .where(o.c.project_code == project, o.c.period.between(first, last))).scalar_one()
        if held:
            span = first if first == last else f"{first} to {last}"
            check_replace(ctx.file, f"{project} {span}", int(held), incoming.get(project, 0),
                          ctx.state.get("allow_replace", False))


def replace_rows(conn: Connection, ranges: dict[str, list[str]], batch_id: int) -> None:
    """Move the rows a revision supersedes into history, then delete them (same transaction)."""
    o = Observation.__table__
    h = ObservationHistory.__table__
    now = datetime.now(UTC).replace(tzinfo=None)
    copied = [c.name for c in o.c if c.name != "id"]
    for where in range_conditions(o, ranges):
        if conn.execute(select(o.c.id).where(where).limit(1)).first() is None:
            continue
        source = select(
            o.c.id, *[o.c[c] for c in copied], literal(batch_id), literal(now, DateTime)
        ).where(where)
        conn.execute(insert(h).from_select(["original_id", *copied, "replaced_by_batch_id", "replaced_at"], source))
        conn.execute(o.delete().where(where))


SOURCE = Observations()
