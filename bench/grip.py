"""Benchmark: the whole Grip effect table for 100 hotspots over three years, on one core.

    python bench/grip.py [--hotspots 100] [--years 3] [--repeat 3]

The table is what every Grip load rebuilds (warehouse.grip_queries.refresh_effects): each hotspot's
period, the hotspot-day panel (8 crime columns, harm, the plan, the displacement ring) and
``analysis.grip.effect_tables`` (every operation, offence group and comparison, counts, harm, the
plan and the ring). Two layouts: one operation of 100 hotspots for three years (the most
hotspot-days), and three yearly operations (each hotspot active one year, as real programmes
change hotspots every year). Data are generated in memory (no database: this measures the
statistics, not SQL). BLAS threads are set to 1 before numpy loads: one core.

Baseline, measured in the same run: one pooled fit of the same model by statsmodels' GLM with dummy
variables (hotspot, day of week, week) on the same panel, the straightforward way to fit it. The
table is reported as seconds and as a ratio to that one fit. Goal (issue 13): the whole table under
2 s on one core. Both wall-clock and CPU time of this process are recorded; on a shared machine the
wall clock includes waiting for the core, so the goal is judged on CPU time (single-threaded: the
CPU time is what the work takes on one core of its own). Writes bench/results/grip-<date>.md; exit
status 1 when the goal is missed.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import grip as g  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
START = date(2023, 4, 3)  # a Monday


def programme(hotspots: int, years: int, yearly: bool, seed: int = 13) -> dict[str, pd.DataFrame]:
    """Daily frames in the warehouse's shapes: hotspots (with active dates when ``yearly``),
    patrols, crimes by offence group, a randomised plan with imperfect compliance, ring crimes."""
    rng = np.random.default_rng(seed)
    days = 365 * years + 1
    ids = np.array([f"H{i:03d}" for i in range(hotspots)], dtype=object)
    first = np.zeros(hotspots, dtype=int)
    length = np.full(hotspots, days)
    if yearly:
        first = (np.arange(hotspots) % years) * 365
        length = np.full(hotspots, 365)
    h = np.repeat(np.arange(hotspots), length)
    t = np.concatenate([np.arange(f, f + n) for f, n in zip(first, length, strict=True)])
    dates = np.array([START + timedelta(days=int(i)) for i in range(days)], dtype=object)[t]
    base = rng.gamma(2.0, 0.35, hotspots)[h]
    assigned = rng.random(len(h)) < 0.4
    patrolled = np.where(assigned, rng.random(len(h)) < 0.9, rng.random(len(h)) < 0.05)
    crimes = []
    for group, share in zip(g.OFFENCE_GROUPS, (0.4, 0.05, 0.15, 0.2, 0.1, 0.05, 0.05), strict=True):
        n = rng.poisson(base * share * np.where(patrolled, 0.7, 1.0))
        crimes.append(pd.DataFrame({"hotspot_id": ids[h], "date": dates, "offence_group": group, "crimes": n}))
    crimes = pd.concat(crimes)
    crimes = crimes[crimes["crimes"] > 0]
    ring = rng.poisson(base * 0.3)
    ring = pd.DataFrame({"hotspot_id": ids[h], "date": dates, "offence_group": "theft", "crimes": ring})
    spots = pd.DataFrame({"hotspot_id": ids,
                          "active_from": [START + timedelta(days=int(f)) for f in first] if yearly else None,
                          "active_to": [START + timedelta(days=int(f + n - 1)) for f, n in zip(first, length,
                                                                                               strict=True)]
                          if yearly else None})
    patrols = pd.DataFrame({"hotspot_id": ids[h][patrolled], "date": dates[patrolled], "patrols": 1,
                            "patrol_minutes": 15.0, "officer_minutes": 30.0})
    plan = pd.DataFrame({"hotspot_id": ids[h], "date": dates, "assigned": assigned})
    return {"hotspots": spots, "patrols": patrols, "crimes": crimes, "plan": plan, "ring": ring[ring["crimes"] > 0],
            "span": (START, START + timedelta(days=days - 1))}


WEIGHTS = dict(zip(g.OFFENCE_GROUPS, (180.0, 365.0, 10.0, 20.0, 15.0, 30.0, 5.0), strict=True))


def whole_table(data: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    periods = g.hotspot_periods(data["hotspots"], data["patrols"], data["span"], data["plan"])
    panel = g.build_panel(periods, data["patrols"], data["crimes"], WEIGHTS, data["plan"], data["ring"])
    return g.effect_tables(panel, harm=True, periods=periods), panel


def statsmodels_fit(panel: pd.DataFrame) -> float:
    """One pooled fit (all offences, patrol and next-day terms) with dummy variables: the baseline."""
    import statsmodels.api as sm

    dn = (pd.to_datetime(panel["date"]) - pd.Timestamp("1970-01-05")).dt.days.to_numpy()
    design = np.column_stack([
        panel[["patrolled", "after_patrol"]].to_numpy(float),
        pd.get_dummies(panel["hotspot_id"]).to_numpy(float),
        pd.get_dummies(dn % 7, drop_first=True).to_numpy(float),
        pd.get_dummies(dn // 7, drop_first=True).to_numpy(float),
    ])
    start = time.perf_counter()
    sm.GLM(panel["crimes"].to_numpy(float), design, family=sm.families.Poisson()).fit()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hotspots", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for label, yearly in (("one operation, every hotspot all three years", False),
                          ("three yearly operations", True)):
        data = programme(args.hotspots, args.years, yearly)
        times, cpu = [], []
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            table, panel = whole_table(data)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        start_cpu = time.process_time()
        baseline = statsmodels_fit(panel)
        baseline_cpu = time.process_time() - start_cpu
        rows.append({"layout": label, "hotspot_days": len(panel), "rows": len(table),
                     "median_s": statistics.median(times), "max_s": max(times), "baseline_s": baseline,
                     "cpu_s": statistics.median(cpu), "baseline_cpu_s": baseline_cpu})
        print(rows[-1], flush=True)
    ok = all(r["cpu_s"] < 2.0 for r in rows)
    load = os.getloadavg()[0]
    lines = [f"# Grip effect table speed ({date.today():%Y-%m-%d})", "",
             f"`python bench/grip.py --hotspots {args.hotspots} --years {args.years} --repeat {args.repeat}`, one "
             "core (BLAS threads 1). Whole table: periods, panel and every effect row (operations x offence "
             "groups x comparisons, counts, harm, the plan's intention to treat and the displacement ring). "
             "Baseline: one pooled fit of the same model by statsmodels' GLM with dummy variables, same run.", "",
             f"Load average at the end of the run: {load:.1f} on {os.cpu_count()} cores.", "",
             "| layout | hotspot-days | table rows | whole table, CPU median (s) | wall median (s) | wall max (s) | "
             "one statsmodels fit, CPU (s) | table / one fit (CPU) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['layout']} | {r['hotspot_days']:,} | {r['rows']:,} | {r['cpu_s']:.2f} | "
                     f"{r['median_s']:.2f} | {r['max_s']:.2f} | {r['baseline_cpu_s']:.2f} | "
                     f"{r['cpu_s'] / r['baseline_cpu_s']:.2f} |")
    lines += ["", f"Goal (whole table under 2 s of one core): **{'met' if ok else 'missed'}**."]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"grip-{date.today():%Y-%m-%d}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
