"""``/api/v1/breakdowns``: a people metric by age band, sex or ethnicity per quarter, disclosure-controlled.

The same ``service.breakdowns.breakdown_view`` as the People page, so hidden cells are hidden here
too: a suppressed cell comes back with ``value: null`` and ``suppressed: true``, never its number.
"""

from __future__ import annotations

from flask import Response, request

from dashboard.api import api, error, request_filters, respond
from dashboard.engine import engine
from service.breakdowns import BreakdownError, breakdown_view
from service.gate import threshold


@api.get("/breakdowns")
def breakdowns() -> Response:
    f = request_filters()
    metric = request.args.get("metric", "")[:40]
    dimension = request.args.get("dimension", "age_band")[:20]
    try:
        view = breakdown_view(engine(), f, metric, dimension)
    except BreakdownError as exc:
        return error(str(exc))
    meta = {"filters": f.to_query(), "metric": view.metric_code, "metric_name": view.metric_name,
            "dimension": view.dimension, "quarters": view.quarters, "first_month": view.first,
            "last_month": view.last, "data_runs_to": view.data_to, "suppression_threshold": threshold(),
            "suppressed_cells": view.suppressed_cells, "footnote": view.footnote, "note": view.note}
    return respond(view.records(), f"breakdown-{view.metric_code.lower()}-{view.dimension}", meta)
