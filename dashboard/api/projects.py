"""``/api/v1/projects`` (the projects grid's rows) and ``/api/v1/projects/<code>`` (one project).

Same filters and the same service functions as the pages, so the numbers cannot differ.
"""

from __future__ import annotations

import re

import pandas as pd
from flask import Response, jsonify, request

from analysis.disclosure import footnote
from dashboard.api import _jsonable, api, error, request_filters, respond
from dashboard.engine import engine
from service.gate import threshold
from service.projects import DEFINITIONS, project_view, projects_table
from warehouse.filters import Filters

_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]


@api.get("/projects")
def projects() -> Response:
    f = request_filters()
    ended = request.args.get("ended", "").strip().lower()
    if ended not in ("", "include", "exclude"):
        return error("ended must be include or exclude")
    return respond(projects_table(engine(), f, ended == "include"), "projects",
                   {"filters": f.to_query(), "ended": ended or "exclude", "definitions": DEFINITIONS})


@api.get("/projects/<code>")
def project(code: str) -> Response:
    if not _CODE.match(code):
        return error("project code must look like PRJ001", 404)
    f = request_filters()
    period = Filters(fy=f.fy, quarter=f.quarter, month_from=f.month_from, month_to=f.month_to)
    view = project_view(engine(), code.upper(), period)
    if view is None:
        return error(f"no project with code {code.upper()}", 404)
    if request.args.get("format", "json").lower() == "csv":
        # The metrics table is the tabular part; details and history come with JSON.
        return respond(view.kpis, f"project-{view.code}-metrics", {})
    meta = {"filters": period.to_query(), "suppression": footnote(threshold()), "financial_year": view.financial_year,
            "first_month": view.first, "last_month": view.last, "data_runs_to": view.data_to}
    return jsonify({
        "meta": meta,
        "project": {k: _jsonable(v) for k, v in view.detail.items()},
        "areas": _records(view.areas),
        "delivery": {k: _jsonable(v) for k, v in view.delivery.items()},
        "metrics": _records(view.kpis),
        "metrics_by_year": _records(view.yearly),
        "grants": _records(view.grants),
        "spend": _records(view.spend),
        "returns": _records(view.returns),
        "load_history": _records(view.loads),
    })
