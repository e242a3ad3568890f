"""The Grip page in a real browser: the controls drive the URL, a reload reproduces the view, axe finds
nothing, no request leaves the server (the map needs no tiles or base map), and the callback is fast.

Known answers are from the sample (data/sample/grip, seed 2034): 19 of the 20 hotspots are modelled
(Marine Parade is patrolled every day); violence is 29% lower on patrol days than on days with no
patrol that day or the day before (rate ratio 0.71; the generator's true ratio is 0.6), all offences
16% lower, harm-weighted 21% lower. The sample's patrols follow a randomised plan with imperfect
compliance, so the page states the randomised design and gives the assigned-day comparison (all
offences 10% lower, diluted by missed and extra patrols) and compliance (847 of 928 assigned days).
"""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import urlparse

from tests.e2e.conftest import check_axe, screenshot, wait_for_dash


def _outside(urls: list[str], base: str) -> list[str]:
    host = urlparse(base).hostname
    return [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != host]


def test_grip_controls_url_reload_and_accessibility(page, live_server: str) -> None:  # noqa: ANN001
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto("/grip")
    wait_for_dash(page)
    headline = page.locator("#grip-headline")
    assert "recorded crime at the 19 hotspots modelled was 16% lower" in headline.inner_text()
    assert "Design: randomised assignment" in page.locator("#grip-design").inner_text()
    assert "10% lower" in page.locator("#grip-itt").inner_text()
    assert "847 of 928 assigned days were patrolled (91%)" in page.locator("#grip-compliance").inner_text()
    modelled = page.locator("#grip-modelled").inner_text()
    assert "19 of 20 hotspots, 1,710 hotspot-days" in modelled
    assert "Marine Parade (SOS05): patrolled every day" in modelled
    assert "100 m to 250 m beyond each hotspot" in page.locator("#grip-ring").inner_text()
    assert "about 1 of 20 here" in page.locator("#grip-many").inner_text()
    reference = page.locator(".grip-reference").inner_text()
    assert "73% less violent crime" in reference and "not computed from the data on this page" in reference
    page.wait_for_selector("#grip-map .scatterlayer .point")
    assert page.locator("#grip-map .scatterlayer .point").count() == 20  # one circle per hotspot
    assert page.locator("#grip-forest .scatterlayer .point").count() >= 19  # 19 hotspots with an interval
    assert page.locator("#grip-table tbody tr").count() == 21  # 20 hotspots + pooled
    assert "patrolled every day of its period" in page.locator("#grip-table tbody tr").nth(4).inner_text()  # SOS05
    assert "Regression to the mean" in page.locator(".grip-caveats").inner_text()
    assert "day after a patrol" in page.locator("#grip-next-day").inner_text()
    check_axe(page)
    screenshot(page, "grip")

    page.get_by_label("Offence group").select_option("violence")
    wait_for_dash(page)
    assert "offence_group=violence" in page.url
    assert "recorded violence offences at the 19 hotspots modelled were 29% lower" in headline.inner_text()
    assert "rate ratio 0.71" in headline.inner_text()
    assert "Many comparisons" in page.locator("#grip-body").inner_text()

    page.get_by_label("Crime harm (weighted)").check()
    wait_for_dash(page)
    assert "measure=harm" in page.url
    assert "Harm weighting changes nothing within one offence group" in page.locator("#grip-body").inner_text()

    page.get_by_label("Offence group").select_option("all")
    wait_for_dash(page)
    assert "offence_group=all" in page.url and "measure=harm" in page.url
    assert "crime harm at the 19 hotspots modelled was 21% lower" in headline.inner_text()

    page.get_by_label("Operation").select_option("1")
    wait_for_dash(page)
    assert "operation=1" in page.url
    assert "in this view 2 June 2025 to 30 August 2025" in page.locator("#grip-body").inner_text()

    page.reload()
    wait_for_dash(page)
    assert page.get_by_label("Offence group").input_value() == "all"
    assert page.get_by_label("Crime harm (weighted)").is_checked()
    assert page.get_by_label("Operation").input_value() == "1"
    assert "crime harm at the 19 hotspots modelled was 21% lower" in page.locator("#grip-headline").inner_text()
    check_axe(page)
    screenshot(page, "grip-harm")

    page.goto("/grip?offence_group=<script>&measure=nonsense&operation=9")  # a bad link: the default view
    wait_for_dash(page)
    assert page.get_by_label("Offence group").input_value() == "all"
    assert page.get_by_label("Operation").input_value() == "all"
    assert not _outside(urls, live_server)


def _callback(base: str, group: str, measure: str) -> float:
    body = {"output": "grip-body.children", "outputs": {"id": "grip-body", "property": "children"},
            "inputs": [{"id": "grip-offence", "property": "value", "value": group},
                       {"id": "grip-measure", "property": "value", "value": measure},
                       {"id": "grip-operation", "property": "value", "value": "all"}],
            "changedPropIds": ["grip-offence.value"], "state": []}
    request = urllib.request.Request(base + "/_dash-update-component", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Accept-Encoding": "br"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - start) * 1000


def test_grip_callback_answers_every_view(live_server: str) -> None:
    """Every offence group and measure answers over HTTP as the browser asks. Its speed is measured in
    bench/ (bench/grip.py, bench/dashboard.py), never by a timed assertion here."""
    groups = ("all", "violence", "robbery", "public order", "theft", "criminal damage", "drugs", "other")
    for g, m in [(g, "count") for g in groups] + [("all", "harm")]:
        _callback(live_server, g, m)
