"""``/api/v1/observations``: observation values grouped as asked, for the same filters as the pages.

Query parameters: the page filters (fy, quarter, month_from, month_to, area, priority, stream,
project), ``group_by`` (comma list of metric, month, quarter, financial_year, area, project,
priority; default metric; metric is always a grouping because different metrics are never added),
optional ``metric`` and ``format=csv``. Without fy or months the view is the latest financial year;
``month_from=2019-04`` gives everything since the programme began.

Values of ``latest`` metrics (stocks: ORGS_FUNDED, ACTIVE_CASELOAD) are the value of the last month
with data in each group, not a sum over months; ``meta.latest_metrics`` lists them. Counts of people
come through the gate (``service.gate``): small ones hidden, others with their fixed adjustment.
"""

from __future__ import annotations

from flask import Response, request

from analysis.disclosure import footnote
from analysis.stocks import STOCK_AGGREGATIONS
from dashboard.api import api, error, request_filters, respond
from dashboard.engine import engine
from service.gate import people_metric_codes, threshold
from service.observations import GroupingError, metric_info, observation_totals, parse_group_by, parse_metric


@api.get("/observations")
def observations() -> Response:
    f = request_filters()
    eng = engine()
    try:
        group_by = parse_group_by(request.args.get("group_by"))
        metric = parse_metric(eng, request.args.get("metric"))
    except GroupingError as exc:
        return error(str(exc))
    totals = observation_totals(eng, f, group_by, metric)
    info = metric_info(eng)
    frame = totals.frame.copy()  # counts of people already protected by the gate (service.gate)
    frame["suppressed"] = frame["value"].isna() & frame["metric_code"].isin(people_metric_codes(eng))
    frame["value"] = frame["value"].astype(object).where(frame["value"].notna(), None)
    meta = {
        "filters": f.to_query(),
        "group_by": list(group_by),
        "metric": metric or None,
        "first_month": totals.first,
        "last_month": totals.last,
        "data_runs_to": totals.data_to,
        "latest_metrics": sorted(info.loc[info["aggregation"].isin(STOCK_AGGREGATIONS), "metric_code"]),
        "note": "latest metrics: value of the last month with data in each group; other metrics: sum of months",
        "suppression": footnote(threshold()),
    }
    return respond(frame, "observations", meta)
