"""Typed models for police.uk street-level crime: the rows as loaded and the summaries pages read.

``crime`` keeps every row of every police.uk file exactly as published plus the area it was assigned
to (a district or unitary code, ``OUTSIDE`` the partnership area, or ``NO_LOCATION``), so every
figure can be traced to its file and row. Its key is made of (batch_id, source_row): police.uk leaves
the Crime ID blank on anti-social behaviour rows, so the Crime ID can never be part of a key. Re-loads
are made safe by replacing whole (month, force) slices instead (see etl.sources.police_uk).

``crime_slice`` is the ledger of which load batch holds each (month, force) slice, so replacing a
slice deletes within the batch's key range. ``batch_id`` is deliberately not a foreign key and
``crime`` has no other index: at millions of rows a per-row foreign-key check or an index on the
(month, force) columns (one value repeated a million times) costs more than the COPY itself.

The two summaries are rebuilt at load time for the months a file touches (warehouse.crime_queries),
so no page ever scans the row table. Key columns never hold NULL ('' for "no LSOA").
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from warehouse.models import Base

OUTSIDE = "OUTSIDE"
NO_LOCATION = "NO_LOCATION"
BUCKET_NAMES = {OUTSIDE: "Outside the partnership area", NO_LOCATION: "No location"}


class Crime(Base):
    """One row of a police.uk street-level file, as published, with the area it counts in."""

    __tablename__ = "crime"
    # batch_id * 2**32 + source_row: unique, increasing within a load (cheap to index), SQLite's rowid itself
    # (no second B-tree), and a batch's rows are one key range.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=False)
    batch_id: Mapped[int] = mapped_column(Integer)
    source_row: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    crime_id: Mapped[str] = mapped_column(Text, default="")  # '' on anti-social behaviour rows
    reported_by: Mapped[str] = mapped_column(Text, default="")
    falls_within: Mapped[str] = mapped_column(String(100), default="")
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    location: Mapped[str] = mapped_column(Text, default="")
    lsoa_code: Mapped[str] = mapped_column(String(9), default="")
    lsoa_name: Mapped[str] = mapped_column(Text, default="")
    crime_type: Mapped[str] = mapped_column(String(100))
    last_outcome_category: Mapped[str] = mapped_column(Text, default="")
    context: Mapped[str] = mapped_column(Text, default="")
    area_code: Mapped[str] = mapped_column(String(12))  # district/unitary code, OUTSIDE or NO_LOCATION


class CrimeSlice(Base):
    """Which load batch holds the rows of one month reported by one force (police.uk's unit of publication)."""

    __tablename__ = "crime_slice"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    falls_within: Mapped[str] = mapped_column(String(100), primary_key=True)  # '' when the file leaves it blank
    batch_id: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)


class CrimeMonthly(Base):
    """Crimes per month, area, LSOA and crime type (the map's source).

    ``lsoa_code`` is kept only inside the partnership area; OUTSIDE and NO_LOCATION rows are summed
    with ``lsoa_code = ''`` so a national file does not make this table as large as the rows.
    """

    __tablename__ = "crime_monthly"
    __table_args__ = (Index("ix_crime_monthly_type_month", "crime_type", "month"),)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    lsoa_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    crime_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class CrimeAreaMonthly(Base):
    """Crimes per month, area and crime type: a few thousand rows however many crimes are loaded."""

    __tablename__ = "crime_area_monthly"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    crime_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
