"""Crime summaries kept fresh at load time, and the read queries over them.

``refresh_crime_summaries`` runs inside the loader's transaction for exactly the months a file
touched. The read queries aggregate ``crime_area_monthly`` (a few thousand rows) or, for the LSOA
map, ``crime_monthly``; none of them reads the row table, so their cost does not grow with the
number of crimes loaded. Every query works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, case, delete, func, insert, literal, select

from warehouse.crime_models import NO_LOCATION, OUTSIDE, Crime, CrimeAreaMonthly, CrimeMonthly, CrimeSlice

C = Crime.__table__
CM = CrimeMonthly.__table__
CAM = CrimeAreaMonthly.__table__
GROUP_COLUMNS = {"month": CAM.c.month, "area": CAM.c.area_code, "crime_type": CAM.c.crime_type}
GROUP_NAMES = {"month": "month", "area": "area_code", "crime_type": "crime_type"}


def refresh_crime_summaries(conn: Connection, months: Sequence[str]) -> None:
    """Rebuild both summaries for ``months`` from the crime rows (one GROUP BY each)."""
    months = sorted(set(months))
    if not months:
        return
    conn.execute(delete(CM).where(CM.c.month.in_(months)))
    conn.execute(delete(CAM).where(CAM.c.month.in_(months)))
    lsoa = case((C.c.area_code.in_([OUTSIDE, NO_LOCATION]), literal("")), else_=C.c.lsoa_code)
    by_lsoa = (
        select(C.c.month, C.c.area_code, lsoa.label("lsoa_code"), C.c.crime_type, func.count().label("count"))
        .where(C.c.month.in_(months))
        .group_by(C.c.month, C.c.area_code, lsoa, C.c.crime_type)
    )
    conn.execute(insert(CM).from_select(["month", "area_code", "lsoa_code", "crime_type", "count"], by_lsoa))
    by_area = (
        select(CM.c.month, CM.c.area_code, CM.c.crime_type, func.sum(CM.c.count))
        .where(CM.c.month.in_(months))
        .group_by(CM.c.month, CM.c.area_code, CM.c.crime_type)
    )
    conn.execute(insert(CAM).from_select(["month", "area_code", "crime_type", "count"], by_area))


def shares_months(conn: Connection, months: Sequence[str], batch_id: int) -> bool:
    """Whether another load batch holds rows in any of these months (another force's slice)."""
    ledger = CrimeSlice.__table__
    found = conn.execute(select(ledger.c.month).where(ledger.c.month.in_(list(months)),
                                                      ledger.c.batch_id != batch_id).limit(1)).first()
    return found is not None


def write_crime_summaries(conn: Connection, months: Sequence[str], cells: Sequence[tuple[str, str, str, str, int]]
                          ) -> None:
    """Replace both summaries for ``months`` with counts made while loading: (month, area_code,
    lsoa_code, crime_type, count), lsoa_code '' outside the partnership area. Only right when the
    loading batch is the only one with rows in those months (see ``shares_months``)."""
    months = sorted(set(months))
    conn.execute(delete(CM).where(CM.c.month.in_(months)))
    conn.execute(delete(CAM).where(CAM.c.month.in_(months)))
    if cells:
        conn.execute(insert(CM), [{"month": m, "area_code": a, "lsoa_code": lsoa, "crime_type": t, "count": n}
                                  for m, a, lsoa, t, n in cells])
    by_area = (
        select(CM.c.month, CM.c.area_code, CM.c.crime_type, func.sum(CM.c.count))
        .where(CM.c.month.in_(months))
        .group_by(CM.c.month, CM.c.area_code, CM.c.crime_type)
    )
    conn.execute(insert(CAM).from_select(["month", "area_code", "crime_type", "count"], by_area))


def _frame(engine: Engine, stmt, columns: list[str]) -> pd.DataFrame:  # noqa: ANN001 - any selectable
    """The rows as a frame built column by column: text stays plain objects (no per-cell inference)."""
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    data = {}
    for name, values in zip(columns, zip(*rows, strict=True), strict=True):
        text = isinstance(values[0], str)
        data[name] = pd.Series(np.array(values, dtype=object) if text else np.array(values),
                               dtype=object if text else None)
    return pd.DataFrame(data)


def crime_months(engine: Engine) -> list[str]:
    """Every month with crime data, oldest first."""
    with engine.connect() as conn:
        return list(conn.scalars(select(CAM.c.month).distinct().order_by(CAM.c.month)))


def crime_types(engine: Engine) -> pd.DataFrame:
    """Columns: crime_type, count (all months), most frequent first."""
    total = func.sum(CAM.c.count)
    stmt = select(CAM.c.crime_type, total).group_by(CAM.c.crime_type).order_by(total.desc(), CAM.c.crime_type)
    return _frame(engine, stmt, ["crime_type", "count"])


def crime_counts(engine: Engine, by: Sequence[str] = (), first: str = "", last: str = "",
                 areas: Sequence[str] | None = None, crime_type: str = "", types: Sequence[str] | None = None,
                 exclude: Sequence[str] = ()) -> pd.DataFrame:
    """Crimes counted by any subset of month, area and crime type.

    Columns: the names of ``by`` (month, area_code, crime_type), then count. ``areas`` None means
    every area including the OUTSIDE and NO_LOCATION buckets; ``crime_type`` '' means every type;
    ``types`` keeps only those types (a grouping), ``exclude`` leaves those out (police recorded crime
    without anti-social behaviour).
    """
    cols = [GROUP_COLUMNS[b] for b in by]
    conds = []
    if first:
        conds.append(CAM.c.month >= first)
    if last:
        conds.append(CAM.c.month <= last)
    if areas is not None:
        conds.append(CAM.c.area_code.in_(list(areas)))
    if crime_type:
        conds.append(CAM.c.crime_type == crime_type)
    if types is not None:
        conds.append(CAM.c.crime_type.in_(list(types)))
    if exclude:
        conds.append(CAM.c.crime_type.not_in(list(exclude)))
    stmt = select(*cols, func.coalesce(func.sum(CAM.c.count), 0)).where(*conds)
    if cols:
        stmt = stmt.group_by(*cols).order_by(*cols)
    frame = _frame(engine, stmt, [*[GROUP_NAMES[b] for b in by], "count"])
    frame["count"] = frame["count"].astype("int64")
    return frame


def lsoa_month_counts(engine: Engine) -> pd.DataFrame:
    """Crimes per month, crime type and LSOA inside the partnership area (rows of crime_monthly).

    Columns: month, crime_type, lsoa_code, area_code, count. What the LSOA map's arrays are built from.
    """
    stmt = select(CM.c.month, CM.c.crime_type, CM.c.lsoa_code, CM.c.area_code, CM.c.count).where(CM.c.lsoa_code != "")
    frame = _frame(engine, stmt, ["month", "crime_type", "lsoa_code", "area_code", "count"])
    frame["count"] = frame["count"].astype("int64")
    return frame


def crime_row_count(engine: Engine, months: Sequence[str] | None = None) -> int:
    """Rows in the crime table (for the given months): what the summaries must add up to."""
    stmt = select(func.count()).select_from(C)
    if months is not None:
        stmt = stmt.where(C.c.month.in_(list(months)))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())
