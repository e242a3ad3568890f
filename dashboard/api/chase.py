"""``/api/v1/chase`` (missing and late returns, whom to chase, when last chased) and
``/api/v1/accepted-warnings`` (figures loaded against a plausibility warning, with the reason).

A partner gets their own organisation's rows only (``Filters.org``, in the SQL).
"""

from __future__ import annotations

from flask import Response

from dashboard.api import api, request_filters, respond
from dashboard.engine import engine
from service.chase import chase_list, figures_accepted_against_warnings


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
