"""One project: who runs it and where, its measures against its own targets, its returns and the files
that loaded its figures. ``/projects/<code>?fy=2024/25`` opens it on a financial year."""

from __future__ import annotations

import re
from datetime import date, datetime

import dash
import pandas as pd
from dash import Output, State, callback, dcc, html

from analysis.fiscal import fy_months, fy_of_period
from analysis.numbers import how_many
from charts.kpi_text import basis_text
from charts.project import metric_by_year_chart, metric_in_year_chart
from charts.theme import format_value, unit_label
from dashboard.components.filters import FILTER_INPUTS, filter_bar, filters_from, parse_query
from dashboard.components.graph import graph_config
from dashboard.engine import engine
from service.chase import project_commentary
from service.projects import ProjectView, project_view
from warehouse.filters import Filters

_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
FIELDS = ("fy", "quarter")
RECENT_RETURNS = 8
STATUS_CLASS = {"on track": "status-on", "at risk": "status-risk", "off track": "status-off",
                "no target": "status-none", "on time": "status-on", "late": "status-risk", "missing": "status-off"}


def _title(code: str | None = None, **_: object) -> str:
    return f"{code or 'Project'} - Projects - Essex VVU outcomes"


dash.register_page(__name__, path_template="/projects/<code>", title=_title, name="Project", order=31)


def _clean(code: object) -> str:
    text = str(code or "").strip()
    return text.upper() if _CODE.match(text) else ""


def _only_period(f: Filters) -> Filters:
    return Filters(fy=f.fy, quarter=f.quarter, month_from=f.month_from, month_to=f.month_to)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _measures(n: int) -> str:
    return f"{n} measure" if n == 1 else f"{n} measures"


def _status(value: str) -> html.Span:
    return html.Span(value, className=f"status {STATUS_CLASS.get(value, '')}")


def _table(caption: str, headers: list[str], rows: list[list], numeric: set[int] | None = None,
           class_name: str = "") -> html.Div:
    numeric = numeric or set()
    return html.Div(html.Table([
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(h, scope="col", className="num" if i in numeric else None)
                            for i, h in enumerate(headers)])),
        html.Tbody([html.Tr([html.Td(c, className="num" if i in numeric else None) for i, c in enumerate(r)])
                    for r in rows]),
    ], className=f"data {class_name}".strip()), className="table-scroll", tabIndex=0,
        role="region", **{"aria-label": caption})


def not_found(code: str) -> html.Div:
    shown = code if _CODE.match(code or "") else "that code"
    return html.Div([
        html.P(dcc.Link("← All projects", href="/projects"), className="breadcrumb-link"),
        html.H1("No such project"),
        html.P([f"There is no project with the code {shown}. Codes look like PRJ001; ",
                dcc.Link("see all projects and partners", href="/projects"), " to find the one you want."]),
    ], className="page page-project-detail not-found")


def layout(code: str | None = None, **query: str) -> html.Div:
    clean = _clean(code)
    f = _only_period(parse_query(query))
    view = project_view(engine(), clean, f) if clean else None
    if view is None:
        return not_found(str(code or ""))
    d = view.detail
    return html.Div([
        html.P(dcc.Link("← All projects", href="/projects"), className="breadcrumb-link"),
        html.H1([html.Span(view.code, className="project-code"), " ", d["project_name"]]),
        html.P(f"Run by {d['org_name'] or d['org_code']}. Its figures against its own targets, its quarterly "
               "returns and the files its figures came from.", className="lead"),
        dcc.Store(id="project-detail-code", data=view.code),
        filter_bar(f, f"/projects/{view.code}", FIELDS),
        html.Div(id="project-detail-body", **{"aria-live": "polite"}),
    ], className="page page-project-detail")


def _details(view: ProjectView) -> html.Section:
    d = view.detail
    areas = ", ".join(f"{a.area_name} ({a.area_code})" for a in view.areas.itertuples()) or "–"
    end = _text(d["end_date"]) if d["end_date"] else "ongoing"
    fy = view.financial_year
    grant = float(view.grants.loc[view.grants["financial_year"] == fy, "awarded_gbp"].sum()) if fy else 0.0
    spent = float(view.spend.loc[view.spend["financial_year"] == fy, "spend_gbp"].sum()) if fy else 0.0
    streams = ", ".join(sorted(set(view.grants.loc[view.grants["financial_year"] == fy, "funding_stream"]))) or "–"
    delivery = view.delivery or {}
    pct = delivery.get("delivery_pct")
    items = [
        ("Partner organisation", f"{d['org_name']} ({d['org_type']})" if d["org_name"] else d["org_code"]),
        ("Priority", f"{d['priority_code']} {d['priority_name'] or ''}".strip()),
        ("Funding stream", f"{d['funding_stream']} ({d['source_body']})" if d["source_body"] else d["funding_stream"]),
        ("Dates", f"{_text(d['start_date'])} to {end}"),
        ("Areas", areas),
        (f"Grant {fy}" if fy else "Grant", f"{format_value(grant, 'gbp')} (streams: {streams})"),
        (f"Spend to date {fy}" if fy else "Spend", format_value(spent, "gbp") + (
            f" ({spent / grant * 100:.0f}% of the grant)" if grant else "")),
        ("Delivery against target", html.Span([
            f"{pct:.0f}% of target across {_measures(delivery.get('metrics_with_target', 0))} " if pct is not None
            else "no project targets for this period ", _status(delivery.get("delivery_status", "no target"))])),
    ]
    if delivery.get("delivery_basis"):
        items.append(("Judged against", f"the expected position for the time of year: {delivery['delivery_basis']}"))
    return html.Section([
        html.H2("About the project"),
        html.Dl([el for label, value in items for el in (html.Dt(label), html.Dd(value))], className="project-facts"),
    ], **{"aria-label": "About the project"})


def _beside(code: str, notes: pd.DataFrame, accepted: pd.DataFrame) -> list:
    """The partner's commentary and any figure accepted against a warning, beside the measure."""
    out: list = []
    mine = notes[notes["metric_code"] == code].head(4)
    if not mine.empty:
        out.append(html.Div([html.Strong("Partner's commentary: "), html.Ul([
            html.Li(f"{r.financial_year} Q{r.quarter}, {r.area_code}: {r.note}") for r in mine.itertuples()])],
            className="measure-notes"))
    flagged = accepted[accepted["metric_code"] == code].head(6)
    if not flagged.empty:
        out.append(html.Div([html.Strong("Accepted although it looked wrong: "), html.Ul([
            html.Li(f"{r.period}, {r.area_code}: {r.value:,.0f} ({r.message}). Reason given: {r.reason}")
            for r in flagged.itertuples()])], className="measure-warnings"))
    return out


def _measure(view: ProjectView, row: dict, info: dict, beside: list | None = None) -> html.Article:
    code, unit, name = row["metric_code"], info["unit"], info["name"]
    yearly = view.yearly[view.yearly["metric_code"] == code]
    monthly = view.monthly[view.monthly["metric_code"] == code][["period", "value"]]
    months = fy_months(view.financial_year)
    target_row = yearly[yearly["financial_year"] == view.financial_year]["target_value"].dropna()
    annual = float(target_row.iloc[0]) if not target_row.empty else None
    current = fy_of_period(view.data_to) if view.data_to else ""
    unfinished = current if current and view.data_to < fy_months(current)[-1] else ""
    by_year = metric_by_year_chart(yearly, name, unit, info["aggregation"], unfinished)
    basis = row.get("expected_basis")
    # The chart runs from April: only a view from April has its expected position on that running total.
    seasonal = (isinstance(basis, str) and basis.startswith("seasonal") and row.get("expected") is not None
                and view.first == months[0])
    now = min(view.last, view.data_to) if view.data_to else ""
    in_year = metric_in_year_chart(monthly, months, annual, name, unit, info["aggregation"], view.financial_year,
                                   (now, float(row["expected"]), basis) if seasonal else None)
    value, target = row["value"], row["target"]
    target_text = (f"against a target of {format_value(target, unit)} for the period "
                   f"({row['share'] * 100:.0f}% reached)" if target and row["share"] is not None
                   else "no project target for this period")
    judged = basis_text(row.get("expected_basis"))
    summary = (f"{format_value(value, unit)} {unit_label(unit) if unit != 'gbp' else ''} {target_text}"
               + (f"; {judged}." if judged and target else "."))
    years_text = "; ".join(
        f"{r.financial_year}: {format_value(r.value, unit)}"
        + (f" (target {format_value(r.target_value, unit)})" if r.target_value == r.target_value else "")
        for r in yearly.itertuples())
    return html.Article([
        html.H3(name),
        html.P([summary.replace("  ", " "), " ", _status(row["status"])], className="measure-summary"),
        *(beside or []),
        html.Div([
            html.Figure([
                dcc.Graph(figure=by_year, config=graph_config(f"{view.code}-{code}-by-year"),
                          className="project-chart"),
                html.Figcaption(f"{name} by financial year: {years_text or 'no figures'}.",
                                className="visually-hidden"),
            ], className="chart-card"),
            html.Figure([
                dcc.Graph(figure=in_year, config=graph_config(f"{view.code}-{code}-{view.financial_year}"),
                          className="project-chart"),
                html.Figcaption(f"{name} in {view.financial_year}, month by month, against the target pro rata. "
                                f"{summary}", className="visually-hidden"),
            ], className="chart-card"),
        ], className="project-charts"),
    ], className="measure", id=f"measure-{code.lower()}", **{"aria-label": name})


def _returns(view: ProjectView) -> html.Div:
    rows = view.returns.sort_values(["financial_year", "quarter"], ascending=False)
    if rows.empty:
        return html.P("No quarterly returns were due yet.")
    body = [[r.label, _text(r.due_on), _text(r.submitted_on), _status(r.status),
             "–" if r.days_late is None or r.days_late != r.days_late else f"{int(r.days_late)}"]
            for r in rows.itertuples()]
    missing = int((rows["status"] == "missing").sum())
    late = int((rows["status"] == "late").sum())
    headers = ["Quarter", "Due", "Submitted", "Status", "Days late"]
    parts = [
        html.P(f"{how_many(len(rows), 'return')} due so far: {missing} missing, {late} late. A return is due 30 days "
               "after the quarter ends."),
        _table(f"The latest {min(RECENT_RETURNS, len(body))} quarterly returns, newest first", headers,
               body[:RECENT_RETURNS], numeric={4}, class_name="returns-table"),
    ]
    if len(body) > RECENT_RETURNS:
        parts.append(html.Details([
            html.Summary(f"Show all {len(body)} returns"),
            _table("Every quarterly return due, newest first", headers, body, numeric={4},
                   class_name="returns-all-table"),
        ]))
    return html.Div(parts)


def _loads(view: ProjectView) -> html.Div:
    if view.loads.empty:
        return html.P("No load batches refer to this project.")
    body = [[r.file_name, r.kind, _text(r.loaded_at), r.loaded_by, f"{int(r.rows_loaded):,}",
             f"{int(r.project_rows):,}", _status(r.outcome) if r.outcome != "loaded" else r.outcome,
             r.message or "–"] for r in view.loads.itertuples()]
    return _table("Files that loaded this project's figures or reference data, newest first",
                  ["File", "Kind", "Loaded at", "Loaded by", "Rows in file", "Observation rows for this project",
                   "Outcome", "Message"], body, numeric={4, 5}, class_name="loads-table")


@callback(Output("project-detail-body", "children"), *FILTER_INPUTS, State("project-detail-code", "data"))
def render(values: list, ids: list, code: object) -> list:
    clean = _clean(code)
    f = _only_period(filters_from(values, ids))
    view = project_view(engine(), clean, f) if clean else None
    if view is None:
        return [html.P("No such project.")]
    parts = [_details(view)]
    if view.kpis.empty:
        parts.append(html.P("No observations have been loaded yet."))
    else:
        info = view.metric_info.set_index("metric_code").to_dict("index")
        notes, accepted = project_commentary(engine(), clean)
        measures = [_measure(view, row, info[row["metric_code"]], _beside(row["metric_code"], notes, accepted))
                    for row in view.kpis.to_dict("records")]
        parts += [
            html.H2("Measures against the project's targets"),
            html.P(f"Period {view.first} to {view.last}; data run to {view.data_to}. Each measure: the total for "
                   "every financial year against that year's target, and this year's running total against "
                   "the target pro rata.", className="footnote"),
            *(measures or [html.P("This project reports no measures.")]),
        ]
    parts += [html.H2("Returns"), _returns(view), html.H2("Load history"), _loads(view)]
    return parts
