"""Benchmark: police.uk crime at national size (a year for England and Wales, about 6 million rows).

    python bench/crime.py [--rows 6000000] [--backends postgresql,sqlite] [--requests 200]

1. Writes a police.uk-format CSV of ``--rows`` rows over 12 months (etl.synthetic_crime.national_chunks:
   ~3% Essex rows, the rest in 42 other forces' areas, as a national file would be).
2. For each backend, in separate processes (so each peak memory is its own), in the same run:
   * the raw driver path, reading the CSV with Python's csv module: ``psycopg`` COPY ... FROM STDIN
     with ``write_row`` into a plain table, or ``sqlite3`` executemany in one transaction (batches of
     100,000); on PostgreSQL also the ceiling of streaming the file's bytes to COPY (the server
     parses the CSV; nothing is read in Python);
   * the ETL: ``etl.loader.load_file`` into a freshly migrated warehouse (validation pass, write pass,
     summaries, ledger), reported as rows per second and as a ratio to the raw driver path.
3. On PostgreSQL, with that data loaded: the Crime page's two data callbacks through Flask's test
   client (``/_dash-update-component``, as a browser calls them): the first request after a load
   (which reads the summary tables into the per-data-version arrays), then ``--requests`` distinct
   random views (each computed, none found in the view cache), then the same views again (cached):
   p50, p95, max latency and the largest response.

Results are printed as a Markdown table and written to bench/results/crime-<date>.md. Needs
PostgreSQL at TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); uses its own
schema and drops it afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MONTHS = [f"2024-{m:02d}" for m in range(10, 13)] + [f"2025-{m:02d}" for m in range(1, 10)]
RAW_COLUMNS = ("crime_id", "month", "reported_by", "falls_within", "longitude", "latitude", "location", "lsoa_code",
               "lsoa_name", "crime_type", "last_outcome_category", "context")


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry over the parent's
    peak into a child started with fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pg_url(schema: str) -> str:
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


# --- phases (each runs in its own process) -------------------------------------------------------
def phase_raw_pg(path: Path, schema: str, mode: str) -> dict:
    import psycopg

    conn = psycopg.connect(PG_BASE.replace("+psycopg", ""), options=f"-csearch_path={schema}")
    table = f"raw_{mode}"
    conn.execute(f"CREATE TABLE {table} ({', '.join(c + ' text' for c in RAW_COLUMNS)})")
    conn.commit()
    started = time.perf_counter()
    rows = 0
    with conn.cursor() as cur:
        if mode == "bytes":
            with path.open("rb") as fh, cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as cp:
                while block := fh.read(1 << 20):
                    cp.write(block)
            rows = cur.rowcount
        else:
            with path.open(newline="", encoding="utf-8-sig") as fh, cur.copy(f"COPY {table} FROM STDIN") as cp:
                reader = csv.reader(fh)
                next(reader)
                for row in reader:
                    cp.write_row(row)
                    rows += 1
    conn.commit()
    seconds = time.perf_counter() - started
    conn.execute(f"DROP TABLE {table}")
    conn.commit()
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb()}


def phase_raw_sqlite(path: Path, db: Path) -> dict:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE raw ({', '.join(c + ' text' for c in RAW_COLUMNS)})")
    sql = f"INSERT INTO raw VALUES ({', '.join('?' * len(RAW_COLUMNS))})"
    started = time.perf_counter()
    rows = 0
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch: list[list[str]] = []
        conn.execute("BEGIN")
        for row in reader:
            batch.append(row)
            if len(batch) == 100_000:
                conn.executemany(sql, batch)
                rows += len(batch)
                batch = []
        conn.executemany(sql, batch)
        rows += len(batch)
        conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb()}


def phase_etl(path: Path, url: str) -> dict:
    from etl.loader import load_file
    from warehouse.db import make_engine, upgrade_to_head

    engine = make_engine(url)
    upgrade_to_head(engine)
    assert load_file(engine, ROOT / "data" / "sample" / "areas.csv").ok
    started = time.perf_counter()
    result = load_file(engine, path, loaded_by="bench")
    seconds = time.perf_counter() - started
    assert result.outcome == "loaded", result.message
    return {"rows": result.rows, "seconds": seconds, "peak_mb": peak_mb()}


def phase_callbacks(url: str, requests: int, seed: int = 7) -> dict:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("APP_ENV", None)
    os.environ.pop("CACHE_URL", None)
    from dashboard.app import server
    from service.cache import clear_local
    from service.crime import area_choices, crime_types, vintage_for
    from warehouse import crime_queries
    from warehouse.db import get_engine

    engine = get_engine(url)
    client = server.test_client()
    months = crime_queries.crime_months(engine)
    areas = ["all", *[code for code, _name in area_choices(engine)]]
    types = ["all", *crime_types(engine)]
    rng = random.Random(seed)
    summary_out = [("crime-facts", "children"), ("crime-monthly", "figure"), ("crime-monthly-caption", "children"),
                   ("crime-types", "figure"), ("crime-types-caption", "children"), ("crime-table", "children")]
    map_out = [("crime-map", "figure"), ("crime-map-vintage", "data"), ("crime-map-caption", "children")]

    def body(outputs: list[tuple[str, str]], values: list[str], state: list[dict]) -> dict:
        names = ("crime-month-from", "crime-month-to", "crime-area", "crime-type")
        return {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
                "outputs": [{"id": i, "property": p} for i, p in outputs],
                "inputs": [{"id": n, "property": "value", "value": v} for n, v in zip(names, values, strict=True)],
                "changedPropIds": [], "state": state}

    views: list[list[str]] = []
    while len(views) < requests:  # distinct views, so the first pass never finds one in the cache
        a, b = sorted(rng.sample(range(len(months)), 2)) if len(months) > 1 else (0, 0)
        view = [months[a], months[b], rng.choice(areas), rng.choice(types)]
        if view not in views:
            views.append(view)
    results: dict[str, dict] = {}
    def shown(values: list[str]) -> list[dict]:
        """The map's boundary vintage the browser already shows (the view's own: values travel as a Patch)."""
        return [{"id": "crime-map-vintage", "property": "data", "value": vintage_for(values[1])}]

    for label, outputs, state in (
        ("summary (facts, 2 charts, table)", summary_out, lambda _values: []),
        ("map (LSOA values, Patch)", map_out, shown),
    ):
        clear_local()  # the first request after a load also reads the summaries into the per-version arrays
        started = time.perf_counter()
        assert client.post("/_dash-update-component", json=body(outputs, views[0], state(views[0]))).status_code == 200
        results[f"{label}: first request after a load"] = {"p50_ms": (time.perf_counter() - started) * 1000}
        for cache in ("new view", "repeated view"):
            times, sizes = [], []
            for values in views[1:]:
                started = time.perf_counter()
                response = client.post("/_dash-update-component", json=body(outputs, values, state(values)))
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)[:300]
                sizes.append(len(response.get_data()))
            times.sort()
            results[f"{label}: {cache}"] = {
                "p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))],
                "max_ms": times[-1], "max_bytes": max(sizes)}
    return results


# --- orchestration -------------------------------------------------------------------------------
def run_phase(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_file(path: Path, rows: int) -> float:
    from etl.synthetic_crime import HEADER, national_chunks

    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(HEADER) + "\r\n")
        for text in national_chunks(rows, MONTHS):
            fh.write(text)
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=6_000_000)
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--dir", help="where to write the CSV and SQLite files (default: a temporary folder)")
    ap.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        name, *rest = args.phase
        result = {
            "raw_pg": lambda: phase_raw_pg(Path(rest[0]), rest[1], rest[2]),
            "raw_sqlite": lambda: phase_raw_sqlite(Path(rest[0]), Path(rest[1])),
            "etl": lambda: phase_etl(Path(rest[0]), rest[1]),
            "callbacks": lambda: phase_callbacks(rest[0], int(rest[1])),
        }[name]()
        print(json.dumps(result))
        return 0

    from sqlalchemy import text

    from warehouse.db import make_engine

    work = Path(args.dir or tempfile.mkdtemp(prefix="bench-crime-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"national-street-{args.rows}.csv"
    if path.exists():  # the same seed writes the same file: reuse it
        print(f"reusing {path}", flush=True)
    else:
        print(f"writing {args.rows:,} police.uk rows to {path} ...", flush=True)
        seconds = write_file(path, args.rows)
        print(f"  {seconds:.0f} s, {path.stat().st_size / 1e6:,.0f} MB", flush=True)
    lines = [f"# police.uk crime benchmark, {date.today():%Y-%m-%d}", "",
             f"{args.rows:,} rows over 12 months ({path.stat().st_size / 1e6:,.0f} MB CSV), "
             f"{os.cpu_count()} CPUs. Rows per second include reading the CSV.", "",
             "| backend | path | rows/s | seconds | peak memory | ratio to raw driver path |",
             "|---|---|---|---|---|---|"]
    callbacks: dict[str, dict] = {}
    admin = make_engine(PG_BASE)
    try:
        for backend in args.backends.split(","):
            runs = []
            if backend == "postgresql":
                schema = "bench_" + uuid.uuid4().hex[:10]
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                try:
                    runs.append(("raw driver: csv.reader + COPY write_row", run_phase("raw_pg", str(path), schema,
                                                                                       "rows")))
                    runs.append(("raw ceiling: file bytes straight to COPY", run_phase("raw_pg", str(path), schema,
                                                                                        "bytes")))
                    runs.append(("ETL: load_file", run_phase("etl", str(path), pg_url(schema))))
                    print("  callbacks ...", flush=True)
                    callbacks = run_phase("callbacks", pg_url(schema), str(args.requests))
                finally:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            else:
                raw_db, etl_db = work / "raw.sqlite3", work / "etl.sqlite3"
                for db in (raw_db, etl_db):
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db}{suffix}").unlink(missing_ok=True)
                runs.append(("raw driver: csv.reader + executemany", run_phase("raw_sqlite", str(path), str(raw_db))))
                runs.append(("ETL: load_file", run_phase("etl", str(path), f"sqlite:///{etl_db}")))
                for db in (raw_db, etl_db):
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db}{suffix}").unlink(missing_ok=True)
            base = runs[0][1]["rows"] / runs[0][1]["seconds"]
            for label, r in runs:
                speed = r["rows"] / r["seconds"]
                line = (f"| {backend} | {label} | {speed:,.0f} | {r['seconds']:.1f} | {r['peak_mb']:.0f} MB | "
                        f"{speed / base:.2f} |")
                print(line, flush=True)
                lines.append(line)
    finally:
        admin.dispose()
        if not args.dir:
            path.unlink(missing_ok=True)
    if callbacks:
        lines += ["", f"Crime page callbacks on PostgreSQL with that data, {args.requests} random views each "
                  "(one client, Flask test client, POST /_dash-update-component):", "",
                  "| callback | p50 ms | p95 ms | max ms | largest response |", "|---|---|---|---|---|"]
        for label, r in callbacks.items():
            if "p95_ms" not in r:
                lines.append(f"| {label} | {r['p50_ms']:.1f} (one request) | | | |")
                continue
            lines.append(f"| {label} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} | "
                         f"{r['max_bytes'] / 1000:.1f} KB |")
    report = "\n".join(lines) + "\n"
    print(report)
    out = ROOT / "bench" / "results" / f"crime-{date.today():%Y-%m-%d}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
