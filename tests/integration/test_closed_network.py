"""Exports on a closed network: the board pack renders with no outside network at all.

kaleido's default page loads MathJax from a CDN; here the page it is given names only files on
this machine, and a whole export run (XLSX, CSV zip, PDF with every chart) happens inside a network
namespace with no interface but loopback, where any outside request fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reporting.chart_browser import page_generator
from tests.conftest import ROOT, SHARED

EXPORT_ALL = """
import sys
from etl.demo import demo_files
from etl.loader import load_file
from reporting import snapshots
from settings import SAMPLE_DIR
from warehouse.db import make_engine, upgrade_to_head
engine = make_engine(sys.argv[1])
upgrade_to_head(engine)
for path in demo_files(SAMPLE_DIR):
    assert load_file(engine, path, sample=True).ok, path
police = sys.argv[2]
assert load_file(engine, police, kind="police_uk", sample=True).ok
info = snapshots.create_snapshot(engine, "2022/23 Q3", made_by="test", threshold=9)
for fmt in ("xlsx", "csv", "pdf"):
    data = snapshots.export_snapshot(engine, info.id, fmt).data
    print(fmt, len(data))
from reporting.board_pack import current_view_pack
from warehouse.filters import Filters
print("view", len(current_view_pack(engine, Filters(fy="2022/23", quarter="Q3"), "test").data))
"""


def test_the_chart_page_names_only_local_files() -> None:
    html = page_generator().generate_index()
    sources = [line.split('src="')[1].split('"')[0] for line in html.splitlines() if 'src="' in line]
    assert sources and all(s.startswith("file:///") for s in sources), sources
    assert "mathjax" not in html.lower()


def test_every_export_renders_without_a_network(tmp_path: Path) -> None:
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {probe.stderr.strip()}")
    source = SHARED / "police-uk" / "2018-04-essex-street.csv"
    if not source.exists():
        pytest.skip("../shared/data/police-uk is not beside the project")
    police = tmp_path / "2021-11-essex-street.csv"  # a month inside the quarter, so the crime chart is drawn
    police.write_bytes(source.read_bytes().replace(b",2018-04,", b",2021-11,"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("APP_ENV", None)
    run = subprocess.run(["unshare", "-n", sys.executable, "-c", EXPORT_ALL, f"sqlite:///{tmp_path / 'x.sqlite3'}",
                          str(police)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    sizes = dict(line.split() for line in run.stdout.splitlines() if line.split()[0] in ("xlsx", "csv", "pdf", "view"))
    assert set(sizes) == {"xlsx", "csv", "pdf", "view"} and int(sizes["pdf"]) > 10_000
    assert int(sizes["view"]) > 10_000  # the overview's current-view board pack, offline too
