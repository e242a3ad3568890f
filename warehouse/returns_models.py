"""Tables for partner returns a unit can trust: previews awaiting confirmation, warnings accepted with a
reason, and the record of chasing a late or missing return.

Kept apart from ``warehouse.models`` so the load bookkeeping there stays small; these tables only ever
refer to load batches, never the other way round.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base


class LoadPreview(Base):
    """A checked file waiting for its uploader to confirm it. Held in the database (not in a process's
    memory) so any web worker, or a later command, can confirm it; ``data_version`` is the database's
    state when it was checked, so a confirmation after anything else loaded is refused as stale."""

    __tablename__ = "load_preview"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(100))
    org_code: Mapped[str] = mapped_column(String(20), default="")  # a partner's preview: theirs only
    received_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    data_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # pending | confirmed | cancelled
    report: Mapped[str] = mapped_column(Text)  # the preview as JSON, shown again on confirmation
    batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # set once confirmed


class BatchWarning(Base):
    """A plausibility warning a person accepted ("these are right") with their reason, kept with the
    batch that loaded the figure, shown beside the figure and listed in the board pack."""

    __tablename__ = "batch_warning"
    __table_args__ = (Index("ix_batch_warning_figure", "project_code", "metric_code", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"), index=True)
    project_code: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(9))
    metric_code: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(20))  # history | limit | combination
    value: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    accepted_by: Mapped[str] = mapped_column(String(100))
    accepted_at: Mapped[datetime] = mapped_column(DateTime)


class ReturnChase(Base):
    """One time someone chased a project's missing or late quarterly return."""

    __tablename__ = "return_chase"
    __table_args__ = (Index("ix_return_chase_return", "project_code", "financial_year", "quarter"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_code: Mapped[str] = mapped_column(String(20))
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[int] = mapped_column(Integer)
    chased_at: Mapped[datetime] = mapped_column(DateTime)
    chased_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class ReturnNote(Base):
    """The partner's commentary on a metric, from the notes column of their return."""

    __tablename__ = "return_note"
    __table_args__ = (Index("ix_return_note_figure", "project_code", "metric_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"), index=True)
    project_code: Mapped[str] = mapped_column(String(20))
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[int] = mapped_column(Integer)
    metric_code: Mapped[str] = mapped_column(String(40))
    area_code: Mapped[str] = mapped_column(String(9))
    note: Mapped[str] = mapped_column(Text)
