"""Typed models for Grip hotspot patrols: hotspots, patrols, incidents, harm weights, the effect table.

Key columns never hold NULL: an incident in no hotspot has ``hotspot_id = ''`` (a unique index or a
GROUP BY must not treat "no hotspot" as many different values). ``grip_effect`` is a summary table
rebuilt at load time (warehouse.grip_queries.refresh_effects), so pages never fit a model per request.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import true as sa_true

from warehouse.models import Base


class GripHotspot(Base):
    """A Grip hotspot: a small place (a circle of ``radius_m`` metres) chosen for patrols.

    ``active_from`` / ``active_to``: the hotspot's own study period when the file gives it (blank:
    the span of its own patrol log), so a hotspot of one year's operation is never padded with
    another year's days.
    """

    __tablename__ = "grip_hotspot"
    hotspot_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    area_code: Mapped[str] = mapped_column(String(9))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    active_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    active_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class GripPatrolPlan(Base):
    """One planned hotspot-day: assigned a patrol or not (a randomised schedule such as Southend's).

    The plan is what was meant to happen; grip_patrol is what did. Both are kept so the page can
    give the intention-to-treat estimate beside the delivered one, with compliance.
    """

    __tablename__ = "grip_patrol_plan"
    __table_args__ = (UniqueConstraint("hotspot_id", "plan_date", name="uq_grip_plan_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hotspot_id: Mapped[str] = mapped_column(String(40))
    plan_date: Mapped[date] = mapped_column(Date)
    assigned: Mapped[bool] = mapped_column(Boolean)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    source_row: Mapped[int] = mapped_column(Integer)


class GripPatrol(Base):
    """One patrol visit; ``minutes`` is derived from the start and end times (past midnight allowed)."""

    __tablename__ = "grip_patrol"
    __table_args__ = (
        UniqueConstraint("hotspot_id", "patrol_date", "start_time", name="uq_grip_patrol_key"),
        Index("ix_grip_patrol_date", "patrol_date"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hotspot_id: Mapped[str] = mapped_column(String(40))
    patrol_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    minutes: Mapped[int] = mapped_column(Integer)
    officers: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    source_row: Mapped[int] = mapped_column(Integer)


class GripIncident(Base):
    """One recorded crime near the hotspots, on UK local time.

    ``hotspot_source``: 'given' (the file named the hotspot), 'derived' (assigned by distance) or
    'none' (outside every hotspot's circle, or no position). Derived assignments are redone when
    the hotspots change.
    """

    __tablename__ = "grip_incident"
    __table_args__ = (
        UniqueConstraint("incident_ref", name="uq_grip_incident_ref"),
        Index("ix_grip_incident_hotspot_day", "hotspot_id", "occurred_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_ref: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    occurred_on: Mapped[date] = mapped_column(Date)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    offence_group: Mapped[str] = mapped_column(String(20))
    hotspot_id: Mapped[str] = mapped_column(String(40), default="")
    hotspot_source: Mapped[str] = mapped_column(String(8))
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))
    source_row: Mapped[int] = mapped_column(Integer)


class GripHarmWeight(Base):
    """Crime harm per offence group (e.g. days of imprisonment, Cambridge Crime Harm Index style)."""

    __tablename__ = "grip_harm_weight"
    offence_group: Mapped[str] = mapped_column(String(20), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"))


class GripEffect(Base):
    """Summary kept fresh at load time: analysis.grip.effect_tables for the data now loaded.

    One row per operation ('all' or an operation number), offence group ('all' or a group), measure
    ('count', 'harm', or 'ring': crimes in the displacement ring), comparison ('patrol': patrol days
    vs days with no patrol that day or the day before; 'next_day': days after a patrol vs the same
    reference days; 'itt': days assigned a patrol by the plan vs days not assigned) and hotspot
    ('ALL' = pooled). NULL estimates come with a ``note`` saying why. ``in_model``, ``days_modelled``
    and ``hotspots_modelled`` say what the pooled model used; ``df`` the degrees of freedom of its
    t critical value; ``exposed_patrolled`` / ``reference_patrolled`` the delivered patrol days
    among assigned / unassigned days (compliance, for 'itt'); ``period_start`` / ``period_end`` the
    hotspot's own period (the operation's span on the pooled row).
    """

    __tablename__ = "grip_effect"
    __table_args__ = (UniqueConstraint("operation", "offence_group", "measure", "comparison", "hotspot_id",
                                       name="uq_grip_effect_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operation: Mapped[str] = mapped_column(String(10), default="all", server_default="all")
    offence_group: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(8))
    comparison: Mapped[str] = mapped_column(String(10))
    hotspot_id: Mapped[str] = mapped_column(String(40))
    exposed_days: Mapped[int] = mapped_column(Integer)
    reference_days: Mapped[int] = mapped_column(Integer)
    exposed_total: Mapped[float] = mapped_column(Float)
    reference_total: Mapped[float] = mapped_column(Float)
    exposed_mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    reference_mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    rate_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    pct_change: Mapped[float | None] = mapped_column(Float, nullable=True)
    dispersion: Mapped[float | None] = mapped_column(Float, nullable=True)
    patrol_minutes: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    in_model: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    days_modelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hotspots_modelled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    df: Mapped[float | None] = mapped_column(Float, nullable=True)
    exposed_patrolled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reference_patrolled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    ring_inner_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    ring_outer_m: Mapped[float | None] = mapped_column(Float, nullable=True)
