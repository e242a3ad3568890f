"""``/api/v1/batches`` (recent load attempts) and ``/api/v1/rejections`` (problems of refused files).

Return status is ``/api/v1/returns`` in the package's ``__init__``.
"""

from __future__ import annotations

from flask import Response, request

from dashboard.api import api, error, respond
from dashboard.engine import engine
from service.quality import batches_view, rejections_view


def _int_arg(name: str, default: int, low: int, high: int) -> int | Response:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        return error(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


@api.get("/batches")
def batches() -> Response:
    limit = _int_arg("limit", 25, 1, 500)
    if isinstance(limit, Response):
        return limit
    frame = batches_view(engine(), limit=limit)
    return respond(frame, "batches", {"limit": limit})


@api.get("/rejections")
def rejections() -> Response:
    files = _int_arg("files", 5, 1, 50)
    if isinstance(files, Response):
        return files
    limit = _int_arg("limit", 500, 1, 5000)
    if isinstance(limit, Response):
        return limit
    frame = rejections_view(engine(), files=files, limit=limit)
    return respond(frame, "rejections", {"files": files, "limit": limit,
                                         "note": "values are shortened to 60 characters"})
