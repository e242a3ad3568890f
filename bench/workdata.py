"""The benchmarks' shared inputs: scale-10 reference files and a large observations file in bench/work.

Written once per (rows, seed) and reused, so the ETL and dashboard benchmarks measure the same data.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
SCALE = 10  # 700 projects: ten times the sample's reference data
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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


def fresh_database(backend: str, folder: Path = WORK, prefix: str = "bench") -> tuple[str, Callable[[], None]]:
    """A new, empty database for one round (a SQLite file in ``folder``, or a schema of its own in
    PostgreSQL, so rounds never see each other's rows); returns its URL and how to drop it."""
    tag = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{tag}.sqlite3"

        def drop_file() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        return f"sqlite:///{path}", drop_file
    from sqlalchemy import text

    from warehouse.db import make_engine

    admin = make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{tag}"'))

    def drop_schema() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{tag}" CASCADE'))
        admin.dispose()

    return f"{PG_BASE}?options=-csearch_path%3D{tag}", drop_schema
