"""Who may open what: the one table of roles against pages and API endpoints, and the lookup of the
page a callback belongs to.

Enforced on the server for every request (``dashboard.auth``): a page, each of its callbacks and
the API endpoints behind it answer only the roles listed here, whatever links the shell shows.
Anything not listed is refused for everyone but ``admin`` (deny by default), and the access matrix
test enumerates every route and callback so a new one cannot go unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

ALL_ROLES = frozenset({"admin", "manager", "approver", "board", "partner", "homeoffice"})
STAFF = frozenset({"admin", "manager"})
PROJECT_MONEY = "/funding#projects"  # not a URL: the funding page's project-level parts, by role
READERS = frozenset({"admin", "manager", "approver", "board"})  # partnership-level figures, no project rows
PARTNER_PAGES = frozenset({"admin", "manager", "partner"})  # project rows, scoped to a partner's own
REPORTING = frozenset({"admin", "manager", "approver", "board", "homeoffice"})

# Page path (or Dash path template) -> roles.
PAGES: Mapping[str, frozenset[str]] = {
    "/": READERS,
    "/priorities": READERS,
    "/areas": READERS,
    "/crime": READERS,
    "/outcomes": READERS,
    "/grip": READERS,
    "/funding": READERS,  # partnership-level money for the board; the project-level tables are below
    PROJECT_MONEY: STAFF | {"approver"},  # the funding page's project rows (forecast by project, cost per outcome)
    "/people": STAFF | {"approver"},
    "/projects": PARTNER_PAGES,
    "/projects/<code>": PARTNER_PAGES,
    "/data-quality": PARTNER_PAGES,  # a partner: own returns' status, loads, rejected rows; uploads own returns
    "/reporting": REPORTING,
    "/admin/audit": frozenset({"admin"}),
}

# API endpoint (Flask endpoint name) -> roles.
API: Mapping[str, frozenset[str]] = {
    "api.kpis": READERS,
    "api.returns": PARTNER_PAGES,
    "api.breakdowns": STAFF | {"approver"},
    "api.crime": READERS,
    "api.crime_boundaries": READERS,
    "api.projects": PARTNER_PAGES,
    "api.project": PARTNER_PAGES,
    "api.funding": READERS,  # the board gets the partnership-level tables only (dashboard/api/funding.py)
    "api.grip_effect": READERS,
    "api.observations": STAFF | {"approver"},
    "api.batches": PARTNER_PAGES,  # a partner: their own returns' loads only (warehouse.quality_queries)
    "api.rejections": PARTNER_PAGES,
    "api.chase": PARTNER_PAGES,  # a partner: their own returns' chase status only (Filters.org)
    "api.accepted_warnings": PARTNER_PAGES | {"approver"},
    "api.record_chase": STAFF,  # POST: the unit's staff record that they chased a return (CSRF-guarded)
    "api.snapshot_list": REPORTING,
    "api.snapshot_detail": REPORTING,
    "api.snapshot_export_query": REPORTING,
    "api.snapshot_export": REPORTING,
    "api.snapshot_changes": STAFF | {"approver"},
    "api.board_pack": READERS,  # the overview's "Board pack (PDF)": partnership-level figures, as the overview
    "api.openapi": ALL_ROLES,  # the routes and fields, no data: every signed-in role may read it
    "api.not_found": ALL_ROLES,  # an unknown /api/v1/ path: a JSON 404 for anyone signed in
}

# Roles that see draft snapshots (the others see approved ones only).
SEES_DRAFTS = frozenset({"admin", "manager", "approver"})
MAKES_DRAFTS = frozenset({"admin", "manager"})
APPROVES = frozenset({"admin", "approver"})

# Where each role lands after signing in.
HOME = {"admin": "/", "manager": "/", "approver": "/reporting", "board": "/", "partner": "/projects",
        "homeoffice": "/reporting"}

# Callbacks defined in shared components belong to the page whose ids they answer (the server grid's
# ids start with the page's name); the filter bar's own callbacks serve every page.
COMPONENT_PREFIXES = (("projects-", "/projects"), ("funding-forecast-", PROJECT_MONEY),
                      ("funding-cost-", PROJECT_MONEY), ("funding-", "/funding"), ("data-quality-", "/data-quality"))
SHARED_MODULES = ("dashboard.components.filters", "dashboard.components.shell")
ROUTER_MODULE = "dash.dash"  # Dash Pages' own callback: renders the page at the pathname it is sent


def sees_project_money(role: str) -> bool:
    """Whether the funding page and API may show this role rows by project (grant variance, cost)."""
    return page_allows(PROJECT_MONEY, role)


def page_allows(path: str, role: str) -> bool:
    roles = PAGES.get(path)
    return roles is not None and (role in roles or role == "admin")


def api_allows(endpoint: str, role: str) -> bool:
    roles = API.get(endpoint)
    return role == "admin" or (roles is not None and role in roles)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(<[^>]+>)", template)
    body = "".join("([^/]+)" if p.startswith("<") else re.escape(p) for p in parts)
    return re.compile(f"^{body}/?$")


_TEMPLATES = {t: _template_regex(t) for t in PAGES}


def page_for_path(path: str) -> tuple[str, dict[str, str]] | None:
    """The page (its key in PAGES) a URL path opens, with its path variables; None for unknown paths."""
    path = path or "/"
    if path in PAGES:
        return path, {}
    for template, regex in _TEMPLATES.items():
        match = regex.match(path)
        if match and "<" in template:
            names = re.findall(r"<([^>]+)>", template)
            return template, dict(zip(names, match.groups(), strict=True))
    return None


def page_for_callback(module: str, output: str, page_paths: Mapping[str, str]) -> str | None:
    """The page key a callback belongs to: its page module's path, or the page named by its output id.

    Returns "" for shared callbacks (any signed-in role) and ROUTER for Dash Pages' router, None when
    the callback belongs to nothing known (refused but for admin).
    """
    if module in page_paths:
        return page_paths[module]
    if module == ROUTER_MODULE and "_pages_content" in output:
        return ROUTER
    if module in SHARED_MODULES or output.startswith("{\"name\":\"project\"") or output == "_pages_dummy.children":
        return ""
    for prefix, page in COMPONENT_PREFIXES:
        if output.lstrip(".").startswith(prefix):
            return page
    return None


ROUTER = "<router>"
