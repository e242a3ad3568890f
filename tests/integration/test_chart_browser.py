"""The board pack's kept-open Chromium (reporting.chart_browser), with the real system Chromium.

Starting Chromium was the largest cost of a pack, so one browser serves every pack a process makes.
These tests prove the reuse (one start for two packs), that a browser that died behind our back is
replaced and the pack still drawn, that an idle browser closes itself, and that every result is a
real PNG of the size asked for.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image

from reporting.chart_browser import ChartBrowser

if not Path("/usr/bin/chromium").exists():
    pytest.skip("Debian chromium is not installed (apt-get install chromium)", allow_module_level=True)


def _figure(width: int) -> go.Figure:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    fig.update_layout(width=width, height=200)
    return fig


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(png)).size


@pytest.fixture
def browser() -> Iterator[ChartBrowser]:
    b = ChartBrowser()
    yield b
    b.close()


def test_one_browser_draws_every_pack_and_a_dead_one_is_replaced(browser: ChartBrowser) -> None:
    browser.warm()  # as a pack does before reading the database: starts Chromium, returns at once
    browser.warm()  # a second call does not start a second browser
    first = browser.render([_figure(300), _figure(400)], scale=1.0)
    assert [_size(p) for p in first] == [(300, 200), (400, 200)]
    second = browser.render([_figure(500)], scale=2.0)
    assert [_size(p) for p in second] == [(1000, 400)]  # scale 2: twice the pixels each way
    assert browser.starts == 1 and browser.is_open  # the second pack reused the first's Chromium

    # Chromium dies behind the renderer's back (as a crash or an OOM kill would leave it)
    browser._submit(browser._kaleido.close()).result(timeout=30)  # noqa: SLF001 - simulating a crash
    third = browser.render([_figure(300)], scale=1.0)
    assert [_size(p) for p in third] == [(300, 200)] and browser.starts == 2

    browser.close()
    assert not browser.is_open
    assert browser.render([], scale=1.0) == [] and browser.starts == 2  # nothing to draw: no browser


def test_an_idle_browser_closes_itself() -> None:
    browser = ChartBrowser(idle_s=0.2)
    try:
        browser.render([_figure(300)], scale=1.0)
        deadline = time.monotonic() + 30  # a bound for a loaded machine, not a speed claim
        while browser.is_open and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not browser.is_open and browser.starts == 1
    finally:
        browser.close()
