"""The Grip patrol estimator (analysis.grip, analysis.grip_model) on known answers and seeded simulations.

What is proved here:
- assignment by distance: the nearest hotspot whose circle contains a point, none outside, ties to
  the smaller id, no position -> none; the displacement ring (inside a hotspot never counts);
- each hotspot's own period (active dates, else its patrol log, cut to the incident data) and
  operations (overlapping periods);
- the hotspot-day panel: only each hotspot's own days, patrol days, the day after a patrol (also
  across the start of a period), the plan, crime, harm and ring counts;
- the fits agree with statsmodels' Poisson GLM with dummy variables (coefficients, model and
  cluster-robust standard errors);
- known answers: two operations in different periods (a common window would say the opposite of
  the truth), a patrol plan with imperfect compliance, a displacement ring, and the edge cases;
- the intervals are honest: a seeded coverage study over the five designs of issue 13 (the bench
  runs the full one, bench/grip_coverage.py).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analysis import grip as g
from analysis import grip_model as gm
from analysis.grip_simulate import SCENARIOS, simulate
from charts.grip import table_html

R = g.EARTH_RADIUS_M
M_PER_DEG_LAT = 2 * math.pi * R / 360  # 111,195.08 m


def offset(lat: float, lon: float, north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG_LAT, lon + east_m / (M_PER_DEG_LAT * math.cos(math.radians(lat)))


# ------------------------------------------------------------------------------------------------
# Distance and assignment
# ------------------------------------------------------------------------------------------------

def test_haversine_known_distances() -> None:
    # One degree along a meridian (or the equator) is 2*pi*R/360 = 111,195.08 m for R = 6,371,008.8 m.
    assert g.haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195.08, abs=0.01)
    assert g.haversine_m(0.0, 0.0, 0.0, 1.0) == pytest.approx(111_195.08, abs=0.01)
    # At 60 degrees north a degree of longitude is close to half that (great circle slightly shorter).
    assert g.haversine_m(60.0, 0.0, 60.0, 1.0) == pytest.approx(55_597.5, rel=1e-4)
    assert g.haversine_m(51.54, 0.71, 51.54, 0.71) == 0.0


def test_assignment_picks_the_nearest_containing_hotspot() -> None:
    lat, lon = 51.54, 0.71
    b_lat, b_lon = offset(lat, lon, east_m=200)
    hotspots = pd.DataFrame({"hotspot_id": ["B", "A", "C"], "latitude": [b_lat, lat, 51.0],
                             "longitude": [b_lon, lon, 0.0], "radius_m": [150.0, 150.0, 50.0]})
    points = [
        offset(lat, lon),                 # A's centre -> A
        offset(lat, lon, east_m=120),     # inside both circles, 80 m from B and 120 m from A -> B
        offset(lat, lon, east_m=-149.5),  # just inside A
        offset(lat, lon, east_m=-150.5),  # just outside A (and far from B) -> none
        offset(lat, lon, north_m=400),    # outside everything -> none
        (float("nan"), float("nan")),     # no position -> none
    ]
    frame = pd.DataFrame(points, columns=["latitude", "longitude"], index=[10, 11, 12, 13, 14, 15])
    got = g.assign_hotspots(frame, hotspots)
    assert got.tolist() == ["A", "B", "A", "", "", ""]
    assert got.index.tolist() == [10, 11, 12, 13, 14, 15]


def test_assignment_tie_goes_to_the_smaller_id() -> None:
    # Exactly symmetric about the point (mirror longitudes at the equator): the same distance to both.
    hotspots = pd.DataFrame({"hotspot_id": ["Z", "Y"], "latitude": [0.0, 0.0], "longitude": [0.001, -0.001],
                             "radius_m": [200.0, 200.0]})
    point = pd.DataFrame({"latitude": [0.0], "longitude": [0.0]})
    assert g.haversine_m(0.0, 0.0, 0.0, 0.001) == g.haversine_m(0.0, 0.0, 0.0, -0.001)
    assert g.assign_hotspots(point, hotspots).tolist() == ["Y"]


def test_assignment_in_chunks_gives_the_same_answer() -> None:
    rng = np.random.default_rng(7)
    hotspots = pd.DataFrame({"hotspot_id": [f"H{i:02d}" for i in range(10)],
                             "latitude": 51.53 + rng.random(10) * 0.02, "longitude": 0.65 + rng.random(10) * 0.1,
                             "radius_m": 300.0})
    points = pd.DataFrame({"latitude": 51.53 + rng.random(5000) * 0.02, "longitude": 0.65 + rng.random(5000) * 0.1})
    whole = g.assign_hotspots(points, hotspots)
    chunked = g.assign_hotspots(points, hotspots, chunk_rows=333)
    assert whole.equals(chunked)
    assert (whole != "").sum() > 0


def test_patrol_minutes_past_midnight() -> None:
    assert g.patrol_minutes("18:00", "18:15") == 15
    assert g.patrol_minutes("23:50", "00:10") == 20  # ran past midnight
    assert g.patrol_minutes("09:00", "09:00") == 0


# ------------------------------------------------------------------------------------------------
# The displacement ring
# ------------------------------------------------------------------------------------------------

def test_ring_counts_only_crimes_in_the_ring_and_outside_every_hotspot() -> None:
    lat, lon = 51.54, 0.71
    b_lat, b_lon = offset(lat, lon, east_m=600)
    hotspots = pd.DataFrame({"hotspot_id": ["A", "B"], "latitude": [lat, b_lat], "longitude": [lon, b_lon],
                             "radius_m": [150.0, 150.0]})
    points = [
        offset(lat, lon, north_m=100),   # inside A: A's own crime, never a ring crime
        offset(lat, lon, north_m=200),   # 50 m beyond A's edge: inside the 100 m gap, not counted
        offset(lat, lon, north_m=300),   # 150 m beyond A's edge: A's ring
        offset(lat, lon, north_m=450),   # 300 m beyond: outside the ring
        offset(lat, lon, east_m=300),    # 150 m beyond A's edge and 150 m beyond B's: both rings
        offset(lat, lon, east_m=480),    # 30 m beyond B's edge... inside B? no: 120 m from B: inside B
        (float("nan"), float("nan")),    # no position
    ]
    frame = pd.DataFrame(points, columns=["latitude", "longitude"]).assign(
        date=[day(0), day(0), day(1), day(1), day(2), day(2), day(2)], offence_group="violence")
    ring = g.ring_daily(frame, hotspots, inner_m=100, outer_m=250)
    got = {(r.hotspot_id, r.date, r.crimes) for r in ring.itertuples()}
    assert got == {("A", day(1), 1), ("A", day(2), 1), ("B", day(2), 1)}
    with pytest.raises(ValueError):
        g.ring_daily(frame, hotspots, inner_m=300, outer_m=250)


# ------------------------------------------------------------------------------------------------
# Periods and operations
# ------------------------------------------------------------------------------------------------

D0 = date(2025, 6, 2)


def day(i: int) -> date:
    return D0 + timedelta(days=i)


def _patrols(rows: list[tuple[str, date]]) -> pd.DataFrame:
    return pd.DataFrame({"hotspot_id": [h for h, _ in rows], "date": [d for _, d in rows], "patrols": 1,
                         "patrol_minutes": 15.0, "officer_minutes": 30.0})


def test_each_hotspot_has_its_own_period_and_overlapping_periods_form_an_operation() -> None:
    hotspots = pd.DataFrame({
        "hotspot_id": ["A", "B", "C", "D", "E"],
        "active_from": [day(0), None, None, day(300), None],
        "active_to": [day(60), None, None, day(400), None],
    })
    patrols = _patrols([("B", day(10)), ("B", day(50)), ("C", day(55)), ("C", day(90)), ("D", day(310))])
    periods = g.hotspot_periods(hotspots, patrols, (day(5), day(380))).set_index("hotspot_id")
    assert list(periods.reset_index().columns) == g.PERIOD_COLUMNS
    # A: its active dates, cut to the incident data (from day 5); B and C: their own patrol logs.
    assert (periods.loc["A", "period_start"], periods.loc["A", "period_end"]) == (day(5), day(60))
    assert (periods.loc["B", "period_start"], periods.loc["B", "period_end"]) == (day(10), day(50))
    assert (periods.loc["C", "period_start"], periods.loc["C", "period_end"]) == (day(55), day(90))
    assert periods.loc["A", "period_source"] == "active dates" and periods.loc["B", "period_source"] == "patrol log"
    # D: active to day 400, but the incident data end on day 380.
    assert periods.loc["D", "period_end"] == day(380)
    # E: never patrolled and no dates: no period, with the reason.
    assert periods.loc["E", "operation"] == "" and "no patrols and no active dates" in periods.loc["E", "note"]
    # A overlaps B, B does not overlap C, but A overlaps C (day 55-60): A, B and C are one operation; D another.
    assert periods.loc[["A", "B", "C"], "operation"].tolist() == ["1", "1", "1"]
    assert periods.loc["D", "operation"] == "2"
    ops = g.operations(periods.reset_index())
    assert ops["operation"].tolist() == ["1", "2"] and ops["hotspots"].tolist() == [3, 1]
    assert ops["first_day"].tolist() == [day(5), day(300)]


def test_panel_known_answer() -> None:
    periods = pd.DataFrame({"hotspot_id": ["A", "B"], "period_start": [day(0), day(2)],
                            "period_end": [day(4), day(3)], "period_source": "active dates",
                            "operation": ["1", "1"], "note": ""})
    patrols = pd.DataFrame({
        "hotspot_id": ["A", "A", "A", "B", "B"],
        "date": [day(-1), day(1), day(1), day(1), day(9)],  # A the day before its period; B the day before its
        "patrols": [1, 1, 1, 1, 1], "patrol_minutes": [15, 20, 10, 30, 30], "officer_minutes": [30, 40, 10, 60, 60],
    })
    crimes = pd.DataFrame({
        "hotspot_id": ["A", "A", "A", "B", "B"],
        "date": [day(0), day(1), day(1), day(3), day(0)],  # B's day-0 crime is outside its period
        "offence_group": ["violence", "violence", "theft", "drugs", "violence"],
        "crimes": [2, 1, 3, 1, 5],
    })
    plan = pd.DataFrame({"hotspot_id": ["A", "A"], "date": [day(1), day(2)], "assigned": [True, False]})
    ring = pd.DataFrame({"hotspot_id": ["B"], "date": [day(2)], "offence_group": ["theft"], "crimes": [4]})
    panel = g.build_panel(periods, patrols, crimes, {"violence": 100, "theft": 10, "drugs": 30}, plan, ring)
    assert list(panel.columns) == g.PANEL_COLUMNS
    assert len(panel) == 5 + 2  # A: days 0-4, B: days 2-3 only (its own period)
    a = panel[panel["hotspot_id"] == "A"].set_index("date")
    b = panel[panel["hotspot_id"] == "B"].set_index("date")
    assert b.index.tolist() == [day(2), day(3)]
    assert a["patrolled"].tolist() == [False, True, False, False, False]
    # Day 0 follows the patrol on day -1 (before the period); day 2 follows day 1; B's day 2 follows its day 1.
    assert a["after_patrol"].tolist() == [True, False, True, False, False]
    assert b["after_patrol"].tolist() == [True, False]
    assert a.loc[day(1), "patrols"] == 2 and a.loc[day(1), "patrol_minutes"] == 30
    assert a["crimes"].tolist() == [2, 4, 0, 0, 0] and a["crimes:violence"].tolist() == [2, 1, 0, 0, 0]
    assert a.loc[day(1), "harm"] == 1 * 100 + 3 * 10
    assert b["crimes"].tolist() == [0, 1]  # the crime on day 0 is outside B's period
    assert a["assigned"].tolist()[:3] == [pytest.approx(np.nan, nan_ok=True), 1.0, 0.0]
    assert a["assigned"].isna().sum() == 3
    assert b["ring"].tolist() == [4, 0] and a["ring"].sum() == 0


def test_weekly_dosage_known_answer() -> None:
    patrols = pd.DataFrame({"hotspot_id": ["A", "B", "A"], "date": [day(0), day(0), day(8)],
                            "patrols": [2, 1, 1], "patrol_minutes": [30.0, 15.0, 20.0],
                            "officer_minutes": [60.0, 15.0, 40.0]})
    weekly = g.weekly_dosage(patrols, day(0), day(9))  # day 0 is a Monday; days 7-9 are a part week
    assert weekly["week_start"].tolist() == [day(0), day(7)]
    assert weekly["patrol_minutes"].tolist() == [45.0, 20.0]
    assert weekly["patrols"].tolist() == [3, 1]
    assert weekly["hotspots_patrolled"].tolist() == [2, 1]
    assert weekly["days"].tolist() == [7, 3]


# ------------------------------------------------------------------------------------------------
# The fits against statsmodels
# ------------------------------------------------------------------------------------------------

def _design_matrices(sim: pd.DataFrame) -> tuple:
    y = sim["crimes"].to_numpy(float)
    x = sim[["patrolled", "after_patrol"]].to_numpy(float)
    h = pd.factorize(sim["hotspot_id"], sort=True)[0]
    dn = np.array([(d - D0).days for d in sim["date"]])
    return y, x, h, dn % 7, dn // 7


def test_pooled_fit_equals_statsmodels_glm_with_dummies() -> None:
    sm = pytest.importorskip("statsmodels.api")
    y, x, h, dow, week = _design_matrices(simulate("weekend patrols", 0.6, seed=4, hotspots=8, days=63))
    dummies = [pd.get_dummies(h).to_numpy(float), pd.get_dummies(dow, drop_first=True).to_numpy(float),
               pd.get_dummies(week, drop_first=True).to_numpy(float)]
    design = np.column_stack([x, *dummies])
    fit = sm.GLM(y, design, family=sm.families.Poisson()).fit(tol=1e-12)
    ours = gm.fit_pooled(y, x, h, np.column_stack([dow, week]), h, correct=False)
    for j in range(2):
        assert ours.coefs[j].beta == pytest.approx(fit.params[j], abs=1e-7)
        assert ours.coefs[j].se_model == pytest.approx(fit.bse[j], rel=1e-6)
    # The cluster-robust (CR0) sandwich equals statsmodels' without its small-sample factor.
    cl = sm.GLM(y, design, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": h, "use_correction": False}, tol=1e-12)
    assert ours.coefs[0].se == pytest.approx(cl.bse[0], rel=1e-5)
    assert ours.coefs[1].se == pytest.approx(cl.bse[1], rel=1e-5)
    assert ours.dispersion == pytest.approx(fit.pearson_chi2 / fit.df_resid, rel=1e-6)
    corrected = gm.fit_pooled(y, x, h, np.column_stack([dow, week]), h)
    assert corrected.coefs[0].beta == ours.coefs[0].beta
    assert corrected.coefs[0].se > ours.coefs[0].se  # CR2 inflates each cluster's score
    assert 1 <= corrected.coefs[0].df <= 7  # at most clusters - 1


def test_per_hotspot_fit_equals_statsmodels_glm() -> None:
    sm = pytest.importorskip("statsmodels.api")
    y, x, h, dow, week = _design_matrices(simulate("overdispersed", 0.6, seed=5, hotspots=4, days=84))
    block = gm.fit_by_block(y, x, h, 4, h * 7 + dow, h * 1000 + week)
    plain = gm.fit_by_block(y, x, h, 4, h * 7 + dow, h * 1000 + week, correct=False)
    for i in range(4):
        m = h == i
        design = np.column_stack([x[m], pd.get_dummies(dow[m]).to_numpy(float)])
        fit = sm.GLM(y[m], design, family=sm.families.Poisson()).fit(tol=1e-12)
        assert block.beta[i, 0] == pytest.approx(fit.params[0], abs=1e-7)
        assert block.beta[i, 1] == pytest.approx(fit.params[1], abs=1e-7)
        cl = sm.GLM(y[m], design, family=sm.families.Poisson()).fit(
            cov_type="cluster", cov_kwds={"groups": week[m], "use_correction": False}, tol=1e-12)
        assert plain.se[i, 0] == pytest.approx(cl.bse[0], rel=1e-5)
        assert plain.se[i, 1] == pytest.approx(cl.bse[1], rel=1e-5)
        # CR2 is CR0 with each week's score scaled by 1/sqrt(1 - h_w): larger, by at most 1/sqrt(1 - max h).
        assert cl.bse[0] < block.se[i, 0] < cl.bse[0] * 1.5
        assert block.clusters[i] == 12 and 1 <= block.df[i, 0] <= 11


# ------------------------------------------------------------------------------------------------
# Known answers
# ------------------------------------------------------------------------------------------------

def _daily(sim: pd.DataFrame, shift_days: int = 0, prefix: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patrol and crime daily frames (the warehouse's shape) from a simulated panel."""
    sim = sim.assign(date=[d + timedelta(days=shift_days) for d in sim["date"]],
                     hotspot_id=prefix + sim["hotspot_id"])
    patrols = sim[sim["patrolled"]][["hotspot_id", "date"]].assign(patrols=1, patrol_minutes=15.0,
                                                                    officer_minutes=30.0)
    crimes = sim[sim["crimes"] > 0][["hotspot_id", "date", "crimes"]].assign(offence_group="violence")
    return patrols, crimes


def test_two_operations_in_different_periods_known_answer() -> None:
    # Operation 1 (2025) and operation 2 (a year later) on different hotspots, true ratio 0.6 in both.
    # Crimes are recorded only while a place is a hotspot, as in a real extract per operation.
    op1 = simulate("independent", 0.6, seed=21, hotspots=15, days=120)
    op2 = simulate("independent", 0.6, seed=22, hotspots=15, days=120)
    p1, c1 = _daily(op1, 0, "A")
    p2, c2 = _daily(op2, 365, "B")
    patrols, crimes = pd.concat([p1, p2]), pd.concat([c1, c2])
    hotspots = pd.DataFrame({"hotspot_id": sorted(set(patrols["hotspot_id"]) | set(crimes["hotspot_id"]))})
    span = (min(crimes["date"]), max(crimes["date"]))
    periods = g.hotspot_periods(hotspots, patrols, span)
    assert set(periods["operation"]) == {"1", "2"}
    table = g.effect_tables(g.build_panel(periods, patrols, crimes), periods=periods)
    pooled = table[(table["offence_group"] == "all") & (table["comparison"] == "patrol") & (table["measure"] == "count")
                   & (table["hotspot_id"] == g.POOLED)].set_index("operation")
    for op in ("all", "1", "2"):
        assert pooled.loc[op, "ci_low"] < 0.6 < pooled.loc[op, "ci_high"], op
    assert pooled.loc["all", "ci_high"] < 0.8  # clearly below 1, as the truth is
    assert pooled.loc["all", "days_modelled"] == pooled.loc["1", "days_modelled"] + pooled.loc["2", "days_modelled"]
    # The old single window (first to last day of anything, for every hotspot) pads each operation's
    # hotspots with the other year as days with neither patrol nor crime: the ratio comes out above 1.
    window = periods.assign(period_start=span[0], period_end=span[1], operation="1")
    padded = g.estimate(g.build_panel(window, patrols, crimes), per_hotspot=False)["patrol"].iloc[-1]
    assert padded["rate_ratio"] > 1.0


def test_patrol_plan_with_imperfect_compliance_known_answer() -> None:
    # Assigned at random; 85% of assigned days patrolled, 10% of unassigned days patrolled anyway; patrol
    # days have 0.6 times the crime. The intention-to-treat ratio is diluted by compliance:
    # (0.85 x 0.6 + 0.15) / (0.10 x 0.6 + 0.90) = 0.66 / 0.96 = 0.6875.
    rng = np.random.default_rng(31)
    hotspots, days_ = 20, 150
    h = np.repeat(np.arange(hotspots), days_)
    t = np.tile(np.arange(days_), hotspots)
    assigned = rng.random(len(h)) < 0.4
    patrolled = np.where(assigned, rng.random(len(h)) < 0.85, rng.random(len(h)) < 0.10)
    base = rng.gamma(3.0, 0.4, hotspots)[h]
    crimes = rng.poisson(base * np.where(patrolled, 0.6, 1.0))
    ids = np.array([f"H{i:02d}" for i in range(hotspots)], dtype=object)[h]
    dates = [day(int(i)) for i in t]
    frame = pd.DataFrame({"hotspot_id": ids, "date": dates, "patrolled": patrolled, "crimes": crimes})
    patrols = frame[frame["patrolled"]][["hotspot_id", "date"]].assign(patrols=1, patrol_minutes=15.0,
                                                                         officer_minutes=15.0)
    crime_rows = frame[frame["crimes"] > 0][["hotspot_id", "date", "crimes"]].assign(offence_group="theft")
    plan = pd.DataFrame({"hotspot_id": ids, "date": dates, "assigned": assigned})
    periods = g.hotspot_periods(pd.DataFrame({"hotspot_id": sorted(set(ids))}), patrols, (day(0), day(149)), plan)
    panel = g.build_panel(periods, patrols, crime_rows, plan=plan)
    itt = g.estimate_effect(panel, "crimes", "itt")
    pooled = itt.iloc[-1]
    assert pooled["ci_low"] < 0.6875 < pooled["ci_high"]
    assert pooled["rate_ratio"] == pytest.approx(0.6875, abs=0.05)
    spots = itt.iloc[:-1]
    # Compliance, counted exactly: assigned days and those patrolled; unassigned days and those patrolled.
    assert spots["exposed_days"].sum() == assigned.sum()
    assert spots["exposed_patrolled"].sum() == (assigned & patrolled).sum()
    assert spots["reference_days"].sum() == (~assigned).sum()
    assert spots["reference_patrolled"].sum() == (~assigned & patrolled).sum()
    delivered = g.estimate_effect(panel, "crimes", "patrol").iloc[-1]
    assert delivered["ci_low"] < 0.6 < delivered["ci_high"]


def test_displacement_ring_known_answer() -> None:
    # Ring crimes 1.4 times as frequent on patrol days (displacement), hotspot crimes 0.6 times.
    sim = simulate("independent", 0.6, seed=41, hotspots=20, days=150)
    rng = np.random.default_rng(42)
    ring = rng.poisson(0.5 * np.where(sim["patrolled"], 1.4, 1.0))
    panel = sim.assign(operation="1", assigned=np.nan, patrols=sim["patrolled"].astype(int), patrol_minutes=15.0,
                       officer_minutes=15.0, ring=ring.astype(float))
    est = g.estimate(panel, "ring", per_hotspot=False)["patrol"].iloc[-1]
    assert est["ci_low"] < 1.4 < est["ci_high"] and est["ci_low"] > 1.0


def test_edge_cases_are_reported_and_the_pooled_row_still_works() -> None:
    sim = simulate("independent", 0.6, seed=5, hotspots=20, days=90)
    sim.loc[sim["hotspot_id"] == "H00", "crimes"] = 0  # a hotspot with no crimes at all
    sim.loc[sim["hotspot_id"] == "H01", "patrolled"] = True  # a hotspot patrolled every day
    sim.loc[sim["hotspot_id"] == "H01", "after_patrol"] = False
    sim.loc[(sim["hotspot_id"] == "H02") & sim["patrolled"], "crimes"] = 0  # no crimes on its patrol days
    panel = sim.assign(operation="1", assigned=np.nan, patrols=sim["patrolled"].astype(int), patrol_minutes=15.0,
                       officer_minutes=15.0)
    table = g.estimate_effect(panel).set_index("hotspot_id")
    assert list(table.reset_index().columns) == g.EFFECT_COLUMNS
    assert math.isnan(table.loc["H00", "rate_ratio"]) and table.loc["H00", "note"] == "no crimes recorded in its period"
    assert not table.loc["H00", "in_model"]
    assert math.isnan(table.loc["H01", "rate_ratio"]) and not table.loc["H01", "in_model"]
    assert table.loc["H01", "note"] == "patrolled every day of its period: no days without a patrol to compare with"
    assert table.loc["H02", "rate_ratio"] == 0.0 and math.isnan(table.loc["H02", "ci_low"])
    assert "no crimes on patrol days" in table.loc["H02", "note"] and table.loc["H02", "in_model"]
    pooled = table.loc[g.POOLED]
    assert 0 < pooled["ci_low"] < pooled["rate_ratio"] < pooled["ci_high"]
    assert pooled["note"] == "" and pooled["hotspots_modelled"] == 18 and pooled["days_modelled"] == 18 * 90


def test_nothing_to_compare() -> None:
    sim = simulate("independent", 0.6, seed=6, hotspots=3, days=20)
    panel = sim.assign(operation="1", assigned=np.nan, patrols=1, patrol_minutes=15.0, officer_minutes=15.0,
                       patrolled=True, after_patrol=False)
    everything = g.estimate_effect(panel).set_index("hotspot_id")
    assert math.isnan(everything.loc[g.POOLED, "rate_ratio"])
    assert everything.loc[g.POOLED, "note"].startswith("no hotspot has crimes and both")
    assert everything.loc[g.POOLED, "hotspots_modelled"] == 0
    empty = g.estimate_effect(panel.iloc[0:0])
    assert empty["hotspot_id"].tolist() == [g.POOLED] and empty["note"].iloc[0]


# ------------------------------------------------------------------------------------------------
# Coverage of the 95% intervals (the bench runs 400 trials per cell: bench/results/grip-coverage-*.md)
# ------------------------------------------------------------------------------------------------
# 5 designs x 2 true ratios x 100 seeded trials = 1,000 intervals. If they are right, the number that
# contain the truth is Binomial(1000, 0.95): 99% of the time between 93.2% and 96.8% (2.58 standard
# deviations of 0.69%). Each cell alone (100 trials) falls between 89.4% and 100% 99% of the time. The
# seeds are fixed, so the test is deterministic; the interval the page used before issue 13 covers
# almost never in the weekend and next-day designs (it is biased there), so the test can fail.

TRIALS = 100


def test_coverage_over_the_five_designs() -> None:
    cells = {}
    for s_i, scenario in enumerate(SCENARIOS):
        for r_i, rr in enumerate((0.6, 1.0)):
            hits = 0
            for seed in np.random.SeedSequence([2025, s_i, r_i]).generate_state(TRIALS):
                sim = simulate(scenario, rr, int(seed), hotspots=20, days=112)
                panel = sim.assign(operation="1", assigned=np.nan, patrols=sim["patrolled"].astype(int),
                                   patrol_minutes=15.0, officer_minutes=15.0)
                row = g.estimate(panel, "crimes", per_hotspot=False)["patrol"].iloc[-1]
                hits += bool(row["ci_low"] <= rr <= row["ci_high"])
            cells[(scenario, rr)] = hits / TRIALS
    overall = sum(cells.values()) / len(cells)
    assert 0.93 <= overall <= 0.97, cells
    assert all(c >= 0.89 for c in cells.values()), cells


def test_the_model_removes_calendar_and_next_day_bias() -> None:
    # Weekend-favouring patrols with no effect at all: the estimate must sit at 1, not above it.
    logs = []
    for seed in range(30):
        sim = simulate("weekend patrols", 1.0, seed)
        panel = sim.assign(operation="1", assigned=np.nan, patrols=sim["patrolled"].astype(int), patrol_minutes=15.0,
                           officer_minutes=15.0)
        logs.append(math.log(g.estimate(panel, per_hotspot=False)["patrol"].iloc[-1]["rate_ratio"]))
    assert math.exp(np.mean(logs)) == pytest.approx(1.0, abs=0.03)


# ------------------------------------------------------------------------------------------------
# The per-hotspot table's HTML
# ------------------------------------------------------------------------------------------------

def test_table_html_escapes_every_value() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    out = table_html("Caption & <b>", ["Hotspot", "Days"], [([hostile, "5"], False), (["All", "<9>"], True)])
    from html import unescape

    assert "<img" not in out and hostile in unescape(out)  # shown as text (character references)
    assert "<caption>Caption &#38; &#60;b&#62;</caption>" in out
    assert '<th scope="row">' in out and '<tr class="grip-pooled">' in out and "&#60;9&#62;" in out
