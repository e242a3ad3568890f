"""Two loads of the same file started at once: exactly one loads, the other says "unchanged", never a
double (issue 11). Real processes on SQLite and PostgreSQL.

Two worker processes import the loader once, then load each path they are sent on stdin; the test
sends the same path to both at the same moment, round after round (police.uk months and
observations files alternately), so the race between the ledger check and the commit is tried
ROUNDS times per database. Without the load lock (etl.concurrency) both workers pass the check
before either commits and both report "loaded" (the crime table then holds every row twice).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from etl.loader import load_file
from tests.conftest import ROOT
from tests.integration.test_revisions import REFERENCE, ROCHFORD
from warehouse.crime_models import Crime
from warehouse.db import make_engine
from warehouse.models import LoadBatch, Observation

ROUNDS = 8
POLICE_ROWS = 300
WORKER = """
import json, os, sys
from etl.loader import load_file
from warehouse.db import make_engine
engine = make_engine(os.environ["DATABASE_URL"])
print("ready", flush=True)
for line in sys.stdin:
    result = load_file(engine, line.strip())
    print(json.dumps({"outcome": result.outcome, "rows": result.rows, "message": result.message}), flush=True)
"""
POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")


def police_file(folder: Path, month: str) -> Path:
    """POLICE_ROWS crimes with distinct IDs, one in ten an anti-social behaviour row with no ID."""
    lines = [POLICE_HEADER]
    for i in range(POLICE_ROWS):
        crime_id, kind = ("", "Anti-social behaviour") if i % 10 == 0 else (f"c{month}-{i}", "Burglary")
        lines.append(f"{crime_id},{month},Essex Police,Essex Police,0.48,51.57,On or near X,E01021237,"
                     f"Basildon 001A,{kind},,")
    path = folder / f"{month}-essex-street.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def observations_file(folder: Path, month: str) -> Path:
    path = folder / f"obs-{month}.csv"
    path.write_text("period,project_code,area_code,metric_code,value\n"
                    f"{month},PRJ001,{ROCHFORD},IND_SUPPORTED,12\n{month},PRJ001,{ROCHFORD},DYW_HOURS,3.5\n",
                    encoding="utf-8")
    return path


def start_worker(url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "WARM_CACHE": "0"}
    proc = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def test_two_loads_at_once_never_double(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    for name, content in REFERENCE.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        assert load_file(engine, tmp_path / name).ok, name
    workers = [start_worker(db_url), start_worker(db_url)]
    try:
        files = [police_file(tmp_path, f"2023-{i + 1:02d}") if i % 2 == 0 else
                 observations_file(tmp_path, f"2023-{i + 1:02d}") for i in range(ROUNDS)]
        for path in files:
            for w in workers:  # the same path to both, back to back: they start together
                w.stdin.write(f"{path}\n")
                w.stdin.flush()
            answers = [json.loads(w.stdout.readline()) for w in workers]
            outcomes = sorted(a["outcome"] for a in answers)
            assert outcomes == ["loaded", "unchanged"], (path.name, answers)
    finally:
        for w in workers:
            w.stdin.close()
            w.wait(timeout=60)
    police_rounds, obs_rounds = (ROUNDS + 1) // 2, ROUNDS // 2
    with engine.connect() as conn:
        crimes = conn.execute(select(func.count()).select_from(Crime)).scalar_one()
        distinct_ids = conn.execute(select(func.count(func.distinct(Crime.crime_id)))
                                    .where(Crime.crime_id != "")).scalar_one()
        observations = conn.execute(select(func.count()).select_from(Observation)).scalar_one()
        loaded = conn.execute(select(func.count()).select_from(LoadBatch)
                              .where(LoadBatch.outcome == "loaded")).scalar_one()
    engine.dispose()
    # Each police file holds 300 rows (270 with distinct IDs); each observations file 2 rows; each
    # file is one loaded batch beside the reference files.
    assert crimes == police_rounds * POLICE_ROWS
    assert distinct_ids == police_rounds * (POLICE_ROWS - POLICE_ROWS // 10)
    assert observations == obs_rounds * 2
    assert loaded == len(REFERENCE) + ROUNDS
