"""The cost of the disclosure gate (``service.gate``) on new views, against the same views without it.

Loads (or reuses) 1,000,000 observation rows on the scale-10 reference data into a SQLite file in
bench/work (and, with ``--backend postgresql``, a schema of the local PostgreSQL ``test`` database), then
draws views at random from the real filter space (financial years x quarters x areas x priorities x
projects, and each view's own choices: groupings, metrics, breakdown dimensions) and computes each twice
with the cache cleared, in alternating order:

- **without the gate**: the view's own function (warehouse query + analysis), exact figures;
- **with the gate**: the same through ``service.gate`` (protection of every count of people with the cell
  key method, and the figures derived from the protected counts), as every surface receives it.

Reports per view the median of each and the ratio, and the ratio of the summed medians. Goal (issue 9):
the gate costs at most 10% (ratio <= 1.10). Results go to bench/results/gate-<date>.md.

Usage:
    python bench/gate.py [--rows 1000000] [--samples 40] [--seed 2019] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workdata import SCALE, WORK, prepare_data  # noqa: E402 - bench/ is on the path as the script's folder

RESULTS = ROOT / "bench" / "results"
REFERENCE = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv",
             "targets.csv", "grants.csv", "spend.csv", "returns.csv")
GOAL = 1.10


def prepare_db(rows: int, seed: int, backend: str) -> str:
    """A database holding the scale-10 reference data and ROWS observations (reused when already loaded)."""
    if backend == "sqlite":
        db = WORK / f"gate-{rows}-s{SCALE}-{seed}.sqlite3"
        url = f"sqlite:///{db}"
        done = db.with_suffix(".done")
    else:
        schema = f"bench_gate_{rows}_{seed}"
        base = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        url = f"{base}?options=-csearch_path%3D{schema}"
        done = WORK / f"{schema}.done"
        from sqlalchemy import create_engine, text

        admin = create_engine(base)
        with admin.begin() as conn:
            if not done.exists():
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        admin.dispose()
    if done.exists():
        from warehouse.db import make_engine, upgrade_to_head

        upgrade_to_head(make_engine(url))  # a reused database gets the current schema
        return url
    ref_dir, big = prepare_data(rows, seed)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    files = [str(ref_dir / f) for f in REFERENCE if (ref_dir / f).exists()] + [str(big)]
    t = time.perf_counter()
    for args in (["init"], ["load", *files]):
        subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"loaded {rows:,} rows in {time.perf_counter() - t:.0f} s", flush=True)
    done.write_text("ok")
    return url


def draw_views(engine, rng: random.Random, n: int) -> list[tuple[str, object, tuple]]:  # noqa: ANN001
    """``n`` (name, view function, args) drawn from the filter space of this database."""
    from service.areas import area_view
    from service.breakdowns import _breakdown_view
    from service.funding import funding_view
    from service.kpis import kpi_view
    from service.observations import observation_totals
    from service.projects import project_view, projects_table
    from warehouse import queries
    from warehouse.filters import Filters

    areas = [""] + queries.areas(engine)["area_code"].tolist()
    projects = queries.projects(engine)["project_code"].tolist()
    info = queries.metrics(engine)
    people = info.loc[info["unit"] == "people", "metric_code"].tolist()
    summed = info.loc[(info["unit"] == "people") & (info["aggregation"] == "sum"), "metric_code"].tolist()
    years = [f"{y}/{str(y + 1)[2:]}" for y in range(2019, 2026)]
    groupings = [("metric",), ("metric", "month"), ("metric", "quarter"), ("metric", "area"), ("metric", "project"),
                 ("metric", "month", "area"), ("metric", "priority", "quarter")]
    out = []
    for _ in range(n):
        f = Filters(fy=rng.choice(years), quarter=rng.choice(["", "", "Q1", "Q2", "Q3", "Q4"]),
                    area=rng.choice(areas), priority=rng.choice(["", "", "P1", "P2", "P3"]),
                    project=rng.choice([""] * 6 + projects))
        f = Filters(fy=f.fy, quarter=f.quarter if f.fy else "", area=f.area, priority=f.priority, project=f.project)
        choice = rng.randrange(7)
        if choice == 0:
            out.append(("kpi_view", kpi_view, (f,)))
        elif choice == 1:
            out.append(("observation_totals", observation_totals, (f, rng.choice(groupings))))
        elif choice == 2:
            out.append(("area_view", area_view, (f, rng.choice(people))))
        elif choice == 3:
            out.append(("breakdown_view", _breakdown_view, (f, rng.choice(summed),
                                                            rng.choice(["age_band", "sex", "ethnicity"]))))
        elif choice == 4:
            out.append(("projects_table", projects_table, (f,)))
        elif choice == 5:
            out.append(("project_view", project_view, (rng.choice(projects), f)))
        else:
            out.append(("funding_view", funding_view, (f,)))
    return out


def draw_requests(engine, rng: random.Random, n: int) -> list[str]:  # noqa: ANN001
    """``n`` API requests over the same filter space: what a page or a script asks for."""
    from warehouse import queries

    areas = [""] + queries.areas(engine)["area_code"].tolist()
    projects = queries.projects(engine)["project_code"].tolist()
    years = [f"{y}/{str(y + 1)[2:]}" for y in range(2019, 2026)]
    out = []
    for _ in range(n):
        query = {"fy": rng.choice(years), "quarter": rng.choice(["", "", "Q1", "Q2", "Q3", "Q4"]),
                 "area": rng.choice(areas), "priority": rng.choice(["", "", "P1", "P2", "P3"]),
                 "project": rng.choice([""] * 6 + projects)}
        text = "&".join(f"{k}={v}" for k, v in query.items() if v)
        route = rng.choice(["/api/v1/kpis", "/api/v1/observations?group_by=month", "/api/v1/observations?group_by=area",
                            "/api/v1/observations?group_by=project,quarter",
                            "/api/v1/breakdowns?dimension=age_band&metric=IND_SUPPORTED", "/api/v1/projects",
                            "/api/v1/funding"])
        out.append(route + ("&" if "?" in route else "?") + text)
    return out


def _exact_result(engine, result, people, limit):  # noqa: ANN001, ANN202
    """The gate switched off: key columns dropped, counts left exact (the views as they were)."""
    import dataclasses

    import pandas as pd

    if not people or result is None:
        return result
    changes = {}
    for col in people:
        frame = changes.get(col.frame, getattr(result, col.frame))
        if isinstance(frame, pd.DataFrame) and col.key in frame.columns:
            changes[col.frame] = frame.drop(columns=[col.key])
    return dataclasses.replace(result, **changes)


def api_level(engine, rng: random.Random, n: int) -> tuple[list[str], float]:  # noqa: ANN001
    """Median ms per API answer with and without the gate (cache cleared before each), by route."""
    import service.gate as gate
    from dashboard.app import server
    from service.cache import clear_local

    client = server.test_client()
    requests = draw_requests(engine, rng, n)
    protect = gate.protect_result
    pairs: dict[str, list[tuple[float, float]]] = {}

    def one(path: str, with_gate: bool) -> float:
        gate.protect_result = protect if with_gate else _exact_result
        clear_local()
        gate.people_metric_codes(engine)
        t = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    try:
        for path in requests[:5]:
            one(path, True)
        for i, path in enumerate(requests):
            if i % 2:
                gated, plain = one(path, True), one(path, False)
            else:
                plain, gated = one(path, False), one(path, True)
            pairs.setdefault(path.split("?")[0] + ("?" + path.split("?")[1].split("&")[0]
                             if "group_by" in path or "dimension" in path else ""), []).append((plain, gated))
    finally:
        gate.protect_result = protect
    return ratio_table({f"`{route}`": got for route, got in pairs.items()}, "API route", "requests")


def ratio_table(results: dict[str, list[tuple[float, float]]], what: str, count: str) -> tuple[list[str], float]:
    """Markdown rows of median times without and with the gate per kind, and the ratio of their sums."""
    lines = [f"| {what} | {count} | without gate, median ms | with gate, median ms | ratio |",
             "|---|---:|---:|---:|---:|"]
    total_plain = total_gated = 0.0
    for name, pairs in sorted(results.items()):
        plain = statistics.median(p for p, _g in pairs) * 1000
        gated = statistics.median(g for _p, g in pairs) * 1000
        total_plain += plain
        total_gated += gated
        lines.append(f"| {name} | {len(pairs)} | {plain:.1f} | {gated:.1f} | {gated / plain:.3f} |")
    return lines, total_gated / total_plain


def timed(fn, *args) -> float:  # noqa: ANN001
    """One computation of a view not in the cache. The metric list both paths read is warmed first, as
    in a running server, where it is computed once per data version, not per view."""
    from service.cache import clear_local
    from service.gate import people_metric_codes
    from service.observations import metric_info

    clear_local()
    people_metric_codes(args[0])
    metric_info(args[0])
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=140)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    url = prepare_db(args.rows, args.seed, args.backend)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("CACHE_URL", None)
    os.environ["SUPPRESSION_THRESHOLD"] = os.environ.get("SUPPRESSION_THRESHOLD", "9")
    from warehouse.db import make_engine

    engine = make_engine(url)
    rng = random.Random(args.seed)
    views = draw_views(engine, rng, args.samples)
    # Warm the process (imports, metric lists, connection pool) before measuring.
    for _name, fn, view_args in views[:5]:
        fn.uncached(engine, *view_args)
    from service.cache import cached

    # Both paths are served as a page or the API serves them, through the cache with nothing in it
    # (the data version read, the view computed, the value stored); the only difference is the gate.
    exact_views = {id(fn): cached(fn.__wrapped__) for _name, fn, _args in views}
    results: dict[str, list[tuple[float, float]]] = {}
    for i, (name, fn, view_args) in enumerate(views):
        exact = exact_views[id(fn)]  # the view's own function: exact figures, no gate
        kwargs_free = (engine, *view_args)
        if i % 2:
            gated = timed(fn, *kwargs_free)
            plain = timed(exact, *kwargs_free)
        else:
            plain = timed(exact, *kwargs_free)
            gated = timed(fn, *kwargs_free)
        results.setdefault(name, []).append((plain, gated))

    lines = [f"# Disclosure gate cost, {date.today().isoformat()}", "",
             f"{args.rows:,} observation rows, scale-{SCALE} reference data, {args.backend}; {args.samples} new views "
             f"drawn at random (seed {args.seed}); each computed as served (through the cache, emptied first; the "
             "metric list re-read first, as a running server holds it), with and without the gate, in alternating "
             "order; machine: "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
             f"{os.getloadavg()[0]:.1f}.", ""]
    view_lines, ratio = ratio_table(results, "view", "samples")
    lines += [*view_lines, "", f"**Views, ratio of the sums of medians {ratio:.3f}** "
              f"(goal <= {GOAL:.2f}: {'met' if ratio <= GOAL else 'NOT met'}).", ""]
    api_lines, api_ratio = api_level(engine, random.Random(args.seed + 1), args.samples)
    lines += ["The same comparison for answers as the API sends them (Flask test client, JSON), where the",
              "gate switched off means the counts left exact:", "", *api_lines, "",
              f"**API answers, sum of medians ratio {api_ratio:.3f}** "
              f"(goal <= {GOAL:.2f}: {'met' if api_ratio <= GOAL else 'NOT met'})."]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"gate-{args.backend}-{date.today().isoformat()}.md").write_text(text)
    return 0 if api_ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
