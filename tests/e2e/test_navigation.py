"""Moving between pages keeps the filters; sentences name areas; every chart offers a PNG download."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_dash


def test_filters_carry_over_through_the_navigation_bar(page) -> None:  # noqa: ANN001
    page.goto("/?fy=2023%2F24&quarter=Q2&area=E07000066")
    wait_for_dash(page)
    assert "Basildon" in page.locator("#overview-body").inner_text()  # the name, not E07000066
    assert "E07000066" not in page.locator("#overview-body").inner_text()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects and partners").click()
    page.wait_for_url("**/projects?*")
    wait_for_dash(page)
    assert "fy=2023%2F24" in page.url and "quarter=Q2" in page.url and "area=E07000066" in page.url
    assert page.get_by_label("Financial year").input_value() == "2023/24"
    assert page.get_by_label("Area").input_value() == "E07000066"
    options = [o for o in page.get_by_label("Area").locator("option").all_inner_texts() if o]  # dbc's blank one
    assert options[:2] == ["All areas", "Essex (county)"]


def test_charts_download_as_png_only(page) -> None:  # noqa: ANN001
    page.goto("/priorities")
    wait_for_dash(page)
    graph = page.locator(".progress-graph").first
    graph.hover()
    buttons = graph.locator(".modebar-btn")
    assert buttons.count() == 1 and "png" in (buttons.first.get_attribute("data-title") or "").lower()
    with page.expect_download() as download:
        buttons.first.click()
    assert download.value.suggested_filename.endswith(".png")


def test_every_chart_offers_its_data_as_csv(page) -> None:  # noqa: ANN001
    page.goto("/funding")
    wait_for_dash(page)
    # Plotly draws after the callbacks settle (its bundle loads on demand): wait for every chart box.
    boxes = page.locator("figure .dash-graph")
    expect(page.locator("figure .js-plotly-plot")).to_have_count(boxes.count(), timeout=60_000)
    graphs = page.locator("figure .js-plotly-plot").count()
    buttons = page.get_by_role("button", name="Download chart data (CSV)")
    expect(buttons).to_have_count(graphs, timeout=30_000)
    assert graphs >= 1 and buttons.count() == graphs  # one shared helper (assets/chart_csv.js), every chart
    with page.expect_download() as download:
        buttons.first.click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: PTH123, SIM115 - playwright path
    header, first = text.splitlines()[:2]
    assert header == "series,x,y" and first.startswith("HO_VRU,2019/20,")
    assert download.value.suggested_filename.endswith(".csv")
