"""Recording that a return was chased (service, command line) and the chase list's "last chased" (time and
by whom). SQLite and PostgreSQL (the ``db`` fixture of test_partner_return_load). The API route is tested
with the roles and CSRF in test_access_matrix.py.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl import cli
from etl.loader import load_file
from service.chase import chase_list, record_chase
from tests.integration.test_partner_return_load import ROCHFORD, db  # noqa: F401 - the two-backend fixture
from warehouse.filters import Filters

FY = Filters(fy="2024/25")


@pytest.fixture
def due(db: Engine, tmp_path: Path) -> Engine:  # noqa: F811 - the imported fixture
    """Figures to 2024-09, so PRJ001's 2024/25 Q1 and Q2 returns were due, and neither arrived."""
    path = tmp_path / "obs.csv"
    path.write_text(f"period,project_code,area_code,metric_code,value\n2024-09,PRJ001,{ROCHFORD},EVENTS,3\n",
                    encoding="utf-8")
    assert load_file(db, path).outcome == "loaded"
    return db


def q1_row(engine: Engine) -> dict:
    table = chase_list(engine, FY, today=date(2024, 12, 1))
    return table[(table["project_code"] == "PRJ001") & (table["quarter"] == "2024/25 Q1")].iloc[0].to_dict()


def test_last_chased_is_the_latest_chase_with_who_made_it(due: Engine) -> None:
    before = q1_row(due)
    assert (before["status"], before["chases"], before["last_chased"], before["last_chased_by"]) == (
        "missing", 0, None, "")
    record_chase(due, "PRJ001", "2024/25 Q1", "mo", when=datetime(2024, 11, 20, 9, 0))
    row = record_chase(due, "prj001", "2024/25 Q1", "sam", note="phoned", when=datetime(2024, 12, 1, 10, 30))
    # Recorded later but dated earlier: the latest chase in time stays sam's.
    record_chase(due, "PRJ001", "2024/25 Q1", "late typist", when=datetime(2024, 11, 1, 8, 0))
    assert row == {"project_code": "PRJ001", "quarter": "2024/25 Q1", "last_chased": "2024-12-01T10:30:00",
                   "last_chased_by": "sam", "chases": 2}
    after = q1_row(due)
    assert (after["chases"], str(after["last_chased"])[:16], after["last_chased_by"]) == (
        3, "2024-12-01 10:30", "sam")
    q2 = chase_list(due, FY, today=date(2024, 12, 1))
    assert q2[q2["quarter"] == "2024/25 Q2"]["chases"].tolist() == [0]  # another quarter: not chased


@pytest.mark.parametrize(("project", "quarter", "who", "message"), [
    ("PRJ404", "2024/25 Q1", "mo", "unknown project code 'PRJ404'"),
    ("PRJ001", "Q1 2024", "mo", "not a quarter"),
    ("PRJ001", "2024/25 Q1", "   ", "say who chased"),
])
def test_a_chase_that_cannot_be_recorded_says_why(due: Engine, project: str, quarter: str, who: str,
                                                  message: str) -> None:
    with pytest.raises(ValueError, match=message):
        record_chase(due, project, quarter, who)
    assert q1_row(due)["chases"] == 0


def test_command_line_records_and_lists_chases_with_json(due: Engine, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", due.url.render_as_string(hide_password=False))
    assert cli.main(["chase", "record", "PRJ001", "2024/25 Q1", "--by", "mo", "--note", "emailed", "--json"]) == 0
    recorded = json.loads(capsys.readouterr().out)
    assert (recorded["outcome"], recorded["project_code"], recorded["last_chased_by"], recorded["chases"]) == (
        "recorded", "PRJ001", "mo", 1)
    assert cli.main(["chase", "list", "--fy", "2024/25", "--json"]) == 0
    listed = {r["quarter"]: r for r in json.loads(capsys.readouterr().out) if r["project_code"] == "PRJ001"}
    assert (listed["2024/25 Q1"]["last_chased_by"], listed["2024/25 Q1"]["chases"]) == ("mo", 1)
    assert listed["2024/25 Q1"]["last_chased"] == recorded["last_chased"]
    assert (listed["2024/25 Q2"]["last_chased"], listed["2024/25 Q2"]["chases"]) == (None, 0)
    assert cli.main(["chase", "record", "PRJ404", "2024/25 Q1", "--json"]) == 2
    assert json.loads(capsys.readouterr().out) == {"outcome": "refused", "message": "unknown project code 'PRJ404'"}
    assert cli.main(["chase", "record", "PRJ001", "2024/25 Q2"]) == 0  # words, by the login name
    assert "recorded: PRJ001 2024/25 Q2 chased" in capsys.readouterr().out
