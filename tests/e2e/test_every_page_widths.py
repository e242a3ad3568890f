"""Every page at a phone's, a laptop's and a desktop's width (390, 1366, 1440 px), on a closed network.

Each page must render without console errors or any request leaving the machine (the ``new_page``
guard), without a horizontal scroll bar on the page itself (wide tables scroll inside their own
box), fold the filter panel away on a phone, keep every chart title clear of the chart's mode bar
and inside the chart on a phone, draw no chart text over another (titles, annotations, axis titles,
tick labels, legend entries), and pass axe. Full-page screenshots are saved as
``widths-<page>-<width>.png`` to look at.
"""

from __future__ import annotations

import time

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

# Any two texts of one chart drawn over each other (title, annotations, axis titles, tick labels, legend
# entries), by more than 2 px each way: a panel title over the chart's title, month labels run together.
TEXT_OVERLAPS = r"""() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
  const sel = '.gtitle, .annotation-text, .xtitle, .ytitle, .xtick > text, .ytick > text, .legendtext';
  // Plotly turns crowded tick labels. A turned label's upright box is far larger than its words (it
  // reaches under its neighbours and the other axis's corner label), so it is judged against titles,
  // annotations and legend entries only.
  const turned = t => /rotate\(\s*-?[1-9]/.test(t.getAttribute('transform') || '');
  const boxes = [...gd.querySelectorAll(sel)]
    .map(t => ({text: t.textContent.trim(), r: t.getBoundingClientRect(), turned: turned(t),
                tick: t.matches('.xtick > text, .ytick > text')}))
    .filter(b => b.text && b.r.width > 0 && b.r.height > 0);
  const out = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    if ((a.turned && b.tick) || (b.turned && a.tick)) { return; }
    const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
    const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
    if (w > 2 && h > 2) { out.push(a.text.slice(0, 50) + ' / ' + b.text.slice(0, 50)); }
  }));
  return out;
})"""


def settled(pg, probe: str, seconds: float = 10.0) -> list:  # noqa: ANN001
    """The probe's findings once they are gone, or as they stand after ``seconds`` (charts redraw)."""
    deadline = time.monotonic() + seconds
    found = pg.evaluate(probe)
    while found and time.monotonic() < deadline:
        pg.wait_for_timeout(250)
        found = pg.evaluate(probe)
    return found


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
            overprinted = settled(pg, TEXT_OVERLAPS)  # titles are fitted after each chart is drawn
            assert not overprinted, f"{label}: chart texts overprint at {width} px: {overprinted[:8]}"
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
