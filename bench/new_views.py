"""Profile cold views in one process: statements and milliseconds per page builder, per new view.

Draws views nobody has asked for (``filter_space.draw``), empties the in-process cache before each
and calls every builder the pages call with only the filters (``service.warm._view_builders``: the
overview body, KPI, returns, priorities, projects, funding, quality, areas, people), counting the SQL
statements each issues (a SQLAlchemy ``before_cursor_execute`` listener) inside one version scope,
as a web request does. Prints a table and writes bench/results/new-views-<date>.md.

Usage: python bench/new_views.py [--views 40] [--rows 1000000] [--label after]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after ROOT: bench/dashboard.py must not shadow the package

from filter_space import draw, space_of  # noqa: E402
from workdata import SCALE, WORK  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2019)
    ap.add_argument("--views", type=int, default=40)
    ap.add_argument("--label", default="")
    args = ap.parse_args(argv)
    db = WORK / f"dashboard-{args.rows}-s{SCALE}-{args.seed}.sqlite3"
    if not db.exists():
        raise SystemExit(f"{db} missing: run bench/dashboard.py first (it builds the database)")
    os.environ.update(DATABASE_URL=f"sqlite:///{db}", WARM_CACHE="0", APP_ENV="development")

    from sqlalchemy import event

    import dashboard.app  # noqa: F401 - registers the pages' builders with service.warm
    from dashboard.engine import engine
    from service import cache, warm
    from warehouse.filters import Filters

    try:
        from warehouse.version import version_scope
    except ImportError:  # before issue 14: no scope
        from contextlib import nullcontext as version_scope
    eng = engine()
    statements = [0]
    event.listen(eng, "before_cursor_execute", lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
    builders = warm._view_builders()
    views = draw(space_of(eng), args.views + 3, args.seed)
    ms: dict[str, list[float]] = defaultdict(list)
    sql: dict[str, list[int]] = defaultdict(list)
    for i, raw in enumerate(views):
        f = Filters.from_query(raw)
        cache.clear_local()
        for build in builders:
            name = getattr(build, "__name__", "?")
            with version_scope():
                statements[0] = 0
                t = time.perf_counter()
                build(eng, f)
                elapsed = (time.perf_counter() - t) * 1000
            if i >= 3:  # the first views also fill the per-version memos: a running server's state
                ms[name].append(elapsed)
                sql[name].append(statements[0])
    lines = [f"# Cold views in one process{(' (' + args.label + ')') if args.label else ''}, {date.today()}", "",
             f"`python bench/new_views.py --views {args.views}`: {args.views} random new views, SQLite, "
             f"{args.rows:,} observation rows (scale-{SCALE} reference data); load average "
             f"{os.getloadavg()[0]:.1f} at the end.", "",
             "| builder | p50 ms | p95 ms | SQL statements (median / max) |", "|---|---:|---:|---:|"]
    for name in ms:
        v = sorted(ms[name])
        lines.append(f"| {name} | {statistics.median(v):.1f} | {v[int(0.95 * (len(v) - 1))]:.1f} | "
                     f"{statistics.median(sql[name]):.0f} / {max(sql[name])} |")
    total = [sum(ms[n][i] for n in ms) for i in range(len(next(iter(ms.values()))))]
    lines.append(f"| all builders of a view | {statistics.median(total):.1f} | "
                 f"{sorted(total)[int(0.95 * (len(total) - 1))]:.1f} | |")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"new-views-{date.today()}{('-' + args.label) if args.label else ''}.md"
    out.write_text(text)
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
