"""Partner commentary and figures accepted against a plausibility warning, listed in the board pack.

On test_return_trust's hand-made history (PRJ001's EVENTS in Rochford, 4 to 6 a month from 2023-07 to
2024-06), PRJ001 returns 2024/25 Q2 with 99 events in July (beyond 3 x its largest month: a warning, accepted
with a reason) and a note on that line. The pack of 2024/25 Q2 lists both, in its content and in the text a
reader extracts from the PDF; a pack of the view of another area (Basildon) lists neither. SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from analysis.fiscal import Quarter
from etl import preview as pv
from etl.sources import partner_return as pr
from reporting.board_pack import make_view_pack
from tests.integration.test_partner_return_load import BASILDON, ROCHFORD, completed, db  # noqa: F401
from tests.integration.test_return_trust import load_history
from warehouse.filters import Filters

ESSEX = "E10000012"  # the county: Rochford and Basildon are districts within it
NOTE = "The summer festival ran three days of events in Rochford"
REASON = "Festival weekend: 99 events are right"


def _return_with_a_note(engine: Engine, tmp_path: Path) -> None:
    path = completed(engine, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 99, ("EVENTS", ROCHFORD, "2024-08"): 5,
                                        ("VOL_HOURS", BASILDON, "2024-07"): 12.5})
    wb = load_workbook(path)
    ws = wb[pr.RETURN_SHEET]
    row = next(r for r in range(pr.TABLE_HEADER_ROW + 1, ws.max_row + 1)
               if (ws.cell(r, 1).value, ws.cell(r, 4).value) == ("EVENTS", ROCHFORD))
    ws.cell(row, pr.FIRST_MONTH_COL + 3, NOTE)
    wb.save(path)
    checked = pv.check_file(engine, path, loaded_by="alice")
    assert [w["period"] for w in checked.warnings] == ["2024-07"]
    result, _ = pv.confirm(engine, checked.token, confirmed_by="alice", reason=REASON)
    assert result.outcome == "loaded"


def test_the_pack_lists_partner_commentary_and_figures_accepted_against_a_warning(
        db: Engine, tmp_path: Path) -> None:  # noqa: F811
    load_history(db, tmp_path)
    _return_with_a_note(db, tmp_path)
    quarter = Quarter.parse("2024/25 Q2")
    pack = make_view_pack(db, quarter, "test")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pack.data)).pages).split())
    assert "Partner commentary" in text and NOTE in text
    assert "Figures accepted against a plausibility warning, 2024/25 to date" in text
    assert REASON in text and "(alice)" in text and "2024-07" in text

    other = make_view_pack(db, quarter, "test", scope=Filters(area=BASILDON))  # nothing was said about Basildon
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(other.data)).pages).split())
    assert NOTE not in text and REASON not in text
    assert "No partner sent commentary with a return for 2024/25 Q2." in text
    assert "No figure in force was accepted against a warning." in text


def test_the_county_view_keeps_its_districts_commentary_and_a_district_view_only_its_own(
        db: Engine, tmp_path: Path) -> None:  # noqa: F811
    """The rule a board member expects: the county's pack includes what was said about every district in
    it, labelled with the district's name; a district's pack keeps what was said about that district."""
    load_history(db, tmp_path)
    _return_with_a_note(db, tmp_path)
    quarter = Quarter.parse("2024/25 Q2")

    def sections(area: str) -> dict[str, list[dict]]:
        from reporting.content import commentary_sections
        from warehouse import queries

        return {s["key"]: s["rows"] for s in commentary_sections(db, quarter, queries.metrics(db), Filters(area=area))}

    for area in (ESSEX, ROCHFORD):
        found = sections(area)
        assert [(r["area"], r["note"]) for r in found["partner_commentary"]] == [("Rochford", NOTE)], area
        assert [(r["area"], r["period"], r["reason"]) for r in found["accepted_warnings"]] == [
            ("Rochford", "2024-07", REASON)], area
    found = sections(BASILDON)
    assert found["partner_commentary"] == [] and found["accepted_warnings"] == []

    county = make_view_pack(db, quarter, "test", scope=Filters(area=ESSEX))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(county.data)).pages).split())
    assert NOTE in text and REASON in text
