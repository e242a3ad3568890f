"""Synthetic police.uk street-level files for the demo (April 2019 to September 2025), from a seed.

Why generated rather than committed: 78 months of about 15,000 rows are ~250 MB of CSV. The demo
writes one file per financial year in exactly police.uk's format and loads them through the normal
loader and reader (etl.sources.police_uk), so the sample exercises the same code as real files; the
same seed gives the same bytes, so a second run is a no-op through the loader's SHA-256 ledger.

What it looks like (invented, but shaped like Essex Police's real 2018 files): about 15,000 rows a
month split over the 14 authorities in the real files' proportions; police.uk's 14 crime types in
their real shares; a quarter anti-social behaviour with no Crime ID; ~0.3% of rows in neighbouring
authorities (real LSOAs such as "Babergh 010B") and ~0.2% with no location; 2011 LSOAs before 2022
and 2021 LSOAs after, as police.uk did. Trends: violence falls after April 2019 where the VVU's
projects run (the more projects, the steeper; data/sample/projects.csv), the 2020 lockdowns cut
theft and burglary and raise anti-social behaviour, shoplifting climbs from 2022, with summer peaks.

Nothing here is real crime data. ``bench/crime.py`` uses the same generator for a national-sized file.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from analysis.fiscal import add_months, fy_of_period, months_between
from etl.sources.police_uk import LOOKUP_FILE
from settings import DATA_DIR

FIRST, LAST = "2019-04", "2025-09"
SEED = 20190401
HEADER = ("Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location", "LSOA code",
          "LSOA name", "Crime type", "Last outcome category", "Context")
FORCE = "Essex Police"

# Rows per month by authority in Essex Police's March 2018 file (real, public): the demo's proportions.
AREA_WEIGHTS = {
    "E06000033": 2072, "E07000066": 1888, "E07000071": 1762, "E06000034": 1747, "E07000070": 1497,
    "E07000076": 1401, "E07000067": 1099, "E07000072": 1094, "E07000073": 961, "E07000069": 628,
    "E07000077": 542, "E07000068": 493, "E07000075": 476, "E07000074": 285,
}
# Crime types and their counts in the same file.
TYPE_WEIGHTS = {
    "Violence and sexual offences": 4216, "Anti-social behaviour": 3878, "Criminal damage and arson": 1299,
    "Vehicle crime": 1291, "Other theft": 1137, "Burglary": 1028, "Shoplifting": 967, "Public order": 910,
    "Drugs": 339, "Other crime": 306, "Possession of weapons": 219, "Bicycle theft": 146, "Robbery": 144,
    "Theft from the person": 134,
}
OUTCOMES = {
    "Investigation complete; no suspect identified": 40, "Under investigation": 14, "Unable to prosecute suspect": 16,
    "Formal action is not in the public interest": 6, "Awaiting court outcome": 6, "Local resolution": 5,
    "Offender given a caution": 2, "Offender given a drugs possession warning": 1, "Offender sent to prison": 1,
    "Offender given community sentence": 1, "Offender given suspended prison sentence": 0.5,
    "Offender given penalty notice": 0.5, "Offender fined": 0.3, "Defendant found not guilty": 0.2,
    "Court result unavailable": 0.5, "Status update unavailable": 0.5,
}
PLACES = (
    "High Street", "Station Road", "Church Road", "London Road", "Park Road", "Queens Road", "Victoria Road",
    "Mill Lane", "The Green", "School Lane", "Parking Area", "Shopping Area", "Supermarket", "Petrol Station",
    "Nightclub", "Sports/Recreation Area", "Hospital", "Further/Higher Educational Building", "Conference/Exhibition "
    "Centre", "Theatre/Concert Hall", "Bus/Coach Station", "Police Station", "Pedestrian Subway", "Marine Parade",
    "Southchurch Road", "Town Square", "Market Place", "North Street", "West Street", "Kings Road", "Hall Road",
    "Manor Road", "Chelmsford Road", "Colchester Road", "Harlow Road", "Brook Street", "Orchard Close",
)
# Real LSOAs in neighbouring authorities that appear in Essex Police's 2018 files: (code, name, lon, lat).
NEIGHBOURS = (
    ("E01029872", "Babergh 010B", 1.066131, 51.964058),
    ("E01029882", "Babergh 010C", 1.013672, 51.975531),
    ("E01000092", "Barking and Dagenham 019E", 0.104210, 51.516739),
    ("E01024186", "Dartford 007E", 0.193421, 51.449015),
    ("E01023440", "East Hertfordshire 005C", 0.192177, 51.873055),
    ("E01023458", "East Hertfordshire 008C", 0.164871, 51.857428),
    ("E01023492", "East Hertfordshire 009B", 0.096117, 51.784495),
    ("E01002276", "Havering 001A", 0.230632, 51.623720),
    ("E01002353", "Havering 013B", 0.187051, 51.582121),
    ("E01002385", "Havering 024A", 0.254560, 51.520249),
    ("E01030035", "Ipswich 001D", 1.122317, 52.085383),
    ("E01016070", "Medway 001A", 0.652210, 51.473319),
    ("E01023597", "North Hertfordshire 005C", 0.066380, 52.002760),
    ("E01003746", "Redbridge 001C", 0.024847, 51.616399),
    ("E01003724", "Redbridge 003B", 0.095993, 51.614295),
    ("E01030107", "St Edmundsbury 014C", 0.463670, 52.077284),
    ("E01030164", "Suffolk Coastal 013E", 1.338551, 51.966257),
    ("E01004349", "Waltham Forest 001A", -0.010421, 51.646263),
)
ASB = "Anti-social behaviour"


@dataclass(frozen=True)
class Pool:
    """The LSOAs of one vintage, grouped by authority, with where crime concentrates."""

    codes: dict[str, np.ndarray]
    names: dict[str, np.ndarray]
    lon: dict[str, np.ndarray]
    lat: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]  # sums to 1 within the authority


def _centroids(vintage: int) -> dict[str, tuple[float, float]]:
    data = json.loads((DATA_DIR / "geo" / f"lsoa{vintage % 100:02d}.geojson").read_text(encoding="utf-8"))
    out = {}
    for feature in data["features"]:
        geom = feature["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        ring = max((p[0] for p in polys), key=len)  # the largest part's outer ring is a fair centre
        xs = [c[0] for c in ring]
        ys = [c[1] for c in ring]
        out[feature["id"]] = (sum(xs) / len(xs), sum(ys) / len(ys))
    return out


@functools.lru_cache(maxsize=4)
def lsoa_pool(vintage: int, seed: int = SEED) -> Pool:
    lookup = pd.read_csv(LOOKUP_FILE, dtype=str, keep_default_na=False)
    lookup = lookup[lookup["lsoa_vintage"] == str(vintage)].sort_values("lsoa_code")
    centres = _centroids(vintage)
    codes, names, lon, lat, weight = {}, {}, {}, {}, {}
    for area, group in lookup.groupby("area_code"):
        # A code's weight depends on the code alone, so an LSOA is as busy in both vintages.
        hot = np.array([np.random.default_rng(seed + int(c[3:])).gamma(0.7) + 0.05 for c in group["lsoa_code"]])
        codes[area] = group["lsoa_code"].to_numpy(dtype=object)
        names[area] = group["lsoa_name"].to_numpy(dtype=object)
        lon[area] = np.array([centres[c][0] for c in group["lsoa_code"]])
        lat[area] = np.array([centres[c][1] for c in group["lsoa_code"]])
        weight[area] = hot / hot.sum()
    return Pool(codes, names, lon, lat, weight)


def project_intensity(engine: Engine | None) -> dict[str, float]:
    """Share of the busiest district's project count per area (0..1), from the project_area table."""
    counts: dict[str, int] = {}
    if engine is not None:
        from warehouse.models import ProjectArea

        with engine.connect() as conn:
            for (area,) in conn.execute(select(ProjectArea.area_code)):
                counts[area] = counts.get(area, 0) + 1
    if not counts:  # no reference data: the bundled sample's projects
        projects = pd.read_csv(DATA_DIR / "sample" / "projects.csv", dtype=str, keep_default_na=False)
        for codes in projects["area_codes"]:
            for area in codes.split(";"):
                counts[area.strip()] = counts.get(area.strip(), 0) + 1
    top = max(counts.values(), default=1)
    return {a: n / top for a, n in counts.items()}


def expected(month: str, area: str, crime_type: str, intensity: float) -> float:
    """Expected rows for one authority, type and month (before Poisson noise)."""
    index = months_between(FIRST, month).__len__() - 1 if month >= FIRST else -len(months_between(month, FIRST)) + 1
    years = index / 12.0
    m = int(month[5:7])
    season = 1 + (0.15 if crime_type == ASB else 0.08) * math.cos(2 * math.pi * (m - 7) / 12)
    trend = 1.0
    lockdown = "2020-04" <= month <= "2021-03"
    hard = "2020-04" <= month <= "2020-06" or "2021-01" <= month <= "2021-02"
    if crime_type == "Violence and sexual offences":
        trend = (1 + 0.015 - 0.06 * intensity) ** max(years, 0)
        trend *= 0.85 if hard else 1.0
    elif crime_type == ASB:
        trend = (2.1 if hard else 1.5) if lockdown else 0.94 ** max(years - 2, 0)
    elif crime_type == "Shoplifting":
        trend = (0.55 if hard else 0.85) if lockdown else 1.11 ** max(years - 2.75, 0)
    elif crime_type in ("Burglary", "Vehicle crime", "Theft from the person", "Robbery", "Bicycle theft"):
        trend = 0.97 ** max(years, 0) * ((0.55 if hard else 0.8) if lockdown else 1.0)
    elif crime_type == "Drugs":
        trend = 1.35 if hard else 1.0
    elif crime_type == "Possession of weapons":
        trend = (1 + 0.02 - 0.05 * intensity) ** max(years, 0)
    elif crime_type == "Public order":
        trend = 1.02 ** max(years, 0)
    return season * trend


def month_rows(rng: np.random.Generator, month: str, intensity: dict[str, float], rows: int = 15_000,
               outside_share: float = 0.003, no_location_share: float = 0.002,
               outside_pool: Sequence[tuple[str, str, float, float]] = NEIGHBOURS,
               forces: Sequence[str] = (FORCE,)) -> dict[str, np.ndarray]:
    """One month of rows as police.uk columns (arrays of text, in HEADER order)."""
    pool = lsoa_pool(2021 if month >= "2022-01" else 2011)
    area_total = sum(AREA_WEIGHTS.values())
    type_total = sum(TYPE_WEIGHTS.values())
    inside = rows * (1 - outside_share - no_location_share)
    cols: dict[str, list[np.ndarray]] = {h: [] for h in HEADER}
    types = list(TYPE_WEIGHTS)

    def add(n: int, codes: np.ndarray, names: np.ndarray, lon: np.ndarray, lat: np.ndarray, kinds: np.ndarray,
            force: np.ndarray | None = None) -> None:
        has_place = codes != ""
        jitter = rng.normal(0, 0.002, size=(2, n))
        cols["LSOA code"].append(codes)
        cols["LSOA name"].append(names)
        cols["Longitude"].append(np.where(has_place, np.char.mod("%.6f", lon + jitter[0]), "").astype(object))
        cols["Latitude"].append(np.where(has_place, np.char.mod("%.6f", lat + jitter[1]), "").astype(object))
        place = np.array(PLACES, dtype=object)[rng.integers(0, len(PLACES), n)]
        cols["Location"].append(np.where(has_place, "On or near " + place, "No Location").astype(object))
        cols["Crime type"].append(kinds)
        forces_col = force if force is not None else np.full(n, FORCE, dtype=object)
        cols["Reported by"].append(forces_col)
        cols["Falls within"].append(forces_col)

    for area, weight in AREA_WEIGHTS.items():
        if area not in pool.codes:
            continue
        means = np.array([inside * weight / area_total * TYPE_WEIGHTS[t] / type_total
                          * expected(month, area, t, intensity.get(area, 0.0)) for t in types])
        counts = rng.poisson(means)
        kinds = np.repeat(np.array(types, dtype=object), counts)
        n = len(kinds)
        pick = rng.choice(len(pool.codes[area]), size=n, p=pool.weight[area])
        add(n, pool.codes[area][pick], pool.names[area][pick], pool.lon[area][pick], pool.lat[area][pick], kinds)

    shares = np.array([TYPE_WEIGHTS[t] for t in types], dtype=float)
    shares /= shares.sum()
    n_out = rng.poisson(rows * outside_share)
    if n_out:
        out = np.array(outside_pool, dtype=object)
        pick = rng.integers(0, len(out), n_out)
        force = None if len(forces) == 1 else np.array(forces, dtype=object)[rng.integers(0, len(forces), n_out)]
        add(n_out, out[pick, 0], out[pick, 1], out[pick, 2].astype(float), out[pick, 3].astype(float),
            np.array(types, dtype=object)[rng.choice(len(types), n_out, p=shares)], force)
    n_none = rng.poisson(rows * no_location_share)
    if n_none:  # police.uk gives no location mostly for crimes, not anti-social behaviour
        crime_shares = np.where(np.array(types) == ASB, 0.0, shares)
        kinds = np.array(types, dtype=object)[rng.choice(len(types), n_none, p=crime_shares / crime_shares.sum())]
        blank = np.full(n_none, "", dtype=object)
        add(n_none, blank, blank, np.zeros(n_none), np.zeros(n_none), kinds)

    out = {h: np.concatenate(v) if v else np.empty(0, dtype=object) for h, v in cols.items() if v}
    n = len(out["Crime type"])
    order = rng.permutation(n)
    out = {h: v[order] for h, v in out.items()}
    is_asb = out["Crime type"] == ASB
    ids = np.frombuffer(rng.bytes(32 * n).hex().encode(), dtype="S64").astype("U64").astype(object)
    out["Crime ID"] = np.where(is_asb, "", ids).astype(object)
    out["Month"] = np.full(n, month, dtype=object)
    outcome_p = np.array(list(OUTCOMES.values()), dtype=float)
    outcomes = np.array(list(OUTCOMES), dtype=object)[rng.choice(len(OUTCOMES), n, p=outcome_p / outcome_p.sum())]
    out["Last outcome category"] = np.where(is_asb, "", outcomes).astype(object)
    out["Context"] = np.full(n, "", dtype=object)
    return {h: out[h] for h in HEADER}


def csv_text(columns: dict[str, np.ndarray]) -> str:
    """Rows as police.uk writes them (CRLF; fields quoted only when they must be)."""
    fixed = []
    for values in columns.values():
        joined = "\x00".join(values)
        if "," in joined or '"' in joined:
            values = np.array([f'"{v.replace(chr(34), chr(34) * 2)}"' if ("," in v or '"' in v) else v
                               for v in values], dtype=object)
        fixed.append(values)
    return "".join(",".join(row) + "\r\n" for row in zip(*fixed, strict=True))


def write_files(out_dir: Path, first: str = FIRST, last: str = LAST, rows: int = 15_000, seed: int = SEED,
                engine: Engine | None = None) -> list[Path]:
    """One police.uk-format file per financial year between two months; the same seed, the same bytes."""
    intensity = project_intensity(engine)
    paths: list[Path] = []
    by_year: dict[str, list[str]] = {}
    for month in months_between(first, last):
        by_year.setdefault(fy_of_period(month), []).append(month)
    for fy, months in by_year.items():
        path = out_dir / f"synthetic-essex-street-{fy.replace('/', '-')}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\r\n").writerow(HEADER)
            for month in months:
                rng = np.random.default_rng([seed, int(month[:4]), int(month[5:])])
                fh.write(csv_text(month_rows(rng, month, intensity, rows)))
        paths.append(path)
    return paths


def national_chunks(rows: int, months: Sequence[str], seed: int = SEED, chunk_rows: int = 250_000,
                    essex_share: float = 0.03) -> Iterator[str]:
    """CSV text for a national-sized file (bench): Essex rows plus ~97% from 42 other forces' areas.

    Other forces' LSOAs are invented codes (E01050000 on, beyond any real code) named after real
    authorities, so they count as outside the partnership area, as they would in a real national file.
    """
    rng = np.random.default_rng(seed)
    authorities = ("Leeds", "Birmingham", "Manchester", "Bristol", "Cardiff", "Liverpool", "Sheffield", "Kent",
                   "Norwich", "Nottingham", "Leicester", "Plymouth", "Swansea", "Newcastle upon Tyne", "Hull", "York")
    forces = tuple(f"{name} Constabulary" for name in (
        "Avon and Somerset", "Bedfordshire", "Cambridgeshire", "Cheshire", "Cleveland", "Cumbria", "Derbyshire",
        "Devon and Cornwall", "Dorset", "Durham", "Dyfed-Powys", "Gloucestershire", "Gwent", "Hampshire",
        "Hertfordshire", "Humberside", "Kent", "Lancashire", "Leicestershire", "Lincolnshire", "Norfolk",
        "North Wales", "North Yorkshire", "Northamptonshire", "Northumbria", "Nottinghamshire", "South Wales",
        "South Yorkshire", "Staffordshire", "Suffolk", "Surrey", "Sussex", "Thames Valley", "Warwickshire",
        "West Mercia", "West Midlands", "West Yorkshire", "Wiltshire", "Greater Manchester", "Merseyside",
        "Metropolitan Police", "City of London"))
    n_pool = 32_000
    pool = [(f"E01{50_000 + i:06d}", f"{authorities[i % len(authorities)]} {i // len(authorities) % 1000:03d}"
             f"{'ABCDE'[i % 5]}", -2.5 + rng.random() * 3, 51.0 + rng.random() * 2.5) for i in range(n_pool)]
    per_month = rows // len(months)
    done = 0
    intensity = project_intensity(None)
    for k, month in enumerate(months):
        target = rows - done if k == len(months) - 1 else per_month
        left, part = target, 0
        while left > 0:
            part += 1
            n = max(min(chunk_rows, left), 1_000)  # the draw is Poisson: ask for enough, keep what is needed
            cols = month_rows(np.random.default_rng([seed, k, part]), month, intensity, rows=n,
                              outside_share=1 - essex_share - 0.002, outside_pool=pool, forces=forces)
            got = len(cols["Month"])
            take = min(got, left)
            yield csv_text({h: v[:take] for h, v in cols.items()})
            left -= take
        done += target


def load_synthetic_crime(engine: Engine, first: str = FIRST, last: str = LAST, rows: int = 15_000,
                         seed: int = SEED, verbose: bool = True) -> list:
    """Generate the demo's police.uk files and load them through the normal loader (one per year)."""
    from etl.loader import load_file

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="vvu-crime-") as tmp:
        for path in write_files(Path(tmp), first, last, rows, seed, engine):
            result = load_file(engine, path, kind="police_uk", loaded_by="demo", sample=True)
            if not result.ok:
                raise RuntimeError(f"synthetic crime file refused: {result.message}: {result.problems[:3]}")
            results.append(result)
    if verbose:
        total = sum(r.rows for r in results)
        print(f"synthetic police.uk crime: {total:,} rows in {len(results)} files, "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    return results


def month_range(first: str, last: str) -> list[str]:
    return [add_months(first, i) for i in range(len(months_between(first, last)))]
