"""The board pack of the current view: one click from the overview, made on demand, never stored.

The pack is the snapshot renderer run on content built exactly as a snapshot's (``build_content``) for
the quarter the view ends in, so a current-view pack and a snapshot of the same quarter show the same
figures; it is marked "current view, not a snapshot" on every page. The content covers the whole
partnership (a snapshot's scope): the view's area, priority, stream and project slicers choose only its
quarter. For an approved pack, make and approve a snapshot on the Reporting page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from analysis.fiscal import Quarter, parse_period
from reporting.common import VIEW_STATUS
from reporting.content import SnapshotDoc, build_content, canonical_json, sha256_text
from service.gate import threshold
from service.kpis import kpi_view
from warehouse import queries
from warehouse.audit import utc_now
from warehouse.filters import Filters


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


def current_view_pack(engine: Engine, f: Filters, made_by: str) -> Pack:
    """The PDF board pack of the current view's quarter (see the module docstring)."""
    from reporting.export_pdf import render_pdf

    quarter = view_quarter(engine, f)
    now = utc_now()
    content = build_content(engine, quarter, threshold(), now, made_by[:100])
    text = canonical_json(content)
    doc = SnapshotDoc(0, quarter.label, VIEW_STATUS, now, made_by[:100], None, "", content, sha256_text(text))
    name = f"vvu-board-pack-{quarter.label.replace('/', '-').replace(' ', '-')}-current-view.pdf"
    return Pack(render_pdf(doc), name, quarter.label)
