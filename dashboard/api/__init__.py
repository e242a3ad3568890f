"""The read-only data API beside the pages: JSON by default, CSV with ``?format=csv``.

Endpoints take the same filters as the pages and call the same service functions, so their
numbers cannot differ from what the pages show. Each topic adds its routes in a module of this
package (``dashboard/api/<topic>.py``, using ``api``, ``respond`` and ``request_filters`` from here);
``register`` imports them all.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
from flask import Blueprint, Response, jsonify, request

from analysis.disclosure import footnote
from charts.kpi_text import STARTS_NOTE
from dashboard.engine import engine
from service.gate import threshold
from service.kpis import kpi_view
from service.returns import returns_view
from warehouse.filters import FILTER_KEYS, FilterError, Filters

api = Blueprint("api", __name__, url_prefix="/api/v1")


def request_filters() -> Filters:
    return Filters.from_query({k: request.args.get(k, "") for k in FILTER_KEYS})


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def respond(frame: pd.DataFrame, name: str, meta: dict[str, Any] | None = None) -> Response:
    """The frame as JSON ({"meta":..., "data": [...]}) or as CSV with ``?format=csv``.

    Both say when the database holds the synthetic sample (``meta.synthetic_sample``; a
    ``synthetic-sample-`` file name prefix for CSV), so a download cannot pass for real figures.
    """
    from etl.demo import holds_sample

    sample = holds_sample(engine())
    fmt = request.args.get("format", "json").lower()
    if fmt == "csv":
        filename = f"synthetic-sample-{name}.csv" if sample else f"{name}.csv"
        return Response(safe_csv(frame), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    if fmt != "json":
        return error(f"format must be json or csv, not {fmt[:10]!r}")
    records = [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]
    return jsonify({"meta": {**(meta or {}), "synthetic_sample": sample}, "data": records})


def safe_csv(frame: pd.DataFrame) -> str:
    """The frame as CSV text with every formula-like text cell neutralised (API and page downloads)."""
    buf = io.StringIO()
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(escape_formula)
    safe.to_csv(buf, index=False)
    return buf.getvalue()


def escape_formula(value: Any) -> Any:
    """Stop text that starts like a spreadsheet formula from running when the CSV is opened."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def error(message: str, status: int = 400) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


@api.errorhandler(FilterError)
def bad_filter(exc: FilterError) -> Response:
    return error(str(exc))


def register(server) -> None:  # noqa: ANN001 - Flask app
    """Import every topic module (their routes attach to ``api``), then mount the blueprint."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    server.register_blueprint(api)


@api.get("/kpis")
def kpis() -> Response:
    f = request_filters()
    view = kpi_view(engine(), f)
    meta = {"filters": f.to_query(), "first_month": view.first, "last_month": view.last,
            "financial_year": view.financial_year, "data_runs_to": view.data_to,
            "suppression": footnote(threshold()), "counted_as": STARTS_NOTE}
    return respond(view.table, "kpis", meta)


@api.get("/returns")
def returns() -> Response:
    f = request_filters()
    return respond(returns_view(engine(), f), "returns", {"filters": f.to_query()})
