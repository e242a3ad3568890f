"""Load test: simulated managers signing in and walking every page with changing filters, on the
production shape (gunicorn with the project's gunicorn.conf.py, 2 workers, PostgreSQL, Redis).

    pip install -r bench/load/requirements.txt   # into a venv of its own (locust pins its own Flask)
    python bench/load/run.py --locust /path/to/venv/bin/locust [--users 50] [--time 2m]

1. A fresh PostgreSQL schema with the synthetic sample (``python -m etl demo``) and one manager.
2. The callback requests each page's browser sends, captured once in headless Chromium on a
   development server (``bench/dashboard.py``'s ``capture``), then set to ``--views`` views drawn
   from the real filter space (``bench/filter_space.draw``: years x quarters x areas x priorities x
   projects), so most requests are views no cache holds yet.
3. The production server; locust runs headless in its own process (``bench/load/locustfile.py``) while
   each worker's resident memory is sampled. Results: ``bench/results/load-<date>.md`` and ``.json``,
   p50/p95/p99 per page and pooled, requests per second, failures, peak worker memory and the load
   average, against the goals of issue 14: p95 <= 200 ms, no errors, every worker < 250 MB throughout.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from filter_space import draw, space_of  # noqa: E402 - bench/ is on the path above
from new_view_load import view_body  # noqa: E402
from workdata import WORK, fresh_database  # noqa: E402

# bench/dashboard.py by its path: as "dashboard" on the path it would hide the app's own package.
_spec = importlib.util.spec_from_file_location("bench_dashboard", BENCH / "dashboard.py")
bench_dashboard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_dashboard)  # type: ignore[union-attr]

RESULTS = BENCH / "results"
GOALS = {"p95_ms": 200, "errors": 0, "rss_mb": 250}
USER, REDIS_DB = "load-manager", 7


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def prepare(url: str) -> str:
    """The sample in a fresh database and a manager who can sign in; returns the password."""
    from warehouse.db import make_engine
    from warehouse.users import add_user, set_password

    env = {**os.environ, "DATABASE_URL": url}
    env.pop("APP_ENV", None)
    done = subprocess.run([sys.executable, "-m", "etl", "demo"], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"python -m etl demo failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    password = secrets.token_urlsafe(18)
    engine = make_engine(url)
    add_user(engine, USER, "manager")
    set_password(engine, USER, password)
    engine.dispose()
    return password


def plan(url: str, views: int, seed: int, folder: Path) -> tuple[Path, dict]:
    """Each page's callback requests per view, filters set (the locust process imports nothing of ours)."""
    from sqlalchemy import create_engine

    port = free_port()
    server = bench_dashboard.start_server(url, port)
    try:
        bodies, _first, _years = bench_dashboard.capture(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(30)
    engine = create_engine(url)
    drawn = draw(space_of(engine), views, seed)
    engine.dispose()
    pages = {page: [[{"url": r["url"], "body": view_body(r["body"], view, bench_dashboard.set_filter)[0]}
                     for r in requests] for view in drawn]
             for page, requests in bodies.items() if requests}
    path = folder / "load-plan.json"
    path.write_text(json.dumps({"pages": pages}))
    return path, {"views": len(drawn), "pages": {p: len(r) for p, r in bodies.items()}}


def start_production(url: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn as the Procfile starts it, in production mode, with the shared Redis cache."""
    import redis

    redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}").flushdb()
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "DISCLOSURE_KEY": secrets.token_urlsafe(48), "CACHE_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
           "WEB_CONCURRENCY": "2", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}",
                             "dashboard.app:server"], cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    return bench_dashboard.wait_for_workers(proc, port, 120, str(log))


def run_locust(locust: str, base: str, plan_path: Path, password: str, args: argparse.Namespace,
               prefix: Path) -> None:
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_USER": USER, "LOAD_PASSWORD": password}
    cmd = [locust, "-f", str(Path(__file__).with_name("locustfile.py")), "--headless", "-u", str(args.users),
           "-r", str(args.spawn_rate), "-t", args.time, "--host", base, "--csv", str(prefix), "--only-summary"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit(f"locust wrote no statistics:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def read_stats(prefix: Path) -> tuple[list[dict], list[dict]]:
    with open(f"{prefix}_stats.csv", newline="") as fh:
        stats = [row for row in csv.DictReader(fh)]
    failures_file = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_file.open(newline=""))) if failures_file.exists() else []
    return stats, failures


def report(stats: list[dict], failures: list[dict], peak: dict[int, float], meta: dict) -> str:
    rows = [r for r in stats if r["Name"] != "Aggregated"]
    total = next(r for r in stats if r["Name"] == "Aggregated")
    p95, errors = float(total["95%"]), int(total["Failure Count"])
    rss = max(peak.values(), default=0.0)
    verdict = {"p95": p95 <= GOALS["p95_ms"], "errors": errors == GOALS["errors"], "rss": rss < GOALS["rss_mb"]}
    lines = [
        f"# Load test, {meta['date']}", "",
        f"`{meta['command']}` on {meta['machine']}. {meta['users']} simulated managers "
        f"(spawned {meta['spawn_rate']}/s) signing in, then walking every page (the page, then its "
        f"callbacks) with filters drawn from {meta['plan']['views']} views of the real filter space, "
        f"for {meta['time']}, on gunicorn (gunicorn.conf.py, 2 workers) + PostgreSQL + Redis, production "
        f"mode. Load average before {meta['load_before']}, after {meta['load_after']} (2 cores; locust "
        "itself shares them).", "",
        "| goal | measured | met |", "|---|---:|---|",
        f"| p95 <= {GOALS['p95_ms']} ms, every request | {p95:,.0f} ms | {'yes' if verdict['p95'] else 'NO'} |",
        f"| no errors | {errors:,} of {int(total['Request Count']):,} | {'yes' if verdict['errors'] else 'NO'} |",
        f"| each worker < {GOALS['rss_mb']} MB throughout | peak {rss:,.0f} MB "
        f"({', '.join(f'{v:,.0f}' for v in peak.values())}) | {'yes' if verdict['rss'] else 'NO'} |",
        f"| requests per second | {float(total['Requests/s']):,.1f} | |", "",
        "| request | n | failures | p50 ms | p95 ms | p99 ms | mean ms |", "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: -float(r["95%"])):
        lines.append(f"| {r['Type']} {r['Name']} | {int(r['Request Count']):,} | {int(r['Failure Count']):,} | "
                     f"{float(r['50%']):,.0f} | {float(r['95%']):,.0f} | {float(r['99%']):,.0f} | "
                     f"{float(r['Average Response Time']):,.0f} |")
    if failures:
        lines += ["", "Failures:", ""] + [f"- {f['Method']} {f['Name']}: {f['Error'][:200]} ({f['Occurrences']}x)"
                                           for f in failures]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locust", required=True, help="the locust command of the venv holding it")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=int, default=10)
    parser.add_argument("--time", default="2m")
    parser.add_argument("--views", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default=None, help="results file stem (default: load-<date>)")
    args = parser.parse_args()
    url, drop = fresh_database("postgresql", prefix="bench_load")
    folder = Path(tempfile.mkdtemp(prefix="vvu-load-"))
    WORK.mkdir(parents=True, exist_ok=True)
    try:
        password = prepare(url)
        plan_path, plan_meta = plan(url, args.views, args.seed, folder)
        port = free_port()
        log = WORK / "load-gunicorn.log"
        server = start_production(url, port, log)
        sampler = bench_dashboard.RssSampler(server.pid)
        sampler.start()
        before = load_average()
        try:
            run_locust(args.locust, f"http://127.0.0.1:{port}", plan_path, password, args, folder / "locust")
        finally:
            sampler.stop.set()
            server.terminate()
            server.wait(30)
        after = load_average()
        stats, failures = read_stats(folder / "locust")
        meta = {"date": date.today().isoformat(), "command": "python bench/load/run.py " + " ".join(sys.argv[1:]),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "users": args.users, "spawn_rate": args.spawn_rate, "time": args.time, "plan": plan_meta,
                "load_before": before, "load_after": after}
        text = report(stats, failures, sampler.peak, meta)
        stem = args.out or f"load-{meta['date']}"
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{stem}.md").write_text(text)
        (RESULTS / f"{stem}.json").write_text(json.dumps({"meta": meta, "stats": stats, "failures": failures,
                                                          "peak_rss_mb": sampler.peak}, indent=2))
        print(text)
    finally:
        drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
