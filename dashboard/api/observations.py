"""``/api/v1/observations``: observation values grouped as asked, for the same filters as the pages.

Query parameters: the page filters (fy, quarter, month_from, month_to, area, priority, stream,
project), ``group_by`` (comma list of metric, month, quarter, financial_year, area, project,
priority; default metric; metric is always a grouping because different metrics are never added),
optional ``metric`` and ``format=csv``. Without fy or months the view is the latest financial year;
``month_from=2019-04`` gives everything since the programme began.

Values of ``latest`` metrics (stocks: ORGS_FUNDED, ACTIVE_CASELOAD) are the value of the last month
with data in each group, not a sum over months; ``meta.latest_metrics`` lists them.
"""

from __future__ import annotations

import pandas as pd
from flask import Response, request

from analysis.disclosure import footnote, suppress
from dashboard.api import api, error, request_filters, respond
from dashboard.engine import engine
from service.areas import hidden_by_area
from service.observations import GroupingError, metric_info, observation_totals, parse_group_by, parse_metric
from settings import load_settings
from warehouse import queries


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
    frame = protect(totals.frame, info, queries.areas(eng))
    meta = {
        "filters": f.to_query(),
        "group_by": list(group_by),
        "metric": metric or None,
        "first_month": totals.first,
        "last_month": totals.last,
        "data_runs_to": totals.data_to,
        "latest_metrics": sorted(info.loc[info["aggregation"] == "latest", "metric_code"]),
        "note": "latest metrics: value of the last month with data in each group; other metrics: sum of months",
        "suppression": footnote(),
    }
    return respond(frame, "observations", meta)


def protect(frame: pd.DataFrame, info: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    """Hide counts of people from 1 to the threshold (value null, ``suppressed`` true).

    Grouped by area, each set of areas gets the areas page's rule (``service.areas.hidden_by_area``:
    districts and their county total form a line, so a lone hidden district gets company), so the API
    hides the same cells as the page. Otherwise primary suppression (``analysis.disclosure.suppress``)
    on every row of a people metric. An API answers any grouping, so a determined reader could still
    difference two answers (e.g. a county total and its districts); access in production is behind login.
    """
    out = frame.copy()
    out["suppressed"] = False
    people = set(info.loc[info["unit"] == "people", "metric_code"])
    rows = out["metric_code"].isin(people)
    if not rows.any():
        return out
    part = out.loc[rows]
    threshold = load_settings().suppression_threshold
    if "area_code" in part.columns:
        keys = [c for c in part.columns if c not in ("area_code", "value", "suppressed")]
        hidden = hidden_by_area(part, areas, keys, threshold).to_numpy()
    else:
        hidden = suppress(part[["value"]].reset_index(drop=True), ["value"], threshold)["value"].isna().to_numpy()
    index = part.index[hidden]
    out.loc[index, "suppressed"] = True
    out["value"] = out["value"].astype(object)
    out.loc[index, "value"] = None
    return out
