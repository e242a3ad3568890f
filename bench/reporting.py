"""Reporting speed: making a snapshot of a quarter of the sample data and rendering its exports.

Loads the bundled sample into a fresh database, makes a draft snapshot of one quarter, then renders
each export from the frozen JSON several times (the way a draft's download is served) and times
them. The PDF time is the whole board pack as a user waits for it, cold: Chromium is started by
kaleido for every pack (about half the time), the charts drawn, the document laid out. It also times
approval (all three renders plus storing them) and the download of an approved snapshot's stored file.

Goals (the reporting issue): the PDF board pack for a quarter of the sample in under 15 s, the XLSX
in under 3 s. Results go to ``bench/results/reporting-<date>-<backend>.md`` and ``.json``.

Usage:
    python bench/reporting.py [--quarter "2022/23 Q3"] [--repeat 3] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from etl.demo import demo_files  # noqa: E402
from etl.loader import load_file  # noqa: E402
from reporting import snapshots  # noqa: E402
from settings import SAMPLE_DIR  # noqa: E402
from warehouse.db import make_engine, upgrade_to_head  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GOALS = {"pdf": 15.0, "xlsx": 3.0}


def fresh_engine(backend: str, folder: Path):  # noqa: ANN201
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        return engine, engine.dispose
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_BASE}?options=-csearch_path%3D{schema}")

    def cleanup() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return engine, cleanup


def timed(fn, *args):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def run(quarter: str, repeat: int, backend: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine, cleanup = fresh_engine(backend, Path(tmp))
        try:
            upgrade_to_head(engine)
            for path in demo_files(SAMPLE_DIR):
                assert load_file(engine, path, sample=True).ok, path
            make_s, info = timed(snapshots.create_snapshot, engine, quarter, "bench")
            doc = snapshots.get_snapshot(engine, info.id)
            renders: dict[str, list[float]] = {}
            sizes: dict[str, int] = {}
            for fmt, render in snapshots.renderers().items():
                outputs = []
                for _ in range(repeat):
                    seconds, data = timed(render, doc)
                    renders.setdefault(fmt, []).append(seconds)
                    outputs.append(data)
                sizes[fmt] = len(outputs[0])
                assert all(o == outputs[0] for o in outputs), f"{fmt} bytes differ between renders"
            approve_s, _ = timed(snapshots.approve_snapshot, engine, info.id, "bench")
            stored_s, _ = timed(snapshots.export_snapshot, engine, info.id, "pdf")
        finally:
            cleanup()
    results = {fmt: {"median_s": round(statistics.median(v), 2), "max_s": round(max(v), 2),
                     "runs": [round(x, 2) for x in v], "bytes": sizes[fmt]} for fmt, v in renders.items()}
    return {
        "date": date.today().isoformat(), "quarter": quarter, "backend": backend, "repeat": repeat,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "make_snapshot_s": round(make_s, 2), "approve_s": round(approve_s, 2),
        "stored_pdf_download_s": round(stored_s, 3), "renders": results,
        "goals_s": GOALS, "goals_met": all(results[f]["max_s"] < GOALS[f] for f in GOALS),
        "bytes_identical_between_renders": True,
    }


def write(record: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"reporting-{record['date']}-{record['backend']}"
    lines = [
        f"# Reporting benchmark, {record['date']}", "",
        f"`python bench/reporting.py --quarter \"{record['quarter']}\" --repeat {record['repeat']} --backend "
        f"{record['backend']}` on {record['machine']} (load average {record['load_average']}).",
        "Each export rendered from the snapshot's frozen JSON; the PDF includes starting Chromium for its charts.",
        "", "| export | median s | max s | goal s | bytes | goal met |", "|---|---:|---:|---:|---:|---|",
    ]
    for fmt, r in record["renders"].items():
        goal = GOALS.get(fmt)
        met = "" if goal is None else ("yes" if r["max_s"] < goal else "NO")
        lines.append(f"| {fmt} | {r['median_s']} | {r['max_s']} | {goal or ''} | {r['bytes']:,} | {met} |")
    lines += ["", f"Making the snapshot: {record['make_snapshot_s']} s. Approval (renders all three and stores them): "
              f"{record['approve_s']} s. Downloading the approved PDF (stored bytes): "
              f"{record['stored_pdf_download_s']} s. Renders of the same snapshot were byte-identical.", "",
              "```json", json.dumps(record, indent=2), "```", ""]
    stem.with_suffix(".md").write_text("\n".join(lines))
    stem.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return stem.with_suffix(".md")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarter", default="2022/23 Q3")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    record = run(args.quarter, max(1, args.repeat), args.backend)
    path = write(record)
    print(path.read_text())
    return 0 if record["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
