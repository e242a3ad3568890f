"""Every page at a phone's, a laptop's and a desktop's width (390, 1366, 1440 px), on a closed network.

Each page must render without console errors or any request leaving the machine (the ``new_page``
guard), without a horizontal scroll bar on the page itself (wide tables scroll inside their own
box), fold the filter panel away on a phone, keep every chart title clear of the chart's mode bar
and inside the chart on a phone, and pass axe. Full-page screenshots are saved as
``widths-<page>-<width>.png`` to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard.components.shell import NAV
from tests.e2e.conftest import check_axe, new_page, screenshot, wait_for_dash

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# Each chart's title against its mode bar ("download image", top right) and its own right edge: the
# titles that overprint the bar or run off the chart (assets/chart_titles.js wraps them).
TITLE_CLASHES = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
  const t = gd.querySelector('.gtitle'), m = gd.querySelector('.modebar');
  if (!t || !t.textContent.trim()) { return []; }
  const a = t.getBoundingClientRect(), p = gd.getBoundingClientRect();
  const b = m && m.offsetWidth ? m.getBoundingClientRect() : null;
  const over = b && !(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top);
  const where = over ? ' (under the mode bar)' : ' (off the edge)';
  return over || a.right > p.right + 1 ? [t.textContent.slice(0, 80) + where] : [];
})"""


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
                try:  # the titles are fitted after each chart is drawn
                    pg.wait_for_function(f"({TITLE_CLASHES})().length == 0", timeout=10_000)
                except PlaywrightTimeout as exc:  # name the titles in the failure
                    clashes = pg.evaluate(TITLE_CLASHES)
                    raise AssertionError(f"{label}: chart titles clash at 390 px: {clashes}") from exc
                assert pg.locator(".js-plotly-plot .gtitle").count() >= (1 if charts else 0)
                check_axe(pg)
            screenshot(pg, f"widths-{path.strip('/') or 'overview'}-{width}")
    finally:
        context.close()
    assert not errors, "console errors or outside requests:\n" + "\n".join(errors)
