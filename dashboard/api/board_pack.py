"""``/api/v1/board-pack.pdf``: the board pack of the current view, the overview's one-click download.

Takes the page filters (``fy``, ``quarter``, ``month_from``/``month_to``, ...) and answers the PDF made
by ``reporting.board_pack`` for the quarter the view ends in. Nothing is stored; the approved pack of a
quarter is a snapshot's (``/api/v1/snapshots/<id>/export.pdf``).
"""

from __future__ import annotations

import io

from flask import Response, send_file

from dashboard.api import api, error, request_filters
from dashboard.auth import current
from dashboard.engine import engine
from reporting.board_pack import NoDataForView, current_view_pack
from reporting.content import NoData


@api.get("/board-pack.pdf")
def board_pack() -> Response:
    principal = current()
    who = principal.name if principal else "developer"
    try:
        pack = current_view_pack(engine(), request_filters(), who)
    except (NoDataForView, NoData) as exc:
        return error(str(exc), 404)
    response = send_file(io.BytesIO(pack.data), mimetype="application/pdf", as_attachment=True,
                         download_name=pack.filename)
    response.headers["Cache-Control"] = "no-store"
    return response
