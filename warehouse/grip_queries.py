"""Grip queries: read the hotspot, patrol and incident tables (aggregated in SQL) and keep the
effect summary table fresh at load time.

Reads return small tidy DataFrames with documented columns and work on SQLite and PostgreSQL. They
take an Engine or, inside the loader's transaction, a Connection (so a refresh sees the rows the
load is writing). The statistics themselves live in analysis.grip; this module only feeds it and
stores what it returns.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update

from analysis import grip as ag
from warehouse.grip_models import GripEffect, GripHarmWeight, GripHotspot, GripIncident, GripPatrol

Bind = Engine | Connection
HS = GripHotspot.__table__
PT = GripPatrol.__table__
INC = GripIncident.__table__
HW = GripHarmWeight.__table__
EF = GripEffect.__table__


@contextmanager
def _connect(bind: Bind) -> Iterator[Connection]:
    """Use a Connection as it is (the loader's transaction), or open and close one from an Engine."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def _frame(bind: Bind, stmt, columns: list[str]) -> pd.DataFrame:  # noqa: ANN001 - any selectable
    with _connect(bind) as conn:
        rows = conn.execute(stmt).all()
    return pd.DataFrame(rows, columns=columns)


def hotspots(bind: Bind) -> pd.DataFrame:
    """Columns: hotspot_id, name, area_code, latitude, longitude, radius_m (sorted by id)."""
    cols = ["hotspot_id", "name", "area_code", "latitude", "longitude", "radius_m"]
    return _frame(bind, select(*[HS.c[c] for c in cols]).order_by(HS.c.hotspot_id), cols)


def patrols_daily(bind: Bind) -> pd.DataFrame:
    """Columns: hotspot_id, date, patrols, patrol_minutes, officer_minutes (one row per patrolled day)."""
    stmt = (
        select(PT.c.hotspot_id, PT.c.patrol_date, func.count(), func.sum(PT.c.minutes),
               func.sum(PT.c.minutes * PT.c.officers))
        .group_by(PT.c.hotspot_id, PT.c.patrol_date)
        .order_by(PT.c.hotspot_id, PT.c.patrol_date)
    )
    frame = _frame(bind, stmt, ["hotspot_id", "date", "patrols", "patrol_minutes", "officer_minutes"])
    return frame.astype({"patrols": int, "patrol_minutes": float, "officer_minutes": float})


def crimes_daily(bind: Bind) -> pd.DataFrame:
    """Columns: hotspot_id, date, offence_group, crimes (incidents inside a hotspot only)."""
    stmt = (
        select(INC.c.hotspot_id, INC.c.occurred_on, INC.c.offence_group, func.count())
        .where(INC.c.hotspot_id != "")
        .group_by(INC.c.hotspot_id, INC.c.occurred_on, INC.c.offence_group)
    )
    frame = _frame(bind, stmt, ["hotspot_id", "date", "offence_group", "crimes"])
    return frame.astype({"crimes": int})


def date_ranges(bind: Bind) -> tuple[pd.Series, pd.Series]:
    """(first and last patrol date, first and last incident date) as two-value Series (empty if none)."""
    with _connect(bind) as conn:
        p = conn.execute(select(func.min(PT.c.patrol_date), func.max(PT.c.patrol_date))).one()
        i = conn.execute(select(func.min(INC.c.occurred_on), func.max(INC.c.occurred_on))).one()
    as_series = lambda pair: pd.Series([v for v in pair if v is not None], dtype=object)  # noqa: E731
    return as_series(p), as_series(i)


def harm_weights(bind: Bind) -> dict[str, float] | None:
    """offence_group -> weight, or None when no weights have been loaded."""
    with _connect(bind) as conn:
        rows = conn.execute(select(HW.c.offence_group, HW.c.weight)).all()
    return {g: float(w) for g, w in rows} or None


EFFECT_READ_COLUMNS = ["hotspot_id", *ag.EFFECT_COLUMNS[1:], "window_start", "window_end"]


def effects(bind: Bind, offence_group: str, measure: str = "count", comparison: str = "patrol") -> pd.DataFrame:
    """The stored effect rows for one view: analysis.grip.EFFECT_COLUMNS + window_start, window_end.

    One row per hotspot (sorted by id) and the pooled row ("ALL") last; empty when nothing is loaded.
    """
    stmt = (
        select(*[EF.c[c] for c in EFFECT_READ_COLUMNS])
        .where(EF.c.offence_group == offence_group, EF.c.measure == measure, EF.c.comparison == comparison)
        .order_by((EF.c.hotspot_id == ag.POOLED), EF.c.hotspot_id)
    )
    frame = _frame(bind, stmt, EFFECT_READ_COLUMNS)
    for col in ("exposed_mean", "reference_mean", "rate_ratio", "ci_low", "ci_high", "p_value", "pct_change",
                "dispersion"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame


def incident_counts(bind: Bind) -> dict[str, int]:
    """How the loaded incidents were placed: given, derived, none (outside every hotspot), total."""
    with _connect(bind) as conn:
        rows = conn.execute(select(INC.c.hotspot_source, func.count()).group_by(INC.c.hotspot_source)).all()
    counts = {"given": 0, "derived": 0, "none": 0}
    counts.update({s: int(n) for s, n in rows})
    counts["total"] = sum(counts.values())
    return counts


# ------------------------------------------------------------------------------------------------
# Kept fresh at load time (called inside the loader's transaction)
# ------------------------------------------------------------------------------------------------

def reassign_incidents(conn: Connection) -> int:
    """Redo the distance assignment of incidents whose hotspot was not given, after hotspots change."""
    spots = hotspots(conn)
    cols = ["id", "latitude", "longitude", "hotspot_id"]
    rows = _frame(conn, select(*[INC.c[c] for c in cols]).where(INC.c.hotspot_source != "given"), cols)
    if rows.empty:
        return 0
    rows["new"] = ag.assign_hotspots(rows[["latitude", "longitude"]], spots)
    changed = rows[rows["new"] != rows["hotspot_id"]]
    if not changed.empty:
        conn.execute(
            update(INC).where(INC.c.id == bindparam("k")).values(
                hotspot_id=bindparam("h"), hotspot_source=bindparam("s")),
            [{"k": int(k), "h": h, "s": "derived" if h else "none"} for k, h in zip(changed["id"], changed["new"],
                                                                                   strict=True)],
        )
    return len(changed)


def refresh_effects(conn: Connection) -> int:
    """Rebuild grip_effect from what is loaded now; returns the number of rows written."""
    conn.execute(delete(EF))
    spots = hotspots(conn)
    patrol_range, incident_range = date_ranges(conn)
    window = ag.study_window(patrol_range, incident_range)
    if spots.empty or window is None:
        return 0
    start, end = window
    table = ag.effect_tables(spots["hotspot_id"].tolist(), patrols_daily(conn), crimes_daily(conn), start, end,
                             harm_weights(conn))
    records = [
        {k: _clean(v) for k, v in row.items()} | {"window_start": start, "window_end": end}
        for row in table.to_dict("records")
    ]
    if records:
        conn.execute(insert(EF), records)
    return len(records)


def _clean(value: object) -> object:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value
