"""The board pack of the current view: one click from the overview, made on demand, never stored.

The pack is the snapshot renderer run on content built as a snapshot's (``build_content``) for the
quarter the view ends in; it is marked "current view, not a snapshot" on every page. The view's area,
priority, funding stream and project narrow its measures, breakdowns and exception report exactly as
the overview shows them (``build_content``'s ``scope``), and the pack names the view on its first page
and in its file name; without them, a current-view pack and a snapshot of the same quarter show the
same figures. For an approved pack, make and approve a snapshot on the Reporting page.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from analysis.fiscal import Quarter, parse_period
from reporting.common import VIEW_STATUS
from reporting.content import SLICERS, SnapshotDoc, build_content, canonical_json, sha256_text, view_scope
from service.gate import threshold
from service.kpis import kpi_view
from warehouse import queries
from warehouse.audit import utc_now
from warehouse.filters import Filters
from warehouse.reporting_models import MeasureException, ReportSnapshot, ReportSupersession


class NoDataForView(ValueError):
    """The view has no data to make a pack of."""


@dataclass(frozen=True)
class Pack:
    data: bytes
    filename: str
    quarter: str


def view_quarter(engine: Engine, f: Filters) -> Quarter:
    """The quarter a view ends in, never past the last month with data."""
    data_to = queries.data_runs_to(engine)
    if not data_to:
        raise NoDataForView("no observations are loaded yet, so there is no board pack to make")
    view = kpi_view(engine, f)
    last = min(view.last or data_to, data_to)
    return Quarter.of(parse_period(last))


_RECENT: OrderedDict[tuple, Pack] = OrderedDict()
_LOCK = threading.Lock()
KEEP = 4


def current_view_pack(engine: Engine, f: Filters, made_by: str) -> Pack:
    """The PDF board pack of the current view's quarter (see the module docstring).

    A pack depends only on the data, the quarter and the disclosure rule, so each process keeps the
    last few it made and hands the same bytes to the next reader of the same data version: a board
    meeting's worth of clicks costs one render. (Per process only; a stale entry cannot be served,
    because a load changes the data version in the key.)
    """
    from reporting.export_pdf import render_pdf

    quarter = view_quarter(engine, f)
    scope = view_scope(f)
    key = (str(engine.url), queries.data_version(engine), _reporting_state(engine), quarter.label, scope, threshold())
    with _LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    pack = make_view_pack(engine, quarter, made_by, render_pdf, scope)
    with _LOCK:
        _RECENT[key] = pack
        while len(_RECENT) > KEEP:
            _RECENT.popitem(last=False)
    return pack


def _reporting_state(engine: Engine) -> tuple:
    """What else a pack shows besides the data: the exception entries and the approvals (for "what
    changed since the last approved snapshot"); a change to either makes a new pack."""
    snap, sup, exc = ReportSnapshot.__table__, ReportSupersession.__table__, MeasureException.__table__
    with engine.connect() as conn:
        entries = conn.execute(select(func.count(), func.max(exc.c.entered_at))).one()
        approved = conn.execute(select(func.count(), func.max(snap.c.id)).where(snap.c.status == "approved")).one()
        superseded = conn.execute(select(func.count()).select_from(sup)).scalar_one()
    return (*entries, *approved, superseded)


def make_view_pack(engine: Engine, quarter: Quarter, made_by: str, render_pdf=None,  # noqa: ANN001
                   scope: Filters | None = None) -> Pack:
    """A current-view pack of ``quarter`` for the view's slicers ``scope``, rendered now (uncached;
    ``current_view_pack`` is the cached face)."""
    if render_pdf is None:
        from reporting.export_pdf import render_pdf
    from reporting.chart_browser import BROWSER

    BROWSER.warm()  # Chromium starts (if it is not open) while the content is read from the database
    now = utc_now()
    scope = view_scope(scope or Filters())
    content = build_content(engine, quarter, threshold(), now, made_by[:100], scope)
    text = canonical_json(content)
    doc = SnapshotDoc(0, quarter.label, VIEW_STATUS, now, made_by[:100], None, "", content, sha256_text(text))
    codes = "".join(f"-{getattr(scope, k)}" for k in SLICERS if getattr(scope, k))
    name = f"vvu-board-pack-{quarter.label.replace('/', '-').replace(' ', '-')}-current-view{codes}.pdf"
    return Pack(render_pdf(doc), name, quarter.label)
