"""Server-paged grids (dashboard/components/server_grid.py) show their first rows on every load, without
scrolling: the grid must ask for its first block however its start and the page's other callbacks
interleave. Each grid page is loaded repeatedly, with the filters changed between loads, and each time
rows must appear."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_for_dash

LOADS = 4  # each year once: every load is a view the cache has not seen
GRIDS = [("/projects", "projects-grid"), ("/data-quality", "data-quality-grid"),
         ("/funding", "funding-forecast-grid")]


@pytest.mark.parametrize(("path", "grid_id"), GRIDS)
def test_a_grid_shows_its_first_rows_on_every_load(page, path: str, grid_id: str) -> None:  # noqa: ANN001
    years = ["", "?fy=2024%2F25", "?fy=2023%2F24", "?fy=2025%2F26&quarter=Q1"]
    for i in range(LOADS):
        page.goto(path + years[i % len(years)])
        wait_for_dash(page)
        rows = page.locator(f"#{grid_id} .ag-center-cols-container .ag-row")
        try:
            rows.first.wait_for(state="visible", timeout=15_000)
        except Exception as exc:  # noqa: BLE001 - name the load that stayed empty
            raise AssertionError(f"{path} load {i + 1}: the grid stayed empty") from exc
        assert rows.count() >= 1
