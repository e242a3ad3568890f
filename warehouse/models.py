"""Typed SQLAlchemy models for reference data, programme observations and load bookkeeping.

Key columns never hold NULL (blank splits are stored as ``'unknown'``, partnership targets with an
empty scope code) because unique indexes treat NULLs as distinct, which would let a re-load
duplicate rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    pass


class Area(Base):
    __tablename__ = "area"
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    area_name: Mapped[str] = mapped_column(String(100))
    area_type: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str] = mapped_column(String(9), default="")
    population: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class Priority(Base):
    __tablename__ = "priority"
    priority_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class Metric(Base):
    __tablename__ = "metric"
    metric_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    aggregation: Mapped[str] = mapped_column(String(10))
    priority_code: Mapped[str] = mapped_column(String(4), default="")
    source: Mapped[str] = mapped_column(String(20))
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    # Optional plausibility limit for one month's value (etl.plausibility warns above it).
    max_per_month: Mapped[float | None] = mapped_column(Float, nullable=True)


class Organisation(Base):
    __tablename__ = "organisation"
    org_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    org_name: Mapped[str] = mapped_column(String(200))
    org_type: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    # Who to chase for a missing or late return (service.chase).
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Project(Base):
    __tablename__ = "project"
    project_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    project_name: Mapped[str] = mapped_column(String(200))
    org_code: Mapped[str] = mapped_column(String(20))
    priority_code: Mapped[str] = mapped_column(String(4))
    funding_stream: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class ProjectArea(Base):
    __tablename__ = "project_area"
    project_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)


class Target(Base):
    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("metric_code", "financial_year", "scope", "scope_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric_code: Mapped[str] = mapped_column(String(40))
    financial_year: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(12))
    scope_code: Mapped[str] = mapped_column(String(20), default="")
    target_value: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class Funding(Base):
    __tablename__ = "funding"
    __table_args__ = (UniqueConstraint("funding_stream", "financial_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    funding_stream: Mapped[str] = mapped_column(String(40))
    source_body: Mapped[str] = mapped_column(String(200))
    financial_year: Mapped[str] = mapped_column(String(7))
    amount_gbp: Mapped[Decimal] = mapped_column(Money)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class Grant(Base):
    __tablename__ = "grant_award"
    __table_args__ = (UniqueConstraint("project_code", "funding_stream", "financial_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_code: Mapped[str] = mapped_column(String(20))
    funding_stream: Mapped[str] = mapped_column(String(40))
    financial_year: Mapped[str] = mapped_column(String(7))
    awarded_gbp: Mapped[Decimal] = mapped_column(Money)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class Spend(Base):
    __tablename__ = "spend"
    __table_args__ = (UniqueConstraint("project_code", "financial_year", "quarter"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_code: Mapped[str] = mapped_column(String(20))
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[str] = mapped_column(String(2))
    spend_gbp: Mapped[Decimal] = mapped_column(Money)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


OBSERVATION_KEY = ("project_code", "area_code", "metric_code", "period", "age_band", "sex", "ethnicity")


class Observation(Base):
    """One monthly figure a partner reported; splits are 'unknown' when not given."""

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint(*OBSERVATION_KEY, name="uq_observation_key"),
        Index("ix_observation_batch", "batch_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    source_row: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[int] = mapped_column(Integer)
    project_code: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(9))
    metric_code: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(12))
    sex: Mapped[str] = mapped_column(String(8))
    ethnicity: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)


class ObservationHistory(Base):
    """Rows a revision replaced, kept so any earlier figure can still be explained."""

    __tablename__ = "observation_history"
    __table_args__ = (Index("ix_observation_history_project", "project_code", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    original_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(Integer)
    replaced_by_batch_id: Mapped[int] = mapped_column(Integer)
    replaced_at: Mapped[datetime] = mapped_column(DateTime)
    source_row: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[int] = mapped_column(Integer)
    project_code: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(9))
    metric_code: Mapped[str] = mapped_column(String(40))
    age_band: Mapped[str] = mapped_column(String(12))
    sex: Mapped[str] = mapped_column(String(8))
    ethnicity: Mapped[str] = mapped_column(String(8))
    value: Mapped[float] = mapped_column(Float)


class ObservationMonthly(Base):
    """Summary kept fresh at load time: one row per project, area, metric and month.

    Pages read this instead of scanning the split-level observation table.
    """

    __tablename__ = "observation_monthly"
    __table_args__ = (
        # Covering: the pages' reads are answered from the index alone (migrations 0005, 0006).
        Index("ix_obs_monthly_cover", "metric_code", "period", "project_code", "area_code", "financial_year",
              "quarter", "value", "cell_key"),
        Index("ix_obs_monthly_area", "area_code", "metric_code", "period", "project_code", "financial_year",
              "quarter", "value", "cell_key"),
        Index("ix_obs_monthly_project", "project_code", "period"),
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    project_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    metric_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    row_count: Mapped[int] = mapped_column(Integer)
    # Disclosure control's record key (analysis.disclosure): summed into every published cell's key.
    cell_key: Mapped[int] = mapped_column(BigInteger, default=0)


class ObservationBreakdown(Base):
    """Summary kept fresh at load time: people counts by one split dimension per quarter.

    ``dimension`` is age_band, sex or ethnicity; ``category`` its value.
    """

    __tablename__ = "observation_breakdown"
    __table_args__ = (Index("ix_obs_breakdown_metric", "metric_code", "dimension", "financial_year"),)
    financial_year: Mapped[str] = mapped_column(String(7), primary_key=True)
    quarter: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    metric_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)
    category: Mapped[str] = mapped_column(String(12), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    cell_key: Mapped[int] = mapped_column(BigInteger, default=0)  # as ObservationMonthly.cell_key


class DisclosureKey(Base):
    """A fixed secret-keyed number per code (month, project, area, metric, category...).

    Summary refreshes mix these in SQL into each summary row's ``cell_key``; they are HMACs of the
    code under ``DISCLOSURE_KEY`` (``analysis.disclosure.record_key``), kept here so SQL can use them.
    """

    __tablename__ = "disclosure_key"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger)


class LoadBatch(Base):
    """One attempt to load one file: what it was, when, by whom, and how it ended."""

    __tablename__ = "load_batch"
    __table_args__ = (Index("ix_load_batch_sha", "sha256", "kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
    loaded_by: Mapped[str] = mapped_column(String(100))
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text, default="")
    project_code: Mapped[str] = mapped_column(String(20), default="")
    first_period: Mapped[str] = mapped_column(String(7), default="")
    last_period: Mapped[str] = mapped_column(String(7), default="")
    # True only for the bundled synthetic sample (etl.demo): the "synthetic data" notice follows it.
    sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the server received the file (an upload checked first is received before it is confirmed):
    # lateness is judged by this, never by a date typed on the form.
    received_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RejectedRow(Base):
    """One problem found in a refused file, so partners can be told exactly what to fix."""

    __tablename__ = "rejected_row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(100))
    value: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)


class ReturnSubmission(Base):
    """When a project's quarterly return arrived; lateness is judged against the due date."""

    __tablename__ = "return_submission"
    __table_args__ = (UniqueConstraint("project_code", "financial_year", "quarter"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_code: Mapped[str] = mapped_column(String(20))
    financial_year: Mapped[str] = mapped_column(String(7))
    quarter: Mapped[int] = mapped_column(Integer)
    submitted_on: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    date_on_form: Mapped[date | None] = mapped_column(Date, nullable=True)  # the partner's own typed date
    submitter: Mapped[str] = mapped_column(String(200), default="", server_default="")
    submitter_email: Mapped[str] = mapped_column(String(200), default="", server_default="")
