"""Benchmark: PostgreSQL restarts while the app serves; the app recovers by itself.

    python bench/pg_restart.py [--clients 4] [--before 15] [--after 20]

1. A fresh PostgreSQL schema gets the reference data and the sample observations (``python -m etl
   load``), then ``gunicorn -w 2`` serves the app on it (development mode, in-process cache).
2. ``--clients`` threads request continuously, each request on a new connection: ``/health`` (a
   ``SELECT 1`` on the pool every time) and ``/api/v1/observations`` with a filter drawn at random (years x
   areas x groupings), so many requests miss the view cache and query the database.
3. After ``--before`` seconds, PostgreSQL is restarted (``pg_ctlcluster ... restart``, fast shutdown);
   the *restart window* runs from that command's start to the first moment a new connection answers
   ``SELECT 1``. Requests go on for ``--after`` seconds more. Nothing is done to the app.

Goal (issue 14): errors only inside the restart window (requests in flight at some moment of it); none
before or after it, so no worker keeps a dead pooled connection (``pool_pre_ping``). Reported: requests and errors
before, during and after the window, the window's length, how long after the window the first
successful request of each endpoint came, and p50/p95 latency before and after (with the load average:
they are affected by the machine's load, the error counts are not).

PostgreSQL is always started again (``finally``), even if this script fails: others' tests use it.
Results go to bench/results/pg-restart-<date>.md and .json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workdata import fresh_database  # noqa: E402 - bench/ is on the path as the script's folder

RESULTS = ROOT / "bench" / "results"
REFERENCE = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv",
             "observations.csv")
YEARS = ("", "2021/22", "2022/23", "2023/24", "2024/25")
GROUPS = ("metric", "area", "project", "metric,quarter", "area,metric")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def pg_ready() -> bool:
    import psycopg

    try:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=1) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def ensure_started() -> None:
    """Start the cluster if it is down; wait until it answers (others' tests need it)."""
    if not pg_ready():
        subprocess.run([*cluster(), "start"], check=False, capture_output=True)
    deadline = time.time() + 60
    while not pg_ready() and time.time() < deadline:
        time.sleep(0.1)


def load_sample(url: str) -> None:
    """The sample's reference data and observations, through the command line as an operator loads them."""
    env = {**os.environ, "DATABASE_URL": url}
    sample = ROOT / "data" / "sample"
    out = subprocess.run([sys.executable, "-m", "etl", "load", *[str(sample / f) for f in REFERENCE],
                          "--accept", "bench data"], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"loading the sample failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "WEB_CONCURRENCY": "2"}
    env.pop("CACHE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                             "dashboard.app:server"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log}")
        try:
            if request(port, "/health")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("gunicorn did not answer /health within 90 s")


def request(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def api_path(rng: random.Random, areas: list[str]) -> str:
    query = [f"group_by={rng.choice(GROUPS)}"]
    year = rng.choice(YEARS)
    if year:
        query.append(f"fy={year}")
    if rng.random() < 0.6:
        query.append(f"area={rng.choice(areas)}")
    return "/api/v1/observations?" + "&".join(query)


def client(port: int, stop: threading.Event, seed: int, areas: list[str], log: list[dict]) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        path = "/health" if rng.random() < 0.4 else api_path(rng, areas)
        started = time.time()
        try:
            status, _body = request(port, path)
        except OSError as exc:
            status = f"{type(exc).__name__}"
        log.append({"endpoint": path.split("?")[0], "start": started, "end": time.time(), "status": status})


def summarise(log: list[dict], t0: float, t1: float) -> dict:
    """Requests by phase (started before, inside or after the window) and their errors."""
    def phase(r: dict) -> str:  # "during": the request was in flight at some moment of the window
        return "before" if r["end"] < t0 else "after" if r["start"] > t1 else "during"

    def error(r: dict) -> bool:
        return not isinstance(r["status"], int) or r["status"] >= 500

    out: dict = {}
    for name in ("before", "during", "after"):
        rows = [r for r in log if phase(r) == name]
        ms = [(r["end"] - r["start"]) * 1000 for r in rows if not error(r)]
        out[name] = {
            "requests": len(rows),
            "errors": sum(error(r) for r in rows),
            "client_errors_4xx": sum(isinstance(r["status"], int) and 400 <= r["status"] < 500 for r in rows),
            "error_kinds": sorted({str(r["status"]) for r in rows if error(r)}),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(statistics.quantiles(ms, n=20)[-1], 1) if len(ms) >= 20 else None,
        }
    first_ok = {}
    for endpoint in sorted({r["endpoint"] for r in log}):
        ok = [r["end"] - t1 for r in log if r["endpoint"] == endpoint and r["start"] > t1 and not error(r)]
        first_ok[endpoint] = round(min(ok), 2) if ok else None
    out["first_success_after_window_s"] = first_ok
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--before", type=float, default=15)
    parser.add_argument("--after", type=float, default=20)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    import pandas as pd

    areas = pd.read_csv(ROOT / "data" / "sample" / "areas.csv", dtype=str)
    areas = areas.loc[areas["area_type"] != "county", "area_code"].tolist()
    url, drop = fresh_database("postgresql", prefix="bench_restart")
    log: list[dict] = []
    stop = threading.Event()
    server = None
    try:
        load_sample(url)
        with tempfile.TemporaryDirectory(prefix="vvu-restart-") as tmp:
            server = start_server(url, args.port, Path(tmp) / "gunicorn.log")
            threads = [threading.Thread(target=client, args=(args.port, stop, i, areas, log), daemon=True)
                       for i in range(args.clients)]
            load_before = load_average()
            for t in threads:
                t.start()
            time.sleep(args.before)
            t0 = time.time()
            restart = subprocess.run([*cluster(), "restart", "-m", "fast"], capture_output=True, text=True)
            restarted = time.time()
            while not pg_ready():
                time.sleep(0.05)
            t1 = time.time()
            time.sleep(args.after)
            stop.set()
            for t in threads:
                t.join(timeout=35)
            load_after = load_average()
            gunicorn_errors = [line for line in (Path(tmp) / "gunicorn.log").read_text().splitlines()
                               if "Traceback" in line or "[ERROR]" in line]
    finally:
        stop.set()
        ensure_started()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if pg_ready():
            drop()
    result = {
        "date": f"{date.today():%Y-%m-%d}", "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "clients": args.clients, "restart_command_rc": restart.returncode,
        "restart_command_s": round(restarted - t0, 2), "window_s": round(t1 - t0, 2),
        "load_average_before": load_before, "load_average_after": load_after,
        "gunicorn_error_lines": len(gunicorn_errors), **summarise(log, t0, t1),
    }
    met = result["after"]["errors"] == 0 and result["before"]["errors"] == 0
    result["goal"] = "met" if met else "MISSED"
    text = report(result, sys.argv[1:])
    stem = args.out or f"pg-restart-{date.today():%Y-%m-%d}"
    (RESULTS / f"{stem}.md").write_text(text)
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(text)
    return 0 if met else 1


def report(r: dict, argv: list[str]) -> str:
    lines = [
        f"# PostgreSQL restart under load, {r['date']}",
        "",
        f"`python bench/pg_restart.py {' '.join(argv)}` on {r['machine']}: `gunicorn -w 2` on PostgreSQL, "
        f"{r['clients']} clients (`/health` and random `/api/v1/observations` views). PostgreSQL restarted "
        f"(`pg_ctlcluster ... restart -m fast`, {r['restart_command_s']} s); the restart window, from that command "
        f"to the first new connection answering, lasted **{r['window_s']} s**. Load average before "
        f"{r['load_average_before']}, after {r['load_average_after']}. Goal: errors only in requests in flight "
        f"during the window: **{r['goal']}**.",
        "",
        "| requests | count | errors (5xx or no answer) | 4xx | p50 ms | p95 ms | error kinds |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in ("before", "during", "after"):
        p = r[name]
        label = "in flight during" if name == "during" else name
        lines.append(f"| {label} the window | {p['requests']} | {p['errors']} | {p['client_errors_4xx']} "
                     f"| {p['p50_ms']} | {p['p95_ms']} | {', '.join(p['error_kinds'])} |")
    lines += ["", f"First success after the window (s): {r['first_success_after_window_s']}; gunicorn log error "
              f"lines: {r['gunicorn_error_lines']}.", "", "```json", json.dumps(r, indent=2), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
