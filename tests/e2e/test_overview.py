"""The overview in a real browser: cards render, filters drive the URL, reload reproduces the view, and
it prints on A4."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash


def test_overview_cards_filters_and_accessibility(page) -> None:  # noqa: ANN001
    page.goto("/")
    wait_for_dash(page)
    cards = page.locator(".kpi-card")
    assert cards.count() >= 9, "one card per headline metric"
    assert "Synthetic data" in page.locator("#synthetic-banner").inner_text()
    check_axe(page)
    screenshot(page, "overview")

    page.get_by_label("Financial year").select_option("2023/24")
    page.get_by_label("Quarter").select_option("Q2")
    wait_for_dash(page)
    assert "fy=2023%2F24" in page.url and "quarter=Q2" in page.url
    text = page.locator("#overview-body").inner_text()
    assert "2023-07 to 2023-09" in text

    page.reload()
    wait_for_dash(page)
    assert page.get_by_label("Quarter").input_value() == "Q2"
    assert "2023-07 to 2023-09" in page.locator("#overview-body").inner_text()

    page.go_back()
    wait_for_dash(page)
    assert "quarter=Q2" not in page.url


# A4 at the print stylesheet's 12 mm margins, in CSS pixels (96 per inch): 186 x 273 mm.
A4_POINTS = (595.3, 841.9)
PRINT_WIDTH_PX = 186 / 25.4 * 96
PRINT_HEIGHT_PX = 273 / 25.4 * 96


def _pdf_pages(data: bytes) -> list[tuple[float, float, str]]:
    """(width pt, height pt, text) per page; ligatures (fi, ff) unfolded so titles match the DOM."""
    import io
    import unicodedata

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [(float(p.mediabox.width), float(p.mediabox.height),
             " ".join(unicodedata.normalize("NFKC", p.extract_text()).split())) for p in reader.pages]


def test_overview_prints_on_a4(page) -> None:  # noqa: ANN001
    """The issue's "the overview prints cleanly on A4", checked on the PDF Chromium prints.

    The PDF is made from the page as a user sees it on a laptop screen (as Ctrl+P does), so the
    sparklines keep their screen width. Page size and count come from the PDF itself. No card is split
    across pages: each page holds as many card titles as card last lines ("Since April 2019"), which
    a card broken at a page end would upset. The layout at the printed width (print media, 186 mm)
    shows the nav and filters hidden, every card visible, inside the page width and short enough to
    fit on a page, with no text running out of its card.
    """
    page.goto("/")
    wait_for_dash(page)
    titles = [" ".join(t.split()) for t in page.locator(".kpi-card .kpi-title").all_inner_texts()]
    assert len(titles) >= 9
    period = " ".join(page.locator(".overview-facts p").first.inner_text().split())
    assert period.startswith("Period: ")

    pages = _pdf_pages(page.pdf(format="A4", print_background=True))
    assert 1 <= len(pages) <= 3, f"{len(pages)} pages"
    for width, height, _text in pages:
        assert (width, height) == (pytest.approx(A4_POINTS[0], abs=1.5), pytest.approx(A4_POINTS[1], abs=1.5))
    text = " ".join(t for _w, _h, t in pages)
    assert period in pages[0][2], "the period and filters head the first page"
    assert "Data run to:" in pages[0][2]
    for hidden in ("Financial year", "Funding stream", "Reset filters", "Skip to main content", "Sign out"):
        assert hidden not in text, f"{hidden!r} printed"
    for title in titles:
        assert sum(t.count(title) for _w, _h, t in pages) == 1, f"{title!r} not printed once"
    for number, (_w, _h, t) in enumerate(pages, start=1):
        starts = sum(t.count(title) for title in titles)
        assert starts == t.count("Since April 2019:"), f"a card is split across page {number} and the next"

    page.emulate_media(media="print")
    page.set_viewport_size({"width": round(PRINT_WIDTH_PX), "height": round(PRINT_HEIGHT_PX)})
    assert page.locator(".site-header nav").is_hidden()
    assert page.locator(".filter-bar").is_hidden()
    layout = page.evaluate("""() => ({
        pageWidth: document.documentElement.scrollWidth,
        cards: [...document.querySelectorAll('.kpi-card')].map(c => {
            const r = c.getBoundingClientRect();
            const cut = [...c.querySelectorAll('h3, p')].filter(e => e.scrollWidth > e.clientWidth + 1).length;
            return {id: c.id, left: r.left, right: r.right, height: r.height, cut, visible: c.checkVisibility()};
        }),
    })""")
    assert layout["pageWidth"] <= PRINT_WIDTH_PX + 1, "wider than the page: the browser would shrink it to fit"
    assert len(layout["cards"]) == len(titles)
    for card in layout["cards"]:
        assert card["visible"] and card["height"] > 0, card
        assert card["left"] >= 0 and card["right"] <= PRINT_WIDTH_PX + 1, f"cut off at the page edge: {card}"
        assert card["height"] < PRINT_HEIGHT_PX, f"taller than a page: {card}"
        assert card["cut"] == 0, f"text cut off in {card['id']}"
