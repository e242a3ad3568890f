"""``/api/v1/snapshots``: reporting snapshots, their frozen contents, exports and changes since.

Read-only like the rest of the API: snapshots are made and approved on the Reporting page or with
``python -m etl snapshot``. Every answer comes from ``reporting.snapshots``, so the files served here
are the very bytes the command line writes (for an approved snapshot, the bytes stored at approval).
"""

from __future__ import annotations

import io

import pandas as pd
from flask import Response, jsonify, request, send_file

from dashboard.access import SEES_DRAFTS
from dashboard.api import api, error, respond
from dashboard.auth import current
from dashboard.engine import engine
from reporting import snapshots

EXTENSIONS = {"xlsx": "xlsx", "csv.zip": "csv", "zip": "csv", "csv": "csv", "pdf": "pdf"}


def links(sid: int) -> dict[str, str]:
    base = f"/api/v1/snapshots/{sid}"
    return {"self": base, "xlsx": f"{base}/export.xlsx", "csv": f"{base}/export.csv.zip", "pdf": f"{base}/export.pdf",
            "changes": f"{base}/changes"}


def _sees_drafts() -> bool:
    """Board and Home Office users see approved snapshots only (dashboard.access.SEES_DRAFTS)."""
    principal = current()
    return principal is None or principal.role in SEES_DRAFTS


def _visible(info: snapshots.SnapshotInfo) -> None:
    if not info.locked and not _sees_drafts():  # approved or superseded: both stay downloadable
        raise snapshots.SnapshotNotFound(f"no snapshot {info.id}")


def _refusal(exc: snapshots.SnapshotError) -> Response:
    return error(str(exc), 404 if isinstance(exc, snapshots.SnapshotNotFound) else 400)


@api.get("/snapshots")
def snapshot_list() -> Response:
    items = [{**i.as_dict(), "links": links(i.id)} for i in snapshots.list_snapshots(engine())
             if i.locked or _sees_drafts()]
    if request.args.get("format", "json").lower() == "csv":
        frame = pd.DataFrame([{k: v for k, v in i.items() if k != "links"} for i in items],
                             columns=["id", "quarter", "status", "created_at", "created_by", "approved_at",
                                      "approved_by", "content_sha256", "suppression_threshold"])
        return respond(frame, "snapshots")
    return jsonify({"meta": {"count": len(items)}, "data": items})


@api.get("/snapshots/<int:sid>")
def snapshot_detail(sid: int) -> Response:
    try:
        _visible(snapshots.get_info(engine(), sid))
        doc = snapshots.get_snapshot(engine(), sid)
        info = snapshots.get_info(engine(), sid)
    except snapshots.SnapshotError as exc:
        return _refusal(exc)
    return jsonify({"meta": {**info.as_dict(), "links": links(sid)}, "content": doc.content})


def _send(sid: int, fmt: str) -> Response:
    try:
        _visible(snapshots.get_info(engine(), sid))
        result = snapshots.export_snapshot(engine(), sid, fmt)
        info = snapshots.get_info(engine(), sid)
    except snapshots.SnapshotError as exc:
        return _refusal(exc)
    response = send_file(io.BytesIO(result.data), mimetype=result.mimetype, as_attachment=True,
                         download_name=result.filename, etag=result.sha256, conditional=True)
    response.headers["X-Export-SHA256"] = result.sha256
    response.headers["X-Snapshot-SHA256"] = info.content_sha256
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/snapshots/<int:sid>/export")
def snapshot_export_query(sid: int) -> Response:
    fmt = request.args.get("format", "").strip().lower()
    if fmt not in EXTENSIONS:
        return error("format must be xlsx, csv or pdf")
    return _send(sid, EXTENSIONS[fmt])


@api.get("/snapshots/<int:sid>/export.<path:ext>")
def snapshot_export(sid: int, ext: str) -> Response:
    fmt = EXTENSIONS.get(ext.lower())
    if fmt is None:
        return error("export as export.xlsx, export.csv.zip or export.pdf", 404)
    return _send(sid, fmt)


@api.get("/snapshots/<int:sid>/changes")
def snapshot_changes(sid: int) -> Response:
    try:
        frame = snapshots.changes_since(engine(), sid)
        info = snapshots.get_info(engine(), sid)
    except snapshots.SnapshotError as exc:
        return _refusal(exc)
    meta = {"snapshot": info.as_dict(), "changed": len(frame)}
    if request.args.get("format", "json").lower() == "csv":
        flat = frame.assign(batches=frame["batches"].map(lambda b: " ".join(f"#{i}" for i in b)))
        return respond(flat, f"snapshot-{sid}-changes", meta)
    ids = sorted({b for bs in frame["batches"] for b in bs})
    meta["batches"] = {str(k): v for k, v in snapshots.describe_batches(engine(), ids).items()}
    return jsonify({"meta": meta, "data": frame.to_dict("records")})
