"""The Reporting page in a real browser: make a snapshot, approve it, download every format.

Maker-checker: the draft is made by the open development-mode user, and approved by the demo
approver after signing in through the real form (the maker could not approve it).

The downloads must be the very bytes the API serves (the files stored at approval), the page must
pass axe, and no console error may occur.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile

import openpyxl

from tests.e2e.conftest import LIVE_DB, ROOT, check_axe, screenshot, wait_for_dash

APPROVER_PASSWORD = "e2e approver password 7"


def sign_in_as_approver(page) -> None:  # noqa: ANN001
    subprocess.run([sys.executable, "-m", "etl", "users", "set-password", "demo-approver"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": LIVE_DB["url"]}, input=APPROVER_PASSWORD + "\n", text=True,
                   capture_output=True)
    page.goto("/login")
    page.fill("#username", "demo-approver")
    page.fill("#password", APPROVER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_make_approve_and_download(page) -> None:  # noqa: ANN001
    page.goto("/reporting")
    wait_for_dash(page)
    assert page.locator("h1").inner_text() == "Reporting"
    check_axe(page)

    page.locator("#reporting-quarter").select_option("2022/23 Q3")
    page.get_by_role("button", name="Make draft snapshot").click()
    message = page.locator("#reporting-message")
    message.get_by_text("Made draft snapshot").wait_for(timeout=120_000)
    sid = int(message.inner_text().split("snapshot ")[1].split(" ")[0])
    row = page.locator(f"#reporting-row-{sid}")
    row.wait_for()
    assert "draft" in row.inner_text()
    screenshot(page, "reporting-draft")

    page.once("dialog", lambda dialog: dialog.accept())  # the maker tries to approve: refused
    page.get_by_role("button", name=f"Approve snapshot {sid} (2022/23 Q3)").click()
    message.get_by_text("someone else must approve").wait_for(timeout=60_000)
    assert "draft" in row.inner_text()

    sign_in_as_approver(page)
    page.goto("/reporting")
    wait_for_dash(page)
    message = page.locator("#reporting-message")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Approve snapshot {sid} (2022/23 Q3)").click()
    page.locator(f"#reporting-row-{sid}.reporting-approved").wait_for(timeout=180_000)
    assert f"Approved snapshot {sid}" in message.inner_text()
    row_text = page.locator(f"#reporting-row-{sid}").inner_text()
    listed = page.request.get("/api/v1/snapshots").json()["data"]
    mine = next(s for s in listed if s["id"] == sid)
    assert mine["status"] == "approved" and mine["content_sha256"][:16] in row_text

    files = {}
    for label, suffix in (("Home Office return (XLSX)", ".xlsx"), ("CSV (zip)", ".csv.zip"),
                          ("Board pack (PDF)", ".pdf")):
        with page.expect_download() as info:
            page.get_by_label(f"Download snapshot {sid} (2022/23 Q3) as {label}").click()
        download = info.value
        assert download.suggested_filename == f"vvu-snapshot-{sid}-2022-23-Q3{suffix}"
        data = open(download.path(), "rb").read()  # noqa: SIM115, PTH123 - playwright gives a path
        served = page.request.get(f"/api/v1/snapshots/{sid}/export{suffix}")
        assert data == served.body() and served.headers["x-export-sha256"] == hashlib.sha256(data).hexdigest()
        files[suffix] = data
    cover = {r[1]: r[2] for r in openpyxl.load_workbook(io.BytesIO(files[".xlsx"]))["Cover"].iter_rows(
        min_row=4, values_only=True)}
    assert cover["Content SHA-256"] == mine["content_sha256"]
    # The sample is loaded: its notice comes first in the zip, then the cover.
    names = zipfile.ZipFile(io.BytesIO(files[".csv.zip"])).namelist()
    assert names[:2] == ["SYNTHETIC-SAMPLE-DATA.txt", "metadata.csv"]
    assert files[".pdf"].startswith(b"%PDF")

    page.get_by_role("button", name=f"Show what has changed since snapshot {sid}").click()
    page.get_by_text(f"No figure has changed since snapshot {sid} was made.").wait_for(timeout=60_000)
    wait_for_dash(page)
    check_axe(page)
    screenshot(page, "reporting")
