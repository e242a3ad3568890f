"""A load killed (SIGKILL) in the middle of writing leaves every table as it was, and the same file
then loads whole (issue 11). Real processes on SQLite and PostgreSQL.

The database first holds reference data and a 100-row police.uk file for 2023-01; the big file
(BIG_ROWS rows over 2023-01 and 2023-02) replaces that month, so the kill lands after rows were
deleted and others inserted in the open transaction. The test waits until the writing has begun
(PostgreSQL: the loader's COPY is running, found by its application name; SQLite: the write-ahead
log has grown), kills the process, and compares per-table checksums (tests/checksums.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, text

from etl.loader import load_file
from tests.checksums import table_checksums
from tests.conftest import ROOT
from tests.integration.test_load_concurrency import POLICE_HEADER
from tests.integration.test_revisions import REFERENCE
from warehouse.db import make_engine

BIG_ROWS = 30_000
WAL_GROWTH = 512 * 1024  # bytes of write-ahead log that mean rows are being written
POLL_SECONDS = 0.01  # how often to look; not an assertion on time
GIVE_UP_SECONDS = 300  # only a guard against a hung run


def crimes(path: Path, months: list[str], rows: int) -> Path:
    per_month = rows // len(months)
    lines = [POLICE_HEADER]
    for month in months:
        lines += [f"k{month}-{i},{month},Essex Police,Essex Police,0.48,51.57,On or near Somewhere Street,E01021237,"
                  f"Basildon 001A,Burglary,Investigation complete; no suspect identified," for i in range(per_month)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def writing_started(engine: Engine, url: str, app: str, wal_before: int) -> bool:
    if url.startswith("sqlite"):
        wal = Path(url[len("sqlite:///"):] + "-wal")
        return wal.exists() and wal.stat().st_size > wal_before + WAL_GROWTH
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
                                 "AND query ILIKE 'COPY%' AND state = 'active'"), {"a": app}).scalar_one() > 0


def test_sigkill_mid_load_changes_nothing_and_the_file_then_loads_whole(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    for name, content in REFERENCE.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        assert load_file(engine, tmp_path / name).ok, name
    assert load_file(engine, crimes(tmp_path / "small.csv", ["2023-01"], 100)).rows == 100
    big = crimes(tmp_path / "big.csv", ["2023-01", "2023-02"], BIG_ROWS)
    before = table_checksums(engine)
    assert before["crime"][0] == 100

    app = "crash_" + uuid.uuid4().hex[:8]
    url = db_url if db_url.startswith("sqlite") else f"{db_url}&application_name={app}"
    wal = Path(db_url[len("sqlite:///"):] + "-wal") if db_url.startswith("sqlite") else None
    wal_before = wal.stat().st_size if wal is not None and wal.exists() else 0
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", str(big)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + GIVE_UP_SECONDS
    try:
        while not writing_started(engine, db_url, app, wal_before):
            assert proc.poll() is None, "the load ended before it was killed: make BIG_ROWS larger"
            assert time.monotonic() < deadline, "the load never started writing"
            time.sleep(POLL_SECONDS)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert table_checksums(engine) == before  # every table, the load ledger included
    result = load_file(engine, big)
    assert (result.outcome, result.rows) == ("loaded", BIG_ROWS)
    after = table_checksums(engine)
    assert after["crime"][0] == BIG_ROWS  # 2023-01's 100 rows replaced, 2023-02 added: nothing doubled
    engine.dispose()
