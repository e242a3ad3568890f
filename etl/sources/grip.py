"""Readers for the Grip hotspot patrol files: hotspots, patrols, incidents, and crime harm weights.

Each load keeps the effect summary (grip_effect) fresh in the same transaction, so the Grip page and
API never fit a model per request. What a reload means:
- hotspots.csv and crime_harm_weights.csv replace the rows with the same keys (hotspot_id,
  offence_group); changed hotspot circles re-assign the incidents whose hotspot was derived.
  Optional active_from / active_to give a hotspot its own study period (blank: the span of its own
  patrol log);
- patrol_plan.csv (optional) is the planned, usually randomised, schedule: hotspot_id, date,
  assigned (yes/no); like the patrol log, its rows replace that hotspot's plan from its first to
  its last date in the file;
- patrols.csv is the complete patrol log of each hotspot for the dates it covers: its rows replace
  that hotspot's patrols from its first to its last date in the file (so a corrected log can
  remove a patrol);
- incidents.csv replaces incidents with the same incident_ref and adds the rest. A blank
  hotspot_id is filled in by distance (the nearest hotspot whose circle contains the position).
Times are UK local time; a time given in UTC ("Z") or with an offset is converted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, delete, insert

from analysis.grip import OFFENCE_GROUPS, assign_hotspots, patrol_minutes
from etl.columns import Choice, Code, Column, DateCol, Flag, Number, Parsed, Schema, Text, _fail
from etl.dates import outside_dates
from etl.dates import reason as date_window_reason
from etl.sources.base import Context, Source, clean
from etl.sources.reference import ReferenceSource
from warehouse import grip_queries
from warehouse.grip_models import GripHarmWeight, GripHotspot, GripIncident, GripPatrol, GripPatrolPlan

LOCAL_TZ = "Europe/London"
MAX_RADIUS_M = 2000  # a Grip hotspot is a street or two, not a district
MAX_PATROL_MINUTES = 12 * 60
_ISO = (r"^(?P<dt>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
        r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$")


@dataclass
class TimeOfDay(Column):
    """A clock time HH:MM (seconds accepted and dropped), stored as 'HH:MM'."""

    def parse(self, text: pd.Series) -> Parsed:
        parts = text.str.extract(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")
        hours = pd.to_numeric(parts[0], errors="coerce")
        minutes = pd.to_numeric(parts[1], errors="coerce")
        ok = (hours <= 23) & (minutes <= 59)
        values = hours.astype("Int64").astype("string").str.zfill(2) + ":" + parts[1]
        return _fail(values.astype(object), ~ok.fillna(False).astype(bool) & text.notna(),
                     "not a time of day in the form HH:MM (00:00 to 23:59)")


@dataclass
class LocalDateTime(Column):
    """An ISO 8601 date-time; with 'Z' or an offset it is converted to UK local time, stored naive."""

    def parse(self, text: pd.Series) -> Parsed:
        parts = text.str.extract(_ISO)
        body = parts["dt"].str.replace(" ", "T", regex=False)
        naive = pd.to_datetime(body, format="ISO8601", errors="coerce")
        zoned = parts["tz"].notna() & parts["tz"].astype(object).ne("")
        values = pd.Series(naive, index=text.index, dtype=object)
        if zoned.any():
            aware = pd.to_datetime(body[zoned] + parts["tz"][zoned], format="ISO8601", utc=True, errors="coerce")
            local = aware.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
            values[zoned] = local
        values = values.where(pd.notna(values), None)
        stamps = values.map(lambda v: None if v is None else pd.Timestamp(v).to_pydatetime())
        outside = parts["dt"].notna() & outside_dates(parts["dt"])  # by its text: year 1 or 9999 too
        bad = (stamps.isna() & text.notna()) | outside
        reasons = pd.Series("not an ISO 8601 date-time such as 2025-06-02T18:30:00 (a time is needed)",
                            index=text.index, dtype=object).where(~outside, date_window_reason())
        return _fail(stamps.astype(object), bad, reasons)


def _check_position(frame: pd.DataFrame, ctx: Context, required: bool) -> None:
    lat, lon = frame["latitude"], frame["longitude"]
    lat_num = pd.to_numeric(lat, errors="coerce")
    lon_num = pd.to_numeric(lon, errors="coerce")
    ctx.add_mask(frame, ~frame["_bad_latitude"] & ((lat_num < -90) | (lat_num > 90)).fillna(False),
                 "latitude", "latitude must be between -90 and 90 degrees")
    ctx.add_mask(frame, ~frame["_bad_longitude"] & ((lon_num < -180) | (lon_num > 180)).fillna(False),
                 "longitude", "longitude must be between -180 and 180 degrees")
    if not required:
        only_lat = lat_num.notna() & lon_num.isna() & ~frame["_bad_longitude"]
        only_lon = lon_num.notna() & lat_num.isna() & ~frame["_bad_latitude"]
        ctx.add_mask(frame, only_lat, "longitude", "a position needs both latitude and longitude")
        ctx.add_mask(frame, only_lon, "latitude", "a position needs both latitude and longitude")


def _refresh(conn: Connection) -> None:
    grip_queries.refresh_effects(conn)


class Hotspots(ReferenceSource):
    kind, title, table, provides_lookup = "grip_hotspots", "Grip hotspots", GripHotspot, "hotspot"
    key = ("hotspot_id",)
    schema = Schema([
        Code("hotspot_id"),
        Text("name"),
        Code("area_code", lookup="area"),
        Number("latitude", allow_negative=True),
        Number("longitude", allow_negative=True),
        Number("radius_m"),
        DateCol("active_from", required=False, header_required=False, default=None, planned=True),
        DateCol("active_to", required=False, header_required=False, default=None, planned=True),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        super().check(frame, ctx)
        _check_position(frame, ctx, required=True)
        for r, start, end in zip(frame["_row"], frame["active_from"], frame["active_to"], strict=True):
            if isinstance(start, date) and isinstance(end, date) and end < start:
                ctx.add(r, "active_to", end, "active_to is before active_from")
        radius = pd.to_numeric(frame["radius_m"], errors="coerce")
        ok = ~frame["_bad_radius_m"]
        ctx.add_mask(frame, ok & (radius <= 0).fillna(False), "radius_m", "the radius must be more than 0 metres")
        ctx.add_mask(frame, ok & (radius > MAX_RADIUS_M).fillna(False), "radius_m",
                     f"a hotspot radius over {MAX_RADIUS_M:,} metres is not a hotspot; check the unit (metres)")

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = super().rows(frame, batch_id)
        for r in records:
            for col in ("latitude", "longitude", "radius_m"):
                r[col] = float(r[col])
            for col in ("active_from", "active_to"):
                r[col] = r.get(col) if isinstance(r.get(col), date) else None
        return records

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        n = super().write(conn, frames, batch_id, ctx)
        grip_queries.reassign_incidents(conn)
        _refresh(conn)
        return n


class Patrols(Source):
    kind, title = "grip_patrols", "Grip patrols"
    key = ("hotspot_id", "date", "start_time")
    schema = Schema([
        Code("hotspot_id", lookup="hotspot"),
        DateCol("date"),
        TimeOfDay("start_time"),
        TimeOfDay("end_time"),
        Number("officers", integer=True),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_keys(frame, ctx)
        officers = pd.to_numeric(frame["officers"], errors="coerce")
        ctx.add_mask(frame, ~frame["_bad_officers"] & (officers < 1).fillna(False), "officers",
                     "a patrol needs at least one officer")
        ok = ~frame["_bad_start_time"] & ~frame["_bad_end_time"]
        minutes = pd.Series([patrol_minutes(s, e) if good else -1 for s, e, good in
                             zip(frame["start_time"], frame["end_time"], ok, strict=True)], index=frame.index)
        ctx.add_mask(frame, ok & (minutes == 0), "end_time", "the end time equals the start time")
        ctx.add_mask(frame, ok & (minutes > MAX_PATROL_MINUTES), "end_time",
                     "the patrol would last more than 12 hours (an end time before the start time means "
                     "it ran past midnight); check the times")
        good_dates = frame.loc[~frame["_bad_date"], "date"]
        future = pd.Series(False, index=frame.index)
        future[good_dates.index] = [d > date.today() for d in good_dates]
        ctx.add_mask(frame, future, "date", "the date is in the future")
        dates = ctx.state.setdefault("dates", [])
        dates.extend(good_dates.tolist())

    def summary(self, ctx: Context) -> dict[str, Any]:
        dates = ctx.state.get("dates") or []
        return {"first_period": f"{min(dates):%Y-%m}", "last_period": f"{max(dates):%Y-%m}"} if dates else {}

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        frame = clean(pd.concat(list(frames), ignore_index=True))
        t = GripPatrol.__table__
        ranges = frame.groupby("hotspot_id")["date"].agg(["min", "max"])
        conn.execute(
            delete(t).where(t.c.hotspot_id == bindparam("h"), t.c.patrol_date.between(bindparam("a"), bindparam("b"))),
            [{"h": h, "a": r["min"], "b": r["max"]} for h, r in ranges.iterrows()],
        )
        records = [
            {"hotspot_id": h, "patrol_date": d, "start_time": s, "end_time": e, "minutes": patrol_minutes(s, e),
             "officers": int(o), "batch_id": batch_id, "source_row": int(r)}
            for h, d, s, e, o, r in zip(frame["hotspot_id"], frame["date"], frame["start_time"], frame["end_time"],
                                        frame["officers"], frame["_row"], strict=True)
        ]
        conn.execute(insert(t), records)
        _refresh(conn)
        return len(records)


class PatrolPlan(Source):
    """patrol_plan.csv: the schedule patrols were meant to follow (randomised, as in Southend)."""

    kind, title = "grip_patrol_plan", "Grip patrol plan"
    key = ("hotspot_id", "date")
    schema = Schema([
        Code("hotspot_id", lookup="hotspot"),
        DateCol("date", planned=True),
        Flag("assigned"),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_keys(frame, ctx)
        dates = ctx.state.setdefault("dates", [])
        dates.extend(frame.loc[~frame["_bad_date"], "date"].tolist())

    def summary(self, ctx: Context) -> dict[str, Any]:
        dates = ctx.state.get("dates") or []
        return {"first_period": f"{min(dates):%Y-%m}", "last_period": f"{max(dates):%Y-%m}"} if dates else {}

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        frame = clean(pd.concat(list(frames), ignore_index=True))
        t = GripPatrolPlan.__table__
        ranges = frame.groupby("hotspot_id")["date"].agg(["min", "max"])
        conn.execute(
            delete(t).where(t.c.hotspot_id == bindparam("h"), t.c.plan_date.between(bindparam("a"), bindparam("b"))),
            [{"h": h, "a": r["min"], "b": r["max"]} for h, r in ranges.iterrows()],
        )
        conn.execute(insert(t), [
            {"hotspot_id": h, "plan_date": d, "assigned": bool(a), "batch_id": batch_id, "source_row": int(r)}
            for h, d, a, r in zip(frame["hotspot_id"], frame["date"], frame["assigned"], frame["_row"], strict=True)
        ])
        _refresh(conn)
        return len(frame)


class Incidents(Source):
    kind, title = "grip_incidents", "Grip incidents"
    key = ("incident_ref",)
    schema = Schema([
        Text("incident_ref", max_length=40),
        LocalDateTime("occurred_at"),
        Number("latitude", required=False, default=None, allow_negative=True),
        Number("longitude", required=False, default=None, allow_negative=True),
        Choice("offence_group", choices=OFFENCE_GROUPS),
        Code("hotspot_id", required=False, header_required=False, lookup="hotspot"),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_keys(frame, ctx)
        _check_position(frame, ctx, required=False)
        no_position = pd.to_numeric(frame["latitude"], errors="coerce").isna() & ~frame["_bad_latitude"]
        no_hotspot = (frame["hotspot_id"].fillna("") == "") & ~frame["_bad_hotspot_id"]
        ctx.add_mask(frame, no_position & no_hotspot, "hotspot_id",
                     "give either the hotspot_id or the position (latitude and longitude)")
        tomorrow = datetime.combine(date.today() + timedelta(days=1), datetime.min.time())
        when = frame["occurred_at"]
        future = ~frame["_bad_occurred_at"] & when.map(lambda v: isinstance(v, datetime) and v >= tomorrow)
        ctx.add_mask(frame, future.astype(bool), "occurred_at", "the date is in the future")
        good = when[~frame["_bad_occurred_at"]]
        if len(good):
            st = ctx.state
            st["first"] = min(st.get("first", good.min()), good.min())
            st["last"] = max(st.get("last", good.max()), good.max())

    def summary(self, ctx: Context) -> dict[str, Any]:
        st = ctx.state
        return {"first_period": f"{st['first']:%Y-%m}", "last_period": f"{st['last']:%Y-%m}"} if "first" in st else {}

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        frame = clean(pd.concat(list(frames), ignore_index=True))
        given = frame["hotspot_id"].fillna("").astype(str)
        position = frame[["latitude", "longitude"]].apply(pd.to_numeric, errors="coerce")
        derived = assign_hotspots(position, grip_queries.hotspots(conn))
        hotspot = given.where(given != "", derived)
        source = np.where(given != "", "given", np.where(hotspot != "", "derived", "none"))
        t = GripIncident.__table__
        conn.execute(delete(t).where(t.c.incident_ref == bindparam("r")), [{"r": r} for r in frame["incident_ref"]])
        records = [
            {"incident_ref": ref, "occurred_at": when, "occurred_on": when.date(),
             "latitude": None if pd.isna(lat) else float(lat), "longitude": None if pd.isna(lon) else float(lon),
             "offence_group": group, "hotspot_id": h, "hotspot_source": s, "batch_id": batch_id,
             "source_row": int(r)}
            for ref, when, lat, lon, group, h, s, r in zip(
                frame["incident_ref"], frame["occurred_at"], position["latitude"], position["longitude"],
                frame["offence_group"], hotspot, source, frame["_row"], strict=True)
        ]
        conn.execute(insert(t), records)
        _refresh(conn)
        return len(records)


class HarmWeights(ReferenceSource):
    """crime_harm_weights.csv: offence_group, weight (e.g. days of imprisonment). Every group is needed."""

    kind, title, table = "crime_harm_weights", "Crime harm weights", GripHarmWeight
    key = ("offence_group",)
    schema = Schema([Choice("offence_group", choices=OFFENCE_GROUPS), Number("weight")])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        super().check(frame, ctx)
        ctx.state.setdefault("groups", set()).update(frame.loc[~frame["_bad_offence_group"], "offence_group"])

    def finish(self, ctx: Context) -> None:
        missing = [g for g in OFFENCE_GROUPS if g not in ctx.state.get("groups", set())]
        if missing:
            ctx.add(1, "offence_group", "", f"every offence group needs a weight; missing: {', '.join(missing)}")

    def rows(self, frame: pd.DataFrame, batch_id: int) -> list[dict[str, Any]]:
        records = super().rows(frame, batch_id)
        for r in records:
            r["weight"] = float(r["weight"])
        return records

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        n = super().write(conn, frames, batch_id, ctx)
        _refresh(conn)
        return n


SOURCES: list[Source] = [Hotspots(), Patrols(), PatrolPlan(), Incidents(), HarmWeights()]
