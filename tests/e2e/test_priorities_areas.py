"""Priorities and areas in a real browser: every page control drives the URL, a reload reproduces the
view, axe finds nothing, and the map draws without any request leaving the server."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash


def _watch(page) -> tuple[list[str], list[tuple[str, int]]]:  # noqa: ANN001
    """Every requested URL, and the size of every callback response (output ids, bytes)."""
    urls: list[str] = []
    sizes: list[tuple[str, int]] = []
    page.on("request", lambda r: urls.append(r.url))

    def on_response(r) -> None:  # noqa: ANN001
        if "_dash-update-component" in r.url:
            output = json.loads(r.request.post_data or "{}").get("output", "")
            sizes.append((output, len(r.body())))

    page.on("response", on_response)
    return urls, sizes


def _outside(urls: list[str], base: str) -> list[str]:
    host = urlparse(base).hostname
    return [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != host]


def test_priorities_grain_filters_and_reload(page, live_server: str) -> None:  # noqa: ANN001
    urls, sizes = _watch(page)
    page.goto("/priorities")
    wait_for_dash(page)
    assert page.locator(".priority-section h2").all_inner_texts()[0].startswith("P1: Organised crime")
    assert page.locator(".priority-section").count() == 3
    assert page.locator(".metric-card").count() == 13  # every metric with a priority (metrics.csv)
    yp = page.locator("#priorities-yp_engaged")
    assert "so far against a target of 410" in yp.locator("figcaption").inner_text()
    assert yp.locator(".xtick text").first.text_content() == "Apr"
    assert yp.locator(".legendtext").filter(has_text="Projection").count() == 1
    check_axe(page)
    screenshot(page, "priorities")

    page.get_by_label("Show values by").select_option("quarter")
    wait_for_dash(page)
    assert "grain=quarter" in page.url
    assert yp.locator(".xtick text").first.text_content() == "Q1 (Apr–Jun)"

    page.get_by_label("Priority").select_option("P3")
    wait_for_dash(page)
    assert "priority=P3" in page.url and "grain=quarter" in page.url  # a filter change keeps the page's own choice
    assert page.locator(".priority-section").count() == 1

    page.reload()
    wait_for_dash(page)
    assert page.get_by_label("Show values by").input_value() == "quarter"
    assert page.get_by_label("Priority").input_value() == "P3"
    assert page.locator(".priority-section").count() == 1
    assert page.locator("#priorities-yp_engaged .xtick text").first.text_content() == "Q1 (Apr–Jun)"
    screenshot(page, "priorities-quarter-p3")  # same components as above, where axe ran (it takes ~15 s here)

    assert not _outside(urls, live_server)
    sections = [size for output, size in sizes if "priority-section" in output]
    assert sections and max(size for _output, size in sizes) < 50_000  # a priority's charts per response


def test_areas_map_offline_controls_and_reload(page, live_server: str) -> None:  # noqa: ANN001
    urls, sizes = _watch(page)
    page.goto("/areas")
    wait_for_dash(page)
    page.wait_for_selector("#areas-map .choroplethlocation")
    # two layers (grey base and values) of the 14 lower-tier authorities
    assert page.locator("#areas-map .choroplethlocation").count() == 28
    assert page.locator(".areas-table tbody tr").count() == 15  # county + 12 districts + 2 unitaries
    assert "Young people engaged" in page.locator(".areas-table caption").inner_text()
    check_axe(page)
    screenshot(page, "areas")

    page.get_by_label("Measure").select_option("DYW_HOURS")
    page.get_by_label("Rate per 1,000 residents").check()
    wait_for_dash(page)
    assert "metric=DYW_HOURS" in page.url and "measure=rate" in page.url
    assert "Hours of detached youth work" in page.locator(".areas-table caption").inner_text()
    assert "per 1,000 residents" in page.locator("#areas-map .gtitle").text_content()

    page.get_by_label("Financial year").select_option("2024/25")
    wait_for_dash(page)
    assert "fy=2024%2F25" in page.url and "metric=DYW_HOURS" in page.url

    page.reload()
    wait_for_dash(page)
    page.wait_for_selector("#areas-map .choroplethlocation")
    assert page.get_by_label("Measure").input_value() == "DYW_HOURS"
    assert page.get_by_label("Rate per 1,000 residents").is_checked()
    assert "2024/25" in page.locator(".areas-table caption").inner_text()
    assert "per 1,000 residents" in page.locator("#areas-map .gtitle").text_content()
    check_axe(page)
    screenshot(page, "areas-hours-rate")

    outside = _outside(urls, live_server)
    assert not outside, f"requests left the server: {outside}"
    assert any(u.endswith("/assets/geo/districts.geojson") for u in urls)
    map_updates = [size for output, size in sizes if "areas-map.figure" in output]
    assert map_updates and max(map_updates) < 50_000  # values only, never the geometry
