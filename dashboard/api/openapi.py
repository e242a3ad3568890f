"""``/api/v1/openapi.json``: the API described from its own route registry, and JSON 404s under /api/v1.

Paths, methods and path parameters come from Flask's URL map, and query parameters from the view
functions' own code (every ``request.args.get("name")``, ``_int_arg("name")``, the page filters when
a view calls ``request_filters()``, ``format`` when it calls ``respond``), so a new route or
parameter appears without anyone remembering to document it. Response fields cannot be read from
code, so ``FIELDS`` lists them per endpoint; tests/integration/test_openapi.py calls every route on the
sample data and fails when an answer has a field (or a route) that ``FIELDS`` does not describe.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from functools import cache

from flask import Response, current_app, jsonify

from dashboard.api import api, error
from release import __version__
from warehouse.filters import FILTER_KEYS

FILTER_HELP = {
    "fy": "financial year, e.g. 2024/25 (April to March)", "quarter": "Q1 to Q4 of the financial year",
    "month_from": "first month, YYYY-MM", "month_to": "last month, YYYY-MM", "area": "area code (district or county)",
    "priority": "priority code (P1, P2, P3)", "stream": "funding stream", "project": "project code, e.g. PRJ001",
}
PARAM_HELP = {**FILTER_HELP, "format": "json (default) or csv", "group_by": "comma-separated groupings",
              "metric": "metric code", "dimension": "breakdown dimension, e.g. age_band",
              "crime_type": "police.uk crime type, 'Police recorded crime' (all but anti-social behaviour) "
                            "or a grouping ('Serious violence', 'Knife and weapon offences')",
              "offence_group": "Grip offence group",
              "measure": "Grip measure", "comparison": "Grip comparison", "table": "one table of the answer",
              "limit": "most rows to return", "files": "most refused files to list"}

_KPI = ["metric_code", "name", "unit", "aggregation", "priority_code", "higher_is_better", "value", "target",
        "expected", "expected_basis", "share", "share_to_date", "status", "previous", "change_pct", "months_elapsed",
        "months_in_period",
        "total_since_2019", "carried", "carried_from", "completeness", "counted_as"]
_RETURNS = ["project_code", "project_name", "financial_year", "quarter", "label", "due_on", "submitted_on", "status",
            "days_late"]
_SNAPSHOT = ["id", "quarter", "status", "created_at", "created_by", "approved_at", "approved_by", "content_sha256",
             "suppression_threshold", "superseded_at", "superseded_by", "superseded_reason", "superseded_by_id",
             "links"]
_FILE = {"file": "the export file (XLSX, zip of CSV files or PDF)"}

# Per endpoint: "data" = the fields of each row of a table answer; other keys = top-level objects or
# tables (a list means rows with those fields); "file" = a download rather than JSON.
FIELDS: dict[str, dict[str, list[str] | str]] = {
    "api.kpis": {"data": _KPI},
    "api.board_pack": {"file": "the board pack of the current view's quarter (PDF), made on demand"},
    "api.returns": {"data": _RETURNS},
    "api.breakdowns": {"data": ["dimension", "category", "quarter", "value", "suppressed"]},
    "api.crime": {"data": ["month", "area_code", "area_name", "crime_type", "count", "population", "rate_per_1000"]},
    "api.crime_boundaries": {"file": "GeoJSON boundaries (lsoa11.geojson or lsoa21.geojson)"},
    "api.funding": {
        "allocation": ["funding_stream", "source_body", "financial_year", "amount_gbp", "granted_gbp",
                       "unallocated_gbp", "projects"],
        "costs": ["project_code", "project_name", "awarded_gbp", "spend_gbp", "outcome_metric", "outcome_name",
                  "outcome_unit", "outcomes", "cost_per_outcome_gbp", "reliability"],
        "forecast": ["project_code", "project_name", "awarded_gbp", "spend_to_date_gbp", "quarters_active",
                     "quarters_elapsed", "forecast_gbp", "variance_gbp", "variance_pct", "flag",
                     "profile_forecast_gbp", "profile_flag"],
        "quarterly": ["quarter", "label", "spend_gbp", "grant_share_gbp", "cumulative_spend_gbp",
                      "cumulative_grant_gbp", "reported"],
    },
    "api.grip_effect": {"data": ["hotspot_id", "hotspot_name", "patrol_days", "non_patrol_days", "patrol_minutes",
                                 "crimes_patrol", "crimes_non_patrol", "mean_patrol", "mean_non_patrol", "rate_ratio",
                                 "pct_change", "ci_low", "ci_high", "p_value", "note", "df", "in_model",
                                 "period_start", "period_end"]},
    "api.observations": {"data": ["metric_code", "month", "quarter", "financial_year", "area_code", "project_code",
                                  "priority_code", "value", "carried", "carried_from", "completeness",
                                  "suppressed"]},
    "api.projects": {"data": ["project_code", "project_name", "org_name", "priority_code", "funding_stream",
                              "grant_gbp", "spend_gbp", "spend_pct", "delivery_pct", "delivery_status",
                              "metrics_with_target", "latest_return", "latest_return_status", "returns_late",
                              "returns_missing", "delivery_basis"]},
    "api.project": {
        "project": ["project_code", "project_name", "org_code", "org_name", "org_type", "priority_code",
                    "priority_name", "funding_stream", "source_body", "start_date", "end_date"],
        "areas": ["area_code", "area_name", "area_type"],
        "delivery": ["delivery_pct", "delivery_status", "metrics_with_target", "delivery_basis"],
        "metrics": _KPI,
        "metrics_by_year": ["financial_year", "metric_code", "months", "value", "target_value"],
        "grants": ["financial_year", "funding_stream", "awarded_gbp"],
        "spend": ["financial_year", "quarter", "spend_gbp"],
        "returns": _RETURNS,
        "load_history": ["batch_id", "file_name", "kind", "loaded_at", "loaded_by", "rows_loaded", "rows_rejected",
                         "outcome", "message", "first_period", "last_period", "project_rows"],
    },
    "api.batches": {"data": ["batch_id", "file_name", "kind", "loaded_at", "loaded_by", "rows_loaded",
                             "rows_rejected", "outcome", "message"]},
    "api.rejections": {"data": ["batch_id", "file_name", "kind", "loaded_at", "loaded_by", "row_number",
                                "column_name", "value", "reason", "resolved_by"]},
    "api.chase": {"data": ["project_code", "project_name", "quarter", "status", "due_on", "submitted_on",
                           "days_overdue", "org_name", "contact_name", "contact_email", "last_chased",
                           "last_chased_by", "chases", "mailto"]},
    "api.record_chase": {"data": ["project_code", "quarter", "last_chased", "last_chased_by", "chases"]},
    "api.accepted_warnings": {"data": ["batch_id", "project_code", "area_code", "metric_code", "period", "kind",
                                       "value", "message", "reason", "accepted_by", "accepted_at", "file_name"]},
    "api.snapshot_list": {"data": _SNAPSHOT},
    "api.snapshot_detail": {"content": ["meta", "sections"]},
    "api.snapshot_export_query": _FILE,
    "api.snapshot_export": _FILE,
    "api.snapshot_changes": {"data": ["section", "metric_code", "name", "measure", "snapshot_value", "current_value",
                                      "batches"]},
    "api.openapi": {"openapi": "3.1.0", "info": ["title", "version", "description"], "paths": "every route"},
    "api.not_found": {"error": "what was not found"},
}

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_TYPES = {"int": "integer", "float": "number"}


def query_params(view: Callable) -> list[str]:
    """Query parameters a view reads, found in its code (and in its module's helpers it calls)."""
    module = inspect.getmodule(view)
    tree = ast.parse(textwrap.dedent(inspect.getsource(module)))
    funcs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    found: list[str] = []
    seen: set[str] = set()

    def add(name: str) -> None:
        if name not in found:
            found.append(name)

    def visit(node: ast.AST) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                name = ast.unparse(sub.func)
                first = sub.args[0] if sub.args else None
                if name in ("request.args.get", "_int_arg") and isinstance(first, ast.Constant):
                    add(first.value)
                elif name == "request_filters":
                    for key in FILTER_KEYS:
                        add(key)
                elif name == "respond":
                    add("format")
                elif name in funcs and name not in seen:  # a helper of the same module
                    seen.add(name)
                    visit(funcs[name])
            elif isinstance(sub, ast.comprehension) and isinstance(sub.iter, ast.Tuple):
                parent_uses_args = "request.args.get" in ast.unparse(node)
                if parent_uses_args:
                    for elt in sub.iter.elts:
                        if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                            add(elt.value)

    seen.add(view.__name__)
    visit(funcs[view.__name__])
    return found


def _schema(fields: list[str] | str) -> dict:
    if isinstance(fields, str):
        return {"description": fields}
    return {"type": "array", "items": {"type": "object", "properties": {f: {} for f in fields}}}


# The JSON body a write route takes (field names).
BODIES: dict[str, list[str]] = {"api.record_chase": ["project_code", "quarter", "note"]}


def method_of(rule) -> str:  # noqa: ANN001 - werkzeug Rule
    """'post' for a write route (POST only), else 'get': the API's routes are one or the other."""
    return "post" if "POST" in rule.methods and "GET" not in rule.methods else "get"


def describe(app) -> dict:  # noqa: ANN001 - Flask app
    """The OpenAPI 3.1 description of every /api/v1 route of ``app``."""
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.not_found":
            continue
        view = app.view_functions[rule.endpoint]
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": _TYPES.get(conv or "", "string")}}
                  for conv, name in _CONVERTER.findall(rule.rule)]
        params += [{"name": name, "in": "query", "required": False, "schema": {"type": "string"},
                    "description": PARAM_HELP.get(name, "")} for name in query_params(view)]
        fields = FIELDS.get(rule.endpoint, {})
        if "file" in fields:
            content = {"application/octet-stream": {"schema": {"description": fields["file"]}}}
        else:
            props = {"meta": {"type": "object"}} if rule.endpoint != "api.openapi" else {}
            props.update({key: _schema(value) for key, value in fields.items()})
            content = {"application/json": {"schema": {"type": "object", "properties": props}}}
        doc = (inspect.getdoc(view) or inspect.getdoc(inspect.getmodule(view)) or "").split("\n\n")[0]
        method = method_of(rule)
        ok = "201" if method == "post" else "200"
        paths.setdefault(path, {})[method] = {
            "operationId": rule.endpoint.removeprefix("api."), "summary": doc.replace("\n", " ")[:300],
            "parameters": params,
            "responses": {ok: {"description": "OK", "content": content},
                          "400": {"description": "a parameter could not be understood ({\"error\": ...})"},
                          "404": {"description": "nothing at this path ({\"error\": ...})"}}}
        if rule.endpoint in BODIES:
            paths[path][method]["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {k: {"type": "string"} for k in BODIES[rule.endpoint]},
                "required": [k for k in BODIES[rule.endpoint] if k != "note"]}}}}
    return {"openapi": "3.1.0",
            "info": {"title": "Essex VVU outcomes dashboard data API", "version": __version__,
                     "description": "Read-only but for recording a chase (POST, staff, CSRF token with a "
                                    "session); the same filters and numbers as the pages. Counts of people "
                                    "from 1 to the disclosure threshold are suppressed."},
            "paths": paths}


@cache
def _described(app_id: int) -> dict:  # noqa: ARG001 - one description per app, the URL map is fixed
    return describe(current_app)


@api.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API: every route, parameter and field."""
    return jsonify(_described(id(current_app)))


@api.route("/", defaults={"anything": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@api.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(anything: str) -> Response:
    """Any other path under /api/v1 answers JSON, not the app's HTML page."""
    return error(f"no API route /api/v1/{anything[:80]}; see /api/v1/openapi.json", 404)
