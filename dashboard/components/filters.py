"""The filter bar: financial year, quarter, area, priority, funding stream, project.

Values live in the URL query string. A page's ``layout(**query)`` builds the bar from the query,
so a copied link reproduces the view; one callback here writes changes back to the URL with
``dcc.Location(refresh=False)``, so the address bar, back and forward all follow the filters.
Native ``<select>`` elements are used because they are accessible out of the box.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from dashboard.components.shell import NAV_LINK, PROJECT_CHOICES
from dashboard.engine import engine
from service.options import filter_options
from warehouse.filters import ALL as ALL_CHOICE
from warehouse.filters import FILTER_KEYS, FilterError, Filters

FILTER = "filter"
FILTER_PANEL = "filter-panel"
NARROW_PX = 700  # below this the filter panel starts folded (keep in step with assets/style.css)
LABELS = {"fy": "Financial year", "quarter": "Quarter", "area": "Area", "priority": "Priority",
          "stream": "Funding stream", "project": "Project"}
DEFAULT_FIELDS = ("fy", "quarter", "area", "priority", "stream", "project")


def filter_id(name: str) -> dict[str, str]:
    return {"type": FILTER, "name": name}


def parse_query(query: dict) -> Filters:
    """Filters from a page's query parameters; a bad link falls back to the default view."""
    try:
        return Filters.from_query({k: v for k, v in query.items() if k in FILTER_KEYS})
    except FilterError:
        return Filters()


def _select(name: str, value: str, options: Sequence[tuple[str, str]], all_label: str) -> html.Div:
    """A labelled native select; the label wraps it, so no DOM id is needed for the association."""
    # dbc.Select reserves "" for a hidden placeholder, so "no filter" is the explicit value "all".
    items = [{"label": all_label, "value": ALL_CHOICE}] + [{"label": label, "value": code} for code, label in options]
    return html.Div(html.Label([
        html.Span(LABELS[name], className="form-label"),
        dbc.Select(id=filter_id(name), value=value or ALL_CHOICE, options=items),
    ]), className="filter")


def filter_bar(f: Filters, pathname: str, fields: Sequence[str] = DEFAULT_FIELDS) -> html.Form:
    opts = filter_options(engine())
    latest = opts.years[0][0] if opts.years else ""
    choices = {
        "fy": (opts.years, f"Latest ({latest})" if latest else "Latest"),
        "quarter": ([(q, q) for q in ("Q1", "Q2", "Q3", "Q4")], "Whole year"),
        "area": (opts.areas, "All areas"),
        "priority": (opts.priorities, "All priorities"),
        "stream": (opts.streams, "All funding streams"),
        # Only the chosen project here; the browser adds the rest from the app shell's list (below).
        "project": ([p for p in opts.projects if p[0] == f.project], "All projects"),
    }
    values = {"fy": f.fy, "quarter": f.quarter, "area": f.area, "priority": f.priority, "stream": f.stream,
              "project": f.project}
    chosen = sum(bool(values[name]) for name in fields)
    form = html.Form([
        *[_select(name, values[name], *choices[name]) for name in fields],
        html.Div(dcc.Link("Reset filters", href=pathname, className="reset-link", refresh=True),
                 className="filter filter-reset"),
    ], className="filter-bar", role="search", **{"aria-label": "Filters"})
    # Folds away on a phone (closed there on load, below); open, with no fold control, on wider screens.
    return html.Details([html.Summary(f"Filters ({chosen} chosen)" if chosen else "Filters"), form],
                        id=FILTER_PANEL, open=True, className="filter-panel")


def choice_name(key: str, code: str) -> str:
    """The name the filter bar shows for a chosen code, for use in sentences ("Basildon", not "E07000066")."""
    opts = filter_options(engine())
    listed = {"area": opts.areas, "priority": opts.priorities, "stream": opts.streams, "project": opts.projects}
    return dict(listed.get(key, [])).get(code, code)


def filters_from(values: Sequence[str | None], ids: Sequence[dict]) -> Filters:
    """Filters from the pattern-matched filter inputs of a callback (treated as untrusted input)."""
    raw = {i["name"]: v or "" for i, v in zip(ids, values, strict=False) if isinstance(i, dict)}
    try:
        return Filters.from_query(raw)
    except FilterError:
        return Filters()


# Fill the project select from the list the app shell carries (assets/filters.js); its first, "all"
# option comes from the layout as it is.
clientside_callback(ClientsideFunction("filters", "projectOptions"), Output(filter_id("project"), "options"),
                    Input(filter_id("project"), "id"), State(PROJECT_CHOICES, "data"),
                    State(filter_id("project"), "options"))

FILTER_INPUTS = (Input(filter_id(ALL), "value"), State(filter_id(ALL), "id"))

clientside_callback(f"function(id) {{ return window.innerWidth >= {NARROW_PX}; }}",
                    Output(FILTER_PANEL, "open"), Input(FILTER_PANEL, "id"))

# Filters carry over between pages: each navigation link gets the current query's filter keys (and
# only those: a page's own parameters such as metric= mean nothing on another page).
clientside_callback(
    "function(search, ids) {\n        const keep = " + json.dumps(list(FILTER_KEYS)) + """;
        const params = new URLSearchParams(search || "");
        const carried = new URLSearchParams();
        for (const [k, v] of params) { if (keep.includes(k) && v) { carried.append(k, v); } }
        const q = carried.toString();
        return ids.map(id => q ? id.path + "?" + q : id.path);
    }""",
    Output({"type": NAV_LINK, "path": ALL}, "href"), Input("url-sync", "search"),
    State({"type": NAV_LINK, "path": ALL}, "id"))


@callback(Output("url-sync", "search"), Input(filter_id(ALL), "value"), State(filter_id(ALL), "id"),
          State("url-sync", "search"), prevent_initial_call=True)
def sync_url(values: list, ids: list, current: str | None) -> str:
    """Write the filters into the query string so the view can be shared and navigated.

    A page without the filter bar (crime keeps its own controls) still fires this callback when the
    previous page's filters leave the layout, with no values; it must not wipe the carried filters.
    """
    from dash import no_update

    if not ids:
        return no_update
    query = filters_from(values, ids).to_query()
    # Keep the page's own parameters (grain=, metric=...): they are not filters but part of the view.
    kept = urlencode([(k, v) for k, v in parse_qsl((current or "").lstrip("?")) if k not in FILTER_KEYS])
    query = "&".join(part for part in (query, kept) if part)
    new = f"?{query}" if query else ""
    if sorted(parse_qsl(new.lstrip("?"))) == sorted(parse_qsl((current or "").lstrip("?"))):  # same view
        return no_update
    return new
