"""Printing a page with a server-paged grid (dashboard/components/server_grid.py, assets/server_grid.js).

The browser holds only the rows on screen (the server sends a block at a time), so a printout cannot
hold every row. What must hold instead: the printout shows the grid's first rows (not a blank box),
and a note printed above the grid says which rows it holds, of how many, and how to get every row
(the grid's own CSV download). On screen the note is hidden. Printed for real with ``page.pdf``.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import wait_for_dash

NOTE = "el => el.previousElementSibling && el.previousElementSibling.classList.contains('grid-print-note') " \
       "? el.previousElementSibling : null"


def _api(grid_id: str) -> str:
    return f"dash_ag_grid.getApi('{grid_id}')"


def _printed(page) -> str:  # noqa: ANN001
    """The PDF's text, spaces and line breaks as one space (a PDF breaks lines where the page does) and
    ligatures as their letters (the PDF's "ﬁ" is "fi")."""
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages)))


@pytest.mark.parametrize(("path", "grid_id", "download", "key"), [
    ("/projects", "projects-grid", "Download table as CSV", "project_code"),
    ("/data-quality", "data-quality-grid", "Download return status as CSV", "project_code"),
])
def test_a_printed_grid_says_which_rows_it_holds_and_how_to_get_all(page, path: str, grid_id: str, download: str,
                                                                    key: str) -> None:  # noqa: ANN001
    page.goto(path)
    wait_for_dash(page)
    api = _api(grid_id)
    page.wait_for_function(f"() => {api}.isLastRowIndexKnown() && {api}.getDisplayedRowCount() > 20")
    total = page.evaluate(f"() => {_api(grid_id)}.getDisplayedRowCount()")  # 48 projects in the sample's 2025/26
    first = page.evaluate(f"() => {_api(grid_id)}.getDisplayedRowAtIndex(0).data.{key}")
    note = page.locator(f"#{grid_id}").evaluate_handle(NOTE).as_element()
    assert note is not None, "no print note before the grid"
    assert not note.is_visible()  # print only

    page.emulate_media(media="print")
    assert note.is_visible()
    text = note.inner_text()
    shown = re.search(r"rows 1 to (\d+) of ([\d,]+): the rows on screen", text)
    assert shown, text
    assert int(shown.group(2).replace(",", "")) == total and 5 <= int(shown.group(1)) < total
    assert f"use “{download}” on the page" in text  # how to get every row: the grid's own download
    printed = _printed(page)
    said = re.sub(r"\s+", " ", text)
    assert said in printed
    assert first in printed[printed.index(said):]  # the grid's first rows are printed below it, not an empty box

    # Scrolled on screen, the printout holds the rows on screen, and says so.
    page.emulate_media(media="screen")
    page.evaluate(f"() => {_api(grid_id)}.ensureIndexVisible({total - 1}, 'bottom')")
    page.wait_for_function("n => { const g = document.getElementById(n); return g.dataset.printRows "
                           "&& !g.dataset.printRows.startsWith('1-'); }", arg=grid_id)
    page.emulate_media(media="print")
    later = re.search(r"rows ([\d,]+) to ([\d,]+) of ([\d,]+)", note.inner_text())
    assert later and int(later.group(1)) > 1 and int(later.group(2).replace(",", "")) == total, note.inner_text()
