"""``/api/v1/funding``: allocation by stream and year, spend against grant, forecasts, cost per outcome.

``?table=`` picks one table (allocation, quarterly, forecast, costs) so each can come as CSV;
without it JSON holds them all.
"""

from __future__ import annotations

from flask import Response, jsonify, request

from analysis.disclosure import footnote
from dashboard import auth
from dashboard.access import sees_project_money
from dashboard.api import api, error, request_filters, respond
from dashboard.api.projects import _records
from dashboard.engine import engine
from service.funding import funding_view
from service.gate import threshold

TABLES = ("allocation", "quarterly", "forecast", "costs")
PARTNERSHIP_TABLES = ("allocation", "quarterly")  # no rows by project: what the board may see


@api.get("/funding")
def funding() -> Response:
    f = request_filters()
    view = funding_view(engine(), f)
    meta = {"filters": f.to_query(), "suppression": footnote(threshold()), "financial_year": view.financial_year,
            "quarters_elapsed": view.quarters_elapsed, "spend_profile": view.profile, "totals": view.totals,
            "note": "Money cannot be carried over between financial years (April to March)."}
    principal = auth.current()
    shown = TABLES if principal is None or sees_project_money(principal.role) else PARTNERSHIP_TABLES
    table = request.args.get("table", "").strip().lower()
    if table:
        if table not in TABLES:
            return error(f"table must be one of {', '.join(TABLES)}")
        if table not in shown:
            return error(f"the {table} table holds rows by project, which your role does not see", 403)
        return respond(getattr(view, table), f"funding-{table}", meta)
    if request.args.get("format", "json").lower() == "csv":
        return error("CSV needs ?table= one of " + ", ".join(shown))
    return jsonify({"meta": meta, **{name: _records(getattr(view, name)) for name in shown}})
