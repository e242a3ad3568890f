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
from warehouse.grip_models import GripEffect, GripHarmWeight, GripHotspot, GripIncident, GripPatrol, GripPatrolPlan
from warehouse.window import dates_ok

Bind = Engine | Connection
HS = GripHotspot.__table__
PT = GripPatrol.__table__
INC = GripIncident.__table__
HW = GripHarmWeight.__table__
EF = GripEffect.__table__
PL = GripPatrolPlan.__table__


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
    """Columns: hotspot_id, name, area_code, latitude, longitude, radius_m, active_from, active_to
    (the last two None when the file left them blank), sorted by id."""
    cols = ["hotspot_id", "name", "area_code", "latitude", "longitude", "radius_m", "active_from", "active_to"]
    return _frame(bind, select(*[HS.c[c] for c in cols]).order_by(HS.c.hotspot_id), cols)


def patrol_plan(bind: Bind) -> pd.DataFrame:
    """Columns: hotspot_id, date, assigned (bool): the loaded patrol plan, empty when none."""
    stmt = select(PL.c.hotspot_id, PL.c.plan_date, PL.c.assigned).order_by(PL.c.hotspot_id, PL.c.plan_date)
    frame = _frame(bind, stmt, ["hotspot_id", "date", "assigned"])
    return frame.astype({"assigned": bool})


def incident_positions(bind: Bind) -> pd.DataFrame:
    """Columns: latitude, longitude, date, offence_group of every incident with a position (for the
    displacement ring, which also counts incidents outside every hotspot)."""
    stmt = (select(INC.c.latitude, INC.c.longitude, INC.c.occurred_on, INC.c.offence_group)
            .where(INC.c.latitude.is_not(None), INC.c.longitude.is_not(None)))
    return _frame(bind, stmt, ["latitude", "longitude", "date", "offence_group"])


def incident_span(bind: Bind) -> tuple | None:
    """(first, last) day of the incident data, or None when there are no incidents."""
    with _connect(bind) as conn:
        first, last = conn.execute(select(func.min(INC.c.occurred_on), func.max(INC.c.occurred_on))
                                   .where(dates_ok(INC.c.occurred_on))).one()  # a stored year 9999 is ignored
    return None if first is None else (_day(first), _day(last))


def _day(value: object) -> object:
    return pd.Timestamp(value).date()


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


def harm_weights(bind: Bind) -> dict[str, float] | None:
    """offence_group -> weight, or None when no weights have been loaded."""
    with _connect(bind) as conn:
        rows = conn.execute(select(HW.c.offence_group, HW.c.weight)).all()
    return {g: float(w) for g, w in rows} or None


EFFECT_READ_COLUMNS = ["hotspot_id", *ag.EFFECT_COLUMNS[1:], "window_start", "window_end", "period_start",
                       "period_end", "ring_inner_m", "ring_outer_m"]


def effects(bind: Bind, offence_group: str, measure: str = "count", comparison: str = "patrol",
            operation: str = ag.ALL_OPERATIONS) -> pd.DataFrame:
    """The stored effect rows for one view: analysis.grip.EFFECT_COLUMNS + window_start, window_end
    (the operation's first and last day), period_start, period_end (each hotspot's own period),
    ring_inner_m, ring_outer_m (the displacement ring the rows were computed with, for measure "ring").

    One row per hotspot (sorted by id) and the pooled row ("ALL") last; empty when nothing is loaded.
    """
    stmt = (
        select(*[EF.c[c] for c in EFFECT_READ_COLUMNS])
        .where(EF.c.offence_group == offence_group, EF.c.measure == measure, EF.c.comparison == comparison,
               EF.c.operation == operation)
        .order_by((EF.c.hotspot_id == ag.POOLED), EF.c.hotspot_id)
    )
    frame = _frame(bind, stmt, EFFECT_READ_COLUMNS)
    for col in ("exposed_mean", "reference_mean", "rate_ratio", "ci_low", "ci_high", "p_value", "pct_change",
                "dispersion", "df", "ring_inner_m", "ring_outer_m"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    frame["in_model"] = frame["in_model"].astype(bool)
    return frame


def operations(bind: Bind) -> pd.DataFrame:
    """operation, first_day, last_day, hotspots: one row per operation in the effect summary."""
    stmt = (
        select(EF.c.operation, func.min(EF.c.period_start), func.max(EF.c.period_end), func.count())
        .where(EF.c.offence_group == ag.ALL_GROUPS, EF.c.measure == "count", EF.c.comparison == "patrol",
               EF.c.hotspot_id != ag.POOLED, EF.c.operation != ag.ALL_OPERATIONS)
        .group_by(EF.c.operation)
    )
    frame = _frame(bind, stmt, ["operation", "first_day", "last_day", "hotspots"])
    return frame.sort_values("operation", key=lambda s: s.astype(int)).reset_index(drop=True)


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
    """Rebuild grip_effect from what is loaded now; returns the number of rows written.

    Each hotspot's period comes from its active dates or its own patrol log (analysis.grip.
    hotspot_periods); the displacement ring's size from the settings (GRIP_RING_INNER_M,
    GRIP_RING_OUTER_M), stored with the rows so the page says which ring it shows.
    """
    from settings import load_settings

    conn.execute(delete(EF))
    spots = hotspots(conn)
    span = incident_span(conn)
    if spots.empty or span is None:
        return 0
    cfg = load_settings()
    inner, outer = cfg.grip_ring_inner_m, cfg.grip_ring_outer_m
    patrols, plan, weights = patrols_daily(conn), patrol_plan(conn), harm_weights(conn)
    periods = ag.hotspot_periods(spots, patrols, span, plan)
    if not (periods["operation"] != "").any():
        return 0
    ring = ag.ring_daily(incident_positions(conn), spots, inner, outer)
    panel = ag.build_panel(periods, patrols, crimes_daily(conn), weights, plan, ring)
    table = ag.effect_tables(panel, harm=weights is not None, periods=periods)
    ops = ag.operations(periods).set_index("operation")
    per = periods.set_index("hotspot_id")
    records = []
    for row in table.to_dict("records"):
        op = row["operation"]
        first = ops["first_day"].min() if op == ag.ALL_OPERATIONS else ops.loc[op, "first_day"]
        last = ops["last_day"].max() if op == ag.ALL_OPERATIONS else ops.loc[op, "last_day"]
        pooled = row["hotspot_id"] == ag.POOLED
        extra = {"window_start": first, "window_end": last,
                 "period_start": first if pooled else _clean(per.loc[row["hotspot_id"], "period_start"]),
                 "period_end": last if pooled else _clean(per.loc[row["hotspot_id"], "period_end"]),
                 "ring_inner_m": inner if row["measure"] == ag.RING else None,
                 "ring_outer_m": outer if row["measure"] == ag.RING else None}
        records.append({k: _clean(v) for k, v in row.items()} | extra)
    if records:
        conn.execute(insert(EF), records)
    return len(records)


def _clean(value: object) -> object:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value
