"""The benchmarks' shared inputs: scale-10 reference files and a large observations file in bench/work.

Written once per (rows, seed) and reused, so the ETL and dashboard benchmarks measure the same data.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
SCALE = 10  # 700 projects: ten times the sample's reference data


def prepare_data(rows: int, seed: int) -> tuple[Path, Path]:
    """Reference files and the large observations file in bench/work (reused when already written)."""
    sys.path.insert(0, str(ROOT / "data"))
    from generate_sample import generate, write_observations_rows

    WORK.mkdir(parents=True, exist_ok=True)
    ref_dir = WORK / f"ref-s{SCALE}-{seed}"
    if not (ref_dir / "projects.csv").exists():
        generate(ref_dir, seed, scale=SCALE)
    big = WORK / f"observations-{rows}-s{SCALE}-{seed}.csv"
    marker = big.with_suffix(".done")
    if not marker.exists():
        t = time.perf_counter()
        n = write_observations_rows(big, rows, seed, scale=SCALE)
        marker.write_text(str(n))
        print(f"generated {n:,} rows in {time.perf_counter() - t:.0f} s: {big}", flush=True)
    return ref_dir, big
