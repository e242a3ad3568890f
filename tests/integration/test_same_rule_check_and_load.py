"""The preview and the loader share their rules: one "identical content, unchanged" answer (etl.holding
.still_held) and one recognition of a file (etl.loader.source_for), whichever way a file comes in.
SQLite and PostgreSQL (the ``db`` fixture of test_partner_return_load).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from etl import preview as pv
from etl.loader import load_file
from etl.preview_cli import load_checked
from tests.integration.test_partner_return_load import ROCHFORD, completed, db  # noqa: F401 - the fixture
from tests.integration.test_return_trust import load_history
from warehouse.returns_models import LoadPreview


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


def test_a_command_keeps_a_copy_of_the_file_only_when_it_waits_for_a_reason(db: Engine, tmp_path: Path) -> None:  # noqa: F811
    """A direct load checks and confirms from the file it has (no 300 MB copy in the database); a load
    held for warnings keeps the file, because the token it prints may be confirmed later, after the
    file has gone; a file that changed after its check is refused, not loaded."""
    def kept(token: str) -> int:
        with db.connect() as conn:
            return conn.scalar(select(func.length(LoadPreview.content)).where(LoadPreview.token == token)) or 0

    load_history(db, tmp_path)
    quiet = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 3}, name="quiet.xlsx")
    result, waiting = load_checked(db, quiet, None, accept="")
    assert waiting is None and result.outcome == "loaded"
    with db.connect() as conn:
        assert conn.scalar(select(func.max(func.length(LoadPreview.content)))) in (0, None)

    loud = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 99}, name="loud.xlsx")
    result, waiting = load_checked(db, loud, None, accept="")
    assert result is None and waiting.warnings and kept(waiting.token) == loud.stat().st_size
    loud.unlink()  # the token still confirms: the preview holds the file
    done, _ = pv.confirm(db, waiting.token, confirmed_by="alice", reason="festival month")
    assert done.outcome == "loaded"

    changed = tmp_path / "obs.csv"
    changed.write_text(f"period,project_code,area_code,metric_code,value\n2024-09,PRJ001,{ROCHFORD},EVENTS,2\n",
                       encoding="utf-8")
    checked = pv.check_file(db, changed, loaded_by="alice", keep_file=False)
    changed.write_text(f"period,project_code,area_code,metric_code,value\n2024-09,PRJ001,{ROCHFORD},EVENTS,4\n",
                       encoding="utf-8")
    with pytest.raises(pv.ConfirmRefused, match="changed since it was checked"):
        pv.confirm(db, checked.token, confirmed_by="alice", path=changed)
    with pytest.raises(pv.ConfirmRefused, match="not kept"):
        pv.confirm(db, checked.token, confirmed_by="alice")
