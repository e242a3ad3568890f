"""Public health outcome indicators as published in Fingertips ``all_data`` exports, row for row.

Every row of a loaded file is kept (partnership areas, comparators such as England and the region,
and areas outside the partnership), each with its ``role`` so a page can show the partnership beside
England without losing any row. A value Fingertips suppressed (count below 10) is stored as NULL with
its value note, never as 0. ``batch_id`` links each row to the file it came from.
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base

ROLE_PARTNERSHIP = "partnership"
ROLE_COMPARATOR = "comparator"  # England and the region
ROLE_OUTSIDE = "outside"


class HealthIndicator(Base):
    """One row of a Fingertips all_data export."""

    __tablename__ = "health_indicator"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
    indicator_id: Mapped[int] = mapped_column(Integer, index=True)
    indicator_name: Mapped[str] = mapped_column(String(300))
    area_code: Mapped[str] = mapped_column(String(12))
    area_name: Mapped[str] = mapped_column(String(200))
    area_type: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(12))
    sex: Mapped[str] = mapped_column(String(20))
    age: Mapped[str] = mapped_column(String(40))
    category_type: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(200), default="")
    time_period: Mapped[str] = mapped_column(String(30))
    period_start: Mapped[int] = mapped_column(Integer)  # first year of the (pooled) period, for ordering
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower_ci95: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper_ci95: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower_ci998: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper_ci998: Mapped[float | None] = mapped_column(Float, nullable=True)
    count: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[float | None] = mapped_column(Float, nullable=True)
    value_note: Mapped[str] = mapped_column(String(300), default="")
