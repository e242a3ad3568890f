"""The new-view phase of bench/dashboard.py: callbacks for views nobody has asked for, and a baseline.

Every request carries a view drawn at random from the real filter space (``filter_space.draw``:
years x quarters x areas x priorities x projects) that no earlier request used for that callback, so
no worker can answer it from its cache: this is what a filter change costs. Measured with 1 client,
then with 8 clients on fresh views (so those are cold too), as p50/p95 per page and pooled, and as
requests per second over the 8-client phase.

The baseline does the same work for the same views in the way a plain pandas server would: the
summary table (``observation_monthly``), areas and projects held in memory as DataFrames (read once,
not timed), and per view the filter and the two aggregations the overview's figures need (each
measure's monthly series since April 2019 within the slicers, and its total over the view's months).
It runs in this process with no HTTP, JSON or figures, so it is a lower bound for such a server and
the ratio understates the app's advantage, never overstates it.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

FILTERS = ("fy", "quarter", "area", "priority", "project")


def view_body(body: dict, view: dict[str, str], set_filter) -> tuple[dict, bool]:  # noqa: ANN001
    """BODY with every filter-bar input set to VIEW ("all" where unset); False when it has no filter."""
    found_any = False
    for name in FILTERS:
        body, found = set_filter(body, name, view.get(name) or "all")
        found_any |= found
    return body, found_any


def jobs_for(captured: dict[str, list[dict]], views: list[dict[str, str]], set_filter) -> list[tuple]:  # noqa: ANN001
    """(page, url, body bytes) per request: callback i of the filtered ones gets views i, i+k, ... so
    each (callback, view) pair is asked once."""
    filtered = []
    for page, records in captured.items():
        for rec in records:
            if view_body(rec["body"], {}, set_filter)[1]:
                filtered.append((page, rec))
    jobs = []
    for i, view in enumerate(views):
        page, rec = filtered[i % len(filtered)]
        body, _ = view_body(rec["body"], view, set_filter)
        jobs.append((page, rec["url"], json.dumps(body).encode()))
    return jobs


def run(port: int, jobs: list[tuple], clients: int) -> tuple[dict[str, list[float]], int, float]:
    """Send JOBS from CLIENTS keep-alive connections: latencies per page (ms), errors, wall seconds."""
    lock = threading.Lock()
    per_page: dict[str, list[float]] = {}
    errors = 0

    def client(share: list[tuple]) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for page, url, body in share:
            t = time.perf_counter()
            try:
                conn.request("POST", url, body=body, headers={"Content-Type": "application/json",
                                                              "Accept-Encoding": "br, gzip"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status = -1
            ms = (time.perf_counter() - t) * 1000
            with lock:
                per_page.setdefault(page, []).append(ms)
                errors += status not in (200, 204)
        conn.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, [jobs[i::clients] for i in range(clients)]))
    return per_page, errors, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class PandasBaseline:
    """An in-memory pandas server's work for one view (see the module docstring)."""

    def __init__(self, url: str) -> None:
        import pandas as pd
        from sqlalchemy import create_engine

        engine = create_engine(url)
        with engine.connect() as conn:
            self.monthly = pd.read_sql("SELECT metric_code, period, project_code, area_code, value "
                                       "FROM observation_monthly", conn)
            self.areas = pd.read_sql("SELECT area_code, parent_code FROM area", conn)
            self.projects = pd.read_sql("SELECT project_code, priority_code FROM project", conn)
        engine.dispose()
        self.data_to = str(self.monthly["period"].max())

    def view(self, raw: dict[str, str]) -> tuple:
        from warehouse.filters import Filters

        f = Filters.from_query(raw)
        first, last = f.months(self.data_to)
        frame = self.monthly
        mask = frame["period"] >= "2019-04"
        if f.area:
            codes = [f.area, *self.areas.loc[self.areas["parent_code"] == f.area, "area_code"]]
            mask &= frame["area_code"].isin(codes)
        if f.project:
            mask &= frame["project_code"] == f.project
        if f.priority:
            mask &= frame["project_code"].isin(self.projects.loc[self.projects["priority_code"] == f.priority,
                                                                 "project_code"])
        scoped = frame[mask]
        series = scoped.groupby(["metric_code", "period"], sort=True)["value"].sum()
        in_view = scoped[(scoped["period"] >= first) & (scoped["period"] <= last)]
        totals = in_view.groupby("metric_code")["value"].sum()
        return series, totals

    def timings(self, views: list[dict[str, str]]) -> list[float]:
        out = []
        for raw in views:
            t = time.perf_counter()
            self.view(raw)
            out.append((time.perf_counter() - t) * 1000)
        return out
