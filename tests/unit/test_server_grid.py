"""Server-side paging, sorting, filtering and CSV for the infinite-model grids, with known answers."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from dashboard.components.server_grid import BLOCK_ROWS, GridRequestError, block_of_rows, grid_csv

FRAME = pd.DataFrame({
    "project_code": [f"PRJ{i:03d}" for i in range(1, 121)],
    "project_link": [f"[PRJ{i:03d}](/projects/PRJ{i:03d})" for i in range(1, 121)],
    "funding_stream": ["HO_VRU" if i % 3 == 0 else "ECC" for i in range(1, 121)],
    "grant_gbp": [float(i * 100) if i % 10 else None for i in range(1, 121)],
})
ALIASES = {"project_link": "project_code"}


def test_blocks_page_through_every_row_once() -> None:
    seen = []
    for start in range(0, 120, BLOCK_ROWS):
        answer = block_of_rows(FRAME, {"startRow": start, "endRow": start + BLOCK_ROWS})
        assert answer["rowCount"] == 120
        seen += [r["project_code"] for r in answer["rowData"]]
    assert seen == FRAME["project_code"].tolist()
    # Missing numbers travel as null, not NaN (which is not JSON).
    assert block_of_rows(FRAME, {"startRow": 9, "endRow": 10})["rowData"][0]["grant_gbp"] is None


def test_a_block_is_capped_whatever_is_asked() -> None:
    assert len(block_of_rows(FRAME, {"startRow": 0, "endRow": 10**9})["rowData"]) == 120
    big = pd.concat([FRAME] * 10, ignore_index=True)
    assert len(block_of_rows(big, {"startRow": 0, "endRow": 10**9})["rowData"]) == 10 * BLOCK_ROWS


def test_sort_descending_puts_missing_last_and_uses_aliases() -> None:
    answer = block_of_rows(FRAME, {"startRow": 0, "endRow": 200, "sortModel": [{"colId": "grant_gbp", "sort": "desc"}]})
    values = [r["grant_gbp"] for r in answer["rowData"]]
    assert values[0] == 11900.0 and values[-1] is None and values.count(None) == 12
    by_link = block_of_rows(FRAME, {"startRow": 0, "endRow": 1,
                                    "sortModel": [{"colId": "project_link", "sort": "desc"}]}, ALIASES)
    assert by_link["rowData"][0]["project_code"] == "PRJ120"


def test_text_and_number_filters_with_conditions() -> None:
    text = {"funding_stream": {"filterType": "text", "type": "contains", "filter": "ho_vru"}}
    assert block_of_rows(FRAME, {"filterModel": text})["rowCount"] == 40  # case ignored, as in the grid
    number = {"grant_gbp": {"filterType": "number", "type": "inRange", "filter": 1000, "filterTo": 2000}}
    assert block_of_rows(FRAME, {"filterModel": number})["rowCount"] == 9  # strictly between, as the grid's default
    either = {"grant_gbp": {"filterType": "number", "operator": "OR", "conditions": [
        {"filterType": "number", "type": "lessThan", "filter": 300},
        {"filterType": "number", "type": "blank"}]}}
    assert block_of_rows(FRAME, {"filterModel": either})["rowCount"] == 2 + 12
    code = {"project_link": {"filterType": "text", "type": "equals", "filter": "prj007"}}
    assert [r["project_code"] for r in block_of_rows(FRAME, {"filterModel": code}, ALIASES)["rowData"]] == ["PRJ007"]


@pytest.mark.parametrize("request_", [
    {"startRow": "x"},
    {"filterModel": {"nope": {"filterType": "text", "type": "contains", "filter": "a"}}},
    {"filterModel": {"grant_gbp": {"filterType": "number", "type": "greaterThan", "filter": "lots"}}},
    {"filterModel": {"funding_stream": {"filterType": "text", "type": "regex", "filter": ".*"}}},
    {"sortModel": [{"colId": "__class__", "sort": "asc"}]},
    {"filterModel": "grant_gbp"},
    {"filterModel": {"grant_gbp": "big"}},
    {"filterModel": {"grant_gbp": {"filterType": "number", "operator": "OR", "conditions": ["x"]}}},
    ["not", "an", "object"],
    {"sortModel": [{"colId": "nope", "sort": "asc"}]},
])
def test_requests_the_grid_never_sends_are_refused(request_: dict) -> None:
    with pytest.raises(GridRequestError):
        block_of_rows(FRAME, request_)


def test_csv_has_every_shown_row_in_grid_order_with_headings_and_no_formulas() -> None:
    frame = pd.concat([FRAME, pd.DataFrame({"project_code": ["ZZZ999"], "project_link": ["[ZZZ999](/x)"],
                                            "funding_stream": ['=HYPERLINK("http://example.invalid")'],
                                            "grant_gbp": [-5.0]})], ignore_index=True)
    columns = [{"field": "project_link", "headerName": "Code"}, {"field": "funding_stream", "headerName": "Stream"},
               {"field": "grant_gbp", "headerName": "Grant (£)"}]
    request = {"startRow": 100, "endRow": 150, "sortModel": [{"colId": "grant_gbp", "sort": "asc"}],
               "filterModel": {"grant_gbp": {"filterType": "number", "type": "lessThan", "filter": 1000}}}
    rows = list(csv.DictReader(io.StringIO(grid_csv(frame, request, columns, ALIASES))))
    assert [r["Code"] for r in rows] == ["ZZZ999", *[f"PRJ{i:03d}" for i in range(1, 10)]]  # all rows, not a block
    assert rows[0]["Stream"] == "'=HYPERLINK(\"http://example.invalid\")" and rows[0]["Grant (£)"] == "-5.0"


def test_sort_entries_that_are_not_column_names_are_ignored() -> None:
    answer = block_of_rows(FRAME, {"startRow": 0, "endRow": 1, "sortModel": [{"colId": ["x"]}, "grant_gbp"]})
    assert answer["rowData"][0]["project_code"] == "PRJ001"


def test_csv_writes_only_the_frame_columns_a_browser_names_and_neutralises_headings() -> None:
    columns = [{"field": "project_code", "headerName": "=cmd|' /C calc'!A0"}, {"field": "__dict__"}, "junk",
               {"field": "grant_gbp", "headerName": "Grant (£)"}]
    rows = list(csv.reader(io.StringIO(grid_csv(FRAME, None, columns))))
    assert rows[0] == ["'=cmd|' /C calc'!A0", "Grant (£)"] and len(rows) == 121
