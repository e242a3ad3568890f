"""The preview and the loader share their rules: one "identical content, unchanged" answer (etl.holding
.still_held) and one recognition of a file (etl.loader.source_for), whichever way a file comes in.
SQLite and PostgreSQL (the ``db`` fixture of test_partner_return_load).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from etl import preview as pv
from etl.loader import load_file
from etl.preview_cli import load_checked
from tests.integration.test_partner_return_load import ROCHFORD, completed, db  # noqa: F401 - the fixture


def test_identical_content_reads_the_same_checked_or_loaded(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "obs.csv"
    path.write_text(f"period,project_code,area_code,metric_code,value\n2024-07,PRJ001,{ROCHFORD},EVENTS,3\n",
                    encoding="utf-8")
    first = load_file(db, path)
    assert first.outcome == "loaded"
    again, checked = load_file(db, path), pv.check_file(db, path, loaded_by="alice")
    assert (again.outcome, checked.outcome) == ("unchanged", "unchanged")
    assert again.batch_id == checked.batch_id == first.batch_id
    assert again.message == checked.message
    assert again.message.startswith(f"identical content was already loaded as batch {first.batch_id} on ")


def test_load_checked_recognises_files_as_the_loader_does(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    ret = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3})
    result, waiting = load_checked(db, ret, None, accept="")
    assert waiting is None and (result.kind, result.outcome) == ("partner_return", "loaded")  # checked first
    # A kind the loader does not know: the loader's own refusal, not a guess.
    result, waiting = load_checked(db, ret, "nonsense", accept="")
    direct = load_file(db, ret, kind="nonsense")
    assert waiting is None and result.outcome == direct.outcome == "rejected"
    assert [p.reason for p in result.problems] == [p.reason for p in direct.problems]
    assert "unknown kind" in result.problems[0].reason
