"""``python -m etl snapshot ...`` as a person runs it, on SQLite and PostgreSQL.

The first command runs as a real subprocess (the entry point as typed); the rest call ``etl.cli.main``
in-process with the same arguments, which is the same code without an interpreter start per command.
Refusals (unknown quarter, a quarter with no data, approving twice, a missing id) exit with status 2,
say why on stderr, and leave the snapshot list as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from etl.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # noqa: ANN201
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("APP_ENV", raising=False)

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_snapshot_commands(db_url: str, run, tmp_path: Path) -> None:  # noqa: ANN001
    assert run("demo")[0] == 0
    env = {**os.environ, "DATABASE_URL": db_url}
    env.pop("APP_ENV", None)
    made = subprocess.run([sys.executable, "-m", "etl", "snapshot", "create", "--quarter", "2022/23 Q3", "--by",
                           "analyst"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("made draft snapshot 1 of 2022/23 Q3")

    code, out, _err = run("snapshot", "list", "--json")
    items = json.loads(out)
    assert [(i["id"], i["quarter"], i["status"], i["created_by"]) for i in items] == [
        (1, "2022/23 Q3", "draft", "analyst")]
    digest = items[0]["content_sha256"]

    code, out, err = run("snapshot", "approve", "1", "--by", "board chair")
    assert code == 0, err
    assert "approved snapshot 1 of 2022/23 Q3" in out and digest in out

    pack = tmp_path / "pack.xlsx"
    code, out, err = run("snapshot", "export", "1", "--format", "xlsx", "--out", str(pack))
    assert code == 0, err
    assert f"sha256 {hashlib.sha256(pack.read_bytes()).hexdigest()}" in out
    cover = {r[1]: r[2] for r in openpyxl.load_workbook(pack, read_only=True)["Cover"].iter_rows(
        min_row=4, values_only=True)}
    assert cover["Content SHA-256"] == digest and cover["Approved"].endswith("by board chair")
    code, out, err = run("snapshot", "export", "1", "--format", "csv", "--out", str(tmp_path))  # a folder
    assert code == 0 and (tmp_path / "vvu-snapshot-1-2022-23-Q3.csv.zip").exists(), err

    refusals = [
        (("create", "--quarter", "2022/23 Q9"), "error: unknown quarter '2022/23 Q9'"),
        (("create", "--quarter", "2031/32 Q2"), "error: no observations for 2031/32 Q2"),
        (("approve", "1"), "error: snapshot 1 was already approved"),
        (("export", "99", "--format", "pdf", "--out", str(tmp_path / "x.pdf")), "error: no snapshot 99"),
        (("approve", "abc"), "error: no snapshot 'abc'"),
    ]
    for args, message in refusals:
        code, _out, err = run("snapshot", *args)
        assert code == 2 and err.startswith(message), (args, err)
    assert not (tmp_path / "x.pdf").exists()
    after = json.loads(run("snapshot", "list", "--json")[1])
    assert len(after) == 1 and after[0]["status"] == "approved" and after[0]["content_sha256"] == digest

    code, out, _err = run("snapshot", "changes", "1")
    assert code == 0 and "no figure has changed since snapshot 1" in out
