"""Reporting: make a snapshot of a quarter, approve it, download it, and see what changed since.

Thin over ``reporting.snapshots``: the page lists snapshots with their status and hash, links each
export to the API (the same bytes the command line writes) and offers make and approve. Approval
asks for confirmation because it is final. (Who may approve is restricted by role in the access
control: dashboard.access; the callbacks check the role on the server, and whoever made a draft can
never approve or reject it.)
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from analysis.fiscal import Quarter, parse_period
from dashboard.access import APPROVES, MAKES_DRAFTS, SEES_DRAFTS
from dashboard.components.exception_entry import audit_action as _audit
from dashboard.components.exception_entry import entry_block, save_entry
from dashboard.components.exception_entry import who as _who
from dashboard.engine import engine
from reporting import exceptions, snapshots
from warehouse import queries

LOG = logging.getLogger(__name__)
dash.register_page(__name__, path="/reporting", title="Reporting - Essex VVU outcomes", name="Reporting", order=9)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FORMAT_LINKS = (("pdf", "export.pdf", "Board pack (PDF)"), ("xlsx", "export.xlsx", "Home Office return (XLSX)"),
                ("csv", "export.csv.zip", "CSV (zip)"))


def quarter_choices() -> list[tuple[str, str]]:
    """Quarters that have data, newest first: (label, label with its months)."""
    data_to = queries.data_runs_to(engine())
    if not data_to:
        return []
    last = Quarter.of(parse_period(data_to))
    out, q = [], Quarter(2019, 1)
    while q <= last:
        first, end = parse_period(q.first_month), parse_period(q.last_month)
        months = f"{MONTHS[first.month - 1]}-{MONTHS[end.month - 1]} {end.year}"
        partial = " (data to " + data_to + ")" if q.last_month > data_to else ""
        out.append((q.label, f"{q.label} ({months}){partial}"))
        q = Quarter(q.fy_start + (q.number == 4), q.number % 4 + 1)
    return out[::-1]


def layout(**_query: str) -> html.Div:
    choices = quarter_choices()
    default = next((label for label, text in choices if "data to" not in text), choices[0][0] if choices else "")
    _name, role = _who()
    makes = role in MAKES_DRAFTS
    return html.Div([
        html.H1("Reporting"),
        html.P("Snapshots freeze a quarter and its financial year to date for the Home Office return and the board: "
               "every measure with its target and status, the figures behind them, and the funding and spend "
               "position. Approving a snapshot locks it: later loads and revisions never change it, and its files "
               "download byte for byte the same.", className="lead"),
        html.Section([
            html.H2("Make a snapshot", id="reporting-make-heading"),
            html.Div([
                html.Label([html.Span("Quarter", className="form-label"), _quarter_select(choices, default)],
                           className="reporting-field"),
                html.Button("Make draft snapshot", id="reporting-create", n_clicks=0, className="btn-primary",
                            type="button", disabled=not makes),
            ], className="reporting-make"),
            None if makes else html.P("Your role reads approved snapshots; managers make drafts and approvers "
                                      "check them.", className="footnote"),
            dcc.Loading(html.Div(id="reporting-message", role="status", className="reporting-message"),
                        type="dot", delay_show=300),
        ], className="reporting-card", **{"aria-labelledby": "reporting-make-heading"}),
        html.Section([
            html.H2("Exception report", id="reporting-exceptions-heading"),
            html.P("For each measure off track or at risk in the quarter chosen above, a short explanation and the "
                   "action agreed. Managers enter them here; each snapshot of the quarter keeps them as they were "
                   "when it was made, and the board pack opens with them.", className="footnote"),
            dcc.Loading(html.Div(id="reporting-exceptions"), type="dot", delay_show=300),
            html.Div(id="reporting-exception-message", role="status"),
        ], className="reporting-card", **{"aria-labelledby": "reporting-exceptions-heading"}),
        html.Section([
            html.H2("Snapshots", id="reporting-list-heading"),
            html.P("Drafts can be reviewed and downloaded; approve one when it is right. Exports of a draft say DRAFT "
                   "on every page. Each quarter has exactly one approved snapshot: approving another supersedes "
                   "it (both stay downloadable), so say why below first.", className="footnote"),
            html.Label([html.Span("Reason for replacing the quarter's approved snapshot (needed only then)",
                                  className="form-label"),
                        dcc.Input(id="reporting-reason", type="text", maxLength=2000, debounce=False,
                                  className="form-control", value="")], className="reporting-field"),
            html.Div(id="reporting-list"),
        ], **{"aria-labelledby": "reporting-list-heading"}),
        html.Section(id="reporting-changes", **{"aria-live": "polite"}),
        dcc.Store(id="reporting-version", data=0),
    ], className="page page-reporting")


def _quarter_select(choices: list[tuple[str, str]], default: str) -> dbc.Select:
    return dbc.Select(id="reporting-quarter", value=default, size="sm",
                      options=[{"label": text, "value": label} for label, text in choices])


def _status(info: snapshots.SnapshotInfo) -> html.Span | html.Div:
    cls = {"approved": "status status-on", "superseded": "status status-off"}.get(info.status, "status status-risk")
    if info.status != "superseded":
        return html.Span(info.status, className=cls)
    return html.Div([html.Span(info.status, className=cls), html.Small(
        f" by #{info.superseded_by_id} on {info.superseded_at:%Y-%m-%d %H:%M}, {info.superseded_by}: "
        f"{info.superseded_reason}", className="reporting-superseded")])


def _downloads(info: snapshots.SnapshotInfo) -> html.Ul:
    return html.Ul([
        html.Li(html.A(label, href=f"/api/v1/snapshots/{info.id}/{path}", download="", className="reporting-download",
                       id=f"reporting-download-{fmt}-{info.id}",
                       **{"aria-label": f"Download snapshot {info.id} ({info.quarter}) as {label}"}))
        for fmt, path, label in FORMAT_LINKS
    ], className="reporting-downloads")


def _actions(info: snapshots.SnapshotInfo, role: str = "admin") -> html.Div:
    items = []
    if info.status != "approved" and role in APPROVES:
        items.append(dcc.ConfirmDialogProvider(
            html.Button("Approve", className="btn-approve", type="button",
                        **{"aria-label": f"Approve snapshot {info.id} ({info.quarter})"}),
            id={"type": "reporting-approve", "index": info.id},
            message=f"Approve snapshot {info.id} of {info.quarter}? Approval is final: the snapshot and its files "
                    "can never change afterwards.",
        ))
        items.append(dcc.ConfirmDialogProvider(
            html.Button("Reject", className="btn-secondary", type="button",
                        **{"aria-label": f"Reject snapshot {info.id} ({info.quarter})"}),
            id={"type": "reporting-reject", "index": info.id},
            message=f"Reject draft snapshot {info.id} of {info.quarter}? It will be removed; its maker can make "
                    "a new one.",
        ))
    items.append(html.Button("Changes since", id={"type": "reporting-changes", "index": info.id}, n_clicks=0,
                             className="btn-secondary", type="button",
                             **{"aria-label": f"Show what has changed since snapshot {info.id}"}))
    return html.Div(items, className="reporting-actions")


def snapshot_table(items: list[snapshots.SnapshotInfo], role: str = "admin") -> html.Div:
    if not items:
        return html.P("No snapshots yet. Make one above.")
    head = ["Snapshot", "Quarter", "Status", "Made", "Approved", "Content hash (SHA-256)", "Download", "Actions"]
    rows = []
    for i in items:
        approved = f"{i.approved_at:%Y-%m-%d %H:%M} by {i.approved_by}" if i.approved_at else "–"
        rows.append(html.Tr([
            html.Th(f"#{i.id}", scope="row"), html.Td(i.quarter), html.Td(_status(i)),
            html.Td(f"{i.created_at:%Y-%m-%d %H:%M} by {i.created_by}"), html.Td(approved),
            html.Td(html.Code(f"{i.content_sha256[:16]}…", title=i.content_sha256, className="reporting-hash")),
            html.Td(_downloads(i)), html.Td(_actions(i, role)),
        ], id=f"reporting-row-{i.id}", className=f"reporting-row reporting-{i.status}"))
    return html.Div(html.Table([
        html.Caption("Snapshots, newest first. Times are UTC."),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
        html.Tbody(rows),
    ], className="data reporting-table"), className="table-scroll", tabIndex=0, role="region",
        **{"aria-label": "Snapshots"})


@callback(Output("reporting-list", "children"), Input("reporting-version", "data"))
def render_list(_version: int) -> html.Div:
    _name, role = _who()
    items = [i for i in snapshots.list_snapshots(engine()) if i.locked or role in SEES_DRAFTS]
    return snapshot_table(items, role)


def _message(text: str, ok: bool) -> html.P:
    return html.P(text, className="reporting-ok" if ok else "reporting-error")


@callback(
    Output("reporting-message", "children"), Output("reporting-version", "data"),
    Input("reporting-create", "n_clicks"), Input({"type": "reporting-approve", "index": ALL}, "submit_n_clicks"),
    Input({"type": "reporting-reject", "index": ALL}, "submit_n_clicks"),
    State("reporting-quarter", "value"), State("reporting-version", "data"), State("reporting-reason", "value"),
    prevent_initial_call=True,
    running=[(Output("reporting-create", "disabled"), True, False)],
)
def act(_create: int, _approve: list, _reject: list, quarter: str | None, version: int | None,
        reason: str | None = "") -> tuple:
    """Make, approve or reject; the inputs are untrusted JSON, so ids and quarters are checked by
    ``reporting``, and the role is checked here, on the server, whatever buttons the page showed."""
    trigger = ctx.triggered_id
    base = version if isinstance(version, int) else 0
    name, role = _who()
    kind = trigger.get("type") if isinstance(trigger, dict) else trigger
    try:
        if kind == "reporting-create":
            if role not in MAKES_DRAFTS:
                return _message("Not done: your role cannot make snapshots.", False), no_update
            info = snapshots.create_snapshot(engine(), str(quarter or ""), made_by=name)
            _audit("snapshot.draft", f"snapshot #{info.id} {info.quarter}")
            return _message(f"Made draft snapshot {info.id} of {info.quarter}. Someone else must review and "
                            "approve it.", True), base + 1
        if kind in ("reporting-approve", "reporting-reject"):
            if not any(ctx.triggered and t.get("value") for t in ctx.triggered):
                return no_update, no_update
            if role not in APPROVES:
                return _message("Not done: your role cannot approve or reject snapshots.", False), no_update
            if kind == "reporting-approve":
                info = snapshots.approve_snapshot(engine(), trigger.get("index"), approved_by=name,
                                                  reason=str(reason or "")[:2000])
                _audit("snapshot.approve", f"snapshot #{info.id} {info.quarter}")
                replaced = [i for i in snapshots.list_snapshots(engine()) if i.superseded_by_id == info.id]
                also = f" It supersedes snapshot {replaced[0].id}." if replaced else ""
                return _message(f"Approved snapshot {info.id} of {info.quarter}. It and its files are now locked."
                                + also, True), base + 1
            info = snapshots.reject_snapshot(engine(), trigger.get("index"), rejected_by=name)
            _audit("snapshot.reject", f"snapshot #{info.id} {info.quarter}")
            return _message(f"Rejected draft snapshot {info.id} of {info.quarter}.", True), base + 1
    except snapshots.SnapshotError as exc:
        if isinstance(exc, snapshots.ReasonNeeded):
            return _message(f"Not done: {exc} in the reason field above the list.", False), no_update
        if isinstance(exc, snapshots.SelfApproval):
            _audit("snapshot.approve", str(trigger.get("index") if isinstance(trigger, dict) else ""), "refused",
                   "maker cannot check their own draft")
        return _message(f"Not done: {exc}.", False), no_update
    except Exception:  # noqa: BLE001 - say so on the page; the details go to the server log
        LOG.exception("reporting action failed")
        return _message("Not done: an unexpected error occurred and was logged. Nothing was changed.", False), \
            no_update
    return no_update, no_update


def _value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int | float) else str(value)


@callback(Output("reporting-changes", "children"), Input({"type": "reporting-changes", "index": ALL}, "n_clicks"),
          prevent_initial_call=True)
def show_changes(clicks: list) -> list:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(c for c in clicks or [] if isinstance(c, int) and c > 0):
        return no_update
    try:
        sid = snapshots.parse_id(trigger.get("index"))
        frame = snapshots.changes_since(engine(), sid)
    except snapshots.SnapshotError as exc:
        return [html.H2("Changes since snapshot"), _message(f"Not shown: {exc}.", False)]
    heading = html.H2(f"Changes since snapshot {sid}")
    if frame.empty:
        return [heading, html.P(f"No figure has changed since snapshot {sid} was made.")]
    names = snapshots.describe_batches(engine(), sorted({b for bs in frame["batches"] for b in bs}))
    labels = {"kpis_quarter": "Quarter", "kpis_fytd": "Year to date", "monthly": "Monthly"}
    rows = [html.Tr([html.Td(labels.get(r.section, r.section)), html.Td(r.name), html.Td(r.measure),
                     html.Td(_value(r.snapshot_value), className="num"),
                     html.Td(_value(r.current_value), className="num"),
                     html.Td("; ".join(names.get(b, f"#{b}") for b in r.batches) or "not identified")])
            for r in frame.itertuples()]
    return [heading, html.P(f"{frame['metric_code'].nunique()} measure(s) now differ from the snapshot. The snapshot "
                            "itself has not changed."),
            html.Div(html.Table([
                html.Caption(f"Figures that differ from snapshot {sid}, with the load batches responsible"),
                html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                    "Table", "Measure", "Figure", "In the snapshot", "Now", "Batches responsible")])),
                html.Tbody(rows)], className="data reporting-table"),
                className="table-scroll", tabIndex=0, role="region", **{"aria-label": "Changes since snapshot"})]


def exception_form(rows: list[dict], quarter: str, editable: bool) -> html.Div:
    """One block per measure off track or at risk: its status, and the explanation and action fields."""
    if not rows:
        return html.P(f"Every measure with a target is on track for {quarter} to date: nothing to explain.")
    return html.Div([entry_block(r, quarter, editable, "reporting") for r in rows])


@callback(Output("reporting-exceptions", "children"), Input("reporting-quarter", "value"),
          Input("reporting-version", "data"))
def render_exceptions(quarter: str | None, _version: int) -> html.Div | html.P:
    _name, role = _who()
    try:
        rows = exceptions.measures_for_exception_report(engine(), str(quarter or ""))
    except ValueError as exc:
        return html.P(f"Not shown: {exc}.")
    return exception_form(rows, str(quarter), role in MAKES_DRAFTS)


@callback(Output("reporting-exception-message", "children"),
          Input({"type": "reporting-exc-save", "index": ALL}, "n_clicks"),
          State({"type": "reporting-exc-expl", "index": ALL}, "value"),
          State({"type": "reporting-exc-action", "index": ALL}, "value"),
          State("reporting-quarter", "value"), prevent_initial_call=True)
def save_exception(clicks: list, explanations: list, actions: list, quarter: str | None) -> html.P:
    """Save one measure's entry; inputs are untrusted JSON, checked by ``reporting.exceptions``."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(isinstance(c, int) and c > 0 for c in clicks or []):
        return no_update
    codes = [i["id"]["index"] for i in ctx.states_list[0]]
    code = str(trigger.get("index", ""))
    if code not in codes:
        return _message("Not saved: unknown measure.", False)
    k = codes.index(code)
    ok, text = save_entry(code, str(quarter or ""), (explanations or [""] * len(codes))[k],
                          (actions or [""] * len(codes))[k])
    return _message(text, ok)
