"""The first start: how long a newcomer waits from ``python -m dashboard`` to a page they can use.

Two ways, alternating, each on a fresh SQLite database in bench/work/, in the same run:

- **first start** (what ``python -m dashboard`` does now): the sample files load, the app serves, and
  the generated police.uk months (1.2 million rows) load in the background, newest year first;
- **baseline, everything up front** (what it did before): ``python -m etl demo`` (files and every
  generated month), then ``python -m dashboard``.

Each is timed from launch until ``/`` and its Dash layout both answer 200 (the overview can render);
for the first start also until the background crime months are all in. Reported: medians, and the
ratio first start / baseline. Goal (fit-and-finish issue): the first start under 10 s on this
machine, which the ratio puts in proportion to how busy the machine was.

    python bench/first_start.py [--repeat 2] [--port 8099]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"


def _up(url: str) -> bool:
    try:
        for path in ("/", "/_dash-layout"):
            with urllib.request.urlopen(url + path, timeout=5) as r:
                if r.status != 200:
                    return False
        return True
    except OSError:
        return False


def run_once(mode: str, port: int, round_no: int) -> dict[str, float]:
    db = WORK / f"first-start-{mode}-{round_no}.sqlite3"
    for old in WORK.glob(db.name + "*"):
        old.unlink()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "PORT": str(port), "HOST": "127.0.0.1",
           "PYTHONPATH": str(ROOT)}
    env.pop("APP_ENV", None)
    log = db.with_suffix(".log")
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with open(log, "w") as out:
        if mode == "baseline":
            subprocess.run([sys.executable, "-m", "etl", "demo"], cwd=ROOT, env=env, stdout=out, stderr=out,
                           check=True, timeout=1200)
        proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            while not _up(url):
                if proc.poll() is not None:
                    raise RuntimeError(log.read_text()[-2000:])
                time.sleep(0.1)
            usable = time.perf_counter() - started
            complete = usable
            if mode == "first-start":
                while "every month loaded" not in log.read_text():
                    if proc.poll() is not None:
                        raise RuntimeError(log.read_text()[-2000:])
                    time.sleep(0.5)
                complete = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(30)
    return {"usable_s": usable, "complete_s": complete}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, float]]] = {"first-start": [], "baseline": []}
    for i in range(args.repeat):
        order = ("first-start", "baseline") if i % 2 == 0 else ("baseline", "first-start")
        for mode in order:
            runs[mode].append(run_once(mode, args.port, i))
            print(mode, runs[mode][-1], flush=True)
    first = statistics.median(r["usable_s"] for r in runs["first-start"])
    base = statistics.median(r["usable_s"] for r in runs["baseline"])
    complete = statistics.median(r["complete_s"] for r in runs["first-start"])
    record = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "runs": runs, "first_start_s": first,
              "baseline_s": base, "ratio": first / base, "crime_complete_s": complete, "goal_s": 10,
              "cpus": os.cpu_count(), "load_average": os.getloadavg()}
    day = record["date"][:10]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"first-start-{day}.json").write_text(json.dumps(record, indent=2))
    (RESULTS / f"first-start-{day}.md").write_text(
        f"# First start, {record['date']}\n\n"
        f"| way | median seconds to a usable overview |\n|---|---|\n"
        f"| first start (sample files, crime months in the background) | {first:.1f} |\n"
        f"| baseline (everything up front) | {base:.1f} |\n\n"
        f"Ratio first start / baseline: **{first / base:.2f}**. The background crime months were all in "
        f"after {complete:.1f} s. Goal: under 10 s: **{'met' if first < 10 else 'missed'}**. "
        f"{record['cpus']} CPUs, load average {record['load_average'][0]:.1f} (other work shared the machine).\n\n"
        f"```json\n{json.dumps(record, indent=2)}\n```\n")
    print(f"first start {first:.1f} s, baseline {base:.1f} s, ratio {first / base:.2f}; "
          f"crime complete {complete:.1f} s")
    return 0 if first < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
