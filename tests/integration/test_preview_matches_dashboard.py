"""The preview's "after" headline figures are exactly what the overview shows once the file is confirmed:
same value, share and status, cell for cell, with disclosure control on (people are adjusted the same
way). SQLite and PostgreSQL (the ``db`` fixture of test_partner_return_load).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl import preview as pv
from etl.loader import load_file
from etl.sources import partner_return as pr
from service.kpis import kpi_view
from tests.integration.test_partner_return_load import BASILDON, ROCHFORD, completed, db  # noqa: F401
from tests.integration.test_return_trust import load_history
from warehouse.filters import Filters

PEOPLE = """project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes
PRJ010,Mentoring,ORG001,P3,HO_VRU,2024-04-01,,E07000075
PRJ011,Outreach,ORG001,P3,HO_VRU,2024-04-01,,E07000075
"""
STOCK = """metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition
CASELOAD,Active caseload,people,latest,P3,partner,true,People open at the end of the month.
"""
TARGETS = """metric_code,financial_year,scope,scope_code,target_value
EVENTS,2024/25,partnership,,60
IND_SUPPORTED,2024/25,partnership,,200
CASELOAD,2024/25,partnership,,40
"""


def _load_text(engine: Engine, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert load_file(engine, path).outcome == "loaded", name


def _shown(engine: Engine, fy: str) -> dict[str, dict]:
    table = kpi_view(engine, Filters(fy=fy)).table.set_index("metric_code")
    return {code: {"after": None if row["value"] != row["value"] else float(row["value"]),
                   "after_share": None if row["share"] != row["share"] or row["share"] is None else float(row["share"]),
                   "after_status": str(row["status"] or "")}
            for code, row in table.iterrows()}


@pytest.mark.parametrize("revise", [False, True], ids=["new quarter", "revision"])
def test_preview_after_is_what_the_overview_shows_after_confirming(db: Engine, tmp_path: Path,  # noqa: F811
                                                                   revise: bool) -> None:
    load_history(db, tmp_path)
    _load_text(db, tmp_path, "projects.csv", PEOPLE)
    _load_text(db, tmp_path, "metrics.csv", STOCK)
    _load_text(db, tmp_path, "targets.csv", TARGETS)
    _load_text(db, tmp_path, "people.csv", "period,project_code,area_code,metric_code,value\n" + "".join(
        f"{p},PRJ010,{ROCHFORD},{m},{v}\n" for p, v in (("2024-04", 12), ("2024-05", 15), ("2024-06", 11))
        for m in ("IND_SUPPORTED", "CASELOAD")) + "".join(  # a caseload that stops reporting: carried forward
        f"{p},PRJ011,{ROCHFORD},CASELOAD,{v}\n" for p, v in (("2024-04", 7), ("2024-05", 8), ("2024-06", 9))))
    if revise:  # an earlier return for the quarter, which the checked one replaces
        first = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 4, ("EVENTS", BASILDON, "2024-08"): 2},
                          name="first.xlsx")
        assert load_file(db, first).outcome == "loaded"
    files = [
        completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 5, ("EVENTS", ROCHFORD, "2024-08"): 6,
                                 ("VOL_HOURS", BASILDON, "2024-07"): 12.5}, name="events.xlsx"),
        pr.write_completed_return(db, "PRJ010", "2024/25 Q2", tmp_path / "people.xlsx",
                                  {("IND_SUPPORTED", ROCHFORD, "2024-07"): 14,
                                   ("IND_SUPPORTED", ROCHFORD, "2024-08"): 23, ("CASELOAD", ROCHFORD, "2024-07"): 30,
                                   ("CASELOAD", ROCHFORD, "2024-08"): 34}, submitter="A. Partner"),
    ]
    for path in files:
        checked = pv.check_file(db, path, loaded_by="alice")
        assert checked.outcome == "preview", checked.problems
        previewed = {h["metric_code"]: {k: h[k] for k in ("after", "after_share", "after_status")}
                     for h in checked.headline}
        assert previewed, "the preview states the headline figures it changes"
        if path.name == "people.xlsx":
            assert set(previewed) == {"IND_SUPPORTED", "CASELOAD"}  # a flow and a stock (level, carried)
        result, _ = pv.confirm(db, checked.token, confirmed_by="alice", reason="checked")
        assert result.outcome == "loaded"
        shown = _shown(db, checked.headline[0]["financial_year"])
        assert previewed == {code: shown[code] for code in previewed}, path.name
