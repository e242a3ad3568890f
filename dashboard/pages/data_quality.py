"""Data quality: which returns arrived on time, what was loaded, what was refused and why, and an upload."""

from __future__ import annotations

import io

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html

from analysis.numbers import how_many
from dashboard.components.filters import FILTER_INPUTS, choice_name, filter_bar, filters_from, parse_query
from dashboard.components.returns_cards import accepted_card, chase_card, history_card, preview_cards
from dashboard.components.server_grid import THEME, register_server_grid, server_grid
from dashboard.engine import engine
from service.chase import chase_list, figures_accepted_against_warnings, partner_history, record_chase
from service.options import filter_options
from service.quality import (
    PROBLEM_COLUMNS,
    ReturnsGrid,
    UploadReport,
    batches_view,
    cancel_upload,
    confirm_upload,
    handle_upload,
    rejections_view,
    returns_grid,
)
from settings import load_settings
from warehouse.filters import REQUEST_ORG, Filters

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
                "unchanged": ("=", "Unchanged", "rs-none"), "refused": ("✗", "Refused", "rs-missing"),
                "preview": ("?", "Checked, not loaded yet", "rs-late"), "cancelled": ("–", "Cancelled", "rs-none")}


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
        html.Div(id="data-quality-chase-wrap", children=[
            html.Div(id="data-quality-chase"),
            dcc.Download(id="data-quality-chase-download"),
            html.Button("Download chase list as CSV", id="data-quality-chase-export", n_clicks=0, type="button",
                        className="btn btn-primary btn-sm dq-export"),
            html.Div(id="data-quality-chase-form", hidden=not _records_chases(), className="dq-chase-form", children=[
                html.H3("Record a chase"),
                html.Label("Return chased", htmlFor="data-quality-chase-choice"),
                dbc.Select(id="data-quality-chase-choice", options=[]),
                html.Label("Note (optional)", htmlFor="data-quality-chase-note"),
                dcc.Input(id="data-quality-chase-note", type="text", maxLength=500, className="form-control"),
                html.Button("Record chase", id="data-quality-chase-record", n_clicks=0, type="button",
                            className="btn btn-secondary btn-sm"),
                html.Div(id="data-quality-chase-message", role="status"),
            ]),
        ]),
        html.Div(id="data-quality-history"),
        html.Section([
            html.H2("Download a return template", id="data-quality-template-heading"),
            html.P("The quarterly return workbook for one of your projects and a quarter, the same workbook "
                   "python -m etl template writes: fill in the yellow cells and upload it below."),
            html.Label("Template for project", htmlFor="data-quality-template-project"),
            dbc.Select(id="data-quality-template-project", options=_template_projects()),
            html.Label("Template for quarter", htmlFor="data-quality-template-quarter"),
            dbc.Select(id="data-quality-template-quarter", options=_template_quarters()),
            html.Button("Download template", id="data-quality-template-button", n_clicks=0, type="button",
                        className="btn btn-primary btn-sm"),
            dcc.Download(id="data-quality-template-download"),
            html.Div(id="data-quality-template-message", role="status"),
        ], className="dq-section", **{"aria-labelledby": "data-quality-template-heading"}),
        html.Section([
            html.H2("Upload a file", id="data-quality-upload-heading"),
            html.P(["Partner observations (CSV) or a completed quarterly return workbook (XLSX), up to "
                    f"{limit_mb:.0f} MB. The file is first checked exactly as ",
                    html.Code("python -m etl load --check"),
                    " checks it: you see what would change and any warnings, and nothing is loaded until you "
                    "confirm. If anything is wrong nothing is loaded and every problem is listed."]),
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
            dcc.Store(id="data-quality-token", data=""),
            html.Div(id="data-quality-confirm-panel", hidden=True, className="dq-confirm", children=[
                html.Div(id="data-quality-reason-wrap", hidden=True, children=[
                    html.Label("These figures are right because (kept with the figures and shown beside them)",
                               htmlFor="data-quality-reason"),
                    dcc.Textarea(id="data-quality-reason", value="", maxLength=500, className="form-control",
                                 style={"width": "100%", "height": "4em"}),
                ]),
                html.Button("Confirm and load", id="data-quality-confirm", n_clicks=0, type="button",
                            className="btn btn-primary btn-sm"),
                html.Button("Cancel: I will correct the file", id="data-quality-cancel", n_clicks=0, type="button",
                            className="btn btn-secondary btn-sm"),
            ]),
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
        html.P([html.Strong(f"{how_many(total_due, 'return')} due: "),
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
                     html.Td(f"{r.rows_loaded:,}" if r.outcome == "loaded"
                             else f"{r.rows_rejected:,} row(s) with problems",
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
        # A corrected file loaded since: its problems are resolved, and say so.
        frame["file"] = [f if pd.isna(b) or b is None else f"{f} (resolved: batch {int(b)} loaded a corrected file)"
                         for f, b in zip(frame["file"], frame["resolved_by"], strict=True)]
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
          Output("data-quality-export", "hidden"), Output("data-quality-chase", "children"),
          Output("data-quality-chase-choice", "options"), Output("data-quality-history", "children"),
          *FILTER_INPUTS, Input("data-quality-refresh", "data"))
def render(values: list, ids: list, _refresh: int | None) -> tuple:
    f = filters_from(values, ids)
    grid = returns_grid(engine(), f)
    data_to = filter_options(engine()).data_to
    empty = not grid.quarters
    chase = chase_list(engine(), f)
    choices = [{"label": f"{r.project_code} {r.quarter} ({r.status})", "value": f"{r.project_code}|{r.quarter}"}
               for r in chase.itertuples()]
    org = REQUEST_ORG.get() or ""
    history = [*history_card(partner_history(engine(), org), bool(org)),
               *accepted_card(figures_accepted_against_warnings(engine(), f))]
    return (returns_section(grid, f.describe(data_to, choice_name) if data_to else "no data"), loads_section(),
            grid_columns(grid.quarters), empty, empty, chase_card(chase), choices, history)


def _records_chases() -> bool:
    """Staff record chases; a partner sees their own chase status only."""
    from dashboard.access import STAFF
    from dashboard.auth import current

    principal = current()
    return principal is None or principal.role in STAFF


def _template_projects() -> list[dict]:
    """Projects whose template this person may download (a partner: their own organisation's)."""
    from warehouse import queries

    frame = queries.project_scope(engine(), Filters())
    return [{"label": f"{r.project_code} {r.project_name}", "value": r.project_code} for r in frame.itertuples()]


def _template_quarters() -> list[dict]:
    """The quarter the data run to, the next one and the six before it, newest first."""
    from analysis.fiscal import Quarter, parse_period
    from warehouse.audit import utc_now

    data_to = filter_options(engine()).data_to
    q = Quarter.of(parse_period(data_to)) if data_to else Quarter.of(utc_now().date())
    q = Quarter(q.fy_start + (q.number == 4), q.number % 4 + 1)  # the next quarter too: returns run ahead
    out = []
    for _ in range(8):
        out.append({"label": q.label, "value": q.label})
        q = Quarter(q.fy_start - (q.number == 1), (q.number - 2) % 4 + 1)
    return out


@callback(Output("data-quality-template-download", "data"), Output("data-quality-template-message", "children"),
          Input("data-quality-template-button", "n_clicks"), State("data-quality-template-project", "value"),
          State("data-quality-template-quarter", "value"), prevent_initial_call=True)
def download_template(_n: int | None, project: object, quarter: object) -> tuple:
    from etl.sources.partner_return import build_template, template_spec
    from warehouse import queries

    if not isinstance(project, str) or not isinstance(quarter, str) or not project or not quarter:
        return dash.no_update, "Choose a project and a quarter first."
    org = REQUEST_ORG.get()
    if org and queries.project_org(engine(), project.strip().upper()) != org:
        return dash.no_update, "You can download templates for your own organisation's projects only."
    try:
        spec = template_spec(engine(), project[:20], quarter[:12])
    except ValueError as exc:
        return dash.no_update, str(exc)
    buf = io.BytesIO()
    build_template(spec).save(buf)
    name = f"return-{spec.project_code}-{spec.quarter.label.replace('/', '-').replace(' ', '-')}.xlsx"
    return dcc.send_bytes(buf.getvalue(), name), f"Downloaded {name}."


@callback(Output("data-quality-chase-download", "data"), Input("data-quality-chase-export", "n_clicks"),
          *FILTER_INPUTS, prevent_initial_call=True)
def download_chase(_n: int | None, values: list, ids: list) -> dict:
    from dashboard.api import safe_csv

    frame = chase_list(engine(), filters_from(values, ids)).drop(columns=["mailto"])
    return dcc.send_string(safe_csv(frame), "vvu-chase-list.csv")


@callback(Output("data-quality-chase-message", "children"),
          Output("data-quality-refresh", "data", allow_duplicate=True),
          Input("data-quality-chase-record", "n_clicks"), State("data-quality-chase-choice", "value"),
          State("data-quality-chase-note", "value"), State("data-quality-refresh", "data"), prevent_initial_call=True)
def record(_n: int | None, choice: object, note: object, refresh: object) -> tuple:
    if not _records_chases():
        return "Only the unit's staff record chases.", dash.no_update
    if not isinstance(choice, str) or "|" not in choice:
        return "Choose the return you chased first.", dash.no_update
    project, quarter = choice.split("|", 1)
    try:
        record_chase(engine(), project, quarter, current_user_name().removeprefix("web upload ").strip("()") or "web",
                     note if isinstance(note, str) else "")
    except ValueError as exc:
        return str(exc), dash.no_update
    count = refresh if isinstance(refresh, int) else 0
    return f"Recorded: {project} {quarter} chased.", count + 1


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
    out = [head]
    if report.outcome == "preview":
        out += preview_cards(report.changes, report.headline, report.warnings, report.spend)
    if not report.problems.empty:
        out.append(problems_table(report.problems, f"Problems found in {report.file}", "data-quality-upload-problems"))
    return out


def _panel(report: UploadReport) -> tuple:
    """(token, confirm panel hidden, reason box hidden) for a report."""
    waiting = report.outcome == "preview" and bool(report.token)
    return (report.token if waiting else "", not waiting, not (waiting and report.warnings))


def confirm_view(report: UploadReport) -> list:
    """The refusal, and a button to load the file anyway (the replace-share rule, etl.replace_rule)."""
    return [*report_view(report), html.P([
        "Replacing that many rows is allowed only on purpose. ",
        html.Button("Replace the rows anyway", id="data-quality-replace", n_clicks=0, type="button",
                    className="btn btn-warning btn-sm"),
    ], className="upload-confirm")]


@callback(Output("data-quality-upload-report", "children"), Output("data-quality-refresh", "data"),
          Output("data-quality-upload", "contents"), Output("data-quality-token", "data"),
          Output("data-quality-confirm-panel", "hidden"), Output("data-quality-reason-wrap", "hidden"),
          Input("data-quality-upload", "contents"),
          State("data-quality-upload", "filename"), State("data-quality-refresh", "data"),
          prevent_initial_call=True)
def upload(contents: object, filename: object, refresh: object) -> tuple:
    if contents is None:
        return (dash.no_update,) * 6
    report = handle_upload(engine(), contents, filename, loaded_by=current_user_name())
    count = refresh if isinstance(refresh, int) else 0
    # Clearing ``contents`` lets the same file be uploaded again after it is fixed.
    return report_view(report), count + 1, None, *_panel(report)


@callback(Output("data-quality-upload-report", "children", allow_duplicate=True),
          Output("data-quality-refresh", "data", allow_duplicate=True),
          Output("data-quality-token", "data", allow_duplicate=True),
          Output("data-quality-confirm-panel", "hidden", allow_duplicate=True),
          Output("data-quality-reason-wrap", "hidden", allow_duplicate=True),
          Input("data-quality-confirm", "n_clicks"), Input("data-quality-cancel", "n_clicks"),
          State("data-quality-token", "data"), State("data-quality-reason", "value"),
          State("data-quality-refresh", "data"), prevent_initial_call=True)
def confirm(_ok: int | None, _cancel: int | None, token: object, reason: object, refresh: object) -> tuple:
    if ctx.triggered_id == "data-quality-cancel":
        report = cancel_upload(engine(), token)
    else:
        report = confirm_upload(engine(), token, reason, loaded_by=current_user_name())
    count = refresh if isinstance(refresh, int) else 0
    if report.needs_confirmation:  # refused by the replace-share rule alone: the preview stays open
        return confirm_view(report), count + 1, token, True, True
    return report_view(report), count + 1, *_panel(report)


@callback(Output("data-quality-upload-report", "children", allow_duplicate=True),
          Output("data-quality-refresh", "data", allow_duplicate=True),
          Output("data-quality-token", "data", allow_duplicate=True),
          Input("data-quality-replace", "n_clicks"), State("data-quality-token", "data"),
          State("data-quality-reason", "value"), State("data-quality-refresh", "data"), prevent_initial_call=True)
def confirm_replace(clicks: object, token: object, reason: object, refresh: object) -> tuple:
    """Load the checked file the person confirmed, with ``replace``: every other check still applies
    (the preview must still be pending, current and theirs; ``etl.preview.confirm``)."""
    if not clicks:
        return dash.no_update, dash.no_update, dash.no_update
    report = confirm_upload(engine(), token, reason, loaded_by=current_user_name(), replace=True)
    count = refresh if isinstance(refresh, int) else 0
    return report_view(report), count + 1, ""
