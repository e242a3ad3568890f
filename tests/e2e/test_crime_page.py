"""The Crime page in a real browser on the demo data (synthetic police.uk months April 2019 to September
2025, generated at start-up by etl.synthetic_crime): filters drive the URL, a reload reproduces the
view, axe finds nothing, the map draws offline, and no callback answer reaches 50 KB."""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash

LSOA11, LSOA21, DISTRICTS = 1_077, 1_111, 14  # features in data/geo/lsoa11, lsoa21 and districts.geojson


def _watch(page) -> tuple[list[str], list[tuple[str, int]]]:  # noqa: ANN001
    urls: list[str] = []
    sizes: list[tuple[str, int]] = []
    page.on("request", lambda r: urls.append(r.url))

    def on_response(r) -> None:  # noqa: ANN001
        if "_dash-update-component" in r.url:
            sizes.append((json.loads(r.request.post_data or "{}").get("output", ""), len(r.body())))

    page.on("response", on_response)
    return urls, sizes


def _control(page, label: str):  # noqa: ANN001, ANN202
    """A select by its label. The label wraps the select, so its accessible name is the label followed by the
    chosen option ("FromOctober 2024"): match the start."""
    return page.get_by_label(re.compile(rf"^{label}"))


def _shapes(page) -> int:  # noqa: ANN001
    return page.locator("#crime-map .choroplethlocation").count()


def test_crime_page_filters_url_reload_offline(page, live_server: str) -> None:  # noqa: ANN001
    urls, sizes = _watch(page)
    page.goto("/crime")
    wait_for_dash(page)
    page.wait_for_selector("#crime-map .choroplethlocation", state="attached")
    # default view: the latest financial year so far (2025/26: April to September 2025), as on every other page,
    # on the 2021 LSOAs police.uk uses from 2022
    assert _control(page, "Financial year").input_value() == "2025/26"
    assert _control(page, "From").input_value() == "2025-04"
    assert _control(page, "To").input_value() == "2025-09"
    facts = page.locator("#crime-facts").inner_text()
    assert "April 2025 to September 2025" in facts
    assert "Police recorded crime" in facts and "Anti-social behaviour (not crime)" in facts  # counted apart
    assert "except anti-social behaviour" in page.locator("#crime-definition").inner_text()
    # totals per financial year: 2019/20 to 2025/26 (the sample's months), and what each column counts
    assert page.locator(".crime-years-table tbody tr").count() == 7
    definitions = page.locator(".crime-definitions").inner_text()
    assert "Serious violence" in definitions and "possession of weapons" in definitions
    assert _shapes(page) == LSOA21 + DISTRICTS
    # 15 areas (county, 12 districts, 2 unitaries) + partnership total + 2 buckets + every row
    assert page.locator(".crime-table tbody tr").count() == 19
    assert page.locator("#crime-monthly .annotation-text", has_text="VVU starts (April 2019)").count() == 1
    assert "vertical line marks the unit's start in April 2019" in page.locator("#crime-monthly-caption").inner_text()
    check_axe(page)
    screenshot(page, "crime")

    _control(page, "Financial year").select_option("2023/24")  # a whole year: its months, and fy= in the address
    wait_for_dash(page)
    assert (_control(page, "From").input_value(), _control(page, "To").input_value()) == ("2023-04", "2024-03")
    assert "fy=2023%2F24" in page.url and "month_from" not in page.url, page.url
    assert "April 2023 to March 2024" in page.locator("#crime-facts").inner_text()
    _control(page, "Crime type").select_option("Serious violence")  # a grouping, with its definition
    wait_for_dash(page)
    assert "no under-25 split" in page.locator("#crime-definition").inner_text()
    assert "crime_type=Serious+violence" in page.url

    _control(page, "Area").select_option("E07000066")
    wait_for_dash(page)
    _control(page, "Crime type").select_option("Violence and sexual offences")
    wait_for_dash(page)
    _control(page, "From").select_option("2021-01")
    wait_for_dash(page)
    _control(page, "To").select_option("2021-12")
    wait_for_dash(page)
    for part in ("area=E07000066", "crime_type=Violence+and+sexual+offences", "month_from=2021-01",
                 "month_to=2021-12"):
        assert part in page.url, page.url
    assert "fy=" not in page.url and _control(page, "Financial year").input_value() == "months"  # not one year
    page.wait_for_function(f"document.querySelectorAll('#crime-map .choroplethlocation').length == "
                           f"{LSOA11 + DISTRICTS}")  # months before 2022: police.uk's 2011 LSOAs
    caption = page.locator("#crime-map-caption").inner_text()
    assert "January 2021 to December 2021, Basildon" in caption
    facts = page.locator("#crime-facts").inner_text()
    assert "per 1,000 residents of Basildon" in facts
    assert page.locator(".crime-table tr.selected th").inner_text() == "Basildon"

    page.reload()
    wait_for_dash(page)
    page.wait_for_selector("#crime-map .choroplethlocation", state="attached")
    assert _control(page, "Area").input_value() == "E07000066"
    assert _control(page, "Crime type").input_value() == "Violence and sexual offences"
    assert _control(page, "From").input_value() == "2021-01"
    assert _control(page, "To").input_value() == "2021-12"
    assert page.locator("#crime-facts").inner_text() == facts
    assert page.locator("#crime-map-caption").inner_text() == caption
    assert _shapes(page) == LSOA11 + DISTRICTS
    check_axe(page)
    screenshot(page, "crime-basildon-violence-2021")

    # A financial year carries over from another page through the navigation bar, and back.
    page.goto("/priorities?fy=2023%2F24")
    wait_for_dash(page)
    page.locator("nav a[href^='/crime']").click()
    wait_for_dash(page)
    assert _control(page, "Financial year").input_value() == "2023/24"
    assert (_control(page, "From").input_value(), _control(page, "To").input_value()) == ("2023-04", "2024-03")
    # The navigation links follow the page's filters by a callback of their own: wait for it, bounded.
    expect(page.locator("nav a[href^='/priorities']")).to_have_attribute("href", "/priorities?fy=2023%2F24",
                                                                          timeout=15_000)

    outside = [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname != urlparse(live_server).hostname]
    assert not outside, f"requests left the server: {outside}"
    assert any(u.endswith("/api/v1/crime/boundaries/lsoa21.geojson") for u in urls)
    assert any(u.endswith("/api/v1/crime/boundaries/lsoa11.geojson") for u in urls)
    assert sizes and max(size for _output, size in sizes) < 50_000, sorted(sizes, key=lambda s: -s[1])[:3]
