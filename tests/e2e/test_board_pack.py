"""The board pack and the outcome measures in a real browser, as a new user would try them.

Overview -> "Board pack (PDF)" is one click: the download is a PDF whose first page is the executive
summary of the view's quarter, marked as the current view (not a snapshot). The Outcome measures page
shows every Fingertips row of the sample accounted for (77: 21 for the partnership's county and
unitary authorities, 35 for its districts, 14 for England and the region, 7 for Suffolk, outside),
homicide as "no data", and passes axe.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from pypdf import PdfReader

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash


def test_overview_to_board_pack_in_one_click(page, tmp_path) -> None:  # noqa: ANN001
    page.goto("/?fy=2022%2F23&quarter=Q3")
    wait_for_dash(page)
    link = page.get_by_role("link", name="Board pack (PDF)")
    assert "fy=2022%2F23" in link.get_attribute("href") and "quarter=Q3" in link.get_attribute("href")
    with page.expect_download(timeout=300_000) as info:
        link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and path.name == "vvu-board-pack-2022-23-Q3-current-view.pdf"
    first = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "CURRENT VIEW" in first and "Executive" in first and "Exception report" in first
    assert "2022/23 Q3" in first
    if shutil.which("pdftoppm"):  # the pages as a reader sees them, kept beside the other screenshots
        out = screenshot(page, "overview-board-pack").with_name("board-pack-page")
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(path), str(out)], check=True)


def test_outcome_measures_page(page) -> None:  # noqa: ANN001
    page.goto("/outcomes")
    wait_for_dash(page)
    assert page.locator("h1").inner_text() == "Outcome measures"
    text = page.locator("main, #_pages_content, body").first.inner_text()
    assert "77 Fingertips rows loaded: 56 for the partnership's areas, 14 for comparators" in text
    assert "7 for areas outside the partnership" in text
    row = page.get_by_role("row", name="Non-domestic homicide")
    assert "no data" in row.inner_text()
    assert "police.uk gives no victim or offender ages" in text
    check_axe(page)
    screenshot(page, "outcomes")
