"""The overview in a real browser: cards render, filters drive the URL, reload reproduces the view."""

from __future__ import annotations

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
