"""Reader for the programme observations CSV: monthly figures per project, area and metric.

A later file for the same project and months is a revision: the rows it replaces move to
``observation_history`` in the same transaction, so every earlier figure stays explainable.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, DateTime, insert, literal, select

from analysis.fiscal import period_of
from etl.columns import Choice, Code, Number, Period, Schema
from etl.sources.base import Context, Source
from warehouse.models import Observation, ObservationHistory
from warehouse.summaries import refresh_observation_summaries

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
        total = (chunk[list(SPLITS)].apply(lambda s: s.astype("string").fillna("").str.strip()) == "").all(axis=1)
        frame = super().parse(chunk, ctx)
        frame["_total"] = total.to_numpy()
        return frame

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_units(frame, ctx)
        self.check_dates(frame, ctx)
        st = ctx.state
        key_hash = pd.util.hash_pandas_object(frame[list(KEY)].astype(str), index=False).to_numpy()
        group_hash = pd.util.hash_pandas_object(frame[list(GROUP)].astype(str), index=False).to_numpy()
        st.setdefault("key_hash", []).append(key_hash)
        st.setdefault("group_hash", []).append(group_hash)
        st.setdefault("is_total", []).append(frame["_total"].to_numpy())
        st.setdefault("rows", []).append(frame["_row"].to_numpy(dtype=np.int64))
        ranges: dict[str, list[str]] = st.setdefault("ranges", {})
        good = frame[~frame["_bad_period"] & ~frame["_bad_project_code"]]
        for project, periods in good.groupby("project_code")["period"]:
            lo, hi = periods.min(), periods.max()
            have = ranges.setdefault(project, [lo, hi])
            have[0], have[1] = min(have[0], lo), max(have[1], hi)
        st["rows_total"] = st.get("rows_total", 0) + len(frame)

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
        st = ctx.state
        if not st.get("rows"):
            ctx.add(1, "", "", "the file has a header but no data rows")
            return
        keys = np.concatenate(st["key_hash"])
        rows = np.concatenate(st["rows"])
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        dup = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1]) + 1
        for i in dup:
            first = rows[order[np.searchsorted(sorted_keys, sorted_keys[i])]]
            ctx.add(int(rows[order[i]]), "period", "", f"duplicate of row {first}: same {', '.join(KEY)}")
        groups = np.concatenate(st["group_hash"])
        totals = np.concatenate(st["is_total"])
        split_groups = set(groups[~totals].tolist())
        for row in rows[totals & np.isin(groups, list(split_groups))]:
            ctx.add(int(row), "age_band", "", "a total row (no age, sex or ethnicity) sits beside split rows "
                    "for the same project, area, metric and month; give either the total or the splits")

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
        replace_rows(conn, ranges, batch_id)
        written = 0
        for frame in frames:
            written += insert_observations(conn, to_rows(frame, batch_id))
        for project, (first, last) in ranges.items():
            refresh_observation_summaries(conn, project, first, last)
        return written


def to_rows(frame: pd.DataFrame, batch_id: int) -> pd.DataFrame:
    """The typed frame as the observation table's columns, fiscal year and quarter derived here."""
    period = frame["period"].astype(str)
    year = period.str[:4].astype(int)
    month = period.str[5:7].astype(int)
    fy_start = np.where(month >= 4, year, year - 1)
    fy = pd.Series(fy_start, index=frame.index).astype(str) + "/" + pd.Series(
        (fy_start + 1) % 100, index=frame.index
    ).astype(str).str.zfill(2)
    return pd.DataFrame({
        "batch_id": batch_id,
        "source_row": frame["_row"].astype("int64"),
        "period": period,
        "financial_year": fy,
        "quarter": ((month - 4) % 12) // 3 + 1,
        "project_code": frame["project_code"].astype(str),
        "area_code": frame["area_code"].astype(str),
        "metric_code": frame["metric_code"].astype(str),
        "age_band": frame["age_band"].astype(str),
        "sex": frame["sex"].astype(str),
        "ethnicity": frame["ethnicity"].astype(str),
        "value": pd.to_numeric(frame["value"]).astype(float),
    })[list(INSERT_COLUMNS)]


def insert_observations(conn: Connection, rows: pd.DataFrame) -> int:
    """The fast path: COPY on PostgreSQL, one executemany on SQLite."""
    if rows.empty:
        return 0
    cols = ", ".join(INSERT_COLUMNS)
    if conn.dialect.name == "postgresql":
        buf = io.StringIO()
        rows.to_csv(buf, index=False, header=False)
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY observation ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buf.getvalue())
        return len(rows)
    marks = ", ".join("?" * len(INSERT_COLUMNS))
    conn.exec_driver_sql(
        f"INSERT INTO observation ({cols}) VALUES ({marks})",
        list(rows.itertuples(index=False, name=None)),
    )
    return len(rows)


def replace_rows(conn: Connection, ranges: dict[str, list[str]], batch_id: int) -> None:
    """Move the rows a revision supersedes into history, then delete them (same transaction)."""
    o = Observation.__table__
    h = ObservationHistory.__table__
    now = datetime.now(UTC).replace(tzinfo=None)
    copied = [c.name for c in o.c if c.name != "id"]
    for project, (first, last) in ranges.items():
        where = (o.c.project_code == project) & o.c.period.between(first, last)
        if conn.execute(select(o.c.id).where(where).limit(1)).first() is None:
            continue
        source = select(
            o.c.id, *[o.c[c] for c in copied], literal(batch_id), literal(now, DateTime)
        ).where(where)
        conn.execute(insert(h).from_select(["original_id", *copied, "replaced_by_batch_id", "replaced_at"], source))
        conn.execute(o.delete().where(where))


SOURCE = Observations()
