"""Data quality: which returns arrived on time, what was loaded, what was refused and why, and an upload."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from dashboard.components.filters import FILTER_INPUTS, choice_name, filter_bar, filters_from, parse_query
from dashboard.components.server_grid import THEME, register_server_grid, server_grid
from dashboard.engine import engine
from service.options import filter_options
from service.quality import (
    PROBLEM_COLUMNS,
    ReturnsGrid,
    UploadReport,
    batches_view,
    handle_upload,
    rejections_view,
    returns_grid,
)
from settings import load_settings
from warehouse.filters import Filters

dash.register_page(__name__, path="/data-quality", title="Data quality - Essex VVU outcomes",
                   name="Data quality", order=8)

STATUS_TEXT = {"on time": ("✓", "On time", "rs-on-time"), "late": ("◷", "Late", "rs-late"),
               "missing": ("✗", "Missing", "rs-missing")}
# The status grid shows a symbol as well as the word and colour, so nothing rests on colour alone.
STATUS_FORMAT = ("params.value == null ? '' : ({'On time': '✓ ', 'Missing': '✗ ', 'Not due': '– '}[params.value] "
                 "|| '◷ ') + params.value")
STATUS_CLASSES = {"rs rs-on-time": "params.value === 'On time'", "rs rs-missing": "params.value === 'Missing'",
                  "rs rs-late": "!!params.value && params.value.startsWith('Late')",
                  "rs rs-none": "params.value === 'Not due'"}
OUTCOME_TEXT = {"loaded": ("✓", "Loaded", "rs-on-time"), "rejected": ("✗", "Refused", "rs-missing"),
                "unchanged": ("=", "Unchanged", "rs-none"), "refused": ("✗", "Refused", "rs-missing")}


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    limit_mb = load_settings().max_upload_bytes / 1024 / 1024
    return html.Div([
        html.H1("Data quality"),
        html.P("Whether partners' quarterly returns arrived on time, which files were loaded, and what was "
               "wrong with any file that was refused. A file is loaded whole or not at all.", className="lead"),
        filter_bar(f, "/data-quality"),
        dcc.Store(id="data-quality-refresh", data=0),
        html.Div(id="data-quality-returns", **{"aria-live": "polite"}),
        html.Div(server_grid(
            "data-quality-grid", [], className="ag-theme-quartz dq-status-grid",
            dashGridOptions={"theme": {"function": THEME}, "tooltipShowDelay": 300},
            getRowId="params.data.project_code", style={"height": "560px", "width": "100%"},
        ), id="data-quality-grid-wrap", role="region", **{"aria-labelledby": "data-quality-grid-heading"}),
        dcc.Download(id="data-quality-download"),
        html.Button("Download return status as CSV", id="data-quality-export", n_clicks=0, type="button",
                    className="btn btn-primary btn-sm dq-export"),
        html.Section([
            html.H2("Upload a file", id="data-quality-upload-heading"),
            html.P(["Partner observations (CSV) or a completed quarterly return workbook (XLSX), up to "
                    f"{limit_mb:.0f} MB. The file is checked exactly as ", html.Code("python -m etl load"),
                    " checks it; if anything is wrong nothing is loaded and every problem is listed."]),
            # The label names dcc.Upload's file input (which takes no aria attributes) and, since the
            # input is inside it, a click anywhere on it opens the file dialog natively: so the
            # dropzone's own click handling is off, or the dialog would open twice.
            html.Label(dcc.Upload(
                id="data-quality-upload",
                children=html.Div([html.Span("Drag a CSV or XLSX file here, or "),
                                   html.Span("choose a file", className="upload-button")]),
                accept=".csv,.xlsx", multiple=False, max_size=load_settings().max_upload_bytes, disable_click=True,
                className="upload-zone", className_active="upload-zone upload-active",
            ), className="upload-label"),
            dcc.Loading(html.Div(id="data-quality-upload-report", role="status"), type="dot"),
            # A file refused only by the replace-share rule waits here (in this browser tab) until the
            # person confirms it or uploads another file.
            dcc.Store(id="data-quality-pending", storage_type="memory"),
        ], className="dq-section", **{"aria-labelledby": "data-quality-upload-heading"}),
        html.Div(id="data-quality-loads"),
    ], className="page page-data-quality")


# --- rendering ------------------------------------------------------------------------------------

def returns_section(grid: ReturnsGrid, f_text: str) -> list:
    if not grid.quarters:
        return [html.H2("Quarterly returns"), html.P("No returns were due in this view.")]
    summary = grid.summary
    total_due = int(summary["due"].sum())
    counts = {k: int(summary[k].sum()) for k in ("on_time", "late", "missing")}
    summary_rows = [html.Tr([html.Th(r.quarter, scope="row"), html.Td(f"{r.due:,}", className="num"),
                             html.Td(f"{r.on_time:,}", className="num"), html.Td(f"{r.late:,}", className="num"),
                             html.Td(f"{r.missing:,}", className="num"),
                             html.Td("–" if pd.isna(r.received_pct) else f"{r.received_pct:.0f}%", className="num"),
                             html.Td("–" if pd.isna(r.on_time_pct) else f"{r.on_time_pct:.0f}%", className="num")])
                    for r in summary.itertuples()]
    summary_table = html.Table([
        html.Caption(f"Returns due and received by quarter ({f_text})"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in
                            ("Quarter", "Due", "On time", "Late", "Missing", "Received", "On time (share)")])),
        html.Tbody(summary_rows),
    ], className="data dq-summary")

    legend = html.Ul([
        html.Li([html.Span("✓ On time", className="rs rs-on-time"), " within 30 days of the quarter's end"]),
        html.Li([html.Span("◷ Late", className="rs rs-late"), " arrived after the due date"]),
        html.Li([html.Span("✗ Missing", className="rs rs-missing"), " due but not received"]),
        html.Li([html.Span("– Not due", className="rs rs-none"), " project not running that quarter"]),
    ], className="dq-legend", **{"aria-label": "Key"})
    missing = grid.cells[grid.cells["status"] == "missing"].sort_values(["label", "project_code"])
    missing_text = ("Missing: " + "; ".join(f"{r.project_code} ({r.label})" for r in missing.head(30).itertuples())
                    + (f" and {len(missing) - 30} more." if len(missing) > 30 else ".")) if len(missing) else ""
    return [
        html.H2("Quarterly returns"),
        html.P([html.Strong(f"{total_due:,} returns due: "),
                f"{counts['on_time']:,} on time, {counts['late']:,} late, {counts['missing']:,} missing."],
               id="data-quality-returns-summary"),
        html.P(missing_text, className="dq-missing") if missing_text else None,
        html.Div(summary_table, className="table-scroll", tabIndex="0", role="region",
                 **{"aria-label": "Returns by quarter"}),
        html.H3("Return status by project and quarter", id="data-quality-grid-heading"),
        html.P("Each project's return for each quarter of the view. Sort or filter any column, for example "
               "the quarter column by \"Missing\" to see whose return to chase.", className="footnote"),
        legend,
    ]


def outcome_cell(outcome: str) -> html.Td:
    symbol, text, css = OUTCOME_TEXT.get(outcome, ("", outcome, "rs-none"))
    return html.Td([html.Span(symbol, className="rs-symbol", **{"aria-hidden": "true"}), " ", text],
                   className=f"rs {css}")


def problems_table(frame: pd.DataFrame, caption: str, table_id: str, limit: int = 200) -> html.Div:
    shown = frame.head(limit)
    rows = [html.Tr([html.Td(r.file), html.Td("file" if not r.row else f"{r.row:,}", className="num"),
                     html.Td(r.column), html.Td(r.value, className="value"), html.Td(r.reason)])
            for r in shown.itertuples()]
    more = [html.P(f"… and {len(frame) - limit:,} more problems.", className="footnote")] if len(frame) > limit else []
    return html.Div([
        html.Div(html.Table([
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in ("File", "Row", "Column", "Value", "Reason")])),
            html.Tbody(rows),
        ], className="data dq-problems", id=table_id), className="table-scroll", tabIndex="0", role="region",
            **{"aria-label": caption}),
        *more,
    ])


def loads_section() -> list:
    batches = batches_view(engine(), limit=25)
    rows = [html.Tr([html.Td(r.file_name), html.Td(r.kind),
                     html.Td(pd.Timestamp(r.loaded_at).strftime("%Y-%m-%d %H:%M")), html.Td(r.loaded_by),
                     html.Td(f"{r.rows_loaded:,}" if r.outcome == "loaded" else f"{r.rows_rejected:,} with problems",
                             className="num"),
                     outcome_cell(r.outcome)]) for r in batches.itertuples()]
    out = [
        html.H2("Recent loads"),
        html.Div(html.Table([
            html.Caption("The 25 most recent load attempts, newest first"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("File", "Kind", "Loaded at (UTC)", "By", "Rows", "Outcome")])),
            html.Tbody(rows),
        ], className="data dq-batches", id="data-quality-batches"), className="table-scroll", tabIndex="0",
            role="region", **{"aria-label": "Recent loads"}),
        html.H2("Problems in refused files"),
    ]
    problems = rejections_view(engine(), files=5)
    if problems.empty:
        out.append(html.P("No file has been refused."))
    else:
        frame = problems.rename(columns={"file_name": "file", "row_number": "row", "column_name": "column"})
        out.append(html.P("Every problem in the five most recently refused files. Values are shortened."))
        out.append(problems_table(frame[PROBLEM_COLUMNS], "Problems in the latest refused files",
                                  "data-quality-rejections"))
    return out


def grid_columns(quarters: list[str]) -> list[dict]:
    """The status grid's columns: the project, then one per quarter of the view (fields q0, q1...)."""
    return [
        {"field": "project_code", "headerName": "Code", "pinned": "left", "minWidth": 90, "maxWidth": 110},
        {"field": "project_name", "tooltipField": "project_name", "headerName": "Project", "minWidth": 220, "flex": 2},
        *[{"field": f"q{i}", "headerName": label, "minWidth": 120, "flex": 1, "cellClassRules": STATUS_CLASSES,
           "valueFormatter": {"function": STATUS_FORMAT}} for i, label in enumerate(quarters)],
    ]


def grid_rows(f: Filters) -> pd.DataFrame:
    return returns_grid(engine(), f).matrix


register_server_grid("data-quality-grid", grid_rows,
                     export=("data-quality-export", "data-quality-download", "vvu-return-status"))


@callback(Output("data-quality-returns", "children"), Output("data-quality-loads", "children"),
          Output("data-quality-grid", "columnDefs"), Output("data-quality-grid-wrap", "hidden"),
          Output("data-quality-export", "hidden"), *FILTER_INPUTS, Input("data-quality-refresh", "data"))
def render(values: list, ids: list, _refresh: int | None) -> tuple[list, list, list, bool, bool]:
    f = filters_from(values, ids)
    grid = returns_grid(engine(), f)
    data_to = filter_options(engine()).data_to
    empty = not grid.quarters
    return (returns_section(grid, f.describe(data_to, choice_name) if data_to else "no data"), loads_section(),
            grid_columns(grid.quarters), empty, empty)


# --- upload ---------------------------------------------------------------------------------------

def current_user_name() -> str:
    """The signed-in user (dashboard.auth); in open development mode 'web upload (developer)'."""
    from dashboard.auth import current

    principal = current()
    return f"web upload ({principal.name})" if principal else "web upload"


def report_view(report: UploadReport) -> list:
    symbol, text, css = OUTCOME_TEXT.get(report.outcome, ("", report.outcome, "rs-none"))
    head = html.P([html.Span([html.Span(symbol, **{"aria-hidden": "true"}), f" {text}: "], className=f"rs {css}"),
                   html.Strong(report.file), f" – {report.message.removeprefix('refused: ')}"],
                  className="upload-outcome")
    if report.problems.empty:
        return [head]
    return [head, problems_table(report.problems, f"Problems found in {report.file}", "data-quality-upload-problems")]


def confirm_view(report: UploadReport) -> list:
    """The refusal, and a button to load the file anyway (the replace-share rule, etl.replace_rule)."""
    return [*report_view(report), html.P([
        "Replacing that many rows is allowed only on purpose. ",
        html.Button("Replace the rows anyway", id="data-quality-replace", n_clicks=0, type="button",
                    className="btn btn-warning btn-sm"),
    ], className="upload-confirm")]


@callback(Output("data-quality-upload-report", "children"), Output("data-quality-refresh", "data"),
          Output("data-quality-upload", "contents"), Output("data-quality-pending", "data"),
          Input("data-quality-upload", "contents"),
          State("data-quality-upload", "filename"), State("data-quality-refresh", "data"),
          prevent_initial_call=True)
def upload(contents: object, filename: object, refresh: object) -> tuple:
    if contents is None:
        return dash.no_update, dash.no_update, dash.no_update, dash.no_update
    report = handle_upload(engine(), contents, filename, loaded_by=current_user_name())
    count = refresh if isinstance(refresh, int) else 0
    # Clearing ``contents`` lets the same file be uploaded again after it is fixed.
    if report.needs_confirmation:
        return confirm_view(report), count + 1, None, {"contents": contents, "filename": filename}
    return report_view(report), count + 1, None, None


@callback(Output("data-quality-upload-report", "children", allow_duplicate=True),
          Output("data-quality-refresh", "data", allow_duplicate=True),
          Output("data-quality-pending", "data", allow_duplicate=True),
          Input("data-quality-replace", "n_clicks"), State("data-quality-pending", "data"),
          State("data-quality-refresh", "data"), prevent_initial_call=True)
def confirm_replace(clicks: object, pending: object, refresh: object) -> tuple:
    """Load the file the person confirmed, with ``replace``: every other check still applies (a
    callback is a public endpoint: the pending file is checked again from the start)."""
    if not clicks or not isinstance(pending, dict):
        return dash.no_update, dash.no_update, dash.no_update
    report = handle_upload(engine(), pending.get("contents"), pending.get("filename"),
                           loaded_by=current_user_name(), replace=True)
    count = refresh if isinstance(refresh, int) else 0
    return report_view(report), count + 1, None
