"""Two real gunicorn workers serve while a new file loads: both answer with the new figures at once.

Each worker keeps its own in-process cache (and, with Redis, a small front to it), keyed on the data
version read once per request (``warehouse.version``). So after a load commits, the next request to
either worker must carry the new figures, whichever worker cached the old ones. The figure asked for
is a sum of hours (not a count of people, so exact): 10.5 hours in April 2023 before the load, and
21.0 after a revision of that month (the same rows with every value doubled).

Runs on PostgreSQL with Redis when both answer (the production shape), else on SQLite with the
in-process cache. The access log's process ids show that both workers answered after the load.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from etl.loader import load_file
from tests.conftest import ROOT, free_port, new_database, postgres_reason

AREA = "E07000075"
REFERENCE = {
    "areas.csv": "area_code,area_name,area_type,parent_code,population\n"
                 f"E10000012,Essex,county,,1468177\n{AREA},Rochford,district,E10000012,86209\n",
    "priorities.csv": "priority_code,name,description\nP3,Reduce exploitation,Help people break away.\n",
    "metrics.csv": "metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition\n"
                   "DYW_HOURS,Hours of detached youth work,hours,sum,P3,partner,true,Hours on the street.\n",
    "organisations.csv": "org_code,org_name,org_type\nORG001,Rayleigh Young People's Service,charity\n",
    "funding.csv": "funding_stream,source_body,financial_year,amount_gbp\nHO_VRU,Home Office,2023/24,1700000\n",
    "projects.csv": "project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes\n"
                    f"PRJ001,Youth Outreach,ORG001,P3,HO_VRU,2022-04-01,,{AREA}\n",
}
QUERY = "/api/v1/observations?fy=2023/24&metric=DYW_HOURS"
REQUESTS = 24  # on fresh connections, so the kernel spreads them over both workers


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return url
    except Exception:  # noqa: BLE001 - no Redis here: the in-process cache alone
        return ""


def hours(base: str) -> float:
    with urllib.request.urlopen(base + QUERY, timeout=30) as resp:  # noqa: S310 - our own test server
        body = json.loads(resp.read())
    return sum(row["value"] for row in body["data"])


def many(base: str) -> list[float]:
    """REQUESTS answers, six at a time: concurrent connections keep both workers accepting."""
    with ThreadPoolExecutor(6) as pool:
        return list(pool.map(lambda _i: hours(base), range(REQUESTS)))


def test_every_worker_answers_with_the_new_figures_after_a_load(tmp_path: Path) -> None:
    backend = "postgresql" if postgres_reason() is None else "sqlite"
    engine, url, cleanup = new_database(backend, tmp_path)
    try:
        for name, content in REFERENCE.items():
            (tmp_path / name).write_text(content)
            assert load_file(engine, tmp_path / name).ok, name
        header = "period,project_code,area_code,metric_code,value\n"
        (tmp_path / "v1.csv").write_text(header + f"2023-04,PRJ001,{AREA},DYW_HOURS,10.5\n")
        (tmp_path / "v2.csv").write_text(header + f"2023-04,PRJ001,{AREA},DYW_HOURS,21\n")
        assert load_file(engine, tmp_path / "v1.csv").ok
        port = free_port()
        log_path = tmp_path / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "WARM_CACHE": "0",
               "PYTHONPATH": str(ROOT)}
        env.pop("CACHE_URL", None)
        if redis_url := _redis_url():
            env["CACHE_URL"] = redis_url
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "2", "-b", f"127.0.0.1:{port}",
                 "--access-logfile", "-", "--access-logformat", "pid=%(p)s %(U)s %(s)s", "dashboard.app:server"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base, proc, log_path)
            before = many(base)
            assert set(before) == {10.5}  # both workers have now cached the old figure
            assert len(pids_after(log_path, 0)) == 2, "both workers answered before the load"
            mark = len(log_path.read_text().splitlines())
            assert load_file(engine, tmp_path / "v2.csv").ok
            loaded = time.monotonic()
            first_new = None
            while time.monotonic() - loaded < 1.0:  # semantics, not speed: new figures within a second
                if hours(base) == 21.0:
                    first_new = time.monotonic() - loaded
                    break
            assert first_new is not None, "no worker answered with the new figures within a second"
            after = many(base)
            assert set(after) == {21.0}, after  # every worker, every request: never the old figure again
            assert len(pids_after(log_path, mark)) == 2, "both workers answered after the load"
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        engine.dispose()
        cleanup()


def wait_for(base: str, proc: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/health", timeout=2):  # noqa: S310
                if len(re.findall(r"Booting worker", log_path.read_text())) >= 2:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail("gunicorn did not answer within 120 s")


def pids_after(log_path: Path, line: int) -> set[str]:
    """Process ids in the access log of the API requests logged after LINE."""
    lines = log_path.read_text().splitlines()[line:]
    return {m.group(1) for text in lines if "/api/v1/observations" in text and (m := re.search(r"pid=<?(\d+)", text))}
