"""Projects and partners: every project within the filters, with delivery, money and returns, in a grid
that sorts, filters and downloads as CSV. Project codes open the project's own page."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Output, callback, dcc, html

from dashboard.components.filters import FILTER_INPUTS, choice_name, filter_bar, filters_from, parse_query
from dashboard.components.server_grid import (
    COUNT,
    GBP,
    LINK_ALIASES,
    LINK_COLUMN,
    PCT,
    THEME,
    WRAP,
    number_column,
    register_server_grid,
    server_grid,
    with_links,
)
from dashboard.engine import engine
from service.options import filter_options
from service.projects import DEFINITIONS, projects_table
from warehouse.filters import Filters

dash.register_page(__name__, path="/projects", title="Projects and partners - Essex VVU outcomes",
                   name="Projects and partners", order=3)

FIELDS = ("fy", "quarter", "area", "priority", "stream")

def _status_classes(field: str) -> dict:
    """Colour a status cell's text by its value (classes in projects.css)."""
    # Rows of a block still loading have no data yet.
    return {"cell-on": f"!!params.data && ['on track', 'on time'].includes(params.data.{field})",
            "cell-risk": f"!!params.data && ['at risk', 'late'].includes(params.data.{field})",
            "cell-off": f"!!params.data && ['off track', 'missing'].includes(params.data.{field})"}


COLUMNS = [
    LINK_COLUMN,
    {"field": "project_name", "tooltipField": "project_name", "headerName": "Project", "minWidth": 190, "flex": 2,
     **WRAP},
    {"field": "org_name", "tooltipField": "org_name", "headerName": "Partner organisation", "minWidth": 150,
     "flex": 1, **WRAP},
    {"field": "priority_code", "headerName": "Priority", "minWidth": 90, "maxWidth": 110},
    {"field": "funding_stream", "headerName": "Stream", "minWidth": 100, "maxWidth": 130},
    number_column("delivery_pct", "Delivery vs target", PCT, DEFINITIONS["delivery_pct"], 95),
    {"field": "delivery_status", "headerName": "Delivery status", "minWidth": 95,
     "headerTooltip": DEFINITIONS["delivery_status"], "cellClassRules": _status_classes("delivery_status")},
    {"field": "delivery_basis", "tooltipField": "delivery_basis", "headerName": "Judged against", "minWidth": 150,
     "headerTooltip": DEFINITIONS["delivery_basis"], **WRAP},
    number_column("grant_gbp", "Grant (£)", GBP, DEFINITIONS["grant_gbp"]),
    number_column("spend_gbp", "Spend to date (£)", GBP, DEFINITIONS["spend_gbp"]),
    number_column("spend_pct", "Spent of grant", PCT, DEFINITIONS["spend_pct"], 85),
    {"field": "latest_return", "headerName": "Latest return", "minWidth": 125, "headerTooltip":
     DEFINITIONS["latest_return"], "cellClassRules": _status_classes("latest_return_status"), **WRAP},
    number_column("returns_missing", "Returns missing", COUNT, DEFINITIONS["returns_missing"], 90),
]


def layout(**query: str) -> html.Div:
    f = parse_query(query)
    return html.Div([
        html.H1("Projects and partners"),
        html.P("Every project within the filters: how it is delivering against its own targets, what it has spent "
               "of its grant this financial year, and whether its quarterly returns are in. Sort or filter any "
               "column; select a project code to see the project.", className="lead"),
        filter_bar(f, "/projects", FIELDS),
        html.Div([
            html.P(id="projects-summary", className="projects-summary", **{"aria-live": "polite"}),
            html.P("Scroll the table sideways for more columns.", className="grid-hint"),
            html.Button("Download table as CSV", id="projects-export", n_clicks=0, type="button",
                        className="btn btn-primary btn-sm"),
            dcc.Download(id="projects-download"),
        ], className="projects-toolbar"),
        server_grid(
            "projects-grid",
            COLUMNS,
            dashGridOptions={"theme": {"function": THEME}, "tooltipShowDelay": 300},
            getRowId="params.data.project_code",
            columnSize="responsiveSizeToFit",
            className="ag-theme-quartz projects-grid",
            style={"height": "640px", "width": "100%"},
        ),
        html.Details([
            html.Summary("How the columns are worked out"),
            html.Dl([item for key, label in (("delivery_pct", "Delivery vs target"),
                                             ("delivery_status", "Delivery status"),
                                             ("delivery_basis", "Judged against"), ("grant_gbp", "Grant"),
                                             ("spend_gbp", "Spend to date"), ("spend_pct", "Spent of grant"),
                                             ("latest_return", "Latest return"),
                                             ("returns_missing", "Returns missing"))
                     for item in (html.Dt(label), html.Dd(DEFINITIONS[key]))]),
            html.P("The same rows are available from the data API at /api/v1/projects (add ?format=csv).",
                   className="footnote"),
        ], className="projects-definitions"),
    ], className="page page-projects")


def grid_rows(f: Filters) -> pd.DataFrame:
    """Every project row for the grid (the server sends it a block at a time)."""
    return with_links(projects_table(engine(), f), f)


register_server_grid("projects-grid", grid_rows, aliases=LINK_ALIASES,
                     export=("projects-export", "projects-download", "vvu-projects"))


@callback(Output("projects-summary", "children"), *FILTER_INPUTS)
def render(values: list, ids: list) -> str:
    f = filters_from(values, ids)
    table = projects_table(engine(), f)
    missing = int(table["returns_missing"].sum()) if not table.empty else 0
    data_to = filter_options(engine()).data_to
    period = f.describe(data_to, choice_name) if data_to else "no data loaded"
    ended = len(projects_table(engine(), f, True)) - len(table)
    note = (f" {ended} projects that were not active in this period are not listed "
            "(/api/v1/projects?ended=include lists them)." if ended else "")
    summary = (f"{len(table)} projects active in this period ({period}). Quarterly returns missing across them in "
               f"this period: {missing}.{note}" if not table.empty else f"No projects match these filters ({period}).")
    return summary
