"""The frame around every page: skip link, header with navigation, synthetic-data notice, footer."""

from __future__ import annotations

import dash
from dash import dcc, html

PROJECT_CHOICES = "project-choices"
NAV_LINK = "nav-link"
SAMPLE_NOTICE = ("The figures shown are generated sample data for demonstration, not real people, partners or "
                 "outcomes.")
NAV = [
    ("/", "Overview"),
    ("/priorities", "Priorities"),
    ("/areas", "Areas"),
    ("/people", "People reached"),
    ("/projects", "Projects and partners"),
    ("/funding", "Funding"),
    ("/data-quality", "Data quality"),
    ("/crime", "Crime"),
    ("/grip", "Grip patrols"),
    ("/outcomes", "Outcome measures"),
    ("/reporting", "Reporting"),
    ("/admin/audit", "Audit log"),
]


def nav_links(role: str = "") -> list:
    """The pages this role may open (a courtesy: the server refuses the others anyway)."""
    from dashboard.access import page_allows

    known = {p["path"] for p in dash.page_registry.values()}
    # Ids so components.filters can carry the filters in the query string over to every link.
    return [html.Li(dcc.Link(label, href=path, className="nav-link", id={"type": NAV_LINK, "path": path}))
            for path, label in NAV if path in known and (not role or page_allows(path, role))]


def shell(content: object, signed_in: bool = False, project_choices: list | None = None, role: str = "",
          disclosure_rule: str = "", sample: bool = False) -> html.Div:
    """``sample``: the database holds the bundled synthetic sample (etl.demo.holds_sample), and only
    then does every page carry the synthetic-data notice; real data never shows it.

    ``project_choices`` ((code, label) pairs) ride in the app's first layout once per visit, and the
    filter bar's project select is filled from them in the browser (components.filters), so the list
    of every project is not resent with each page."""
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        dcc.Location(id="url-sync", refresh=False),
        dcc.Store(id=PROJECT_CHOICES, data=[list(c) for c in project_choices or []]),
        html.Header([
            html.Div([
                html.Span("Essex Violence and Vulnerability Unit", className="brand-org"),
                html.Span("Outcomes dashboard", className="brand-app"),
            ], className="brand"),
            html.Nav(html.Ul(nav_links(role), className="nav-list"), **{"aria-label": "Main"}),
            html.A("Sign out", href="/logout", className="signout") if signed_in else
            html.A("Sign in", href="/login", className="signout"),
        ], className="site-header"),
        html.P([html.Strong("Synthetic data. "), SAMPLE_NOTICE], className="synthetic-banner",
               id="synthetic-banner") if sample else None,
        html.Main(content, id="main", tabIndex="-1"),
        html.Footer([
            html.P(disclosure_rule, className="disclosure-rule") if disclosure_rule else None,
            html.P("Years are financial years, April to March. Data API: /api/v1/."),
        ], className="site-footer"),
    ])
