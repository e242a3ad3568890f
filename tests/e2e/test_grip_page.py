"""The Grip page in a real browser: the controls drive the URL, a reload reproduces the view, axe finds
nothing, no request leaves the server (the map needs no tiles or base map), and the callback is fast.

Known answers are from the sample (data/sample/grip, seed 2034): violence is 32% lower on patrol days
(rate ratio 0.68; the generator's true ratio is 0.6), all offences 17% lower, harm-weighted 29% lower.
"""

from __future__ import annotations

import json
import statistics
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
    assert "recorded crime at the 20 hotspots was 17% lower" in headline.inner_text()
    page.wait_for_selector("#grip-map .scatterlayer .point")
    assert page.locator("#grip-map .scatterlayer .point").count() == 20  # one circle per hotspot
    assert page.locator("#grip-forest .scatterlayer .point").count() >= 19  # 19 hotspots with an interval
    assert page.locator("#grip-table tbody tr").count() == 21  # 20 hotspots + pooled
    assert "no days without a patrol" in page.locator("#grip-table tbody tr").nth(4).inner_text()  # SOS05
    assert "Regression to the mean" in page.locator(".grip-caveats").inner_text()
    assert "conservative" in page.locator("#grip-next-day").inner_text()
    check_axe(page)
    screenshot(page, "grip")

    page.get_by_label("Offence group").select_option("violence")
    wait_for_dash(page)
    assert "offence_group=violence" in page.url
    assert "recorded violence offences at the 20 hotspots were 32% lower" in headline.inner_text()
    assert "rate ratio 0.68" in headline.inner_text()

    page.get_by_label("Crime harm (weighted)").check()
    wait_for_dash(page)
    assert "measure=harm" in page.url
    assert "Harm weighting changes nothing within one offence group" in page.locator("#grip-body").inner_text()

    page.get_by_label("Offence group").select_option("all")
    wait_for_dash(page)
    assert "offence_group=all" in page.url and "measure=harm" in page.url
    assert "crime harm at the 20 hotspots was 29% lower" in headline.inner_text()

    page.reload()
    wait_for_dash(page)
    assert page.get_by_label("Offence group").input_value() == "all"
    assert page.get_by_label("Crime harm (weighted)").is_checked()
    assert "crime harm at the 20 hotspots was 29% lower" in page.locator("#grip-headline").inner_text()
    check_axe(page)
    screenshot(page, "grip-harm")

    page.goto("/grip?offence_group=<script>&measure=nonsense")  # a bad link falls back to the default view
    wait_for_dash(page)
    assert page.get_by_label("Offence group").input_value() == "all"
    assert not _outside(urls, live_server)


def _callback(base: str, group: str, measure: str) -> float:
    body = {"output": "grip-body.children", "outputs": {"id": "grip-body", "property": "children"},
            "inputs": [{"id": "grip-offence", "property": "value", "value": group},
                       {"id": "grip-measure", "property": "value", "value": measure}],
            "changedPropIds": ["grip-offence.value"], "state": []}
    request = urllib.request.Request(base + "/_dash-update-component", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Accept-Encoding": "br"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - start) * 1000


def test_grip_callback_is_fast_once_warm(live_server: str) -> None:
    """One client, every view 10 times after a first (cold) request per view and data version.

    The target is p95 <= 25 ms on an idle machine (measured ~8 ms median, ~12 ms p95 on a quiet
    laptop-class box); the assertion allows 100 ms so a busy shared CI runner does not fail it.
    """
    groups = ("all", "violence", "robbery", "public order", "theft", "criminal damage", "drugs", "other")
    views = [(g, "count") for g in groups] + [("all", "harm")]
    for g, m in views:
        _callback(live_server, g, m)
    times = sorted(_callback(live_server, g, m) for _ in range(10) for g, m in views)
    p95 = times[int(0.95 * len(times)) - 1]
    print(f"grip callback: n={len(times)} median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")
    assert p95 < 100, times
