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

import pandas as pd
from sqlalchemy import Engine

from analysis import grip as ag
from service.cache import cached
from settings import DATA_DIR
from warehouse import grip_queries as q

GROUPS = (ag.ALL_GROUPS, *ag.OFFENCE_GROUPS)
GROUP_LABELS = {ag.ALL_GROUPS: "All offences", **{g: g.capitalize() for g in ag.OFFENCE_GROUPS}}
MEASURE_LABELS = {"count": "Crime count", "harm": "Crime harm (weighted)"}
COMPARISON_LABELS = {"patrol": "patrol days vs days without a patrol",
                     "next_day": "days after a patrol vs other days without a patrol"}
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


def parse_comparison(value: object) -> str:
    return parse_choice(value, ag.COMPARISONS, "comparison", "patrol")


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
                 comparison: str = "patrol") -> pd.DataFrame:
    """One row per hotspot plus the pooled row ("ALL"), API_COLUMNS for the patrol comparison; for
    "next_day" the day columns are named days_after_patrol, other_non_patrol_days, and so on."""
    offence_group, measure = parse_offence_group(offence_group), parse_measure(measure)
    comparison = parse_comparison(comparison)
    if measure == "harm" and offence_group != ag.ALL_GROUPS:
        raise ChoiceError("measure=harm is for offence_group=all only. " + SAME_AS_COUNT)
    names = q.hotspots(engine)[["hotspot_id", "name"]].rename(columns={"name": "hotspot_name"})
    rename = _RENAME if comparison == "patrol" else _NEXT_DAY_RENAME
    frame = _named(q.effects(engine, offence_group, measure, comparison), names, rename)
    cols = ["hotspot_id", "hotspot_name", *rename.values(), "rate_ratio", "ci_low", "ci_high", "p_value", "pct_change",
            *(["patrol_minutes"] if comparison == "patrol" else []), "note"]
    frame = frame[cols]
    if measure == "harm":  # the totals and means are crime harm, not crimes: say so in the names
        frame = frame.rename(columns=lambda c: c.replace("crimes_", "harm_").replace("mean_", "mean_harm_"))
    return frame.reset_index(drop=True)


@cached
def grip_view(engine: Engine, offence_group: str, measure: str = "count") -> GripView:
    offence_group, requested = parse_offence_group(offence_group), parse_measure(measure)
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
    effect = _named(q.effects(engine, offence_group, shown, "patrol"), names, _RENAME)
    next_day = _named(q.effects(engine, offence_group, shown, "next_day"), names, {})
    window = (effect["window_start"].iloc[0], effect["window_end"].iloc[0]) if len(effect) else (None, None)
    counts = q.effects(engine, offence_group, "count", "patrol")
    per_spot = counts[counts["hotspot_id"] != ag.POOLED].assign(
        crimes=lambda f: f["exposed_total"] + f["reference_total"])[
        ["hotspot_id", "crimes", "exposed_days", "patrol_minutes", "rate_ratio"]].rename(
        columns={"exposed_days": "patrol_days"})
    hotspots = spots.merge(per_spot, on="hotspot_id", how="left")
    hotspots["crimes"] = hotspots["crimes"].fillna(0)
    patrols = q.patrols_daily(engine)
    if patrols.empty:
        weekly = ag.weekly_dosage(patrols, date(2000, 1, 2), date(2000, 1, 1))
    else:
        first, last = pd.to_datetime(patrols["date"]).min().date(), pd.to_datetime(patrols["date"]).max().date()
        weekly = ag.weekly_dosage(patrols, first, last)
    return GripView(
        offence_group=offence_group, measure=shown, requested_measure=requested,
        window_start=window[0], window_end=window[1],
        effect=effect[[c for c in API_COLUMNS if c in effect.columns]].reset_index(drop=True),
        next_day=next_day.reset_index(drop=True), hotspots=hotspots, weekly=weekly,
        incidents=q.incident_counts(engine), harm_available=bool(weights), weights=dict(weights or {}),
        notes=tuple(notes),
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
