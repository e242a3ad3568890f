"""Every page at a phone's, a laptop's and a desktop's width (390, 1366, 1440 px), on a closed network.

Each page must render without console errors or any request leaving the machine (the ``new_page``
guard), without a horizontal scroll bar on the page itself (wide tables scroll inside their own
box), fold the filter panel away on a phone, and pass axe. Full-page screenshots are saved as
``widths-<page>-<width>.png`` to look at.
"""

from __future__ import annotations

import pytest

from dashboard.components.shell import NAV
from tests.e2e.conftest import check_axe, new_page, screenshot, wait_for_dash

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize("width", [390, 1366, 1440])
def test_every_page_fits_the_width_and_stays_on_this_machine(browser, live_server: str, width: int) -> None:  # noqa: ANN001
    pg, context, errors = new_page(browser, live_server, width=width, height=844 if width == 390 else 900)
    try:
        for path, label in NAV:
            pg.goto(path)
            wait_for_dash(pg)
            assert pg.locator("h1").count() >= 1, f"{label} has no heading at {width} px"
            assert pg.evaluate(OVERFLOW) <= 1, f"{label} scrolls sideways at {width} px"
            panel = pg.locator("#filter-panel")
            if panel.count():  # folded on a phone, open without a fold control on wider screens
                assert pg.evaluate("() => document.querySelector('#filter-panel').open") == (width >= 700), label
                assert panel.locator("summary").is_visible() == (width < 700), label
            # Every HTML table and every chart offers its data as CSV (assets/chart_csv.js).
            tables = pg.locator("main table:not(.ag-root-wrapper table)").count()
            assert pg.locator("button.table-csv").count() == tables, f"{label}: a table without CSV"
            charts = pg.locator("figure .js-plotly-plot:not(.sparkline .js-plotly-plot)").count()
            assert pg.locator("button.chart-csv:not(.table-csv)").count() == charts, f"{label}: a chart without CSV"
            if width == 390:
                check_axe(pg)
            screenshot(pg, f"widths-{path.strip('/') or 'overview'}-{width}")
    finally:
        context.close()
    assert not errors, "console errors or outside requests:\n" + "\n".join(errors)
