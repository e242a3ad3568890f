"""``python -m etl``: help for every command, machine-readable status, clear refusals, quiet logs.

Most checks call ``etl.cli.main`` in this process (the same argument parsing and commands, without
paying for a Python start-up each time); ``--help`` and ``status --json`` also run as real
subprocesses. Database commands run on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from etl import cli
from tests.conftest import ROOT, SAMPLE


def run(*args: str, url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def commands(parser=None) -> dict[str, object]:  # noqa: ANN001 - argparse internals
    """Every subcommand (and sub-subcommand) of the parser, by its command line."""
    parser = parser or cli.build_parser()
    found = {}
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in action.choices.items():
            found[name] = sub
            found.update({f"{name} {k}": v for k, v in commands(sub).items()})
    return found


def test_top_level_help_runs_as_a_program() -> None:
    done = run("--help")
    assert done.returncode == 0 and done.stderr == ""
    assert "usage: python -m etl" in done.stdout
    for name in ("init", "load", "demo", "template", "status"):
        assert name in done.stdout


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    found = commands()
    assert {"init", "load", "demo", "template", "status"} <= set(found)
    for line in found:
        with pytest.raises(SystemExit) as stop:
            cli.main([*line.split(), "--help"])
        assert stop.value.code == 0, line
        out = capsys.readouterr().out
        assert out.startswith(f"usage: python -m etl {line}"), out[:200]


def test_unknown_command_and_missing_arguments_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["frobnicate"], ["load"], ["template", "PRJ001"], []):
        with pytest.raises(SystemExit) as stop:
            cli.main(argv)
        assert stop.value.code == 2, argv
        assert "usage:" in capsys.readouterr().err


def test_status_json_is_valid_json(db_url: str) -> None:
    done = run("status", "--json", url=db_url)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"row_counts", "batches"}
    assert report["batches"] == [] and set(report["row_counts"].values()) == {0}  # a fresh database
    assert {"areas", "metrics", "projects", "observations", "observation_history"} <= set(report["row_counts"])


def test_load_status_and_unchanged_reload(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cli.main(["load", str(SAMPLE / "areas.csv"), str(SAMPLE / "priorities.csv")]) == 0
    out = capsys.readouterr().out
    assert "loaded    areas.csv (areas): loaded 15 rows as batch 1" in out
    assert "summary: 2 file(s), 18 rows loaded, 0 unchanged, 0 refused" in out
    assert cli.main(["load", str(SAMPLE / "areas.csv")]) == 0  # identical content: a no-op, and it says so
    out = capsys.readouterr().out
    assert "unchanged areas.csv (areas): identical content was already loaded as batch 1" in out
    assert "nothing changed" in out and "0 rows loaded, 1 unchanged" in out
    assert cli.main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["row_counts"]["areas"] == 15 and report["row_counts"]["priorities"] == 3
    assert [(b["file_name"], b["rows_loaded"]) for b in report["batches"]] == [("areas.csv", 15),
                                                                               ("priorities.csv", 3)]
    assert cli.main(["status"]) == 0
    text = capsys.readouterr().out
    assert "Row counts:" in text and "areas.csv" in text


def test_template_for_an_unknown_project_fails_clearly(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "return.xlsx"
    code = cli.main(["template", "PRJ999", "2024/25 Q2", "--out", str(out)])
    err = capsys.readouterr().err
    assert code != 0 and not out.exists()
    assert err.startswith("error: ") and "PRJ999" in err


class Terminal(io.StringIO):
    """A stand-in for stderr that says it is (or is not) a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
def test_progress_bar_only_on_a_terminal(tty: bool, db_url: str, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 0)  # the sample files are small
    stderr = Terminal(tty)
    monkeypatch.setattr(sys, "stderr", stderr)
    assert cli.main(["load", str(SAMPLE / "areas.csv")]) == 0
    out = capsys.readouterr().out
    assert "loaded    areas.csv" in out  # the result goes to stdout either way, as plain lines
    if tty:
        assert "areas.csv:" in stderr.getvalue() and "rows" in stderr.getvalue()
    else:
        assert stderr.getvalue() == ""
