"""Issue 15 in a real browser, as a new user would: a partner signs in, downloads the return template,
fills it with an implausible figure, uploads it, sees the preview and the warning, confirms with a reason;
the manager then sees the loaded file, the accepted figure with its reason, and the chase list.

A server of its own (development mode, the sample data, demo users with known passwords), so the
partner's load cannot disturb the other browser tests' known answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from etl.loader import load_file
from tests.e2e.conftest import CHROMIUM, check_axe, dashboard_process, new_page, screenshot, wait_for_dash
from tests.e2e.conftest import sign_in as signed_in
from tests.integration.test_partner_return_load import REFERENCE, ROCHFORD
from warehouse.db import make_engine, upgrade_to_head
from warehouse.users import add_user, set_password

pytestmark = pytest.mark.e2e
PASSWORD = "return flow password 15"
PROJECT, QUARTER = "PRJ001", "2024/25 Q2"  # ORG001's ongoing project; the quarter after the data
ORGANISATIONS = """org_code,org_name,org_type,contact_name,contact_email
ORG001,Rayleigh Young People's Service,charity,Rys Partner,rys@example.org
"""
HISTORY = "period,project_code,area_code,metric_code,value\n" + "".join(
    f"{p},PRJ001,{ROCHFORD},EVENTS,{v}\n" for p, v in zip(
        [f"2023-{m:02d}" for m in range(7, 13)] + [f"2024-{m:02d}" for m in range(1, 7)],
        [4, 5, 4, 6, 4, 5, 4, 5, 4, 6, 4, 5], strict=True))
REASON = "Regional festival month: the figures are right"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Small hand-made reference data (fast to load) and a year of PRJ001's EVENTS in Rochford, 2023-07 to
    2024-06, so the 2024/25 Q2 return has a history to be judged against."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    tmp = tmp_path_factory.mktemp("returnflow")
    db = tmp / "flow.sqlite3"
    engine = make_engine(f"sqlite:///{db}")
    upgrade_to_head(engine)
    files = {**REFERENCE, "organisations.csv": ORGANISATIONS, "history.csv": HISTORY}
    for name, body in files.items():
        (tmp / name).write_text(body, encoding="utf-8")
        assert load_file(engine, tmp / name).outcome == "loaded", name
    add_user(engine, "e2e-partner", "partner", "ORG001")
    add_user(engine, "e2e-manager", "manager")
    for name in ("e2e-partner", "e2e-manager"):
        set_password(engine, name, PASSWORD)
    engine.dispose()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "WARM_CACHE": "0"}
    env.pop("APP_ENV", None)
    with dashboard_process(env, db, wait_s=180) as (url, _proc):
        yield url


def sign_in(pg, name: str) -> None:  # noqa: ANN001
    assert signed_in(pg, name, PASSWORD), f"{name} could not sign in"


def fill_implausibly(path: Path) -> Path:
    """Sign the return and put 99,999 in every month cell a partner may fill: far beyond EVENTS in
    Rochford's largest month (6), so the history warning must fire."""
    wb = load_workbook(path)
    ws = wb["Return"]
    ws["B8"], ws["B9"] = "Rys Partner", "rys@example.org"
    ws["B11"] = 12345.5  # spend for the quarter: the preview shows it before anything loads
    header = next(r for r in range(1, 60) if ws.cell(r, 1).value == "metric_code")
    for r in range(header + 1, ws.max_row + 1):
        if not ws.cell(r, 1).value or str(ws.cell(r, 1).value).startswith("="):
            continue
        for c in range(6, 9):
            if ws.cell(r, c).protection.locked is False:
                ws.cell(r, c).value = 99999
    out = path.with_name("filled.xlsx")
    wb.save(out)
    return out


def test_partner_checks_confirms_with_a_reason_and_the_manager_sees_it(browser, server: str,  # noqa: ANN001
                                                                        tmp_path: Path) -> None:
    pg, context, errors = new_page(browser, server)
    sign_in(pg, "e2e-partner")
    pg.goto("/data-quality")
    wait_for_dash(pg)
    # The template: the partner's own project only, for a quarter they choose.
    options = pg.locator("#data-quality-template-project option").all_inner_texts()
    assert options and all(o.startswith(PROJECT) or "ORG" not in o for o in options)
    pg.select_option("#data-quality-template-project", PROJECT)
    pg.select_option("#data-quality-template-quarter", QUARTER)
    with pg.expect_download() as download:
        pg.click("#data-quality-template-button")
    blank = tmp_path / download.value.suggested_filename
    download.value.save_as(blank)
    assert blank.name == "return-PRJ001-2024-25-Q2.xlsx"
    filled = fill_implausibly(blank)

    pg.get_by_label("choose a file").set_input_files(str(filled))
    warnings = pg.locator("#data-quality-preview-warnings")
    warnings.wait_for(timeout=60_000)
    wait_for_dash(pg)
    assert "times this project's largest month" in warnings.inner_text()
    assert "Rochford" in warnings.inner_text() and "E07000075" not in warnings.inner_text()  # names, not codes
    report = pg.locator("#data-quality-upload-report").inner_text()
    assert "Checked, not loaded yet" in report and "nothing is loaded until you confirm" in report
    assert pg.locator("#data-quality-preview-changes tbody tr").count() > 0
    assert pg.locator("#data-quality-preview-headline tbody tr").count() > 0
    assert "Totals" in pg.locator("#data-quality-preview-changes").inner_text()
    spend = pg.locator("#data-quality-preview-spend tbody tr").inner_text()
    assert PROJECT in spend and "none held" in spend and "£12,345.50" in spend
    # Nothing reached the data: this file is not among the loads.
    assert "filled.xlsx" not in pg.locator("#data-quality-batches").inner_text()
    check_axe(pg)
    screenshot(pg, "data-quality-preview")

    pg.click("#data-quality-confirm")  # no reason yet: refused, the preview stays
    pg.get_by_text("need a short reason").wait_for(timeout=30_000)
    pg.fill("#data-quality-reason", REASON)
    pg.click("#data-quality-confirm")
    pg.locator("#data-quality-upload-report .rs-on-time").wait_for(timeout=60_000)
    wait_for_dash(pg)
    assert "Loaded" in pg.locator("#data-quality-upload-report").inner_text()
    assert pg.locator("#data-quality-batches tbody tr").first.locator("td").first.inner_text() == "filled.xlsx"
    assert "Rys Partner" in pg.locator("#data-quality-history").inner_text()
    context.close()
    assert not errors, errors

    pg, context, errors = new_page(browser, server)
    sign_in(pg, "e2e-manager")
    pg.goto("/data-quality")
    wait_for_dash(pg)
    pg.locator("#data-quality-accepted").wait_for(timeout=60_000)
    assert REASON in pg.locator("#data-quality-accepted").inner_text()
    chase = pg.locator("#data-quality-chase-wrap").inner_text()
    assert "Chase list" in chase
    # PRJ001's return for 2024/25 Q1 never came: chased by a prepared email to the contact on file.
    assert pg.locator("#data-quality-chase a[href^='mailto:rys@example.org']").count() > 0
    check_axe(pg)
    screenshot(pg, "data-quality-manager-chase")
    # On the overview, the figure carries a marked note that opens to the reason kept with the batch.
    pg.goto("/?fy=2024%2F25")
    wait_for_dash(pg)
    note = pg.locator("#kpi-events-accepted")
    note.wait_for(timeout=60_000)
    # Every month of EVENTS in Rochford was 99,999 against a history of 4 to 6: three figures.
    assert "3 figures accepted against a warning" in note.locator("summary").inner_text()
    reasons = note.get_by_text(REASON)
    assert reasons.count() == 3 and not reasons.first.is_visible()  # closed until asked
    note.locator("summary").click()
    assert reasons.first.is_visible()
    assert "2024-07, Rochford" in note.inner_text()
    check_axe(pg)
    context.close()
    assert not errors, errors
