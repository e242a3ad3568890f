"""Seeded synthetic Grip hotspot patrol data: 20 Southend-on-Sea hotspots over 90 days, known effect.

Why this exists: the Grip page, its estimator and their tests need patrol and incident files in the
shape the data contract describes, with an effect whose true size is known, so that a reader can
see the estimator recover it. Nothing here is real: the hotspot names are ordinary Southend street
names, the positions are approximate, and every patrol and incident is invented from the seed.

What the data encode (the "true" answers):
- On a patrol day the expected count at a hotspot is multiplied by ``PATROL_RR`` for its offence
  group: violence 0.6 (the headline effect), robbery 0.7, public order 0.75, criminal damage 0.85,
  theft 0.9, other 1.0, and drugs 1.3 (drugs offences are mostly *found* by officers, so patrols
  raise the recorded count).
- On the day after a patrol day that is not itself patrolled, the count is multiplied by
  ``NEXT_DAY_RR`` (residual deterrence: violence 0.85).
- The Southend design: each hotspot-day is *assigned* a patrol at random (``patrol_plan.csv``;
  busier hotspots are assigned more often, which hotspot baselines absorb), independent of the day
  of the week. Compliance is imperfect: ``COMPLIANCE`` of assigned days are patrolled, and
  ``OFF_PLAN`` of unassigned days get a patrol anyway. Crime has a weekly cycle and extra
  day-to-day variation (gamma noise), so counts are overdispersed.
- Displacement ring: crimes 100-250 m beyond each hotspot's radius (outside every hotspot) at
  ``RING_RATE`` a day, multiplied by ``RING_RR`` = 1.0 on patrol days: no displacement and no
  diffusion, as the Bedfordshire Operation Rowan trial found.
- Edge cases on purpose: SOS05 (Marine Parade) is patrolled every day, so it has no comparison
  days; SOS18 (Rayleigh Road, Eastwood) is quiet, so some offence groups have no crimes there.
- Incident references: ``SOS-`` inside a hotspot, ``SOSB-`` background, ``SOSR-`` ring.
- About a quarter of the incidents have a blank hotspot_id (to be assigned by distance), about 6%
  lie outside every hotspot (assigned to none), a few give their time in UTC ("Z") or with an
  offset, and a few patrols run past midnight.

Guarantees: same seed -> byte-identical files (no timestamps, fixed iteration order).
What this module must not do: read anything outside this file, or depend on the warehouse/ETL.

Usage:
    python data/generate_grip.py [--out data/sample/grip] [--seed 2034]
"""

from __future__ import annotations

import argparse
import csv
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent / "sample" / "grip"
DEFAULT_SEED = 2034
START = date(2025, 6, 2)  # a Monday
DAYS = 90
AREA = "E06000033"  # Southend-on-Sea
EARTH_RADIUS_M = 6_371_008.8

# hotspot_id, name, latitude, longitude, radius_m, busyness (relative crime level)
HOTSPOTS: tuple[tuple[str, str, float, float, int, float], ...] = (
    ("SOS01", "High Street (north)", 51.53950, 0.71150, 150, 2.2),
    ("SOS02", "Pier Hill and High Street (south)", 51.53500, 0.71300, 150, 1.8),
    ("SOS03", "Victoria Circus", 51.54150, 0.71050, 150, 2.0),
    ("SOS04", "Southend Central station", 51.53700, 0.70750, 120, 1.3),
    ("SOS05", "Marine Parade", 51.53450, 0.72000, 200, 1.6),
    ("SOS06", "Kursaal and Southchurch Avenue", 51.53450, 0.72800, 150, 1.1),
    ("SOS07", "York Road", 51.53750, 0.71900, 150, 1.2),
    ("SOS08", "Queensway and Sutton Road", 51.54200, 0.71800, 200, 1.0),
    ("SOS09", "Hamlet Court Road", 51.53950, 0.69250, 150, 0.9),
    ("SOS10", "London Road, Westcliff", 51.54250, 0.69900, 200, 0.9),
    ("SOS11", "Westcliff station and seafront", 51.53700, 0.69100, 150, 0.7),
    ("SOS12", "Leigh Broadway", 51.54250, 0.65300, 150, 0.6),
    ("SOS13", "Leigh-on-Sea station and Old Leigh", 51.54200, 0.64500, 150, 0.5),
    ("SOS14", "Southchurch Road", 51.53900, 0.72600, 150, 0.9),
    ("SOS15", "Thorpe Bay Broadway", 51.53700, 0.75400, 150, 0.5),
    ("SOS16", "Shoeburyness High Street", 51.53300, 0.79500, 150, 0.6),
    ("SOS17", "Victoria Avenue, Prittlewell", 51.55000, 0.71100, 200, 0.8),
    ("SOS18", "Rayleigh Road, Eastwood", 51.56600, 0.67000, 150, 0.12),
    ("SOS19", "Chalkwell Park", 51.54300, 0.68000, 200, 0.5),
    ("SOS20", "Prittlewell Chase", 51.55000, 0.69000, 150, 0.6),
)
ALWAYS_PATROLLED = "SOS05"

OFFENCE_GROUPS = ("violence", "robbery", "public order", "theft", "criminal damage", "drugs", "other")
# Expected incidents per day at a hotspot of busyness 1 on a non-patrol day.
BASE_RATE = {"violence": 0.40, "robbery": 0.05, "public order": 0.16, "theft": 0.22, "criminal damage": 0.10,
             "drugs": 0.08, "other": 0.07}
PATROL_RR = {"violence": 0.6, "robbery": 0.7, "public order": 0.75, "theft": 0.9, "criminal damage": 0.85,
             "drugs": 1.3, "other": 1.0}
NEXT_DAY_RR = {"violence": 0.85, "robbery": 0.9, "public order": 0.9, "theft": 0.95, "criminal damage": 0.95,
               "drugs": 1.0, "other": 1.0}
DAY_OF_WEEK = (0.85, 0.85, 0.9, 0.95, 1.2, 1.45, 1.1)  # Monday .. Sunday
NOISE_SHAPE = 6.0  # gamma day-to-day variation, mean 1 (variance 1/6): mild overdispersion
BACKGROUND_INCIDENTS = 140  # nearby but outside every hotspot
COMPLIANCE = 0.9  # share of assigned days that were patrolled
OFF_PLAN = 0.05  # share of unassigned days patrolled anyway
RING_RATE = 0.12  # ring crimes a day at busyness 1 (all offence groups)
RING_RR = 1.0  # ring crimes on patrol days: 1 = no displacement, no diffusion
RING_INNER_M, RING_OUTER_M = 100, 250


def _offset(lat: float, lon: float, distance_m: float, bearing: float) -> tuple[float, float]:
    """A point ``distance_m`` from (lat, lon) along ``bearing`` radians (small-distance approximation)."""
    dlat = distance_m * math.cos(bearing) / EARTH_RADIUS_M
    dlon = distance_m * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return lat + math.degrees(dlat), lon + math.degrees(dlon)


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _inside_any(lat: float, lon: float) -> bool:
    return any(_distance_m(lat, lon, h[2], h[3]) <= h[4] for h in HOTSPOTS)


def _clock(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def build(seed: int = DEFAULT_SEED) -> dict[str, list[list[str]]]:
    """The four files as rows (header first)."""
    rng = np.random.default_rng(seed)
    days = [START + timedelta(days=i) for i in range(DAYS)]
    hotspots = [["hotspot_id", "name", "area_code", "latitude", "longitude", "radius_m"]]
    hotspots += [[h, name, AREA, f"{lat:.5f}", f"{lon:.5f}", str(r)] for h, name, lat, lon, r, _b in HOTSPOTS]

    busy = np.array([h[5] for h in HOTSPOTS])
    # Busier hotspots are patrolled more often (allocation is not random across hotspots).
    p_patrol = np.clip(0.35 + 0.15 * busy, 0.35, 0.75)
    assigned = rng.random((len(HOTSPOTS), DAYS)) < p_patrol[:, None]
    always = [h[0] for h in HOTSPOTS].index(ALWAYS_PATROLLED)
    assigned[always] = True
    draw = rng.random((len(HOTSPOTS), DAYS))
    patrolled = np.where(assigned, draw < COMPLIANCE, draw < OFF_PLAN)
    patrolled[always] = True
    plan = [["hotspot_id", "date", "assigned"]]
    plan += [[h[0], day.isoformat(), "yes" if assigned[i, d] else "no"]
             for i, h in enumerate(HOTSPOTS) for d, day in enumerate(days)]

    patrols = [["hotspot_id", "date", "start_time", "end_time", "officers"]]
    for i, h in enumerate(HOTSPOTS):
        for d, day in enumerate(days):
            if not patrolled[i, d]:
                continue
            visits = 1 + int(rng.integers(0, 3))
            starts = sorted(int(s) for s in rng.integers(14 * 60, 23 * 60 + 45, size=visits))
            for s in dict.fromkeys(starts):
                length = 15 + int(rng.integers(0, 11))  # the Koper curve: 15-25 minute visits
                officers = int(rng.choice([1, 2, 2, 2, 3]))
                patrols.append([h[0], day.isoformat(), _clock(s), _clock(s + length), str(officers)])

    incidents: list[tuple[datetime, list[str]]] = []
    weekday = np.array([DAY_OF_WEEK[day.weekday()] for day in days])
    noise = rng.gamma(NOISE_SHAPE, 1 / NOISE_SHAPE, size=(len(HOTSPOTS), DAYS))
    after = np.zeros_like(patrolled)
    after[:, 1:] = patrolled[:, :-1] & ~patrolled[:, 1:]
    for i, h in enumerate(HOTSPOTS):
        for d, day in enumerate(days):
            for group in OFFENCE_GROUPS:
                rate = BASE_RATE[group] * busy[i] * weekday[d] * noise[i, d]
                if patrolled[i, d]:
                    rate *= PATROL_RR[group]
                elif after[i, d]:
                    rate *= NEXT_DAY_RR[group]
                for _ in range(int(rng.poisson(rate))):
                    distance = h[4] * 0.95 * math.sqrt(rng.random())  # uniform over the disc
                    lat, lon = _offset(h[2], h[3], distance, rng.random() * 2 * math.pi)
                    minute = int(np.clip(rng.normal(17.5 * 60, 4 * 60), 0, 24 * 60 - 1))
                    when = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
                    given = h[0] if rng.random() >= 0.25 else ""
                    incidents.append((when, ["", f"{lat:.5f}", f"{lon:.5f}", group, given]))
            ring_rate = RING_RATE * busy[i] * weekday[d] * (RING_RR if patrolled[i, d] else 1.0)
            for _ in range(int(rng.poisson(ring_rate))):
                for _try in range(20):  # uniform over the ring, outside every hotspot
                    r0, r1 = h[4] + RING_INNER_M, h[4] + RING_OUTER_M
                    distance = math.sqrt(r0 ** 2 + (r1 ** 2 - r0 ** 2) * rng.random())
                    lat, lon = _offset(h[2], h[3], min(max(distance, r0 + 1), r1 - 1), rng.random() * 2 * math.pi)
                    if not _inside_any(lat, lon):
                        break
                else:
                    continue
                when = datetime(day.year, day.month, day.day) + timedelta(minutes=int(rng.integers(12 * 60, 24 * 60)))
                group = OFFENCE_GROUPS[int(rng.integers(len(OFFENCE_GROUPS)))]
                incidents.append((when, ["R", f"{lat:.5f}", f"{lon:.5f}", group, ""]))
    for _ in range(BACKGROUND_INCIDENTS):
        h = HOTSPOTS[int(rng.integers(len(HOTSPOTS)))]
        while True:
            lat, lon = _offset(h[2], h[3], 250 + 600 * rng.random(), rng.random() * 2 * math.pi)
            if not _inside_any(lat, lon):
                break
        day = days[int(rng.integers(DAYS))]
        when = datetime(day.year, day.month, day.day) + timedelta(minutes=int(rng.integers(0, 24 * 60)))
        group = OFFENCE_GROUPS[int(rng.integers(len(OFFENCE_GROUPS)))]
        incidents.append((when, ["B", f"{lat:.5f}", f"{lon:.5f}", group, ""]))

    incidents.sort(key=lambda x: (x[0], x[1]))
    rows = [["incident_ref", "occurred_at", "latitude", "longitude", "offence_group", "hotspot_id"]]
    for n, (when, rest) in enumerate(incidents, start=1):
        if n % 97 == 0:  # some systems export UTC; June-August is British Summer Time (UTC+1)
            stamp = (when - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        elif n % 89 == 0:
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S+01:00")
        else:
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
        rows.append([f"SOS{rest[0]}-{when:%y}-{n:06d}", stamp, *rest[1:]])
    return {"hotspots.csv": hotspots, "patrols.csv": patrols, "incidents.csv": rows, "patrol_plan.csv": plan}


def write(out: Path, seed: int = DEFAULT_SEED) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, rows in build(seed).items():
        with (out / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        counts[name] = len(rows) - 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    for name, n in write(args.out, args.seed).items():
        print(f"{name}: {n:,} rows")


if __name__ == "__main__":
    main()
