"""Sign-in under attack, measured on the production setup (gunicorn, two gthread workers).

Starts the app in production mode on a fresh SQLite file (ALLOW_SQLITE) with one user, then measures
in one run, as ratios against a baseline from the same run:

- ``/health`` latency alone (the baseline), and while 16 threads post wrong passwords as fast as
  they can, twice: with the lock-out in force (the flood is refused after 5 failures, no hashes) and
  with the lock-out switched off (``LOGIN_MAX_FAILURES`` huge, so every attempt costs a hash, as an
  attacker with many addresses would cause). The app computes at most ``LOGIN_CONCURRENCY`` hashes
  at once per worker, so the flood queues behind itself, not in front of ``/health``.
- the time a failed sign-in takes for a known user name against an unknown one (equal work: the
  unknown name is checked against a dummy hash).

Usage: python bench/login.py [--seconds 10] [--out bench/results/login-DATE.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench password for login 1"


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def attempt(port: int, name: str, password: str) -> int:
    _s, headers, body = request(port, "GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
    cookie = headers["set-cookie"].split(";", 1)[0]
    form = urllib.parse.urlencode({"username": name, "password": password, "csrf_token": token}).encode()
    return request(port, "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                                                  "Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"})[0]


def health_times(port: int, seconds: float) -> list[float]:
    out, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        assert request(port, "GET", "/health")[0] == 200
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.02)
    return out


def start(db: Path, extra: dict[str, str]) -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "APP_ENV": "production", "ALLOW_SQLITE": "1",
           "SECRET_KEY": secrets.token_urlsafe(48), "WARM_CACHE": "0", "PORT": str(port), **extra}
    proc = subprocess.Popen(["gunicorn", "dashboard.app:server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if request(port, "GET", "/health")[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def prepare(db: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([sys.executable, "-m", "etl", "init"], **run)
    subprocess.run([sys.executable, "-m", "etl", "users", "add", "bench0", "--role", "manager"], **run)
    subprocess.run([sys.executable, "-m", "etl", "users", "set-password", "bench0"], input=PASSWORD + "\n", **run)


def flood(port: int, stop: threading.Event, counts: dict[int, int], lock: threading.Lock) -> None:
    i = 0
    while not stop.is_set():
        status = attempt(port, f"bench{i % 3}", "wrong")
        with lock:
            counts[status] = counts.get(status, 0) + 1
        i += 1


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 2 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / f"login-{dt.date.today()}.md"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-login-"))
    lines = [f"# Sign-in under attack ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)", "",
             f"gunicorn 2 workers x 8 threads (gthread), SQLite, {os.cpu_count()} CPUs shared with other work; "
             f"{args.seconds:.0f} s per phase; /health asked every 20 ms by one client.", "",
             "| phase | /health p50 ms | p95 ms | max ms | p50 ratio to baseline | sign-in answers |",
             "|---|---|---|---|---|---|"]
    results = {}
    for label, extra in (("lock-out on (defaults)", {}), ("lock-out off: every attempt hashes",
                                                         {"LOGIN_MAX_FAILURES": "100000000"})):
        db = work / f"login-{len(results)}.sqlite3"  # a fresh database: no lock-out left from a phase before
        prepare(db)
        results[label] = True
        proc, port = start(db, extra)
        try:
            base = health_times(port, args.seconds / 2)
            stop, counts, lock = threading.Event(), {}, threading.Lock()
            threads = [threading.Thread(target=flood, args=(port, stop, counts, lock)) for _ in range(16)]
            for t in threads:
                t.start()
            time.sleep(1)
            under = health_times(port, args.seconds)
            stop.set()
            for t in threads:
                t.join()
            if "off" in label:
                known, unknown = [], []
                for _ in range(15):
                    for name, bucket in (("bench0", known), ("nobody-here", unknown)):
                        t0 = time.perf_counter()
                        attempt(port, name, "wrong")
                        bucket.append((time.perf_counter() - t0) * 1000)
                results["timing"] = (statistics.median(known), statistics.median(unknown))
        finally:
            proc.terminate()
            proc.wait(10)
        b50 = statistics.median(base)
        lines.append(f"| baseline ({label}) | {b50:.1f} | {pct(base, 95):.1f} | {max(base):.1f} | 1.00 | |")
        lines.append(f"| 16-thread login flood ({label}) | {statistics.median(under):.1f} | {pct(under, 95):.1f} | "
                     f"{max(under):.1f} | {statistics.median(under) / b50:.2f} | "
                     f"{', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))} |")
    known, unknown = results["timing"]
    lines += ["", "Failed sign-in, median of 15 (lock-out off, after the flood): "
              f"known name {known:.1f} ms, unknown name {unknown:.1f} ms, ratio {known / unknown:.2f}.", ""]
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
