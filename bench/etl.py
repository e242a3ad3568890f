"""ETL load speed against the raw driver path, measured in the same run on the same machine.

Generates a large observations file (default 1,000,000 rows, valid against the scale-10 synthetic
reference data), loads it through the real command line ``python -m etl load`` and, into an
identical table in the same database, through the raw driver path: the CSV read with the ``csv``
module and inserted with ``sqlite3`` ``executemany`` (SQLite) or ``psycopg`` ``COPY`` (PostgreSQL).
It prints rows per second for both and their ratio, and writes the result to
``bench/results/etl-<date>.md`` (markdown table plus the JSON record) and ``etl-<date>.json``.

Goal (the foundation issue): the ETL reaches at least half the raw path's speed on both databases,
with the ETL process's peak memory under 500 MB however large the file.

The ETL figure is the whole command as a user runs it: interpreter start, imports, the schema
check, two passes over the file (validate everything, then write), the revision bookkeeping and the
summary-table refresh. The raw figure is the least any loader must do: read the CSV, derive the
financial year and quarter, and insert into a table with the same columns, unique key and indexes.

Usage:
    python bench/etl.py [--rows 1000000] [--backend sqlite|postgresql|both] [--repeat 3] [--seed 2019]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "data"))

from sqlalchemy import Index, MetaData, UniqueConstraint, text  # noqa: E402
from workdata import WORK, fresh_database, prepare_data  # noqa: E402 - bench/ is on the path as the script's folder

from warehouse.db import make_engine, normalise_url  # noqa: E402
from warehouse.models import OBSERVATION_KEY, LoadBatch, Observation  # noqa: E402

RESULTS = ROOT / "bench" / "results"
REFERENCE_FILES = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv")
RAW_TABLE = "observation_raw"
RAW_COLUMNS = (
    "batch_id", "source_row", "period", "financial_year", "quarter", "project_code", "area_code",
    "metric_code", "age_band", "sex", "ethnicity", "value",
)
GOAL_RATIO = 0.5
GOAL_RSS_MB = 500


def run_etl(args: list[str], url: str) -> tuple[float, float, str]:
    """Run ``python -m etl ARGS``; return wall seconds, the child's peak RSS in MB, and its output."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    out = proc.stdout.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"python -m etl {' '.join(args)} failed ({proc.returncode}):\n{out[-4000:]}")
    return elapsed, usage.ru_maxrss / 1024, out  # ru_maxrss is in KB on Linux


def create_raw_table(url: str) -> None:
    """The observation table's twin: same columns, types, unique key, indexes and foreign key."""
    md = MetaData()
    LoadBatch.__table__.to_metadata(md)
    raw = Observation.__table__.to_metadata(md, name=RAW_TABLE)
    for constraint in list(raw.constraints):
        if isinstance(constraint, UniqueConstraint):
            raw.constraints.discard(constraint)
    for index in list(raw.indexes):
        raw.indexes.discard(index)
    raw.append_constraint(UniqueConstraint(*OBSERVATION_KEY, name=f"uq_{RAW_TABLE}_key"))
    Index(f"ix_{RAW_TABLE}_batch", raw.c.batch_id)
    engine = make_engine(url)
    with engine.begin() as conn:
        raw.create(conn)
    engine.dispose()


def raw_rows(path: Path, batch_id: int):  # noqa: ANN201 - generator of tuples
    """The CSV read with the csv module, turned into the table's columns (the least a loader must do)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        for n, (period, project, area, metric, value, age, sex, eth) in enumerate(reader, start=2):
            year, month = int(period[:4]), int(period[5:7])
            fy = year if month >= 4 else year - 1
            yield (
                batch_id, n, period, f"{fy}/{(fy + 1) % 100:02d}", (month - 4) % 12 // 3 + 1, project, area, metric,
                age or "unknown", sex or "unknown", eth or "unknown", float(value),
            )


def raw_load_sqlite(url: str, path: Path, batch_id: int, chunk: int = 50_000) -> tuple[float, int]:
    import sqlite3
    from itertools import islice

    db = url[len("sqlite:///"):]
    start = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    sql = f"INSERT INTO {RAW_TABLE} ({', '.join(RAW_COLUMNS)}) VALUES ({', '.join('?' * len(RAW_COLUMNS))})"
    rows = raw_rows(path, batch_id)
    n = 0
    with con:  # one transaction
        while batch := list(islice(rows, chunk)):
            con.executemany(sql, batch)
            n += len(batch)
    con.close()
    return time.perf_counter() - start, n


def raw_load_postgres(url: str, path: Path, batch_id: int) -> tuple[float, int]:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(normalise_url(url))
    start = time.perf_counter()
    with psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database,
        options=u.query.get("options", ""),
    ) as con:
        n = 0
        with con.cursor() as cur, cur.copy(f"COPY {RAW_TABLE} ({', '.join(RAW_COLUMNS)}) FROM STDIN") as copy:
            for row in raw_rows(path, batch_id):
                copy.write_row(row)
                n += 1
        con.commit()
    return time.perf_counter() - start, n


def count(url: str, table: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return int(n)


# --- one backend -----------------------------------------------------------------------------------
def one_round(backend: str, ref_dir: Path, big: Path, rows: int, raw_first: bool) -> dict:
    """Both paths once, into a fresh database (the observation table and its twin start empty)."""
    url, cleanup = fresh_database(backend, prefix="bench_etl")
    try:
        run_etl(["init"], url)
        run_etl(["load", *[str(ref_dir / f) for f in REFERENCE_FILES]], url)  # not timed
        create_raw_table(url)
        raw = raw_load_sqlite if backend == "sqlite" else raw_load_postgres
        out: dict = {}
        for step in (("raw", "etl") if raw_first else ("etl", "raw")):
            if step == "etl":
                # Generated figures raise plausibility warnings (etl.preview); accepted with a reason, as a
                # user would, else the file is held and nothing is loaded.
                out["etl_s"], out["etl_rss_mb"], text = run_etl(["load", str(big), "--accept", "bench: generated data"],
                                                                url)
                if "1 refused" in text or count(url, "observation") != rows:
                    raise SystemExit(f"[{backend}] the ETL did not load {rows:,} rows:\n{text[-4000:]}")
            else:
                out["raw_s"], n = raw(url, big, 1)
                if n != rows or count(url, RAW_TABLE) != rows:
                    raise SystemExit(f"[{backend}] the raw path wrote {n:,} rows, expected {rows:,}")
        return out
    finally:
        cleanup()


def bench_backend(backend: str, ref_dir: Path, big: Path, rows: int, repeat: int) -> dict:
    """``repeat`` rounds, alternating which path goes first; medians, so one noisy round cannot decide."""
    rounds = []
    for i in range(repeat):
        r = one_round(backend, ref_dir, big, rows, raw_first=bool(i % 2))
        print(f"[{backend}] round {i + 1}/{repeat}: ETL {r['etl_s']:.1f} s (peak {r['etl_rss_mb']:.0f} MB), "
              f"raw {r['raw_s']:.1f} s, ratio {r['raw_s'] / r['etl_s']:.2f}", flush=True)
        rounds.append(r)
    etl_s = statistics.median(r["etl_s"] for r in rounds)
    raw_s = statistics.median(r["raw_s"] for r in rounds)
    peak = max(r["etl_rss_mb"] for r in rounds)
    result = {
        "backend": backend,
        "rows": rows,
        "rounds": repeat,
        "etl_seconds": round(etl_s, 2),
        "etl_rows_per_s": round(rows / etl_s),
        "etl_peak_rss_mb": round(peak, 1),
        "raw_seconds": round(raw_s, 2),
        "raw_rows_per_s": round(rows / raw_s),
        "raw_method": "csv + sqlite3 executemany" if backend == "sqlite" else "csv + psycopg COPY",
        "ratio": round(raw_s / etl_s, 3),
        "round_ratios": [round(r["raw_s"] / r["etl_s"], 3) for r in rounds],
        "round_seconds": [{"etl": round(r["etl_s"], 2), "raw": round(r["raw_s"], 2)} for r in rounds],
    }
    result["meets_goal"] = result["ratio"] >= GOAL_RATIO and peak < GOAL_RSS_MB
    print(
        f"[{backend}] median ETL {result['etl_rows_per_s']:,} rows/s ({etl_s:.1f} s, peak {peak:.0f} MB); "
        f"raw {result['raw_rows_per_s']:,} rows/s ({raw_s:.1f} s); ratio {result['ratio']:.2f}",
        flush=True,
    )
    return result


def markdown(results: list[dict], meta: dict) -> str:
    lines = [
        f"# ETL load benchmark, {meta['date']}",
        "",
        f"`python bench/etl.py --rows {meta['rows']} --backend {meta['backend']} --repeat {meta['repeat']}` "
        f"on {meta['machine']} (load average at the end: {meta['load_average']}).",
        "ETL = `python -m etl load` as a subprocess (whole command: start-up, validation pass, write pass, "
        "revision bookkeeping, summary refresh). Raw = the same CSV read with the `csv` module and written "
        "into an identical table with the driver alone. Each round uses a fresh database and alternates which "
        "path goes first; the table shows medians over the rounds. Goal: ratio >= 0.5 and ETL peak memory "
        "< 500 MB.",
        "",
        "| backend | rows | ETL s | ETL rows/s | ETL peak MB | raw method | raw s | raw rows/s | ratio | per round "
        "| goal |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['rows']:,} | {r['etl_seconds']:.1f} | {r['etl_rows_per_s']:,} | "
            f"{r['etl_peak_rss_mb']:.0f} | {r['raw_method']} | {r['raw_seconds']:.1f} | {r['raw_rows_per_s']:,} | "
            f"{r['ratio']:.2f} | {', '.join(f'{x:.2f}' for x in r['round_ratios'])} | "
            f"{'met' if r['meets_goal'] else 'NOT met'} |"
        )
    lines += ["", "```json", json.dumps({**meta, "results": results}, indent=2), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per backend (medians are reported)")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    ref_dir, big = prepare_data(args.rows, args.seed)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = [bench_backend(b, ref_dir, big, args.rows, args.repeat) for b in backends]
    meta = {
        "date": date.today().isoformat(),
        "rows": args.rows,
        "backend": args.backend,
        "repeat": args.repeat,
        "file_mb": round(big.stat().st_size / 1024**2, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    suffix = "" if args.rows == 1_000_000 and args.backend == "both" else f"-{args.rows}-{args.backend}"
    stem = RESULTS / f"etl-{meta['date']}{suffix}"
    stem.with_suffix(".md").write_text(markdown(results, meta), encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps({**meta, "results": results}, indent=2) + "\n", encoding="utf-8")
    print(markdown(results, meta))
    print(f"wrote {stem.with_suffix('.md')}")
    return 0 if all(r["meets_goal"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
