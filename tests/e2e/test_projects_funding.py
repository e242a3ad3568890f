"""Projects grid, a project's page and the funding page in a real browser.

Filters drive the URL and a reload reproduces the view; the grid sorts, filters and downloads a CSV
whose formula-like text is escaped; every page passes axe (WCAG 2.2 AA); screenshots at laptop
(1366) and tablet (820) widths are saved for a person to look at.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
GRID = "dash_ag_grid.getApi('projects-grid')"


def sample(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def select(page, label: str):  # noqa: ANN001, ANN201
    """A filter-bar select by its label text (the label wraps the select)."""
    return page.locator(f"form.filter-bar label:has(span.form-label:text-is('{label}')) select")


def open_grid(page, url: str = "/projects") -> None:  # noqa: ANN001
    page.goto(url)
    wait_for_dash(page)
    page.wait_for_selector("#projects-grid .ag-row")
    page.wait_for_function(f"() => {GRID}.getDisplayedRowCount() > 0")


def grid_rows(page) -> int:  # noqa: ANN001
    return page.evaluate(f"() => {GRID}.getDisplayedRowCount()")


def first_row(page) -> dict:  # noqa: ANN001
    return page.evaluate(f"() => {GRID}.getDisplayedRowAtIndex(0).data")


def _active(projects: list[dict], first: str, last: str) -> list[dict]:
    """The projects active at some point from ``first`` to ``last`` (dates): the grid lists those."""
    return [p for p in projects if p["start_date"] <= last and (not p["end_date"] or p["end_date"] >= first)]


def test_projects_grid_filters_sort_filter_export(page, tmp_path: Path) -> None:  # noqa: ANN001
    everything = sample("projects.csv")
    now = _active(everything, "2025-04-01", "2026-03-31")  # the default view: 2025/26
    open_grid(page)
    assert grid_rows(page) == len(now) < len(everything) == 70
    assert page.locator("#projects-summary").inner_text().startswith(f"{len(now)} projects active in this period")
    assert "not active in this period are not listed" in page.locator("#projects-summary").inner_text()
    projects = _active(everything, "2024-04-01", "2025-03-31")  # 2024/25, chosen below
    check_axe(page)
    screenshot(page, "projects")

    # Filters go into the URL, and a reload reproduces the view.
    p1 = sum(1 for p in projects if p["priority_code"] == "P1")
    select(page, "Priority").select_option("P1")
    select(page, "Financial year").select_option("2024/25")
    wait_for_dash(page)
    assert "priority=P1" in page.url and "fy=2024%2F25" in page.url
    page.wait_for_function(f"() => {GRID}.getDisplayedRowCount() === {p1}")
    expect(page.locator("#projects-summary")).to_contain_text(f"{p1} projects active in this period (2024/25",
                                                              timeout=30000)
    page.reload()
    open_grid(page, page.url)
    assert select(page, "Priority").input_value() == "P1"
    assert grid_rows(page) == p1
    # Project links carry the year to the project page.
    assert "/projects/PRJ" in page.locator("#projects-grid .ag-row a").first.get_attribute("href")
    assert "fy=2024%2F25" in page.locator("#projects-grid .ag-row a").first.get_attribute("href")

    # Sort: clicking "Grant (£)" twice puts the largest 2024/25 grant among P1 projects first.
    p1_codes = {p["project_code"] for p in projects if p["priority_code"] == "P1"}
    grants: dict[str, float] = {}
    for g in sample("grants.csv"):
        if g["project_code"] in p1_codes and g["financial_year"] == "2024/25":
            grants[g["project_code"]] = grants.get(g["project_code"], 0.0) + float(g["awarded_gbp"])
    header = page.locator(".ag-header-cell[col-id=grant_gbp] .ag-header-cell-label")
    header.click()
    header.click()
    page.wait_for_function(f"() => {GRID}.getDisplayedRowAtIndex(0)?.data?.grant_gbp === {max(grants.values())}")
    assert first_row(page)["project_code"] == max(grants, key=grants.get)

    # Filter through the column's own filter: HO_VRU projects among P1.
    hovru = sum(1 for p in projects if p["priority_code"] == "P1" and p["funding_stream"] == "HO_VRU")
    page.locator(".ag-header-cell[col-id=funding_stream] .ag-header-cell-filter-button").click()
    page.get_by_label("Filter Value").first.fill("HO_VRU")
    page.wait_for_function(f"() => {GRID}.getDisplayedRowCount() === {hovru}")
    page.keyboard.press("Escape")

    # Export: every row the grid shows, with its column filter and sort (formula escaping: unit tests).
    shown = first_row(page)["project_code"]
    with page.expect_download() as info:
        page.get_by_role("button", name="Download table as CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv") and "priority-P1" in download.suggested_filename
    path = tmp_path / "projects.csv"
    download.save_as(path)
    table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(table) == hovru
    assert table[0]["Code"] == shown and "](" not in table[0]["Code"]  # the code, not the link
    assert {r["Stream"] for r in table} == {"HO_VRU"}
    assert [float(r["Grant (£)"] or 0) for r in table] == sorted((float(r["Grant (£)"] or 0) for r in table),
                                                                 reverse=True)


def test_project_page_details_charts_returns_and_history(page) -> None:  # noqa: ANN001
    open_grid(page)
    page.locator("#projects-grid .ag-row a", has_text="PRJ001").click()
    page.wait_for_url("**/projects/PRJ001*")
    wait_for_dash(page)
    name = next(p["project_name"] for p in sample("projects.csv") if p["project_code"] == "PRJ001")
    assert name in page.locator("h1").inner_text()
    body = page.locator("#project-detail-body")
    assert "Rochford" in body.inner_text()
    assert page.locator(".measure .js-plotly-plot").count() >= 2
    assert body.locator("table.returns-table tbody tr").count() == 8
    assert "observations.csv" in body.locator("table.loads-table").inner_text()
    check_axe(page)
    screenshot(page, "project-PRJ001")

    select(page, "Financial year").select_option("2023/24")
    wait_for_dash(page)
    assert "/projects/PRJ001" in page.url and "fy=2023%2F24" in page.url
    # PRJ001's 2023/24 target: 14 community events (targets.csv).
    target = next(float(t["target_value"]) for t in sample("targets.csv") if t["scope_code"] == "PRJ001"
                  and t["financial_year"] == "2023/24" and t["metric_code"] == "COMMUNITY_EVENTS")
    expect(body).to_contain_text(f"against a target of {target:.0f} for the period", timeout=30000)
    page.reload()
    wait_for_dash(page)
    assert select(page, "Financial year").input_value() == "2023/24"
    expect(page.locator("#project-detail-body")).to_contain_text(f"against a target of {target:.0f} for the period",
                                                                  timeout=30000)

    page.set_viewport_size({"width": 820, "height": 1000})
    wait_for_dash(page)
    screenshot(page, "project-PRJ001-tablet")


def test_unknown_project_says_so_with_a_way_back(page) -> None:  # noqa: ANN001
    page.goto("/projects/PRJ999")
    wait_for_dash(page)
    assert page.locator("h1").inner_text() == "No such project"
    assert "PRJ999" in page.locator("main").inner_text()
    check_axe(page)
    page.get_by_role("link", name="see all projects and partners").click()
    page.wait_for_url("**/projects")
    wait_for_dash(page)
    page.wait_for_selector("#projects-grid .ag-row")


def test_funding_page_filters_forecast_and_costs(page) -> None:  # noqa: ANN001
    page.goto("/funding")
    wait_for_dash(page)
    main = page.locator("main")
    assert "Money cannot be carried over" in main.inner_text()
    assert page.locator("#funding-body .js-plotly-plot").count() == 4
    assert "forecast to be left unspent at 31 March" in main.inner_text()
    assert page.locator("table.cost-summary-table tbody tr").count() >= 4  # one per outcome measure
    costs = "dash_ag_grid.getApi('funding-cost-grid')"
    forecast = "dash_ag_grid.getApi('funding-forecast-grid')"
    page.locator("#funding-cost-grid .ag-row a").first.wait_for(state="attached", timeout=30000)
    page.wait_for_function(f"() => {costs}.getDisplayedRowCount() > 20 && {forecast}.getDisplayedRowCount() > 20")
    # The forecast grid opens largest difference from grant first, as the flagged table does.
    first_flagged = page.locator("table.forecast-table tbody tr").first.locator("td").first.inner_text()
    page.wait_for_function(f"() => {forecast}.getDisplayedRowAtIndex(0)?.data?.project_code === '{first_flagged}'")
    check_axe(page)
    screenshot(page, "funding")

    select(page, "Financial year").select_option("2022/23")
    select(page, "Funding stream").select_option("HO_VRU")
    wait_for_dash(page)
    assert "fy=2022%2F23" in page.url and "stream=HO_VRU" in page.url
    granted = sum(float(g["awarded_gbp"]) for g in sample("grants.csv")
                  if g["funding_stream"] == "HO_VRU" and g["financial_year"] == "2022/23")
    assert granted == 1_494_200
    expect(page.locator("#funding-body h2").nth(1)).to_have_text("Grants against spend, 2022/23", timeout=30000)
    page.get_by_text("Show the figures as a table").click()
    allocation = page.locator("table.allocation-table")
    expect(allocation).to_contain_text("£1,494,200")
    expect(allocation).to_contain_text("£1,700,000")
    expect(allocation).not_to_contain_text("ECC")  # the stream filter applies to the allocation
    # The grids follow the filters too: every forecast row is an HO_VRU project.
    hovru = {p["project_code"] for p in sample("projects.csv") if p["funding_stream"] == "HO_VRU"}
    page.wait_for_function(f"() => {forecast}.getDisplayedRowCount() <= {len(hovru)}")
    codes = page.evaluate(f"() => {{ const out = []; {forecast}.forEachNode("
                          "n => n.data && out.push(n.data.project_code)); return out; }")
    assert codes and set(codes) <= hovru

    page.reload()
    wait_for_dash(page)
    assert select(page, "Funding stream").input_value() == "HO_VRU"
    expect(page.locator("#funding-body h2").nth(1)).to_have_text("Grants against spend, 2022/23", timeout=30000)

    page.set_viewport_size({"width": 820, "height": 1000})
    page.goto("/funding")
    wait_for_dash(page)
    screenshot(page, "funding-tablet")
    page.goto("/projects")
    wait_for_dash(page)
    page.wait_for_selector("#projects-grid .ag-row")
    screenshot(page, "projects-tablet")
