"""Build the small, offline boundary files the dashboard's maps draw from.

Why this exists: the Essex Violence and Vulnerability Unit dashboard must draw its
maps with no tile server and must run from a fresh clone without the shared data
folder beside it. So the boundaries it needs at run time are derived here, once,
from the ONS LSOA boundaries in ``shared/data/geo`` and committed under
``data/geo/``:

* ``districts.geojson``: the 14 lower-tier authorities (12 Essex districts plus
  Southend-on-Sea and Thurrock), each the union of its 2021 LSOAs.
* ``lsoa21.geojson`` / ``lsoa11.geojson``: every 2021 / 2011 LSOA.
* ``lsoa_lookup.csv``: LSOA code and name to district, for both vintages.

Shared borders must still meet after simplification, so the polygons are
simplified as a *coverage* (``shapely.coverage_simplify``): an edge shared by two
areas is simplified once and used by both, so no slivers or gaps open between
neighbours, as they would if each polygon were simplified on its own. The result
is snapped to a 1e-5 degree grid (about 1 m) so the coordinates print short.

Rings are wound as d3-geo, and so plotly's ``choropleth`` (geo) trace, need them:
exterior rings clockwise, holes anticlockwise. That is the ONS sources' winding
and the opposite of RFC 7946's right-hand rule (which RFC 7946 says parsers
should not reject polygons for breaking): given right-hand-rule rings, plotly's
geo renderer fills the rest of the globe instead of the area.

The output is deterministic: same input, same bytes. Regenerate with::

    python data/build_geo.py [SOURCE_DIR] [--out data/geo]

where SOURCE_DIR defaults to ``../shared/data/geo`` relative to the project root.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "data" / "geo"
DEFAULT_OUT = PROJECT_ROOT / "data" / "geo"

# The 14 lower-tier authorities the dashboard reports on, in GSS code order.
DISTRICTS: dict[str, str] = {
    "E06000033": "Southend-on-Sea",
    "E06000034": "Thurrock",
    "E07000066": "Basildon",
    "E07000067": "Braintree",
    "E07000068": "Brentwood",
    "E07000069": "Castle Point",
    "E07000070": "Chelmsford",
    "E07000071": "Colchester",
    "E07000072": "Epping Forest",
    "E07000073": "Harlow",
    "E07000074": "Maldon",
    "E07000075": "Rochford",
    "E07000076": "Tendring",
    "E07000077": "Uttlesford",
}
ESSEX_COUNTY = "E10000012"

# Source file name prefix and property names per LSOA vintage.
VINTAGES: dict[int, tuple[str, str, str]] = {
    2011: ("lsoa11-", "LSOA11CD", "LSOA11NM"),
    2021: ("lsoa-", "LSOA21CD", "LSOA21NM"),
}

# Coordinates of the (already lon/lat) sources are first snapped to this grid:
# the 2011 files have neighbouring vertices that differ only in the last float
# digits, which makes them overlap by ~1e-17 deg^2 and breaks coverage operations.
SNAP_GRID = 1e-9
# Visvalingam-Whyatt tolerances in degrees (0.001 deg is ~70 m east-west here).
DISTRICT_TOLERANCE = 0.001
LSOA_TOLERANCE = 0.0005
# Output grid: 5 decimal places of a degree, about 1 m.
DECIMALS = 5


@dataclass(frozen=True)
class Lsoa:
    """One LSOA as read from the source files."""

    code: str
    name: str
    area_code: str
    vintage: int
    geometry: BaseGeometry


def read_lsoas(source: Path, vintage: int) -> list[Lsoa]:
    """Read every LSOA of one vintage from the source GeoJSON files, sorted by code."""
    prefix, code_key, name_key = VINTAGES[vintage]
    paths = sorted(source.glob(f"{prefix}E*.geojson"))
    if not paths:
        raise SystemExit(f"no {prefix}*.geojson files in {source}")
    lsoas: list[Lsoa] = []
    for path in paths:
        collection = json.loads(path.read_text(encoding="utf-8"))
        for feature in collection["features"]:
            props = feature["properties"]
            lsoas.append(
                Lsoa(
                    code=props[code_key],
                    name=props[name_key],
                    area_code=props["LADCD_ACTIVE"],
                    vintage=vintage,
                    geometry=shape(feature["geometry"]),
                )
            )
            _check_upper_tier(props, path)
    lsoas.sort(key=lambda lsoa: lsoa.code)
    _check_lsoas(lsoas, vintage)
    return lsoas


def _check_upper_tier(props: dict[str, Any], path: Path) -> None:
    lad, utla = props["LADCD_ACTIVE"], props["UTLACD"]
    expected = ESSEX_COUNTY if lad.startswith("E07") else lad
    if utla != expected:
        raise SystemExit(f"{path.name}: district {lad} has upper tier {utla}, expected {expected}")


def _check_lsoas(lsoas: Sequence[Lsoa], vintage: int) -> None:
    codes = [lsoa.code for lsoa in lsoas]
    if len(set(codes)) != len(codes):
        raise SystemExit(f"{vintage} LSOAs: duplicate codes")
    for lsoa in lsoas:
        if lsoa.area_code not in DISTRICTS:
            raise SystemExit(f"{lsoa.code}: unexpected district {lsoa.area_code}")
        # An LSOA's name is its district's name followed by e.g. " 001A".
        district_name = DISTRICTS[lsoa.area_code]
        if lsoa.name.rsplit(" ", 1)[0] != district_name:
            raise SystemExit(f"{lsoa.code} {lsoa.name!r} is not named after {district_name}")
        if lsoa.geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise SystemExit(f"{lsoa.code}: geometry is a {lsoa.geometry.geom_type}")
    missing = set(DISTRICTS) - {lsoa.area_code for lsoa in lsoas}
    if missing:
        raise SystemExit(f"{vintage} LSOAs: no LSOA in {sorted(missing)}")


def snapped_coverage(geometries: Iterable[BaseGeometry]) -> np.ndarray:
    """Snap to SNAP_GRID and check the polygons tile without overlapping."""
    coverage = shapely.set_precision(np.array(list(geometries), dtype=object), SNAP_GRID)
    if not shapely.is_valid(coverage).all():
        raise SystemExit("source polygons are not valid")
    if not shapely.coverage_is_valid(coverage):
        raise SystemExit("source polygons overlap or their shared edges do not match")
    return coverage


def simplify_coverage(coverage: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify shared edges once, round to DECIMALS, wind exteriors clockwise."""
    simplified = shapely.coverage_simplify(coverage, tolerance)
    rounded = shapely.set_precision(simplified, 10.0**-DECIMALS)
    oriented = shapely.orient_polygons(rounded, exterior_cw=True)
    for geometry in oriented:
        if geometry.is_empty or not geometry.is_valid:
            raise SystemExit("simplification produced an empty or invalid polygon")
        if geometry.geom_type not in ("Polygon", "MultiPolygon"):
            raise SystemExit(f"simplification produced a {geometry.geom_type}")
    return oriented


def _rounded(coords: Any) -> Any:
    """Round nested GeoJSON coordinates to DECIMALS (drops float noise of the grid)."""
    if isinstance(coords[0], (int, float)):
        return [round(float(value), DECIMALS) for value in coords]
    return [_rounded(part) for part in coords]


def feature(feature_id: str, properties: dict[str, str], geometry: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON Feature with a top-level id and rounded coordinates."""
    geo = mapping(geometry)
    return {
        "type": "Feature",
        "id": feature_id,
        "properties": properties,
        "geometry": {"type": geo["type"], "coordinates": _rounded(geo["coordinates"])},
    }


def write_feature_collection(path: Path, features: Sequence[dict[str, Any]]) -> None:
    """Write compact GeoJSON, one feature per line so diffs stay readable."""
    lines = [json.dumps(item, separators=(",", ":"), ensure_ascii=False) for item in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def build_districts(lsoas21: Sequence[Lsoa], coverage21: np.ndarray) -> list[dict[str, Any]]:
    """Union each district's 2021 LSOAs, then simplify the 14 districts together."""
    members: dict[str, list[BaseGeometry]] = defaultdict(list)
    for lsoa, geometry in zip(lsoas21, coverage21, strict=True):
        members[lsoa.area_code].append(geometry)
    codes = sorted(DISTRICTS)
    unions = np.array([shapely.coverage_union_all(members[code]) for code in codes], dtype=object)
    simplified = simplify_coverage(snapped_coverage(unions), DISTRICT_TOLERANCE)
    return [
        feature(code, {"area_code": code, "area_name": DISTRICTS[code]}, geometry)
        for code, geometry in zip(codes, simplified, strict=True)
    ]


def build_lsoas(lsoas: Sequence[Lsoa], coverage: np.ndarray) -> list[dict[str, Any]]:
    """Simplify all LSOAs of one vintage together."""
    simplified = simplify_coverage(coverage, LSOA_TOLERANCE)
    return [
        feature(
            lsoa.code,
            {"lsoa_code": lsoa.code, "lsoa_name": lsoa.name, "area_code": lsoa.area_code},
            geometry,
        )
        for lsoa, geometry in zip(lsoas, simplified, strict=True)
    ]


def write_lookup(path: Path, lsoas: Iterable[Lsoa]) -> None:
    """LSOA to district for both vintages, sorted by vintage then code."""
    rows = sorted((lsoa.vintage, lsoa.code, lsoa.name, lsoa.area_code) for lsoa in lsoas)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lsoa_code", "lsoa_name", "area_code", "lsoa_vintage"])
        for vintage, code, name, area_code in rows:
            writer.writerow([code, name, area_code, vintage])


def build(source: Path, out: Path) -> dict[str, int]:
    """Write every output file; return the number of LSOAs per vintage."""
    out.mkdir(parents=True, exist_ok=True)
    lsoas = {vintage: read_lsoas(source, vintage) for vintage in VINTAGES}
    coverages = {vintage: snapped_coverage(lsoa.geometry for lsoa in items) for vintage, items in lsoas.items()}
    write_feature_collection(out / "districts.geojson", build_districts(lsoas[2021], coverages[2021]))
    for vintage, name in ((2021, "lsoa21"), (2011, "lsoa11")):
        features = build_lsoas(lsoas[vintage], coverages[vintage])
        write_feature_collection(out / f"{name}.geojson", features)
    write_lookup(out / "lsoa_lookup.csv", (lsoa for items in lsoas.values() for lsoa in items))
    return {vintage: len(items) for vintage, items in lsoas.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help=f"folder of lsoa-*.geojson and lsoa11-*.geojson (default {DEFAULT_SOURCE})",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    counts = build(args.source, args.out)
    for vintage, count in sorted(counts.items()):
        print(f"{vintage} LSOAs: {count}")
    for path in sorted(args.out.iterdir()):
        print(f"{path.name}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
