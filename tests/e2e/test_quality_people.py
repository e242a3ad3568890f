"""People reached and Data quality in a real browser: filters and metric in the URL, reload reproduces the
view, a bad CSV uploaded through the real ``dcc.Upload`` input is refused with its problems listed."""

from __future__ import annotations

import re

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash

BAD_CSV = ("period,project_code,area_code,metric_code,value\n"
           "2024-05,PRJ001,E07000075,NOT_A_METRIC,3\n"
           "2024-05,PRJ001,E07000075,YP_ENGAGED,-4\n")


def test_people_breakdowns_filters_and_accessibility(page) -> None:  # noqa: ANN001
    page.goto("/people?fy=2024%2F25")
    page.locator("#people-ethnicity table").wait_for(timeout=30000)
    wait_for_dash(page)
    for table_id in ("people-age-band", "people-sex", "people-ethnicity"):
        assert page.locator(f"#{table_id} table caption").count() == 1
    body = page.locator("#people-body")
    # Young people engaged in 2024/25 in the sample: 491 people, published with a fixed adjustment of at
    # most 5, and the same published total under each of the three splits (it is one cell).
    totals = {int(page.locator(f"#{t} tr.total-row td").last.inner_text().replace(",", ""))
              for t in ("people-age-band", "people-sex", "people-ethnicity")}
    assert len(totals) == 1 and abs(totals.pop() - 491) <= 5
    hidden = page.locator("#people-body abbr[title='Suppressed to protect confidentiality']")
    assert hidden.count() >= 1 and hidden.first.inner_text() == "[c]"
    assert "a count of 1 to 9 people, not shown" in body.inner_text()
    check_axe(page)
    screenshot(page, "people")

    page.get_by_label("People measure").select_option("IND_SUPPORTED")
    wait_for_dash(page)
    assert "metric=IND_SUPPORTED" in page.url and "fy=2024%2F25" in page.url
    page.get_by_label("Quarter").select_option("Q2")
    wait_for_dash(page)
    assert "quarter=Q2" in page.url and "metric=IND_SUPPORTED" in page.url  # a filter change keeps metric=
    assert body.locator("h2").inner_text().startswith("Individuals supported: 2024-07 to 2024-09")

    page.reload()
    page.locator("#people-ethnicity table").wait_for(timeout=30000)
    wait_for_dash(page)
    assert page.get_by_label("People measure").input_value() == "IND_SUPPORTED"
    assert page.get_by_label("Quarter").input_value() == "Q2"
    assert body.locator("h2").inner_text().startswith("Individuals supported: 2024-07 to 2024-09")
    assert page.locator("#people-age-band thead th").all_inner_texts() == ["Age band", "Q2", "Total"]


def test_data_quality_grid_filters_and_upload(page) -> None:  # noqa: ANN001
    page.goto("/data-quality?fy=2024%2F25")
    page.locator("#data-quality-grid .ag-row .rs").first.wait_for(timeout=30000)
    wait_for_dash(page)
    headers = page.locator("#data-quality-grid .ag-header-cell-text").all_inner_texts()
    assert headers == ["Code", "Project", *[f"2024/25 Q{q}" for q in range(1, 5)]]
    summary = page.locator("#data-quality-returns-summary").inner_text()
    assert re.match(r"\d+ returns due: \d+ on time, \d+ late, \d+ missing\.", summary)
    # Status is spelt out, not only coloured.
    assert page.locator("#data-quality-grid .rs-on-time").first.inner_text().strip() == "✓ On time"
    # Filter a quarter's column to the missing returns: what a manager chases.
    missing_q1 = int(page.locator("table.dq-summary tbody tr").first.locator("td").nth(3).inner_text())
    page.evaluate("""() => dash_ag_grid.getApi('data-quality-grid').setFilterModel(
        {q0: {filterType: 'text', type: 'equals', filter: 'Missing'}})""")
    page.wait_for_function(f"() => dash_ag_grid.getApi('data-quality-grid').getDisplayedRowCount() === {missing_q1}")
    page.evaluate("() => dash_ag_grid.getApi('data-quality-grid').setFilterModel(null)")
    page.wait_for_function(f"() => dash_ag_grid.getApi('data-quality-grid').getDisplayedRowCount() > {missing_q1}")
    assert page.locator("#data-quality-batches tbody tr").first.locator("td").first.inner_text() != ""
    check_axe(page)
    screenshot(page, "data-quality")

    page.get_by_role("combobox", name=re.compile("^Project")).select_option("PRJ001")
    wait_for_dash(page)
    assert "project=PRJ001" in page.url
    page.wait_for_function("() => dash_ag_grid.getApi('data-quality-grid').getDisplayedRowCount() === 1")
    page.reload()
    page.locator("#data-quality-grid .ag-row .rs").first.wait_for(timeout=30000)
    wait_for_dash(page)
    assert page.get_by_role("combobox", name=re.compile("^Project")).input_value() == "PRJ001"
    page.wait_for_function("() => dash_ag_grid.getApi('data-quality-grid').getDisplayedRowCount() === 1")
    assert page.locator("#data-quality-grid .ag-row").first.inner_text().startswith("PRJ001")

    # Clicking the drop zone opens the file dialog (once, through its label).
    with page.expect_file_chooser() as chooser:
        page.locator(".upload-zone").click()
    assert chooser.value is not None

    # The real dcc.Upload input, found by its label, as a keyboard or screen reader user reaches it.
    upload_input = page.get_by_label(re.compile("choose a file"))
    upload_input.set_input_files(files=[{"name": "bad return.csv", "mimeType": "text/csv",
                                         "buffer": BAD_CSV.encode()}])
    report = page.locator("#data-quality-upload-problems")
    report.wait_for(timeout=30000)
    wait_for_dash(page)
    problems = [row.locator("td").all_inner_texts() for row in report.locator("tbody tr").all()]
    assert problems[0][:4] == ["bad return.csv", "2", "metric_code", "NOT_A_METRIC"]
    assert problems[1][:4] == ["bad return.csv", "3", "value", "-4"]
    assert "nothing was loaded" in page.locator("#data-quality-upload-report").inner_text()
    # The page's tables refresh: the refusal is the newest load and its problems are listed below.
    newest = page.locator("#data-quality-batches tbody tr").first.locator("td").all_inner_texts()
    assert newest[0] == "bad return.csv" and "Refused" in newest[-1]
    assert "NOT_A_METRIC" in page.locator("#data-quality-rejections").inner_text()
    check_axe(page)
    screenshot(page, "data-quality-upload")
