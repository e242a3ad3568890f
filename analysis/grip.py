"""The Grip hotspot patrol effect: assignment by distance, each hotspot's period, the hotspot-day
panel, rate ratios with honest intervals, the patrol plan (intention to treat) and displacement.

Pure functions on DataFrames: no I/O, no SQL, no Dash. The ETL calls them at load time, the tests
call them on simulated data with known answers.

Method (what the page's "how this is worked out" note says in plain words):
- Each hotspot has its own period: ``active_from`` to ``active_to`` from hotspots.csv, or where
  those are blank the span of its own patrol log (and patrol plan), cut to the days the incident
  data cover. Days outside a hotspot's period are not in its panel: a hotspot patrolled in 2024 is
  not padded with 2025 as quiet unpatrolled days. Hotspots whose periods overlap form one
  *operation*; the page shows all operations pooled or one of them.
- The unit of analysis is the hotspot-day: patrolled or not, the day after a patrol, assigned or
  not by a plan, patrol minutes, crimes (per offence group), crime harm, and crimes in a ring
  around the hotspot (displacement).
- Pooled rate ratio: a Poisson model of daily counts with a baseline per hotspot, day-of-week and
  calendar-week effects (so patrols that favour Fridays or busy weeks are not credited with the
  calendar), a term for patrol days and one for days after a patrol that were not patrolled
  themselves. The patrol ratio compares patrol days with days that had no patrol on the day or the
  day before, so residual deterrence does not dilute it; the next-day ratio compares days after a
  patrol with the same reference days. Standard errors are clustered by hotspot (days of one
  hotspot are correlated: weekly plans, persistent shocks) with a small-sample correction for few
  clusters (CR2 and t critical values with Satterthwaite degrees of freedom), analysis.grip_model.
- Per hotspot: the same terms with the hotspot's own day-of-week effects; standard errors clustered
  by calendar week. Many hotspots mean many tests: about 1 in 20 shows p < 0.05 by chance alone.
- Hotspots with no crimes, or without both patrol days and days without a patrol in their period,
  carry no information about the effect under hotspot baselines; they are left out of the pooled
  model and reported with the reason.
- Patrol plan: where a randomised (or planned) schedule is loaded, the intention-to-treat ratio
  compares assigned days with unassigned days in the planned hotspot-days, whatever was
  delivered, with compliance beside it.
- Displacement: crimes in a ring from ``inner`` to ``outer`` metres beyond each hotspot's radius
  (outside every hotspot), with the same patrol-day model. Above 1: crime moved round the corner;
  below 1: the benefit spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analysis import grip_model as gm

OFFENCE_GROUPS = ("violence", "robbery", "public order", "theft", "criminal damage", "drugs", "other")
ALL_GROUPS = "all"
POOLED = "ALL"  # hotspot_id of the pooled row
ALL_OPERATIONS = "all"  # operation of the rows pooled over every operation
MEASURES = ("count", "harm")  # what a user can choose to count
RING = "ring"  # the stored measure of crimes in the displacement ring (all offences)
COMPARISONS = ("patrol", "next_day", "itt")
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
FEW_CRIMES = 10  # below this a hotspot's interval is wide: say so beside the number
RING_INNER_M, RING_OUTER_M = 100.0, 250.0  # default displacement ring, metres beyond the hotspot's radius
EPOCH = date(1970, 1, 1)

PERIOD_COLUMNS = ["hotspot_id", "period_start", "period_end", "period_source", "operation", "note"]
PANEL_COLUMNS = ["hotspot_id", "date", "operation", "patrolled", "after_patrol", "assigned", "patrols",
                 "patrol_minutes", "officer_minutes", "crimes", *[f"crimes:{g}" for g in OFFENCE_GROUPS], "harm",
                 RING, "daynum"]
EFFECT_COLUMNS = ["hotspot_id", "exposed_days", "reference_days", "exposed_total", "reference_total",
                  "exposed_mean", "reference_mean", "rate_ratio", "ci_low", "ci_high", "p_value", "pct_change",
                  "dispersion", "patrol_minutes", "note", "in_model", "days_modelled", "hotspots_modelled", "df",
                  "exposed_patrolled", "reference_patrolled"]
TABLE_COLUMNS = ["operation", "offence_group", "measure", "comparison", *EFFECT_COLUMNS]
LABELS = {
    "patrol": ("patrol days", "days without a patrol that day or the day before"),
    "next_day": ("days after a patrol", "days without a patrol that day or the day before"),
    "itt": ("days assigned a patrol", "days not assigned a patrol"),
}


# ------------------------------------------------------------------------------------------------
# Assignment by distance
# ------------------------------------------------------------------------------------------------

def haversine_m(lat1: np.ndarray | float, lon1: np.ndarray | float,
                lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Great-circle distance in metres (broadcasts like numpy)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def assign_hotspots(points: pd.DataFrame, hotspots: pd.DataFrame, chunk_rows: int = 20_000) -> pd.Series:
    """The nearest hotspot whose circle contains each point, or "" for none.

    ``points``: latitude, longitude (NaN = no position, assigned to none). ``hotspots``: hotspot_id,
    latitude, longitude, radius_m. A point exactly on the circle is inside. Equal distances go to the
    smaller hotspot id, so the answer never depends on row order.
    """
    out = pd.Series("", index=points.index, dtype=object)
    if points.empty or hotspots.empty:
        return out
    hs = hotspots.sort_values("hotspot_id")
    ids = hs["hotspot_id"].to_numpy(dtype=object)
    hlat = hs["latitude"].to_numpy(dtype=float)[None, :]
    hlon = hs["longitude"].to_numpy(dtype=float)[None, :]
    radius = hs["radius_m"].to_numpy(dtype=float)[None, :]
    lat = pd.to_numeric(points["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(points["longitude"], errors="coerce").to_numpy(dtype=float)
    result = np.full(len(points), "", dtype=object)
    for lo in range(0, len(points), chunk_rows):  # bounded memory: chunk x hotspots distances at a time
        d = haversine_m(lat[lo:lo + chunk_rows, None], lon[lo:lo + chunk_rows, None], hlat, hlon)
        d = np.where(d <= radius, d, np.inf)  # NaN positions compare False: outside everything
        best = np.argmin(d, axis=1)  # first minimum = smallest id on ties
        hit = np.isfinite(d[np.arange(len(d)), best])
        result[lo:lo + chunk_rows] = np.where(hit, ids[best], "")
    out[:] = result
    return out


def ring_daily(incidents: pd.DataFrame, hotspots: pd.DataFrame, inner_m: float = RING_INNER_M,
               outer_m: float = RING_OUTER_M, chunk_rows: int = 20_000) -> pd.DataFrame:
    """Crimes in each hotspot's displacement ring per day: hotspot_id, date, offence_group, crimes.

    The ring of a hotspot runs from ``inner_m`` to ``outer_m`` metres beyond its radius. A crime
    inside any hotspot's circle is that hotspot's, never a ring crime; a crime in two rings counts
    for both hotspots (each is compared with its own patrol days). ``incidents``: latitude,
    longitude, date, offence_group (rows without a position are ignored).
    """
    cols = ["hotspot_id", "date", "offence_group", "crimes"]
    if incidents.empty or hotspots.empty:
        return pd.DataFrame(columns=cols)
    if not 0 <= inner_m < outer_m:
        raise ValueError("the displacement ring needs 0 <= inner < outer metres")
    hs = hotspots.sort_values("hotspot_id")
    ids = hs["hotspot_id"].to_numpy(dtype=object)
    hlat = hs["latitude"].to_numpy(dtype=float)[None, :]
    hlon = hs["longitude"].to_numpy(dtype=float)[None, :]
    radius = hs["radius_m"].to_numpy(dtype=float)[None, :]
    lat = pd.to_numeric(incidents["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(incidents["longitude"], errors="coerce").to_numpy(dtype=float)
    rows, spots = [], []
    for lo in range(0, len(incidents), chunk_rows):
        d = haversine_m(lat[lo:lo + chunk_rows, None], lon[lo:lo + chunk_rows, None], hlat, hlon)
        inside_any = (d <= radius).any(axis=1)
        ring = (d > radius + inner_m) & (d <= radius + outer_m) & ~inside_any[:, None]
        r, c = np.nonzero(ring)
        rows.append(r + lo)
        spots.append(c)
    r, c = np.concatenate(rows), np.concatenate(spots)
    if not len(r):
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({"hotspot_id": ids[c], "date": _dates(incidents["date"].iloc[r].reset_index(drop=True)),
                          "offence_group": incidents["offence_group"].to_numpy(dtype=object)[r], "crimes": 1})
    return frame.groupby(["hotspot_id", "date", "offence_group"], as_index=False)["crimes"].sum()[cols]


# ------------------------------------------------------------------------------------------------
# Each hotspot's period, and operations
# ------------------------------------------------------------------------------------------------

def _as_date(value: object) -> date:
    return pd.Timestamp(value).date()


def _dates(values: pd.Series) -> pd.Series:
    """Dates (datetime.date objects) from dates, timestamps or ISO strings, vectorised."""
    return pd.Series(pd.to_datetime(values).dt.date.to_numpy(), index=values.index, dtype=object)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT or value == ""


def hotspot_periods(
    hotspots: pd.DataFrame,
    patrols_daily: pd.DataFrame,
    incident_span: tuple[date, date] | None,
    plan: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each hotspot's study period and operation (PERIOD_COLUMNS), sorted by hotspot.

    ``hotspots``: hotspot_id and optional active_from, active_to. A blank end is filled from the
    hotspot's own patrol log (and plan): its first and last day. The period is then cut to
    ``incident_span`` (first and last day of the incident data: after the data end a day without
    crimes would look falsely quiet). A hotspot with no period gets operation "" and a note.
    Operations: hotspots whose periods overlap (directly or through others) form one operation,
    numbered "1", "2", ... in order of their first day.
    """
    p = patrols_daily[["hotspot_id", "date"]].copy()
    if plan is not None and len(plan):
        p = pd.concat([p, plan[["hotspot_id", "date"]]], ignore_index=True)
    p["date"] = _dates(p["date"])
    span = p.groupby("hotspot_id")["date"].agg(["min", "max"]) if len(p) else pd.DataFrame(columns=["min", "max"])
    out = []
    for r in hotspots.sort_values("hotspot_id").to_dict("records"):
        h = r["hotspot_id"]
        given_from, given_to = r.get("active_from"), r.get("active_to")
        first = span.loc[h, "min"] if h in span.index else None
        last = span.loc[h, "max"] if h in span.index else None
        start = first if _blank(given_from) else _as_date(given_from)
        end = last if _blank(given_to) else _as_date(given_to)
        source = ("active dates" if not _blank(given_from) and not _blank(given_to) else
                  "patrol log" if _blank(given_from) and _blank(given_to) else "active dates and patrol log")
        note = ""
        if start is None or end is None:
            note = "no patrols and no active dates: no period to study"
            start = end = None
        elif incident_span is None:
            note = "no incident data"
            start = end = None
        else:
            start, end = max(start, incident_span[0]), min(end, incident_span[1])
            if start > end:
                note = "its period lies outside the days the incident data cover"
                start = end = None
        out.append({"hotspot_id": h, "period_start": start, "period_end": end, "period_source": source,
                    "operation": "", "note": note})
    frame = pd.DataFrame(out, columns=PERIOD_COLUMNS)
    has = frame["period_start"].notna()
    order = frame[has].sort_values(["period_start", "period_end", "hotspot_id"])
    op, current_end = 0, None
    for i, r in order.iterrows():
        if current_end is None or r["period_start"] > current_end:
            op += 1
            current_end = r["period_end"]
        else:
            current_end = max(current_end, r["period_end"])
        frame.at[i, "operation"] = str(op)
    return frame


def operations(periods: pd.DataFrame) -> pd.DataFrame:
    """operation, first_day, last_day, hotspots: one row per operation (from hotspot_periods)."""
    cols = ["operation", "first_day", "last_day", "hotspots"]
    has = periods[periods["operation"] != ""]
    if has.empty:
        return pd.DataFrame(columns=cols)
    agg = has.groupby("operation").agg(first_day=("period_start", "min"), last_day=("period_end", "max"),
                                       hotspots=("hotspot_id", "count")).reset_index()
    return agg.sort_values("operation", key=lambda s: s.astype(int))[cols].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# The hotspot-day panel
# ------------------------------------------------------------------------------------------------

def _daynum(values: pd.Series) -> np.ndarray:
    return (pd.to_datetime(values).to_numpy(dtype="datetime64[D]").astype(np.int64))


def build_panel(
    periods: pd.DataFrame,
    patrols_daily: pd.DataFrame,
    crimes_daily: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    plan: pd.DataFrame | None = None,
    ring: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per hotspot and day of its own period (PANEL_COLUMNS), sorted by hotspot and day.

    ``periods``: hotspot_periods (hotspots without a period have no rows). ``patrols_daily``:
    hotspot_id, date, patrols, patrol_minutes, officer_minutes (a day with a patrol record is a
    patrol day; the day before a period starts counts for ``after_patrol``). ``crimes_daily`` and
    ``ring``: hotspot_id, date, offence_group, crimes. ``plan``: hotspot_id, date, assigned (bool);
    ``assigned`` is NaN on days the plan does not cover. ``harm`` is NaN without ``weights``.
    ``daynum``: days since 1970-01-01.
    """
    per = periods[periods["period_start"].notna()].sort_values("hotspot_id")
    ids = per["hotspot_id"].to_numpy(dtype=object)
    start = _daynum(per["period_start"]) if len(per) else np.zeros(0, np.int64)
    end = _daynum(per["period_end"]) if len(per) else np.zeros(0, np.int64)
    lengths = end - start + 1
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    n = int(offsets[-1])
    code = np.repeat(np.arange(len(ids)), lengths)
    day = start[code] + (np.arange(n) - offsets[code])
    index = {h: i for i, h in enumerate(ids)}

    def locate(frame: pd.DataFrame, shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Row numbers in the panel of (hotspot_id, date + shift), and which rows fell inside."""
        if frame.empty:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        c = frame["hotspot_id"].map(index).to_numpy(dtype=float)
        dn = _daynum(frame["date"]) + shift
        ok = ~np.isnan(c)
        ci = np.where(ok, c, 0).astype(np.int64)
        ok &= (dn >= start[ci]) & (dn <= end[ci])
        return np.where(ok, offsets[ci] + dn - start[ci], 0), ok

    panel = pd.DataFrame({"hotspot_id": ids[code] if n else np.zeros(0, object),
                          "date": (np.datetime64("1970-01-01") + day.astype("timedelta64[D]")).astype(object),
                          "operation": per["operation"].to_numpy(dtype=object)[code] if n else np.zeros(0, object)})
    p = patrols_daily.groupby(["hotspot_id", "date"], as_index=False)[
        ["patrols", "patrol_minutes", "officer_minutes"]].sum() if len(patrols_daily) else patrols_daily
    for col in ("patrols", "patrol_minutes", "officer_minutes"):
        panel[col] = 0.0
    pos, ok = locate(p)
    for col in ("patrols", "patrol_minutes", "officer_minutes"):
        values = np.zeros(n)
        np.add.at(values, pos[ok], p[col].to_numpy(dtype=float)[ok])
        panel[col] = values
    panel["patrols"] = panel["patrols"].astype(int)
    panel["patrolled"] = panel["patrols"] > 0
    prev = np.zeros(n, dtype=bool)
    pos, ok = locate(p, shift=1)  # a patrol on day d marks day d + 1
    prev[pos[ok]] = True
    panel["after_patrol"] = prev & ~panel["patrolled"].to_numpy()
    assigned = np.full(n, np.nan)
    if plan is not None and len(plan):
        pos, ok = locate(plan)
        assigned[pos[ok]] = plan["assigned"].to_numpy(dtype=float)[ok]
    panel["assigned"] = assigned

    def counts(frame: pd.DataFrame | None, group: str | None, weight: Mapping[str, float] | None = None) -> np.ndarray:
        out = np.zeros(n)
        if frame is None or frame.empty:
            return out
        f = frame if group is None else frame[frame["offence_group"] == group]
        values = f["crimes"].to_numpy(dtype=float)
        if weight is not None:
            values = values * f["offence_group"].map(weight).fillna(0.0).to_numpy(dtype=float)
        pos, ok = locate(f)
        np.add.at(out, pos[ok], values[ok])
        return out

    panel["crimes"] = counts(crimes_daily, None)
    for g in OFFENCE_GROUPS:
        panel[f"crimes:{g}"] = counts(crimes_daily, g)
    panel["harm"] = counts(crimes_daily, None, weights) if weights is not None else np.nan
    panel[RING] = counts(ring, None)
    panel["daynum"] = day  # days since 1970-01-01, for the calendar effects without re-parsing dates
    return panel[PANEL_COLUMNS]


def outcome_column(offence_group: str, measure: str) -> str:
    """The panel column holding an offence group's counts, crime harm, or ring crimes."""
    if measure == "harm":
        return "harm"
    if measure == RING:
        return RING
    return "crimes" if offence_group == ALL_GROUPS else f"crimes:{offence_group}"


# ------------------------------------------------------------------------------------------------
# The estimates
# ------------------------------------------------------------------------------------------------

def _calendar(rows: pd.DataFrame) -> np.ndarray:
    """Day of week and calendar week (Monday-based) of each day, as the pooled model's calendar factors."""
    dn = rows["daynum"].to_numpy(dtype=np.int64) if "daynum" in rows else _daynum(rows["date"])
    return np.column_stack([(dn + 3) % 7, (dn + 3) // 7])  # 1970-01-01 was a Thursday (weekday 3)


def _design(panel: pd.DataFrame, design: str) -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]:
    """The rows a design uses, its regressors and their names (column 0 is the exposure of interest)."""
    if design == "delivered":
        x = panel[["patrolled", "after_patrol"]].to_numpy(dtype=float)
        return panel, x, ("patrol days", "days after a patrol")
    rows = panel[panel["assigned"].notna()]
    return rows, rows[["assigned"]].to_numpy(dtype=float), ("days assigned a patrol",)


def estimate(panel: pd.DataFrame, outcome: str = "crimes", design: str = "delivered",
             per_hotspot: bool = True) -> dict[str, pd.DataFrame]:
    """The effect rows (EFFECT_COLUMNS) per comparison: "patrol" and "next_day" from the delivered
    patrols (one model with both terms), or "itt" from the plan. One row per hotspot in the panel
    (when ``per_hotspot``) plus the pooled row (hotspot_id "ALL") last."""
    rows, x, names = _design(panel, design)
    comparisons = ("patrol", "next_day") if design == "delivered" else ("itt",)
    counts = outcome != "harm"
    y = rows[outcome].to_numpy(dtype=float)
    if "hcode" in rows:  # integer hotspot codes added once per panel by effect_tables (factorising is slow)
        codes, n_h = gm._codes(rows["hcode"].to_numpy(dtype=np.int64))
        first = np.zeros(n_h, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        uniques = rows["hotspot_id"].to_numpy(dtype=object)[first]
    else:
        codes, uniques = pd.factorize(rows["hotspot_id"].to_numpy(dtype=object), sort=True)
        codes = codes.astype(np.int64)
        n_h = len(uniques)
    exposure = x[:, 0] > 0
    # Which hotspots the pooled model can use, and why the others are left out.
    tot = np.bincount(codes, weights=y, minlength=n_h)
    exp_days = np.bincount(codes, weights=exposure.astype(float), minlength=n_h)
    all_days = np.bincount(codes, minlength=n_h).astype(float)
    reason = np.full(n_h, "", dtype=object)
    exp_label = LABELS[comparisons[0]][0]
    reason[tot == 0] = "no crimes recorded in its period" if counts else "no crime harm recorded in its period"
    reason[(exp_days == all_days) & (all_days > 0)] = (
        "patrolled every day of its period: no days without a patrol to compare with" if design == "delivered"
        else "assigned a patrol on every planned day: nothing to compare with")
    reason[exp_days == 0] = f"no {exp_label} in its period"
    in_model = reason == ""
    keep = in_model[codes]
    cal = _calendar(rows)
    patrolled = rows["patrolled"].to_numpy(dtype=bool)
    minutes = rows["patrol_minutes"].to_numpy(dtype=float)
    out: dict[str, list[dict]] = {c: [] for c in comparisons}
    table = _pattern_table(codes, n_h, y, x, patrolled, minutes)
    if per_hotspot and n_h:
        block = gm.fit_by_block(y, x, codes, n_h, codes * 7 + cal[:, 0], codes * 100_000 + cal[:, 1])
        for j, comparison in enumerate(comparisons):
            sums = _sums(table, j)
            ivals = gm.intervals(block.beta[:, j], block.se[:, j], block.df[:, j])
            for i, h in enumerate(uniques):
                coef = gm.Coef(beta=float(block.beta[i, j]), se=float(block.se[i, j]), df=float(block.df[i, j]),
                               clusters=int(block.clusters[i]))
                stats = {k: v[i] for k, v in sums.items()}
                out[comparison].append(_row(h, stats, coef, counts, comparison, bool(in_model[i]), reason[i],
                                            design, tuple(float(v[i]) for v in ivals)))
    fit = None
    if keep.any():
        fit = gm.fit_pooled(y[keep], x[keep], codes[keep], cal[keep], codes[keep], names)
    modelled = table[in_model].sum(axis=0, keepdims=True)  # the pooled model's days and totals
    for j, comparison in enumerate(comparisons):
        if fit is None:
            coef = gm.Coef(note=f"no hotspot has crimes and both {exp_label} and days to compare with"
                           if len(rows) else "no hotspot-days in the study period")
        else:
            coef = fit.coefs[j]
        sums = _sums(modelled, j)
        row = _row(POOLED, {k: v[0] for k, v in sums.items()}, coef, counts, comparison, True, "", design)
        row.update(dispersion=fit.dispersion if fit is not None else np.nan,
                   hotspots_modelled=int(in_model.sum()), days_modelled=int(keep.sum()))
        out[comparison].append(row)
    return {c: pd.DataFrame(v, columns=EFFECT_COLUMNS) for c, v in out.items()}


def estimate_effect(panel: pd.DataFrame, outcome: str = "crimes", comparison: str = "patrol") -> pd.DataFrame:
    """One comparison's rows (EFFECT_COLUMNS): see ``estimate``."""
    if comparison not in COMPARISONS:
        raise ValueError(f"unknown comparison {comparison!r}")
    return estimate(panel, outcome, "itt" if comparison == "itt" else "delivered")[comparison]


def _pattern_table(codes: np.ndarray, n: int, y: np.ndarray, x: np.ndarray, patrolled: np.ndarray,
                   minutes: np.ndarray) -> np.ndarray:
    """(n, 2**K, 4): per group and exposure pattern (which of the K exposures a day has), the days,
    the outcome total, patrol minutes and patrolled days. Every count a row of the table shows
    comes from this one pass."""
    k = x.shape[1]
    pattern = ((x > 0) * (1 << np.arange(k))).sum(axis=1)
    cell = codes * (1 << k) + pattern
    size = n * (1 << k)
    stats = [np.ones(len(y)), y, minutes, patrolled.astype(float)]
    return np.stack([np.bincount(cell, weights=w, minlength=size) for w in stats], axis=1).reshape(n, 1 << k, 4)


def _sums(table: np.ndarray, j: int) -> dict[str, np.ndarray]:
    """Per group, for exposure ``j``: exposed and reference days (no exposure of any kind) and their
    totals, patrol minutes, all days, and patrolled days among exposed and other days (compliance)."""
    has = (np.arange(table.shape[1]) >> j) & 1 == 1
    exp, ref = table[:, has, :].sum(axis=1), table[:, 0, :]
    every = table.sum(axis=1)
    return {"d1": exp[:, 0], "d0": ref[:, 0], "t1": exp[:, 1], "t0": ref[:, 1], "minutes": every[:, 2],
            "days": every[:, 0], "ex_patrolled": exp[:, 3], "ref_patrolled": every[:, 3] - exp[:, 3]}


def _row(hotspot: str, s: dict, coef: gm.Coef, counts: bool, comparison: str, in_model: bool, reason: str,
         design: str, interval: tuple[float, float, float, float] | None = None) -> dict:
    """One effect row: the days and totals the ratio compares, the estimate (``interval``: the
    coefficient's ratio, low, high, p when already computed), and a note saying why a number is
    missing or weak."""
    d1, d0, t1, t0 = int(s["d1"]), int(s["d0"]), float(s["t1"]), float(s["t0"])
    ratio, low, high, p = interval if interval is not None else coef.interval()
    note = reason if hotspot != POOLED else ("" if s["days"] else coef.note)
    exp_label, ref_label = LABELS[comparison]
    if not note:
        if d1 == 0:
            note = f"no {exp_label}"
        elif d0 == 0:
            note = f"no {ref_label} to compare with"
        elif t1 + t0 == 0:
            note = "no crimes recorded"
        elif t1 == 0 or coef.beta == -np.inf:
            ratio, low, high, p = 0.0, np.nan, np.nan, np.nan
            note = f"no crimes on {exp_label}: the ratio is 0 but no interval can be estimated"
        elif t0 == 0 and math.isnan(ratio):
            note = f"no crimes on {ref_label}: the ratio cannot be estimated"
        elif coef.note:
            note = coef.note
        elif math.isnan(ratio):
            note = "too few crimes to estimate"
        elif math.isnan(low):
            note = "too few weeks with crimes for an interval"
        elif counts and hotspot != POOLED and t1 + t0 < FEW_CRIMES:
            note = f"fewer than {FEW_CRIMES} crimes: the interval is wide"
    return {
        "hotspot_id": hotspot, "exposed_days": d1, "reference_days": d0,
        "exposed_total": t1, "reference_total": t0,
        "exposed_mean": t1 / d1 if d1 else np.nan, "reference_mean": t0 / d0 if d0 else np.nan,
        "rate_ratio": ratio, "ci_low": low, "ci_high": high, "p_value": p,
        "pct_change": 100.0 * (ratio - 1.0), "dispersion": np.nan,
        "patrol_minutes": float(s["minutes"]), "note": note,
        "in_model": in_model, "days_modelled": int(s["days"]) if in_model else 0,
        "hotspots_modelled": int(in_model), "df": float(coef.df),
        "exposed_patrolled": int(s["ex_patrolled"]),
        "reference_patrolled": int(s["ref_patrolled"]) if design == "itt" else 0,
    }


def effect_tables(panel: pd.DataFrame, harm: bool = False, itt: bool | None = None,
                  periods: pd.DataFrame | None = None) -> pd.DataFrame:
    """The whole effect table (TABLE_COLUMNS): every operation ("all" and each one) x offence group
    ("all" and each group) x comparison (patrol, next day, and intention to treat when a plan is
    loaded), crime counts; crime harm and displacement-ring crimes for all offences.

    Per-hotspot rows are the same whichever operation is chosen (a hotspot belongs to one), so they
    are fitted once and repeated; each operation gets its own pooled fit. Harm weighting only
    changes the answer when groups are mixed (within a group every crime has the same weight, which
    cancels from the ratio), so harm is for all offences only. Hotspots in ``periods`` without a
    period (no rows in the panel) get an empty row with the reason under operation "all".
    """
    itt = bool(panel["assigned"].notna().any()) if itt is None else itt
    jobs = [(g, "count", outcome_column(g, "count")) for g in (ALL_GROUPS, *OFFENCE_GROUPS)]
    if harm:
        jobs.append((ALL_GROUPS, "harm", "harm"))
    jobs.append((ALL_GROUPS, RING, RING))
    ops = sorted((o for o in panel["operation"].unique() if o), key=int)
    panel = panel.assign(hcode=pd.factorize(panel["hotspot_id"], sort=True)[0].astype(np.int64))
    parts = {op: panel[panel["operation"] == op] for op in ops} if len(ops) > 1 else {}
    frames = []
    for group, measure, outcome in jobs:
        # The ring is about where crime went on patrol days: the delivered comparison only.
        for design in ("delivered", "itt") if itt and measure != RING else ("delivered",):
            whole = estimate(panel, outcome, design)
            for comparison, table in whole.items():
                frames.append(_label(_with_unstudied(table, periods), ALL_OPERATIONS, group, measure, comparison))
            if len(ops) < 2:
                if ops:  # one operation: the same numbers as "all"
                    for comparison, table in whole.items():
                        frames.append(_label(table, ops[0], group, measure, comparison))
                continue
            for op in ops:
                part = parts[op]
                pooled = estimate(part, outcome, design, per_hotspot=False)
                spots = set(part["hotspot_id"])
                for comparison, table in whole.items():
                    mine = table[table["hotspot_id"].isin(spots)]
                    frames.append(_label(pd.concat([mine, pooled[comparison]], ignore_index=True), op, group,
                                         measure, comparison))
    if not frames:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[TABLE_COLUMNS]


def _with_unstudied(table: pd.DataFrame, periods: pd.DataFrame | None) -> pd.DataFrame:
    """The table with a row (no days, no estimate, the reason) for each hotspot that has no period."""
    if periods is None:
        return table
    missing = periods[(periods["operation"] == "") & ~periods["hotspot_id"].isin(table["hotspot_id"])]
    if missing.empty:
        return table
    empty = pd.DataFrame({"hotspot_id": missing["hotspot_id"], "exposed_days": 0, "reference_days": 0,
                          "exposed_total": 0.0, "reference_total": 0.0, "exposed_mean": np.nan,
                          "reference_mean": np.nan, "rate_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                          "p_value": np.nan, "pct_change": np.nan, "dispersion": np.nan, "patrol_minutes": 0.0,
                          "note": missing["note"], "in_model": False, "days_modelled": 0, "hotspots_modelled": 0,
                          "df": 0.0, "exposed_patrolled": 0, "reference_patrolled": 0})
    spots, pooled = table[table["hotspot_id"] != POOLED], table[table["hotspot_id"] == POOLED]
    return pd.concat([spots, empty, pooled], ignore_index=True)


def _label(table: pd.DataFrame, operation: str, group: str, measure: str, comparison: str) -> pd.DataFrame:
    return table.assign(operation=operation, offence_group=group, measure=measure, comparison=comparison)


def weekly_dosage(patrols_daily: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Patrol dosage per week (weeks start on Monday): week_start, patrols, patrol_minutes,
    officer_minutes, hotspots_patrolled (hotspots with at least one patrol that week), days (days of
    the week inside the window, so a part week is not mistaken for a drop)."""
    cols = ["week_start", "patrols", "patrol_minutes", "officer_minutes", "hotspots_patrolled", "days"]
    if start > end:
        return pd.DataFrame(columns=cols)
    days = pd.Series(pd.date_range(start, end, freq="D").date)
    weeks = pd.DataFrame({"week_start": [d - timedelta(days=d.weekday()) for d in days]})
    frame = weeks.groupby("week_start", as_index=False).size().rename(columns={"size": "days"})
    p = patrols_daily.copy()
    p["date"] = _dates(p["date"])
    p = p[(p["date"] >= start) & (p["date"] <= end)]
    p["week_start"] = [d - timedelta(days=d.weekday()) for d in p["date"]]
    agg = p.groupby("week_start", as_index=False).agg(
        patrols=("patrols", "sum"), patrol_minutes=("patrol_minutes", "sum"),
        officer_minutes=("officer_minutes", "sum"), hotspots_patrolled=("hotspot_id", "nunique"),
    )
    frame = frame.merge(agg, on="week_start", how="left").fillna(0)
    for col in ("patrols", "hotspots_patrolled", "days"):
        frame[col] = frame[col].astype(int)
    return frame[cols]


def patrol_minutes(start_time: str, end_time: str) -> int:
    """Minutes between two HH:MM times; an end earlier than the start means the patrol ran past midnight."""
    s = int(start_time[:2]) * 60 + int(start_time[3:5])
    e = int(end_time[:2]) * 60 + int(end_time[3:5])
    return (e - s) % (24 * 60)
