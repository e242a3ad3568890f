"""Write a few completed partner return workbooks into data/sample/returns/ (synthetic).

Each one is the 2025/26 Q2 return of a project whose return is missing from the return log, filled
with the same monthly totals the observations file holds, so loading it records the return's arrival
without changing any total. Run after data/generate_sample.py:
``python data/generate_sample_returns.py``. Workbooks embed a save time, so re-running changes bytes.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.fiscal import Quarter  # noqa: E402
from etl.demo import LOAD_ORDER  # noqa: E402
from etl.loader import load_file  # noqa: E402
from etl.sources.partner_return import write_completed_return  # noqa: E402
from warehouse.db import make_engine, upgrade_to_head  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
QUARTER = "2025/26 Q2"
HOW_MANY = 3


def main() -> int:
    q = Quarter.parse(QUARTER)
    with (SAMPLE / "returns.csv").open(newline="") as fh:
        logged = {(r["project_code"], r["financial_year"], r["quarter"]) for r in csv.DictReader(fh)}
    totals: dict[str, dict[tuple[str, str, str], float]] = defaultdict(lambda: defaultdict(float))
    with (SAMPLE / "observations.csv").open(newline="") as fh:
        for r in csv.DictReader(fh):
            if r["period"] in q.months:
                totals[r["project_code"]][(r["metric_code"], r["area_code"], r["period"])] += float(r["value"])
    candidates = [p for p in sorted(totals) if (p, q.fy, f"Q{q.number}") not in logged][:HOW_MANY]
    out_dir = SAMPLE / "returns"
    out_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/ref.sqlite3")
        upgrade_to_head(engine)
        for name in LOAD_ORDER:
            if name != "observations.csv" and (SAMPLE / name).exists():
                assert load_file(engine, SAMPLE / name).ok, name
        for project in candidates:
            out = out_dir / f"return-{project}-2025-26-Q2.xlsx"
            write_completed_return(engine, project, QUARTER, out, dict(totals[project]),
                                   submitter="Sample Submitter (synthetic)", submitted_on=date(2025, 11, 14))
            print(f"wrote {out.relative_to(ROOT)}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
