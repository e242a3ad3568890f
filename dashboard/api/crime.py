"""``/api/v1/crime``: police.uk crimes counted by any subset of month, area and crime type.

Parameters: ``group_by`` (``month``, ``area``, ``crime_type`` separated by commas, any subset; none
gives one total row), ``month_from`` / ``month_to`` (YYYY-MM; default every month) or ``fy`` and
``quarter``, ``area`` (a district or unitary code, the county code for its 12 districts, ``OUTSIDE``
or ``NO_LOCATION``; default every row), ``crime_type`` (as police.uk spells it, case and spaces
ignored; ``Police recorded crime`` for every type but anti-social behaviour, which is not crime; or a
grouping: ``Serious violence``, ``Knife and weapon offences``, analysis.outcomes.CRIME_GROUPS, with
its definition in ``meta.definition``), ``format`` (json or csv). Without an area filter the two
buckets are areas of their own, so the counts add up to every row loaded. The numbers are the ones the Crime page shows.

``/api/v1/crime/boundaries/lsoa11.geojson`` and ``lsoa21.geojson`` serve the LSOA boundaries the
page's map fetches once (the browser caches them).
"""

from __future__ import annotations

from flask import Response, request, send_file

from dashboard.api import api, error, respond
from dashboard.engine import engine
from service.crime import RECORDED_CRIME, crime_table, parse_crime_type, parse_group_by, selection_definition
from settings import DATA_DIR
from warehouse.filters import Filters

BOUNDARIES = {"lsoa11.geojson", "lsoa21.geojson"}


@api.get("/crime")
def crime() -> Response:
    eng = engine()
    args = {k: request.args.get(k, "") for k in ("fy", "quarter", "month_from", "month_to", "area")}
    f = Filters.from_query(args)  # FilterError -> 400 (dashboard.api.bad_filter)
    if f.month_from and f.month_to and f.month_from > f.month_to:
        return error("month_from is after month_to")
    group_by = parse_group_by(request.args.get("group_by", ""))
    crime_type = parse_crime_type(eng, request.args.get("crime_type", ""))
    frame = crime_table(eng, f, crime_type, group_by)
    meta = {"filters": f.to_query(), "crime_type": crime_type, "group_by": list(group_by),
            "columns": list(frame.columns), "rows": int(len(frame)),
            "total": int(frame["count"].sum()) if len(frame) else 0,
            "areas": "OUTSIDE = outside the partnership area, NO_LOCATION = no location; without an area filter "
                     "they are counted as areas of their own so the counts add up to every row loaded",
            "rate": "rate_per_1000 = count per 1,000 residents (areas table population)",
            "definition": (selection_definition("" if crime_type == RECORDED_CRIME else crime_type) if crime_type
                           else "Every row loaded: police recorded crime and anti-social behaviour incidents "
                                "(not crimes); crime_type=Police recorded crime leaves the incidents out.")}
    return respond(frame, "crime", meta)


@api.get("/crime/boundaries/<name>")
def crime_boundaries(name: str) -> Response:
    if name not in BOUNDARIES:
        return error("unknown boundary file", 404)
    return send_file(DATA_DIR / "geo" / name, mimetype="application/geo+json", max_age=86400, conditional=True)
