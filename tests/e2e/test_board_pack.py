"""The board pack and the outcome measures in a real browser, as a new user would try them.

Overview -> "Board pack (PDF)" is one click: the download is a PDF whose first page is the executive
summary of the view's quarter, marked as the current view (not a snapshot). The Outcome measures page
shows every Fingertips row of the sample accounted for (77: 21 for the partnership's county and
unitary authorities, 35 for its districts, 14 for England and the region, 7 for Suffolk, outside),
homicide as "no data", and passes axe. A manager enters the exception report on the measure's own
card (Priorities page), where it is kept for the view's quarter and audited; a role that cannot enter
it sees it read-only.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from pypdf import PdfReader

from reporting.exceptions import exceptions_for
from tests.e2e.conftest import LIVE_DB, check_axe, screenshot, wait_for_dash
from tests.e2e.test_reporting_page import sign_in_as_approver
from warehouse.db import make_engine
from warehouse.users import audit_log


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
    # A view of one area: its pack is that view's, and says so
    page.goto("/?fy=2022%2F23&quarter=Q3&area=E07000066")
    wait_for_dash(page)
    with page.expect_download(timeout=300_000) as info:
        page.get_by_role("link", name="Board pack (PDF)").click()
    assert info.value.suggested_filename == "vvu-board-pack-2022-23-Q3-current-view-E07000066.pdf"
    scoped = PdfReader(info.value.path()).pages[0].extract_text()
    assert "View: Basildon." in " ".join(scoped.split()) and scoped != first
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


def test_a_manager_enters_the_exception_report_on_the_measures_page(page) -> None:  # noqa: ANN001
    # In 2022/23 to December the sample's "County Lines closed" (P1) is off track for the partnership, so
    # its card carries the exception report entry for 2022/23 Q3 (the open development user is an admin).
    page.goto("/priorities?fy=2022%2F23&quarter=Q3")
    wait_for_dash(page)
    block = page.locator("#priorities-exception-cl_lines_closed")
    block.wait_for(timeout=60_000)
    assert "exception report 2022/23 Q3" in block.inner_text() and "off track" in block.inner_text()
    explanation, action = "Two lines moved to Suffolk (e2e)", "Joint operation with Suffolk agreed (e2e)"
    block.get_by_role("textbox", name="Explanation").fill(explanation)
    block.get_by_role("textbox", name="Action agreed").fill(action)
    block.get_by_role("button", name="Save the explanation and action for").click()
    page.get_by_text("Saved the exception report entry for CL_LINES_CLOSED, 2022/23 Q3").wait_for(timeout=60_000)
    check_axe(page)
    screenshot(page, "priorities-exception-entry")

    engine = make_engine(LIVE_DB["url"])
    kept = exceptions_for(engine, "2022/23 Q3").set_index("metric_code").loc["CL_LINES_CLOSED"]
    assert (kept["explanation"], kept["action"], kept["entered_by"]) == (explanation, action, "developer")
    audited = audit_log(engine, action="exception.save")
    assert ((audited["target"] == "CL_LINES_CLOSED 2022/23 Q3") & (audited["outcome"] == "ok")
            & (audited["actor"] == "developer")).any()

    sign_in_as_approver(page)  # an approver checks; only managers (and admins) enter
    page.goto("/priorities?fy=2022%2F23&quarter=Q3")
    wait_for_dash(page)
    block = page.locator("#priorities-exception-cl_lines_closed")
    block.wait_for(timeout=60_000)
    assert block.get_by_role("textbox", name="Explanation").input_value() == explanation
    assert block.get_by_role("textbox", name="Explanation").is_disabled()
    assert block.get_by_role("button", name="Save the explanation and action for").is_disabled()
