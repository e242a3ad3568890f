"""Make, approve, list, read and export snapshots, and say what has changed since one was made.

The lifecycle is draft -> approved -> superseded. Exactly one approved snapshot stands per quarter:
approving a new draft of a quarter that already has one records the earlier as superseded (who, when
and why, in ``report_supersession``; the earlier row itself stays locked and downloadable).

A draft's content is frozen when it is made; approving it renders
its three exports once, stores their bytes beside it and locks the lot: these functions refuse to
change an approved snapshot, and database triggers refuse too. Exports of an approved snapshot are
therefore returned byte for byte as they were at approval, whatever was loaded, revised or upgraded
since. A draft's exports are rendered on demand from its frozen JSON (the renderers are
deterministic, so they too repeat while the code stays the same).

Errors are :class:`SnapshotError` subclasses with messages meant for the person at the keyboard.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from analysis.fiscal import Quarter
from reporting.content import NoData, SnapshotDoc, build_content, canonical_json, sha256_text
from service.gate import threshold as gate_threshold
from warehouse import queries, reporting_models
from warehouse.audit import current_user, utc_now
from warehouse.reporting_models import (
    STATUS_APPROVED,
    STATUS_DRAFT,
    ReportExport,
    ReportSnapshot,
    ReportSupersession,
)

STATUS_SUPERSEDED = "superseded"
LOCKED_STATUSES = (STATUS_APPROVED, STATUS_SUPERSEDED)

FORMATS = {
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("csv.zip", "application/zip"),
    "pdf": ("pdf", "application/pdf"),
}


class SnapshotError(ValueError):
    """Something asked of a snapshot that cannot be done; the message says why."""


class SnapshotNotFound(SnapshotError):
    pass


class SnapshotLocked(SnapshotError):
    pass


class SelfApproval(SnapshotError):
    """Maker-checker: whoever made a draft can never approve (or reject) it themselves."""


class ReasonNeeded(SnapshotError):
    """Approving a second snapshot of a quarter replaces the first: the approver must say why."""


class BadQuarter(SnapshotError):
    pass


class NoDataForQuarter(SnapshotError):
    pass


@dataclass(frozen=True)
class SnapshotInfo:
    """A snapshot without its content, for lists."""

    id: int
    quarter: str
    status: str
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str
    content_sha256: str
    suppression_threshold: int
    superseded_at: datetime | None = None
    superseded_by: str = ""
    superseded_reason: str = ""
    superseded_by_id: int | None = None

    @property
    def locked(self) -> bool:
        """Approved once (whether still standing or superseded since): its stored files never change."""
        return self.status in LOCKED_STATUSES

    def as_dict(self) -> dict:
        return {"id": self.id, "quarter": self.quarter, "status": self.status,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "approved_at": self.approved_at.isoformat() if self.approved_at else None,
                "approved_by": self.approved_by or None, "content_sha256": self.content_sha256,
                "suppression_threshold": self.suppression_threshold,
                "superseded_at": self.superseded_at.isoformat() if self.superseded_at else None,
                "superseded_by": self.superseded_by or None, "superseded_reason": self.superseded_reason or None,
                "superseded_by_id": self.superseded_by_id}


@dataclass(frozen=True)
class Export:
    data: bytes
    filename: str
    mimetype: str
    sha256: str


def parse_quarter(label: str) -> Quarter:
    try:
        return Quarter.parse(label)
    except ValueError as exc:
        raise BadQuarter(f"unknown quarter {str(label)[:40]!r}: write it like '2022/23 Q3' "
                         "(financial year, space, Q1 to Q4)") from exc


def parse_id(value: object) -> int:
    text = str(value).strip().lstrip("#")
    if not text.isdigit() or len(text) > 9:
        raise SnapshotNotFound(f"no snapshot {str(value)[:20]!r}: a snapshot id is a whole number "
                               "(see 'snapshot list')")
    return int(text)


# ---------------------------------------------------------------------------------------------------


def create_snapshot(engine: Engine, quarter_label: str, made_by: str | None = None,
                    threshold: int | None = None, now: datetime | None = None) -> SnapshotInfo:
    """Freeze a quarter as a new draft. Refuses an unknown quarter or one without observations."""
    quarter = parse_quarter(quarter_label)
    made_at = now or utc_now()
    who = (made_by or current_user())[:100]
    rule = gate_threshold()  # counts are published by the gate, with the threshold in force
    if threshold is not None and int(threshold) != rule:
        raise ValueError(f"the suppression threshold in force is {rule} (SUPPRESSION_THRESHOLD); a snapshot "
                         f"cannot be made with {threshold}")
    version = queries.data_version(engine)
    try:
        content = build_content(engine, quarter, rule, made_at, who)
    except NoData as exc:
        raise NoDataForQuarter(str(exc)) from exc
    text = canonical_json(content)
    digest = sha256_text(text)
    with engine.begin() as conn:
        new_id = conn.execute(insert(ReportSnapshot).values(
            quarter=quarter.label, financial_year=quarter.fy, status=STATUS_DRAFT, created_at=made_at,
            created_by=who, approved_at=None, approved_by="", suppression_threshold=rule, data_version=version,
            content=text, content_sha256=digest,
        ).returning(ReportSnapshot.id)).scalar_one()
    return get_info(engine, new_id)


def _row_to_info(row) -> SnapshotInfo:  # noqa: ANN001 - a Row
    status = STATUS_SUPERSEDED if row.superseded_at is not None else row.status
    return SnapshotInfo(row.id, row.quarter, status, row.created_at, row.created_by, row.approved_at,
                        row.approved_by or "", row.content_sha256, row.suppression_threshold, row.superseded_at,
                        row.superseded_by or "", row.reason or "", row.superseded_by_id)


INFO_COLUMNS = [ReportSnapshot.id, ReportSnapshot.quarter, ReportSnapshot.status, ReportSnapshot.created_at,
                ReportSnapshot.created_by, ReportSnapshot.approved_at, ReportSnapshot.approved_by,
                ReportSnapshot.content_sha256, ReportSnapshot.suppression_threshold,
                ReportSupersession.superseded_at, ReportSupersession.superseded_by, ReportSupersession.reason,
                ReportSupersession.superseded_by_id]


def _info_query():  # noqa: ANN202 - a Select
    return select(*INFO_COLUMNS).outerjoin(ReportSupersession, ReportSupersession.snapshot_id == ReportSnapshot.id)


def list_snapshots(engine: Engine) -> list[SnapshotInfo]:
    """Newest first."""
    with engine.connect() as conn:
        rows = conn.execute(_info_query().order_by(ReportSnapshot.id.desc())).all()
    return [_row_to_info(r) for r in rows]


def standing_approval(engine: Engine, quarter: str) -> SnapshotInfo | None:
    """The one approved, not superseded, snapshot of a quarter, if any."""
    with engine.connect() as conn:
        row = conn.execute(_info_query().where(
            ReportSnapshot.quarter == quarter, ReportSnapshot.status == STATUS_APPROVED,
            ReportSupersession.snapshot_id.is_(None)).order_by(ReportSnapshot.id.desc())).first()
    return None if row is None else _row_to_info(row)


def last_approved_before(engine: Engine, quarter: str) -> SnapshotInfo | None:
    """The standing approved snapshot of the latest quarter before ``quarter`` (for "what changed")."""
    target = parse_quarter(quarter)
    earlier = [i for i in list_snapshots(engine) if i.status == STATUS_APPROVED and parse_quarter(i.quarter) < target]
    return max(earlier, key=lambda i: (parse_quarter(i.quarter), i.id)) if earlier else None


def get_info(engine: Engine, snapshot_id: object) -> SnapshotInfo:
    sid = parse_id(snapshot_id)
    with engine.connect() as conn:
        row = conn.execute(_info_query().where(ReportSnapshot.id == sid)).first()
    if row is None:
        raise SnapshotNotFound(f"no snapshot {sid}: see 'snapshot list' for the ids there are")
    return _row_to_info(row)


def get_snapshot(engine: Engine, snapshot_id: object) -> SnapshotDoc:
    """The snapshot with its frozen content, after checking the content still matches its hash."""
    sid = parse_id(snapshot_id)
    with engine.connect() as conn:
        row = conn.execute(select(ReportSnapshot.__table__).where(ReportSnapshot.id == sid)).first()
    if row is None:
        raise SnapshotNotFound(f"no snapshot {sid}: see 'snapshot list' for the ids there are")
    if sha256_text(row.content) != row.content_sha256:
        raise SnapshotError(f"snapshot {sid} does not match its hash: its stored content was altered")
    return SnapshotDoc(row.id, row.quarter, row.status, row.created_at, row.created_by, row.approved_at,
                       row.approved_by or "", json.loads(row.content), row.content_sha256)


def renderers() -> dict[str, Callable[[SnapshotDoc], bytes]]:
    from reporting.export_csv import render_csv_zip
    from reporting.export_pdf import render_pdf
    from reporting.export_xlsx import render_xlsx

    return {"xlsx": render_xlsx, "csv": render_csv_zip, "pdf": render_pdf}


def approve_snapshot(engine: Engine, snapshot_id: object, approved_by: str | None = None,
                     now: datetime | None = None, reason: str = "") -> SnapshotInfo:
    """Approve a draft: render and store its exports, then lock it. Approving twice is refused.

    When the quarter already has an approved snapshot, the new approval supersedes it, and ``reason``
    (why the earlier one is replaced) is required; both stay downloadable.
    """
    doc = get_snapshot(engine, snapshot_id)
    if doc.approved:
        raise SnapshotLocked(f"snapshot {doc.id} was already approved on {doc.approved_at:%Y-%m-%d %H:%M} by "
                             f"{doc.approved_by}; an approved snapshot cannot change")
    when = now or utc_now()
    who = (approved_by or current_user())[:100]
    if who.strip().lower() == (doc.created_by or "").strip().lower():
        raise SelfApproval(f"snapshot {doc.id} was made by {doc.created_by}; someone else must approve it")
    earlier = standing_approval(engine, doc.quarter)
    why = " ".join(str(reason or "").split())[:2000]
    if earlier is not None and not why:
        raise ReasonNeeded(f"{doc.quarter} already has approved snapshot {earlier.id} (approved "
                           f"{earlier.approved_at:%Y-%m-%d %H:%M} by {earlier.approved_by}); approving snapshot "
                           f"{doc.id} supersedes it, so say why")
    final = SnapshotDoc(doc.id, doc.quarter, STATUS_APPROVED, doc.created_at, doc.created_by, when, who,
                        doc.content, doc.content_sha256)
    files = {fmt: render(final) for fmt, render in renderers().items()}
    try:
        with engine.begin() as conn:
            for fmt, data in files.items():
                conn.execute(insert(ReportExport).values(snapshot_id=doc.id, fmt=fmt, data=data,
                                                         sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
            done = conn.execute(
                update(ReportSnapshot)
                .where(ReportSnapshot.id == doc.id, ReportSnapshot.status == STATUS_DRAFT,
                       ReportSnapshot.content_sha256 == doc.content_sha256)
                .values(status=STATUS_APPROVED, approved_at=when, approved_by=who)
            ).rowcount
            if done != 1:
                raise SnapshotLocked(f"snapshot {doc.id} was approved by someone else meanwhile")
            if earlier is not None:
                conn.execute(insert(ReportSupersession).values(
                    snapshot_id=earlier.id, superseded_by_id=doc.id, superseded_at=when, superseded_by=who,
                    reason=why))
            standing = conn.execute(
                select(func.count()).select_from(ReportSnapshot).outerjoin(
                    ReportSupersession, ReportSupersession.snapshot_id == ReportSnapshot.id)
                .where(ReportSnapshot.quarter == doc.quarter, ReportSnapshot.status == STATUS_APPROVED,
                       ReportSupersession.snapshot_id.is_(None))).scalar_one()
            if standing != 1:  # another approval of this quarter landed meanwhile: roll this one back
                raise SnapshotLocked(f"{doc.quarter} was approved by someone else meanwhile; reload and try again")
    except IntegrityError as exc:  # a concurrent approval got there first (primary key or trigger)
        raise SnapshotLocked(f"snapshot {doc.id} could not be approved: it was approved meanwhile") from exc
    return get_info(engine, doc.id)


def reject_snapshot(engine: Engine, snapshot_id: object, rejected_by: str | None = None) -> SnapshotInfo:
    """Reject a draft: it is removed (the audit log keeps the fact). Approved snapshots cannot be rejected."""
    info = get_info(engine, snapshot_id)
    if info.locked:
        raise SnapshotLocked(f"snapshot {info.id} is {info.status}; an approved snapshot cannot change")
    who = (rejected_by or current_user())[:100]
    if who.strip().lower() == (info.created_by or "").strip().lower():
        raise SelfApproval(f"snapshot {info.id} was made by {info.created_by}; someone else must review it")
    with engine.begin() as conn:
        conn.execute(ReportExport.__table__.delete().where(ReportExport.snapshot_id == info.id))
        done = conn.execute(ReportSnapshot.__table__.delete().where(ReportSnapshot.id == info.id,
                                                                    ReportSnapshot.status == STATUS_DRAFT)).rowcount
        if done != 1:
            raise SnapshotLocked(f"snapshot {info.id} was approved meanwhile")
    return info


def export_snapshot(engine: Engine, snapshot_id: object, fmt: str) -> Export:
    """An export: stored bytes for an approved snapshot, rendered from the frozen JSON for a draft."""
    fmt = (fmt or "").lower().strip()
    if fmt == "zip":
        fmt = "csv"
    if fmt not in FORMATS:
        raise SnapshotError(f"unknown export format {fmt[:10]!r}: choose xlsx, csv or pdf")
    info = get_info(engine, snapshot_id)
    ext, mimetype = FORMATS[fmt]
    stem = f"vvu-snapshot-{info.id}-{info.quarter.replace('/', '-').replace(' ', '-')}"
    if info.locked:
        with engine.connect() as conn:
            row = conn.execute(select(ReportExport.data, ReportExport.sha256).where(
                ReportExport.snapshot_id == info.id, ReportExport.fmt == fmt)).first()
        if row is None:
            raise SnapshotError(f"snapshot {info.id} is approved but has no stored {fmt} export")
        data = bytes(row.data)
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise SnapshotError(f"snapshot {info.id}'s stored {fmt} export does not match its hash")
        return Export(data, f"{stem}.{ext}", mimetype, row.sha256)
    data = renderers()[fmt](get_snapshot(engine, info.id))
    return Export(data, f"{stem}-DRAFT.{ext}", mimetype, hashlib.sha256(data).hexdigest())


# ---------------------------------------------------------------------------------------------------
# Changes since a snapshot

CHANGE_COLUMNS = ["section", "metric_code", "name", "measure", "snapshot_value", "current_value", "batches"]
COMPARED = {"kpis_quarter": ("value", "target", "status"), "kpis_fytd": ("value", "target", "status")}


def changes_since(engine: Engine, snapshot_id: object) -> pd.DataFrame:
    """Metrics whose figure now differs from the snapshot's, with both values and the batches responsible.

    The current figures are built exactly as the snapshot's were (same quarter, same disclosure rule),
    so only the data can differ. Batches responsible: batches now holding, or whose revisions replaced,
    the metric's rows in the period, that the snapshot did not draw on (and, for a changed target, the
    batch holding it).
    """
    doc = get_snapshot(engine, snapshot_id)
    meta = doc.content["meta"]
    quarter = Quarter.parse(doc.quarter)
    live = build_content(engine, quarter, int(meta["disclosure"]["threshold"]), utc_now(), "changes-check")
    live = json.loads(canonical_json(live))  # the same normalisation as the frozen side
    known = {int(b["id"]) for b in meta["source_batches"]}
    rows = []
    sections = {s["key"]: s for s in live["sections"]}
    for key, measures in {**COMPARED, "monthly": ()}.items():
        old_sec, new_sec = doc.section(key), sections.get(key)
        if old_sec is None or new_sec is None:
            continue
        if key == "monthly":
            measures = tuple(c["key"] for c in old_sec["columns"] if c["type"] == "value")
        new_rows = {r["metric_code"]: r for r in new_sec["rows"]}
        span = ((meta["quarter_first"], meta["quarter_last"]) if key == "kpis_quarter"
                else (meta["fytd_first"], meta["fytd_last"]))
        for old in old_sec["rows"]:
            new = new_rows.get(old["metric_code"], {})
            for measure in measures:
                before, after = old.get(measure), new.get(measure)
                if before == after:
                    continue
                first, last = (measure, measure) if key == "monthly" and measure != "total" else span
                batches = set(reporting_models.batches_touching(engine, old["metric_code"], first, last))
                if measure == "target":
                    batches |= set(reporting_models.target_batches(engine, old["metric_code"], meta["financial_year"]))
                rows.append({"section": key, "metric_code": old["metric_code"], "name": old["name"],
                             "measure": measure, "snapshot_value": before, "current_value": after,
                             "batches": sorted(batches - known)})
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    return frame


def describe_batches(engine: Engine, ids: list[int]) -> dict[int, str]:
    info = reporting_models.batch_info(engine, ids)
    return {int(r.id): f"#{r.id} {r.file_name} ({r.kind}, loaded {r.loaded_at:%Y-%m-%d %H:%M} by {r.loaded_by})"
            for r in info.itertuples()}
