"""What the Grip page, the API and exports show about hotspot patrols, cached per data version.

The effect estimates are computed once at load time (warehouse.grip_queries.refresh_effects); here
they are read, named for people and the API, and combined with hotspots and patrol dosage. Inputs
arrive from URLs and callbacks, so the choices are validated here, in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analysis import grip as ag
from service.cache import cached
from settings import DATA_DIR
from warehouse import grip_queries as q

GROUPS = (ag.ALL_GROUPS, *ag.OFFENCE_GROUPS)
GROUP_LABELS = {ag.ALL_GROUPS: "All offences", **{g: g.capitalize() for g in ag.OFFENCE_GROUPS}}
MEASURE_LABELS = {"count": "Crime count", "harm": "Crime harm (weighted)"}
COMPARISON_LABELS = {"patrol": "patrol days vs days with no patrol that day or the day before",
                     "next_day": "days after a patrol vs days with no patrol that day or the day before",
                     "itt": "days assigned a patrol by the plan vs days not assigned"}
API_MEASURES = (*ag.MEASURES, ag.RING)  # the API also serves the displacement ring's rows
DISTRICTS_FILE = DATA_DIR / "geo" / "districts.geojson"

# The API's names for the patrol comparison (analysis.grip names them generically: exposed/reference).
API_COLUMNS = ["hotspot_id", "hotspot_name", "patrol_days", "non_patrol_days", "crimes_patrol", "crimes_non_patrol",
               "mean_patrol", "mean_non_patrol", "rate_ratio", "ci_low", "ci_high", "p_value", "pct_change",
               "patrol_minutes", "note"]
_RENAME = {"exposed_days": "patrol_days", "reference_days": "non_patrol_days", "exposed_total": "crimes_patrol",
           "reference_total": "crimes_non_patrol", "exposed_mean": "mean_patrol", "reference_mean": "mean_non_patrol"}
_NEXT_DAY_RENAME = {"exposed_days": "days_after_patrol", "reference_days": "other_non_patrol_days",
                    "exposed_total": "crimes_after_patrol", "reference_total": "crimes_other_non_patrol",
                    "exposed_mean": "mean_after_patrol", "reference_mean": "mean_other_non_patrol"}
_ITT_RENAME = {"exposed_days": "assigned_days", "reference_days": "unassigned_days",
               "exposed_total": "crimes_assigned", "reference_total": "crimes_unassigned",
               "exposed_mean": "mean_assigned", "reference_mean": "mean_unassigned",
               "exposed_patrolled": "assigned_days_patrolled", "reference_patrolled": "unassigned_days_patrolled"}
RENAMES = {"patrol": _RENAME, "next_day": _NEXT_DAY_RENAME, "itt": _ITT_RENAME}
# Added by issue 13 to every API row (after the original columns, so old readers are unaffected).
EXTRA_COLUMNS = ["period_start", "period_end", "in_model", "df"]
SAME_AS_COUNT = ("Harm weighting changes nothing within one offence group (every crime in it has the same weight, "
                 "which cancels from the ratio), so crime counts are shown.")


class ChoiceError(ValueError):
    """An offence group, measure or comparison outside the allowed list (the API answers 400)."""


def parse_choice(value: object, allowed: tuple[str, ...], name: str, default: str) -> str:
    """A validated choice: blank -> default; case and spaces/underscores forgiven; anything else refused."""
    text = " ".join(str(value or "").replace("_", " ").replace("+", " ").split()).lower()
    if not text:
        return default
    for choice in allowed:
        if text == choice.replace("_", " "):
            return choice
    raise ChoiceError(f"{name} must be one of: {', '.join(allowed)}")


def parse_offence_group(value: object) -> str:
    return parse_choice(value, GROUPS, "offence_group", ag.ALL_GROUPS)


def parse_measure(value: object) -> str:
    return parse_choice(value, ag.MEASURES, "measure", "count")


def parse_api_measure(value: object) -> str:
    """count, harm, or ring (crimes in the displacement ring, all offences)."""
    return parse_choice(value, API_MEASURES, "measure", "count")


def parse_comparison(value: object) -> str:
    return parse_choice(value, ag.COMPARISONS, "comparison", "patrol")


def parse_operation(value: object) -> str:
    """"all" (blank) or an operation number such as "2"; anything else is refused. Whether that
    operation exists is for the caller to say (an unknown one has no rows)."""
    text = str(value or "").strip().lower()
    if text in ("", ag.ALL_OPERATIONS):
        return ag.ALL_OPERATIONS
    if text.isdigit() and len(text) <= 4 and int(text) >= 1:
        return str(int(text))
    raise ChoiceError("operation must be all or an operation number such as 1")


@cached
def operations(engine: Engine) -> pd.DataFrame:
    """operation, first_day, last_day, hotspots, label: the operations in the loaded data."""
    ops = q.operations(engine)
    ops["label"] = [f"Operation {r.operation}: {_day(r.first_day)} to {_day(r.last_day)} ({int(r.hotspots)} hotspots)"
                    for r in ops.itertuples()]
    return ops


def _day(value: object) -> str:
    return f"{pd.Timestamp(value):%-d %b %Y}" if value is not None and not pd.isna(value) else "–"


@dataclass(frozen=True)
class GripView:
    """Everything the Grip page shows for one offence group and measure."""

    offence_group: str
    measure: str  # the measure actually shown (harm falls back to count within one group)
    requested_measure: str
    window_start: date | None
    window_end: date | None
    effect: pd.DataFrame  # API_COLUMNS (crimes_* hold harm when measure == "harm"); pooled row last
    next_day: pd.DataFrame  # same rows for days after a patrol vs other days without (generic names)
    hotspots: pd.DataFrame  # hotspot_id, name, latitude, longitude, radius_m, crimes, patrol_days, rate_ratio
    weekly: pd.DataFrame  # analysis.grip.weekly_dosage
    incidents: dict[str, int] = field(default_factory=dict)
    harm_available: bool = False
    weights: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # Added by issue 13.
    operation: str = ag.ALL_OPERATIONS
    operations: pd.DataFrame = field(default_factory=pd.DataFrame)  # see operations()
    itt: pd.DataFrame = field(default_factory=pd.DataFrame)  # intention to treat (empty without a plan)
    ring: pd.DataFrame = field(default_factory=pd.DataFrame)  # displacement ring, all offences, patrol comparison
    excluded: tuple[tuple[str, str, str], ...] = ()  # (hotspot_id, name, reason) left out of the pooled model
    hotspots_total: int = 0
    hotspots_modelled: int = 0
    days_modelled: int = 0
    compliance: dict[str, int] = field(default_factory=dict)  # assigned_days, assigned_patrolled, unassigned_...
    ring_inner_m: float = np.nan
    ring_outer_m: float = np.nan

    @property
    def randomised(self) -> bool:
        """A patrol plan is loaded for the hotspots shown: the design is randomised assignment."""
        return bool(len(self.itt))

    @property
    def pooled_itt(self) -> dict[str, Any]:
        rows = self.itt[self.itt["hotspot_id"] == ag.POOLED] if len(self.itt) else self.itt
        return rows.iloc[0].to_dict() if len(rows) else {}

    @property
    def pooled_ring(self) -> dict[str, Any]:
        rows = self.ring[self.ring["hotspot_id"] == ag.POOLED] if len(self.ring) else self.ring
        return rows.iloc[0].to_dict() if len(rows) else {}

    @property
    def pooled(self) -> dict[str, Any]:
        rows = self.effect[self.effect["hotspot_id"] == ag.POOLED]
        return rows.iloc[0].to_dict() if len(rows) else {}

    @property
    def pooled_next_day(self) -> dict[str, Any]:
        rows = self.next_day[self.next_day["hotspot_id"] == ag.POOLED]
        return rows.iloc[0].to_dict() if len(rows) else {}


def _named(frame: pd.DataFrame, names: pd.DataFrame, rename: dict[str, str]) -> pd.DataFrame:
    out = frame.rename(columns=rename).merge(names, on="hotspot_id", how="left")
    out["hotspot_name"] = out["hotspot_name"].fillna("")
    out.loc[out["hotspot_id"] == ag.POOLED, "hotspot_name"] = "All hotspots (pooled)"
    return out


@cached
def effect_table(engine: Engine, offence_group: str, measure: str = "count",
                 comparison: str = "patrol", operation: str = ag.ALL_OPERATIONS) -> pd.DataFrame:
    """One row per hotspot plus the pooled row ("ALL"), API_COLUMNS for the patrol comparison; for
    "next_day" the day columns are named days_after_patrol, other_non_patrol_days, and so on; for
    "itt" assigned_days, unassigned_days, ..., assigned_days_patrolled, unassigned_days_patrolled.
    Every comparison ends with EXTRA_COLUMNS (each hotspot's period, whether it is in the pooled
    model, the t degrees of freedom). measure "ring": crimes in the displacement ring (all offences)."""
    offence_group, measure = parse_offence_group(offence_group), parse_api_measure(measure)
    comparison, operation = parse_comparison(comparison), parse_operation(operation)
    if measure == "harm" and offence_group != ag.ALL_GROUPS:
        raise ChoiceError("measure=harm is for offence_group=all only. " + SAME_AS_COUNT)
    if measure == ag.RING and offence_group != ag.ALL_GROUPS:
        raise ChoiceError("measure=ring (the displacement ring) is for offence_group=all only")
    names = q.hotspots(engine)[["hotspot_id", "name"]].rename(columns={"name": "hotspot_name"})
    rename = RENAMES[comparison]
    frame = _named(q.effects(engine, offence_group, measure, comparison, operation), names, rename)
    days = [c for c in rename.values() if "patrolled" not in c]
    cols = ["hotspot_id", "hotspot_name", *days, "rate_ratio", "ci_low", "ci_high", "p_value", "pct_change",
            *(["patrol_minutes"] if comparison == "patrol" else []), "note",
            *(["assigned_days_patrolled", "unassigned_days_patrolled"] if comparison == "itt" else []),
            *EXTRA_COLUMNS]
    frame = frame[cols]
    if measure == "harm":  # the totals and means are crime harm, not crimes: say so in the names
        frame = frame.rename(columns=lambda c: c.replace("crimes_", "harm_").replace("mean_", "mean_harm_"))
    if measure == ag.RING:
        frame = frame.rename(columns=lambda c: c.replace("crimes_", "ring_crimes_").replace("mean_", "mean_ring_"))
    return frame.reset_index(drop=True)


def model_summary(engine: Engine, offence_group: str, measure: str, comparison: str,
                  operation: str = ag.ALL_OPERATIONS) -> dict[str, Any]:
    """What the pooled model used, for the API's meta: hotspots and hotspot-days modelled, and each
    hotspot left out with the reason."""
    rows = q.effects(engine, offence_group, measure, comparison, operation)
    pooled = rows[rows["hotspot_id"] == ag.POOLED]
    spots = rows[rows["hotspot_id"] != ag.POOLED]
    out = spots[~spots["in_model"]]
    return {
        "hotspots": len(spots),
        "hotspots_modelled": int(pooled["hotspots_modelled"].iloc[0]) if len(pooled) else 0,
        "hotspot_days_modelled": int(pooled["days_modelled"].iloc[0]) if len(pooled) else 0,
        "left_out": [{"hotspot_id": h, "reason": r} for h, r in zip(out["hotspot_id"], out["note"], strict=True)],
        "ring_inner_m": _num(rows["ring_inner_m"].iloc[0]) if len(rows) else None,
        "ring_outer_m": _num(rows["ring_outer_m"].iloc[0]) if len(rows) else None,
    }


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


@cached
def grip_view(engine: Engine, offence_group: str, measure: str = "count",
              operation: str = ag.ALL_OPERATIONS) -> GripView:
    """Everything the Grip page shows for one offence group, measure and operation ("all" pools
    every operation; a number picks one)."""
    offence_group, requested = parse_offence_group(offence_group), parse_measure(measure)
    operation = parse_operation(operation)
    weights = q.harm_weights(engine)
    notes: list[str] = []
    shown = requested
    if requested == "harm" and offence_group != ag.ALL_GROUPS:
        shown = "count"
        notes.append(SAME_AS_COUNT)
    if shown == "harm" and not weights:
        shown = "count"
        notes.append("No crime harm weights have been loaded (crime_harm_weights.csv), so crime counts are shown.")
    spots = q.hotspots(engine)
    names = spots[["hotspot_id", "name"]].rename(columns={"name": "hotspot_name"})
    raw = q.effects(engine, offence_group, shown, "patrol", operation)
    effect = _named(raw, names, _RENAME)
    next_day = _named(q.effects(engine, offence_group, shown, "next_day", operation), names, {})
    itt = _named(q.effects(engine, offence_group, shown, "itt", operation), names, {})
    ring = _named(q.effects(engine, ag.ALL_GROUPS, ag.RING, "patrol", operation), names, {})
    window = (effect["window_start"].iloc[0], effect["window_end"].iloc[0]) if len(effect) else (None, None)
    counts = q.effects(engine, offence_group, "count", "patrol", operation)
    per_spot = counts[counts["hotspot_id"] != ag.POOLED].assign(
        crimes=lambda f: f["exposed_total"] + f["reference_total"])[
        ["hotspot_id", "crimes", "exposed_days", "patrol_minutes", "rate_ratio", "period_start", "period_end",
         "in_model"]].rename(columns={"exposed_days": "patrol_days"})
    how = "left" if operation == ag.ALL_OPERATIONS else "inner"  # one operation: only its hotspots
    hotspots = spots.merge(per_spot, on="hotspot_id", how=how)
    hotspots["crimes"] = hotspots["crimes"].fillna(0)
    patrols = q.patrols_daily(engine)
    if patrols.empty or window[0] is None:
        weekly = ag.weekly_dosage(patrols, date(2000, 1, 2), date(2000, 1, 1))
    else:
        mine = patrols[patrols["hotspot_id"].isin(hotspots["hotspot_id"])]
        weekly = ag.weekly_dosage(mine, window[0], window[1])
    spots_rows = raw[raw["hotspot_id"] != ag.POOLED]
    left_out = spots_rows[~spots_rows["in_model"]].merge(names, on="hotspot_id", how="left")
    pooled = raw[raw["hotspot_id"] == ag.POOLED]
    itt_spots = itt[itt["hotspot_id"] != ag.POOLED]
    compliance = {}
    if len(itt_spots):
        compliance = {"assigned_days": int(itt_spots["exposed_days"].sum()),
                      "assigned_patrolled": int(itt_spots["exposed_patrolled"].sum()),
                      "unassigned_days": int(itt_spots["reference_days"].sum()),
                      "unassigned_patrolled": int(itt_spots["reference_patrolled"].sum())}
    return GripView(
        offence_group=offence_group, measure=shown, requested_measure=requested,
        window_start=window[0], window_end=window[1],
        effect=effect[[c for c in [*API_COLUMNS, *EXTRA_COLUMNS] if c in effect.columns]].reset_index(drop=True),
        next_day=next_day.reset_index(drop=True), hotspots=hotspots, weekly=weekly,
        incidents=q.incident_counts(engine), harm_available=bool(weights), weights=dict(weights or {}),
        notes=tuple(notes), operation=operation, operations=operations(engine), itt=itt.reset_index(drop=True),
        ring=ring.reset_index(drop=True),
        excluded=tuple((r.hotspot_id, r.hotspot_name or "", r.note) for r in left_out.itertuples()),
        hotspots_total=len(spots_rows),
        hotspots_modelled=int(pooled["hotspots_modelled"].iloc[0]) if len(pooled) else 0,
        days_modelled=int(pooled["days_modelled"].iloc[0]) if len(pooled) else 0,
        compliance=compliance,
        ring_inner_m=float(ring["ring_inner_m"].iloc[0]) if len(ring) else np.nan,
        ring_outer_m=float(ring["ring_outer_m"].iloc[0]) if len(ring) else np.nan,
    )


@lru_cache(maxsize=1)
def _districts() -> tuple[dict[str, Any], ...]:
    """The district boundaries (a file shipped with the code, read once per process)."""
    data = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    out = []
    for feature in data["features"]:
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings = [ring for polygon in polygons for ring in polygon]
        out.append({"area_code": feature["properties"]["area_code"], "area_name": feature["properties"]["area_name"],
                    "rings": rings})
    return tuple(out)


def district_outlines(bbox: tuple[float, float, float, float]) -> list[dict[str, Any]]:
    """Boundary rings (lists of [lon, lat]) of districts that reach into bbox (lon0, lat0, lon1, lat1).

    Rings wholly outside the box are left out: the map only shows the box, and the whole county's
    outlines would be most of the figure's bytes.
    """
    lon0, lat0, lon1, lat1 = bbox
    out = []
    for district in _districts():
        rings = []
        for ring in district["rings"]:
            lons = [p[0] for p in ring]
            lats = [p[1] for p in ring]
            if max(lons) >= lon0 and min(lons) <= lon1 and max(lats) >= lat0 and min(lats) <= lat1:
                rings.append(ring)
        if rings:
            out.append({"area_code": district["area_code"], "area_name": district["area_name"], "rings": rings})
    return out
