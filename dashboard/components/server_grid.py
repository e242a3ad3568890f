"""A grid that pages, sorts and filters on the server, for tables that grow with the number of projects.

A client-side AG Grid receives every row in one callback response: 700 projects made 0.3-1.4 MB
responses. With AG Grid's infinite row model the browser asks for one block of rows at a time
(``getRowsRequest``: start, end, sort model, filter model) and the server answers with just that
block and the total count, so a response stays a few kilobytes however many projects there are,
while sorting and filtering still apply to every row.

The rows come from the same cached service frames the page already uses (the block request reads
the page's filter bar as State), so paging costs a slice, not a query. When the filter bar changes, a
browser-side callback purges the grid's block cache and the grid asks again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import dash_ag_grid as dag
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback

from dashboard.api import escape_formula, safe_csv
from dashboard.components.filters import FILTER_INPUTS, filters_from
from warehouse.filters import Filters

BLOCK_ROWS = 50  # rows per block request: about 10-20 KB of JSON for the widest grid
TEXT_TESTS: dict[str, Callable[[pd.Series, str], pd.Series]] = {
    "contains": lambda s, v: s.str.contains(v, regex=False),
    "notContains": lambda s, v: ~s.str.contains(v, regex=False),
    "equals": lambda s, v: s == v,
    "notEqual": lambda s, v: s != v,
    "startsWith": lambda s, v: s.str.startswith(v),
    "endsWith": lambda s, v: s.str.endswith(v),
}
NUMBER_TESTS: dict[str, Callable[[pd.Series, float, float], pd.Series]] = {
    "equals": lambda s, a, _b: s == a,
    "notEqual": lambda s, a, _b: s != a,
    "lessThan": lambda s, a, _b: s < a,
    "lessThanOrEqual": lambda s, a, _b: s <= a,
    "greaterThan": lambda s, a, _b: s > a,
    "greaterThanOrEqual": lambda s, a, _b: s >= a,
    "inRange": lambda s, a, b: (s > a) & (s < b),  # AG Grid's default leaves both ends out
}


GRID_CLASS = "server-grid"  # marks the grids the browser-side purge looks for

# Column helpers every grid shares (values travel raw; the browser formats them).
GBP = "params.value == null ? '–' : '£' + d3.format(',.0f')(params.value)"
PCT = "params.value == null ? '–' : d3.format(',.0f')(params.value) + '%'"
SIGNED_PCT = "params.value == null ? '–' : d3.format('+,.0f')(params.value) + '%'"
COUNT = "params.value == null ? '–' : d3.format(',.0f')(params.value)"
# Quartz with tighter spacing so a dozen columns fit a 1366-pixel laptop screen.
THEME = "themeQuartz.withParams({spacing: 5, fontSize: 14, headerFontSize: 14, wrapperBorderRadius: 6})"
# The infinite row model cannot size rows to their text, so rows are tall enough for two lines.
ROW_HEIGHT = 52
WRAP = {"wrapText": True, "cellStyle": {"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px",
                                        "wordBreak": "normal"}}


def number_column(field: str, header: str, formatter: str, tooltip: str = "", width: int = 100) -> dict:
    """A right-aligned number column with a number filter and a display format."""
    column = {"field": field, "headerName": header, "type": "numericColumn", "filter": "agNumberColumnFilter",
              "valueFormatter": {"function": formatter}, "minWidth": width}
    return {**column, "headerTooltip": tooltip} if tooltip else column


def project_link(code: str, f: Filters) -> str:
    """Markdown link to the project's page, carrying the period so the page opens on the same year."""
    query = Filters(fy=f.fy, quarter=f.quarter).to_query()
    return f"[{code}](/projects/{quote(code)}{'?' + query if query else ''})"


LINK_COLUMN = {"field": "project_link", "headerName": "Code", "cellRenderer": "markdown", "pinned": "left",
               "minWidth": 85, "maxWidth": 110, "headerTooltip": "Project code; opens the project's page"}
LINK_ALIASES = {"project_link": "project_code"}  # the link column sorts, filters and exports as the bare code


def csv_file_name(stem: str, f: Filters) -> str:
    """A download's file name that says which view it holds, e.g. vvu-projects-fy-2024-25-priority-P1.csv."""
    name = stem + (f"-{f.to_query()}" if f.to_query() else "")
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)[:120] + ".csv"


def with_links(frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The frame with a ``project_link`` column for LINK_COLUMN."""
    return frame.assign(project_link=[project_link(code, f) for code in frame["project_code"]])


class GridRequestError(ValueError):
    """A block request the grid would never send (callbacks accept any JSON, so check it)."""


def _condition(frame: pd.DataFrame, column: str, model: Mapping[str, Any]) -> pd.Series:
    """Rows passing one AG Grid filter condition (text or number filter)."""
    if column not in frame.columns:
        raise GridRequestError(f"no column {column[:40]!r} to filter")
    series = frame[column]
    kind = model.get("type", "")
    if kind in ("blank", "notBlank"):
        blank = series.isna() | (series.astype(str).str.strip() == "")
        return blank if kind == "blank" else ~blank
    if model.get("filterType") == "number":
        test = NUMBER_TESTS.get(kind)
        try:
            low, high = float(model.get("filter")), float(model.get("filterTo", model.get("filter")))
        except (TypeError, ValueError) as exc:
            raise GridRequestError(f"filter on {column} needs a number") from exc
        if test is None or math.isnan(low):
            raise GridRequestError(f"unknown number filter {str(kind)[:20]!r}")
        numbers = pd.to_numeric(series, errors="coerce")
        return test(numbers, low, high).fillna(False).astype(bool)
    test = TEXT_TESTS.get(kind)
    if test is None:
        raise GridRequestError(f"unknown text filter {str(kind)[:20]!r}")
    # AG Grid's text filters ignore case; so do these.
    text = series.fillna("").astype(str).str.lower()
    return test(text, str(model.get("filter", "")).lower()).astype(bool)


def _column_filter(frame: pd.DataFrame, column: str, model: Mapping[str, Any]) -> pd.Series:
    if "conditions" in model:
        conditions = model.get("conditions") or []
        if not isinstance(conditions, list) or not all(isinstance(c, Mapping) for c in conditions):
            raise GridRequestError(f"conditions on {column[:40]} must be a list of objects")
        parts = [_condition(frame, column, c) for c in conditions]
        if not parts:
            return pd.Series(True, index=frame.index)
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined | part) if str(model.get("operator", "AND")).upper() == "OR" else (combined & part)
        return combined
    return _condition(frame, column, model)


def filtered_rows(frame: pd.DataFrame, request: Mapping[str, Any] | None,
                  aliases: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The frame after a request's filter model and sort model: what the grid shows, in its order.

    ``aliases`` maps a displayed column to the column it sorts and filters by (a link column by the
    bare code, not its markdown). Missing values sort last either way, like the client-side grid.
    """
    request, aliases = request or {}, aliases or {}
    models = request.get("filterModel") if isinstance(request, Mapping) else None
    if not isinstance(request, Mapping) or not isinstance(models or {}, Mapping) \
            or not all(isinstance(m, Mapping) for m in (models or {}).values()):
        raise GridRequestError("a block request is an object with a filter model of objects")
    rows = frame
    for column, model in (models or {}).items():
        rows = rows[_column_filter(rows, aliases.get(column, column), model)]
    sort = [s for s in (request.get("sortModel") or []) if isinstance(s, Mapping) and isinstance(s.get("colId"), str)]
    if sort:
        keys = [aliases.get(s.get("colId", ""), s.get("colId", "")) for s in sort]
        unknown = [k for k in keys if k not in rows.columns]
        if unknown:
            raise GridRequestError(f"no column {str(unknown[0])[:40]!r} to sort by")
        rows = rows.sort_values(keys, ascending=[s.get("sort") != "desc" for s in sort], kind="stable",
                                na_position="last")
    return rows


def block_of_rows(frame: pd.DataFrame, request: Mapping[str, Any] | None,
                  aliases: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One block request's answer: ``{rowData, rowCount}`` (rowCount after filtering, so the grid knows the end)."""
    request = request or {}
    if not isinstance(request, Mapping):
        raise GridRequestError("a block request is an object")
    try:
        start = max(0, int(request.get("startRow") or 0))
        end = int(request.get("endRow") or start + BLOCK_ROWS)
    except (TypeError, ValueError) as exc:
        raise GridRequestError("startRow and endRow must be whole numbers") from exc
    end = min(max(end, start), start + 10 * BLOCK_ROWS)  # nobody gets the whole table in one go
    rows = filtered_rows(frame, request, aliases)
    block = rows.iloc[start:end]
    block = block.astype(object).where(block.notna(), None)
    return {"rowData": block.to_dict("records"), "rowCount": len(rows)}


def grid_csv(frame: pd.DataFrame, request: Mapping[str, Any] | None, columns: Sequence[Mapping[str, Any]],
             aliases: Mapping[str, str] | None = None) -> str:
    """Every row the grid shows (its filters and sort), under the grid's column headings, safe to open.

    ``columns`` come from the browser, so only fields of the frame are written and headings are
    neutralised like any other text.
    """
    aliases = aliases or {}
    rows = filtered_rows(frame, request, aliases)
    shown = [(c, aliases.get(c["field"], c["field"])) for c in columns
             if isinstance(c, Mapping) and aliases.get(c.get("field"), c.get("field")) in rows.columns]
    table = pd.DataFrame({escape_formula(str(c.get("headerName", c["field"]))): rows[source].to_numpy()
                          for c, source in shown})
    return safe_csv(table)


def server_grid(grid_id: str, columns: list[dict], **props: Any) -> dag.AgGrid:
    """An AG Grid in the infinite row model (rows come from ``register_server_grid``'s callback)."""
    options = {"rowHeight": ROW_HEIGHT, "rowBuffer": 0, "cacheBlockSize": BLOCK_ROWS, "maxBlocksInCache": 20,
               "infiniteInitialRowCount": 1,
               "animateRows": False, "enableCellTextSelection": True, "ensureDomOrder": True,
               "suppressColumnVirtualisation": True, **props.pop("dashGridOptions", {})}
    defaults = {"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True, "autoHeaderHeight": True,
                "filterParams": {"maxNumConditions": 1}, **props.pop("defaultColDef", {})}
    props["className"] = f"{props.get('className', '')} {GRID_CLASS}".strip()
    return dag.AgGrid(id=grid_id, columnDefs=columns, rowModelType="infinite", defaultColDef=defaults,
                      dashGridOptions=options, **props)


def register_server_grid(grid_id: str, rows_for: Callable[..., pd.DataFrame],
                         aliases: Mapping[str, str] | None = None, extra_state: Sequence[State] = (),
                         export: tuple[str, str, str] | None = None) -> None:
    """Answer ``grid_id``'s block requests from ``rows_for(filters)``, and refetch when the filters change.

    ``rows_for`` receives the filter bar's current filters (and the values of ``extra_state``) and
    returns the whole table, usually straight from a cached service function. ``export`` is
    (button id, ``dcc.Download`` id, file name stem): the button downloads every row the
    grid shows, with its column filters and sort (read from the grid's latest block request).
    """

    @callback(Output(grid_id, "getRowsResponse"), Input(grid_id, "getRowsRequest"),
              State(FILTER_INPUTS[0].component_id, "value"), FILTER_INPUTS[1], *extra_state,
              prevent_initial_call=True)
    def answer(request: dict | None, values: list, ids: list, *extra: Any) -> dict[str, Any]:
        frame = rows_for(filters_from(values, ids), *extra)
        try:
            return block_of_rows(frame, request, aliases)
        except GridRequestError:
            return {"rowData": [], "rowCount": 0}

    if export:
        button, download, stem = export

        @callback(Output(download, "data"), Input(button, "n_clicks"), State(grid_id, "getRowsRequest"),
                  State(grid_id, "columnDefs"), State(FILTER_INPUTS[0].component_id, "value"), FILTER_INPUTS[1],
                  *extra_state, prevent_initial_call=True)
        def download_csv(n_clicks: int | None, request: dict | None, columns: list, values: list, ids: list,
                         *extra: Any) -> dict[str, Any]:
            f = filters_from(values, ids)
            try:
                text = grid_csv(rows_for(f, *extra), request, columns or [], aliases)
            except GridRequestError:
                text = grid_csv(rows_for(f, *extra), None, columns or [], aliases)
            return {"content": "\ufeff" + text, "filename": csv_file_name(stem, f), "type": "text/csv"}


# One browser-side callback for every server grid (Dash keys output-less callbacks by their inputs, so
# one per grid would collide): a filter change makes each server grid on the page ask for rows again.
clientside_callback(ClientsideFunction("serverGrid", "purgeAll"), FILTER_INPUTS[0], prevent_initial_call=True)
