"""Benchmark: the ETL's peak memory on files of 1M, 5M and 10M rows, and an unchanged re-load.

    python bench/etl_memory.py [--kind police_uk|observations] [--sizes 1000000,5000000,10000000]
                               [--backends sqlite,postgresql]

For each size, a file is generated: ``police_uk`` a national-shaped police.uk CSV
(``etl.synthetic_crime.national_chunks`` via bench/crime.py's ``write_file``: 12 months, ~3% Essex
rows, 42 other forces); ``observations`` a programme observations CSV valid against the scale-10
reference data (``data/generate_sample.py``, as bench/etl.py; above 8M rows, more projects: ``scale_for``).
Then for each backend, each step in a
process of its own so its peak memory is its own:

1. ``load``: police.uk through ``etl.loader.load_file`` into a freshly migrated warehouse (areas loaded
   first; peak = the process's VmHWM); observations through ``python -m etl load`` (the reference
   files loaded first, not measured; peak = the child's ru_maxrss), as bench/etl.py runs it. Either
   way: the validation pass, the write pass, the summaries and the ledger.
2. ``reload``: the same file again through the real command line, ``python -m etl load FILE`` as a
   subprocess, timed from the outside (interpreter start, imports, the ledger check), twice: the
   first may hash the whole file (one written under a second before it was loaded is not in the
   digest memo yet); the second is the steady state. Both must answer "unchanged".

Goals (issue 14): peak memory < 500 MB at every size; an unchanged re-load < 1 s as a command.
Memory is not affected by the machine's load; the seconds are, so the load average is recorded
before and after each step. Results go to bench/results/etl-memory-<date>.md and .json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crime import phase_etl, write_file  # noqa: E402 - bench/ is on the path as the script's folder
from workdata import fresh_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"
GOAL_RSS_MB = 500
GOAL_RELOAD_S = 1.0
REFERENCE_FILES = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv")
SCALE, SEED = 10, 2019  # observations: the scale-10 reference data (700 projects), as bench/etl.py
ROWS_AT_SCALE = 8_000_000  # a little under the 8.46M rows scale 10's projects x months x cells hold


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_phase(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


CODE = ROOT  # the code the command line runs (``--code``: an export of another commit, for a before/after)


def cli_load(paths: list[Path], url: str, *options: str) -> dict:
    """``python -m etl load PATHS`` as a child process: wall seconds and the child's peak RSS."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", *map(str, paths), *options], cwd=CODE, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0 and " 0 refused" in out, out[-3000:]
    return {"seconds": round(seconds, 1), "peak_mb": round(usage.ru_maxrss / 1024, 1), "output": out}


def observations_load(path: Path, ref_dir: Path, url: str, rows: int) -> dict:
    cli_load([ref_dir / f for f in REFERENCE_FILES], url)
    # Generated figures raise plausibility warnings (etl.preview); accepted, as a user would with a reason.
    done = cli_load([path], url, "--accept", "bench: generated data")
    assert f"{rows:,} rows loaded" in done["output"], done["output"][-2000:]
    return {"rows": rows, "seconds": done["seconds"], "peak_mb": done["peak_mb"]}


def scale_for(rows: int) -> int:
    """The reference data's scale for an observations file: 10 (700 projects) up to the ~8.4M rows it
    holds, then just enough more projects (10M rows: scale 12, 840 projects)."""
    return max(SCALE, math.ceil(SCALE * rows / ROWS_AT_SCALE))


def write_input(kind: str, rows: int, tmp: Path) -> tuple[Path, Path | None, float]:
    """The generated file (and the reference data folder for observations), and seconds taken."""
    if kind == "police_uk":
        path = tmp / f"police-uk-{rows}.csv"
        return path, None, write_file(path, rows)
    sys.path.insert(0, str(ROOT / "data"))
    from generate_sample import generate, write_observations_rows

    scale = scale_for(rows)
    ref_dir = tmp / f"ref-{scale}"
    if not (ref_dir / "projects.csv").exists():
        generate(ref_dir, SEED, scale=scale)
    path = tmp / f"observations-{rows}.csv"
    started = time.perf_counter()
    assert write_observations_rows(path, rows, SEED, scale=scale) == rows
    return path, ref_dir, time.perf_counter() - started


def time_reload(path: Path, url: str) -> dict:
    """``python -m etl load FILE`` on a file the database already holds: wall-clock seconds, as a user waits."""
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "etl", "load", str(path)], capture_output=True, text=True,
                         cwd=CODE, env=env)
    seconds = time.perf_counter() - started
    text = (out.stdout + out.stderr).strip()
    assert out.returncode == 0 and "unchanged" in text.lower(), text[-2000:]
    return {"reload_seconds": round(seconds, 2), "reload_said": text.splitlines()[-1][:200]}


# --- orchestration -------------------------------------------------------------------------------
def measure(kind: str, sizes: list[int], backends: list[str], tmp: Path) -> list[dict]:
    results = []
    for rows in sizes:
        path, ref_dir, made = write_input(kind, rows, tmp)
        size_mb = path.stat().st_size / 1e6
        print(f"{rows:,} rows: {size_mb:,.0f} MB written in {made:.0f} s", flush=True)
        for backend in backends:
            url, drop = fresh_database(backend, tmp, prefix="bench_mem")
            try:
                before = load_average()
                loaded = run_phase("load", str(path), url) if kind == "police_uk" else \
                    observations_load(path, ref_dir, url, rows)
                after_load = load_average()
                # The first re-load may hash the file in full (a file written less than a second before
                # it was first read is not remembered: etl.digest_memo); the second finds the memo.
                first, second = time_reload(path, url), time_reload(path, url)
                reload = {"first_reload_seconds": first["reload_seconds"], **second}
                record = {"kind": kind, "backend": backend, "rows": rows, "file_mb": round(size_mb, 1), **loaded,
                          "rows_per_s": round(loaded["rows"] / loaded["seconds"]), **reload,
                          "load_average_before": before, "load_average_after_load": after_load,
                          "load_average_after_reload": load_average()}
            finally:
                drop()
            print(json.dumps(record), flush=True)
            results.append(record)
        path.unlink()
    return results


def report(results: list[dict], argv: list[str]) -> str:
    lines = [
        f"# ETL peak memory and unchanged re-load, {results[0]['kind'] if results else ''}, {date.today():%Y-%m-%d}",
        "",
        f"`python bench/etl_memory.py {' '.join(argv)}` (code: {'this tree' if CODE == ROOT else CODE}) "
        f"on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}. Peak memory (not affected by the machine's load) is the "
        "loading process's VmHWM (police.uk, `load_file`) or the `python -m etl load` child's ru_maxrss "
        "(observations); seconds are, so each row carries the 1/5/15-minute load average before the load and "
        f"after the re-load. Goals: peak < {GOAL_RSS_MB} MB at every size, unchanged re-load < {GOAL_RELOAD_S:g} s "
        "as a command (`python -m etl load FILE`, wall clock: start-up, imports, identity check).",
        "",
        "| backend | rows | file MB | load s | rows/s | peak MB | memory goal | 1st re-load s | re-load s "
        "| re-load goal | load avg before | load avg after |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['rows']:,} | {r['file_mb']:,.0f} | {r['seconds']} | {r['rows_per_s']:,} "
            f"| {r['peak_mb']:.0f} | {'met' if r['peak_mb'] < GOAL_RSS_MB else 'MISSED'} "
            f"| {r['first_reload_seconds']} | {r['reload_seconds']} "
            f"| {'met' if r['reload_seconds'] < GOAL_RELOAD_S else 'MISSED'} | {r['load_average_before']} "
            f"| {r['load_average_after_reload']} |")
    lines += ["", "```json", json.dumps(results, indent=2), "```", ""]
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        _, _, name, path, url = sys.argv
        assert name == "load"
        loaded = phase_etl(Path(path), url)
        print(json.dumps({**loaded, "seconds": round(loaded["seconds"], 1), "peak_mb": round(loaded["peak_mb"], 1)}))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="police_uk", choices=("police_uk", "observations"))
    parser.add_argument("--sizes", default="1000000,5000000,10000000")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--tmp", default=None, help="folder for the generated files (default: the system's)")
    parser.add_argument("--out", default=None, help="results file stem (default: etl-memory-<kind>-<date>)")
    parser.add_argument("--code", default=None, help="run `python -m etl` from this folder (observations: an "
                        "export of another commit, e.g. `git archive main | tar -x -C DIR`, for a before/after)")
    args = parser.parse_args()
    if args.code:
        global CODE  # noqa: PLW0603 - one setting for the whole run
        CODE = Path(args.code).resolve()
        assert args.kind == "observations", "--code runs the command line; police.uk loads through load_file here"
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",")
    with tempfile.TemporaryDirectory(prefix="vvu-etl-mem-", dir=args.tmp) as tmp:
        results = measure(args.kind, sizes, backends, Path(tmp))
    stem = args.out or f"etl-memory-{args.kind.replace('_', '-')}-{date.today():%Y-%m-%d}"
    text = report(results, sys.argv[1:])
    (RESULTS / f"{stem}.md").write_text(text)
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
