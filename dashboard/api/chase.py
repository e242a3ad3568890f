"""``/api/v1/chase`` (missing and late returns, whom to chase, when last chased) and
``/api/v1/accepted-warnings`` (figures loaded against a plausibility warning, with the reason), and
``POST /api/v1/chase/records`` (a manager records a chase; the only write route, guarded like callbacks).

A partner gets their own organisation's rows only (``Filters.org``, in the SQL).
"""

from __future__ import annotations

from flask import Response, jsonify, request

from dashboard.api import api, error, request_filters, respond
from dashboard.engine import engine
from service.chase import chase_list, figures_accepted_against_warnings
from service.chase import record_chase as service_record_chase


@api.get("/chase")
def chase() -> Response:
    f = request_filters()
    return respond(chase_list(engine(), f), "chase-list", {"filters": f.to_query(),
                                                           "note": "days_overdue: to today for a missing return, "
                                                                   "days late for one that arrived late"})


@api.get("/accepted-warnings")
def accepted_warnings() -> Response:
    f = request_filters()
    return respond(figures_accepted_against_warnings(engine(), f), "accepted-warnings", {"filters": f.to_query()})


@api.post("/chase/records")
def record_chase() -> Response:
    """Record that a return was chased: JSON body {"project_code", "quarter" ('2024/25 Q2'), "note"}; by the
    signed-in user, now. Answers 201 with the return's chase-list row (its "last chased" now this)."""
    from dashboard.auth import current

    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("project_code", "quarter")):
        return error('send JSON {"project_code": "PRJ001", "quarter": "2024/25 Q2", "note": "..."}')
    note = body.get("note", "")
    principal = current()
    try:
        chase = service_record_chase(engine(), body["project_code"], body["quarter"],
                                     principal.name if principal else "api", note if isinstance(note, str) else "")
    except ValueError as exc:
        return error(str(exc))
    response = jsonify({"meta": {"recorded": True}, "data": [chase]})
    response.status_code = 201
    return response
