"""Simulated Grip programmes with a known patrol effect, for the coverage study of the intervals.

Why this exists: an interval is only as good as its coverage under the designs users really run. The
five designs below are the ones issue 13 names: independent days, overdispersed counts, weekly
plans with persistent shocks, weekend-favouring patrols, and next-day (residual) deterrence. Each
returns a hotspot-day panel in the columns ``analysis.grip.estimate_effect`` reads, so the study
measures the estimator the page uses, not a copy of it. Used by bench/grip_coverage.py (>= 300
trials per design) and tests/unit/test_grip_estimator.py (a smaller, seeded version).

Pure numpy/pandas; no I/O.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

SCENARIOS = ("independent", "overdispersed", "weekly plans", "weekend patrols", "next-day deterrence")
START = date(2025, 6, 2)  # a Monday
DOW_CRIME = np.array([0.85, 0.85, 0.9, 0.95, 1.2, 1.45, 1.1])  # Monday .. Sunday


def simulate(scenario: str, rr: float, seed: int, hotspots: int = 20, days: int = 168) -> pd.DataFrame:
    """A panel (hotspot_id, date, patrolled, after_patrol, crimes) with patrol-day rate ratio ``rr``.

    Every design has busier hotspots patrolled more often and a day-of-week cycle in crime, so a
    comparison without hotspot and calendar effects would be biased. The true ratio is patrol days
    against days with no patrol on the day or the day before (the estimator's reference days).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    rng = np.random.default_rng(seed)
    h = np.repeat(np.arange(hotspots), days)
    d = np.tile(np.arange(days), hotspots)
    dow = (START.weekday() + d) % 7
    week = d // 7
    base = rng.gamma(2.0, 0.35, hotspots)  # hotspot baselines: mean 0.7 crimes a day
    busy = base / base.mean()
    p = np.clip(0.3 + 0.15 * busy, 0.2, 0.75)[h]
    season = np.ones(len(h))
    if scenario == "weekly plans":
        plan = rng.choice([0.15, 0.5, 0.85], size=(hotspots, days // 7 + 1))
        p = plan[h, week]
    if scenario == "weekend patrols":
        # Patrols favour Friday to Sunday, when crime is highest, and grow over the summer as crime does.
        p = np.where(dow >= 4, 0.75, 0.25) * (0.7 + 0.6 * d / days)
        season = 0.8 + 0.4 * d / days
    patrolled = rng.random(len(h)) < np.clip(p, 0.0, 1.0)
    prev = np.zeros(len(h), dtype=bool)
    prev[1:] = patrolled[:-1]
    prev[d == 0] = rng.random(hotspots) < 0.5  # the day before the panel starts
    after = prev & ~patrolled
    lam = base[h] * DOW_CRIME[dow] * season * np.where(patrolled, rr, 1.0)
    if scenario == "overdispersed":
        k = np.where(busy > 1, 0.7, 2.0)[h]  # busier hotspots are more overdispersed
        lam = lam * rng.gamma(k, 1 / k)
    if scenario == "weekly plans":
        # A persistent shock per hotspot: AR(1) on the log scale, daily correlation 0.9, plus a
        # hotspot-week shock, so days of one hotspot are correlated for weeks.
        shock = np.zeros((hotspots, days))
        eps = rng.normal(0, 0.4 * np.sqrt(1 - 0.9 ** 2), (hotspots, days))
        shock[:, 0] = rng.normal(0, 0.4, hotspots)
        for t in range(1, days):
            shock[:, t] = 0.9 * shock[:, t - 1] + eps[:, t]
        weekly = rng.normal(0, 0.25, (hotspots, days // 7 + 1))
        lam = lam * np.exp(shock.ravel() + weekly[h, week] - (0.4 ** 2 + 0.25 ** 2) / 2)
    if scenario == "next-day deterrence":
        lam = lam * np.where(after, 0.75, 1.0)
    crimes = rng.poisson(lam)
    dates = np.array([START + timedelta(days=int(i)) for i in range(days)], dtype=object)
    return pd.DataFrame({
        "hotspot_id": np.array([f"H{i:02d}" for i in range(hotspots)], dtype=object)[h],
        "date": dates[d], "patrolled": patrolled, "after_patrol": after,
        "crimes": crimes.astype(float),
    })
