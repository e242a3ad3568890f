"""Reader for police.uk street-level crime CSV files, exactly as data.police.uk publishes them.

Columns: Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location, LSOA code,
LSOA name, Crime type, Last outcome category, Context (headers matched ignoring case, spaces and
underscores, so ``crime_id`` works too).

Every row is kept and counted somewhere: in its district or unitary authority (the LSOA code through
data/geo/lsoa_lookup.csv, else the LSOA name's prefix such as "Basildon 001A" matched to the areas
table), in ``OUTSIDE`` the partnership area (a force's file includes crimes in neighbouring
authorities, e.g. "Babergh 010B"), or in ``NO_LOCATION`` (no LSOA at all). The buckets add up to the
file's rows.

Re-loading: anti-social behaviour rows have no Crime ID, so no key built on it can make a re-load
safe. A file instead *replaces* the (month, force) slices it contains: the rows of those months
reported by those forces are deleted and the file's rows inserted in the loader's one transaction.
Loading the same month twice therefore changes nothing, and a corrected file for a month replaces
it; identical bytes are already a no-op through the loader's SHA-256 ledger.

Speed: files run to millions of rows (a year for England and Wales is about 6 million), so this
reader avoids per-cell Python work, and memory stays flat (one chunk of 100,000 rows at a time).
The loader reads a file twice. The validation pass reads only the CHECKED columns and checks each
column through its distinct values. The write pass reads every column and only normalises (the file
is known to be valid); rows go to PostgreSQL in one streaming COPY (text format, through a writer
thread so the server works while Python reads the next chunk) and to SQLite with executemany, and
the summary rows are counted as they stream by (a GROUP BY in SQL instead when another force's
rows share the file's months).
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert, select, update

from etl.columns import Column, Schema
from etl.dates import outside_periods
from etl.dates import reason as date_window_reason
from etl.replace_rule import check_replace
from etl.safety import MAX_STREAMED_FILE_BYTES, reject
from etl.sources.base import Context, Source, read_csv_header
from settings import DATA_DIR
from warehouse.crime_models import NO_LOCATION, OUTSIDE, Crime, CrimeSlice
from warehouse.crime_queries import refresh_crime_summaries, shares_months, write_crime_summaries
from warehouse.models import Area, LoadBatch

CHUNK_ROWS = 100_000
# Set while the loader's write pass runs: the file was validated whole, so parse() only normalises.
_WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("police_uk_writing", default=False)
LOOKUP_FILE = DATA_DIR / "geo" / "lsoa_lookup.csv"
CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime",
    "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
    "Vehicle crime", "Violence and sexual offences",
)
VIOLENCE = "Violence and sexual offences"
ASB = "Anti-social behaviour"
# What the validation pass reads and checks. The other columns (Crime ID, Reported by, Location, LSOA
# name, Last outcome category, Context) are free text stored as published in unbounded text columns:
# nothing in them can make a row invalid, so only the write pass reads them. A row is blank (skipped
# in both passes) when all of these are blank.
CHECKED = ("month", "falls_within", "longitude", "latitude", "lsoa_code", "crime_type")
TEXT_LIMITS = {"falls_within": 100, "crime_type": 100}
INSERT_COLUMNS = (
    "id", "batch_id", "source_row", "month", "crime_id", "reported_by", "falls_within", "longitude", "latitude",
    "location", "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category", "context", "area_code",
)
# Columns whose surrounding spaces are removed (codes, keys and numbers); free text is stored as published.
# Coordinates are nearly all distinct, so they are stripped only when they fail to parse as they are.
STRIPPED = ("month", "reported_by", "falls_within", "lsoa_code", "crime_type")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_LSOA = re.compile(r"^[A-Z]\d{8}$")
_COPY_ESCAPES = ("\\", "\t", "\n", "\r")


def _canon(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


CANONICAL_TYPES = {_canon(t): t for t in CRIME_TYPES}


class PoliceUK(Source):
    kind = "police_uk"
    title = "police.uk street-level crime"
    # Validation keeps only a count per (month, force) slice, so a national year (~10M rows, ~2.25 GB)
    # loads as one file; bench/etl_memory.py measures the peak memory at 1M, 5M and 10M rows.
    max_bytes = MAX_STREAMED_FILE_BYTES
    schema = Schema([
        Column("crime_id", required=False),
        Column("month"),
        Column("reported_by", required=False),
        Column("falls_within", required=False),
        Column("longitude", required=False),
        Column("latitude", required=False),
        Column("location", required=False),
        Column("lsoa_code", required=False),
        Column("lsoa_name", required=False),
        Column("crime_type"),
        Column("last_outcome_category", required=False),
        Column("context", required=False, header_required=False),
    ])

    # --- reading -----------------------------------------------------------------------------
    def chunks(self, path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Plain object columns (no per-cell conversion), canonical headers, spreadsheet row numbers.

        The validation pass reads only the CHECKED columns; the write pass reads them all.
        """
        header = read_csv_header(path)
        self.check_header(path, header)
        wanted = self.schema.names if _WRITING.get() else CHECKED
        usecols = [i for i, h in enumerate(header) if h in wanted]
        names = [header[i] for i in usecols]
        reader = pd.read_csv(
            path, dtype=object, na_filter=False, skip_blank_lines=False, header=None, skiprows=1,
            usecols=usecols, chunksize=chunk_rows, encoding="utf-8-sig", engine="c", on_bad_lines="error",
        )
        first_row = 2
        try:
            for chunk in reader:
                chunk.columns = names
                n = len(chunk)
                chunk.index = pd.RangeIndex(first_row, first_row + n)
                first_row += n
                for col in wanted:
                    if col not in chunk:
                        chunk[col] = pd.Series("", index=chunk.index, dtype=object)
                # A blank row has a blank month (which is required): look closer only at those.
                months = chunk["month"].to_numpy(dtype=object)
                blank_months = [m for m in set(months) if not m.strip()]
                if blank_months:
                    cand = chunk.loc[np.isin(months, blank_months), list(CHECKED)]
                    blank = (cand.apply(lambda s: s.astype(str).str.strip()) == "").all(axis=1)
                    chunk = chunk.drop(index=cand.index[blank])
                chunk.insert(0, "_row", chunk.index.to_numpy(dtype=np.int64))
                yield chunk.reset_index(drop=True)
        except pd.errors.ParserError as exc:
            raise reject(path, f"the CSV is malformed: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise reject(path, "the file is not UTF-8 text; save it as CSV UTF-8") from exc

    # --- validating --------------------------------------------------------------------------
    def parse(self, chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        """Clean and check every column; values stay text (numbers are checked, not converted).

        Columns are worked on as numpy object arrays and checked through their distinct values,
        so a chunk costs a few set and join operations rather than a Python call per cell.
        """
        checking = not _WRITING.get()
        cols, distinct = {}, {}
        for name in (n for n in self.schema.names if n in chunk):
            values = chunk[name].to_numpy(dtype=object)
            if name in STRIPPED:
                cols[name], distinct[name] = _stripped(values)
            else:  # free text, stored as published
                cols[name], distinct[name] = values, set()
        rows = chunk["_row"].to_numpy(dtype=np.int64)
        problems: list[tuple[np.ndarray, str, np.ndarray | str]] = []  # (mask, column, reason(s))

        month = cols["month"]
        bad_months = [m for m in distinct["month"] if not _MONTH.match(m)] if checking else []
        good_months = pd.Series(sorted(distinct["month"] - set(bad_months)), dtype=object) if checking else []
        far_months = good_months[outside_periods(good_months)].tolist() if len(good_months) else []
        bad = np.isin(month, bad_months + far_months) if bad_months or far_months else np.zeros(len(month), dtype=bool)
        if bad_months:
            problems.append((np.isin(month, bad_months), "month", np.where(month == "", "required value is missing",
                                                                           "not a month in the form YYYY-MM")))
        if far_months:
            problems.append((np.isin(month, far_months), "month", date_window_reason()))

        crime_type = cols["crime_type"]
        present = distinct["crime_type"]
        if "" in present:
            problems.append((crime_type == "", "crime_type", "required value is missing"))
        renames = {t: CANONICAL_TYPES[_canon(t)] for t in present
                   if _canon(t) in CANONICAL_TYPES and CANONICAL_TYPES[_canon(t)] != t}
        if renames:  # matched ignoring case and spaces, stored in police.uk's spelling
            cols["crime_type"] = np.array([renames.get(t, t) for t in crime_type], dtype=object)

        lsoa = cols["lsoa_code"]
        present = distinct["lsoa_code"]
        if any(c != c.upper() for c in present):
            lsoa = cols["lsoa_code"] = np.array([c.upper() for c in lsoa], dtype=object)
            present = set(lsoa)
        bad_codes = [c for c in present if c and not _LSOA.match(c)]
        if bad_codes:
            problems.append((np.isin(lsoa, bad_codes), "lsoa_code", "not an LSOA code such as E01021237"))

        for name, low, high in (("longitude", -180.0, 180.0), ("latitude", -90.0, 90.0)):
            text = cols[name]
            try:  # numpy's own conversion is the fast path; it fails on blanks made of spaces and on text
                numbers = np.where(text != "", text, "nan").astype(np.float64)
            except ValueError:
                text = cols[name] = np.array([v.strip() for v in text], dtype=object)
                numbers = pd.to_numeric(pd.Series(np.where(text != "", text, None), dtype=object),
                                        errors="coerce").to_numpy(dtype=float)
            if not checking:
                continue
            given = text != ""
            missing = np.isnan(numbers)
            if (given & missing).any():
                problems.append((given & missing, name, "not a number"))
            with np.errstate(invalid="ignore"):
                outside = ~missing & ~((numbers >= low) & (numbers <= high))
            if outside.any():
                problems.append((outside, name, f"must be between {low:g} and {high:g}"))

        for name, limit in TEXT_LIMITS.items() if checking else ():
            too_long = [v for v in distinct[name] if len(v) > limit]
            if too_long:
                problems.append((np.isin(cols[name], too_long), name, f"longer than {limit} characters"))

        out = pd.DataFrame({"_row": rows, **{k: pd.Series(v, dtype=object, copy=False) for k, v in cols.items()}})
        out["_bad"] = bad
        for mask, name, reason in problems:
            why = pd.Series(reason, index=out.index) if isinstance(reason, np.ndarray) else reason
            ctx.add_mask(out, pd.Series(mask, index=out.index), name, why)
        return out

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        """Count the rows of each (month, force) slice this file holds: what it will replace."""
        good = frame[~frame["_bad"]]
        st = ctx.state
        slices: Counter[tuple[str, str]] = st.setdefault("slices", Counter())
        for key, n in good.groupby(["month", "falls_within"], sort=False).size().items():
            slices[key] += int(n)
        st["rows"] = st.get("rows", 0) + len(frame)

    def summary(self, ctx: Context) -> dict[str, Any]:
        months = sorted({m for m, _f in ctx.state.get("slices", {})})
        return {"first_period": months[0], "last_period": months[-1]} if months else {}

    # --- writing -----------------------------------------------------------------------------
    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        token = _WRITING.set(True)  # the file passed validation: the write pass only normalises
        try:
            return self._write(conn, frames, batch_id, ctx)
        finally:
            _WRITING.reset(token)

    def _write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        slices = dict(ctx.state.get("slices", {}))
        check_slices_shrink(conn, slices, ctx)
        replaced = replace_slices(conn, slices, batch_id)
        mapper = AreaMapper.from_connection(conn)
        buckets: Counter[str] = Counter()
        cells: Counter[tuple[str, str, str, str]] = Counter()  # crime_monthly rows, counted as rows stream by

        def rows() -> Iterator[dict[str, np.ndarray]]:
            for frame in frames:
                table = to_rows(frame, batch_id, mapper)
                area = table["area_code"]
                codes, counts = np.unique(area.astype(str), return_counts=True)
                buckets.update(dict(zip(codes.tolist(), counts.tolist(), strict=True)))
                lsoa = np.where((area == OUTSIDE) | (area == NO_LOCATION), "", table["lsoa_code"])
                cells.update(zip(table["month"], area, lsoa, table["crime_type"], strict=True))
                yield table

        written = insert_crimes(conn, rows())
        months = sorted({m for m, _f in slices})
        if shares_months(conn, months, batch_id):  # other forces' rows in the same months: count in SQL
            refresh_crime_summaries(conn, months)
        else:  # this file is all there is in its months: its own counts are the summary
            write_crime_summaries(conn, months, [(*key, n) for key, n in cells.items()])
        conn.execute(update(LoadBatch).where(LoadBatch.id == batch_id)
                     .values(message=describe_buckets(buckets, replaced)))
        ctx.state["buckets"] = dict(buckets)
        return written


def _stripped(values: np.ndarray) -> tuple[np.ndarray, set[str]]:
    """Surrounding spaces removed, and the column's distinct values (worked out once, on the set)."""
    distinct = set(values)
    changed = {v: v.strip() for v in distinct if v[:1].isspace() or v[-1:].isspace()}
    if changed:
        values = np.array([changed.get(v, v) for v in values], dtype=object)
        distinct = {changed.get(v, v) for v in distinct}
    return values, distinct


# --- areas -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def lsoa_lookup(path: Path = LOOKUP_FILE) -> dict[str, str]:
    """LSOA code (2011 and 2021 vintages) -> district or unitary code."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(table["lsoa_code"].str.strip().str.upper(), table["area_code"].str.strip(), strict=True))


def name_prefix(lsoa_name: str) -> str:
    """'Basildon 001A' -> 'basildon' (the authority's name, for matching)."""
    return _canon(re.sub(r"\s+\S+$", "", lsoa_name.strip()))


class AreaMapper:
    """Assigns each row to a district or unitary, OUTSIDE the partnership area, or NO_LOCATION."""

    def __init__(self, by_code: dict[str, str], by_name: dict[str, str]):
        self.by_code = by_code
        self.by_name = by_name  # canonical authority name -> code
        self._names: dict[str, str | None] = {}  # LSOA name -> area code (or None), across chunks

    @classmethod
    def from_connection(cls, conn: Connection) -> AreaMapper:
        areas = conn.execute(select(Area.area_code, Area.area_name, Area.area_type)).all()
        lower = {code: name for code, name, kind in areas if kind != "county"}
        lookup = lsoa_lookup()
        if lower:  # only the partnership's areas count as inside it
            lookup = {lsoa: code for lsoa, code in lookup.items() if code in lower}
        return cls(lookup, {_canon(name): code for code, name in lower.items()})

    def _area_of_name(self, name: str) -> str | None:
        if name not in self._names:
            self._names[name] = self.by_name.get(name_prefix(name)) if name else None
        return self._names[name]

    def assign(self, lsoa_code: pd.Series, lsoa_name: pd.Series) -> np.ndarray:
        """Area code per row: the lookup, else the name's prefix, else OUTSIDE or NO_LOCATION."""
        codes, uniques = pd.factorize(lsoa_code.to_numpy(dtype=object))
        area = np.array([self.by_code.get(c) for c in uniques], dtype=object)[codes] if len(uniques) else \
            np.empty(0, dtype=object)
        unmatched = pd.isna(area)
        if unmatched.any():
            names = lsoa_name.to_numpy(dtype=object)[unmatched]
            n_codes, n_uniques = pd.factorize(names)
            by_name = np.array([self._area_of_name(n) for n in n_uniques], dtype=object)[n_codes]
            no_place = (lsoa_code.to_numpy(dtype=object)[unmatched] == "") & (names == "")
            fallback = np.where(pd.isna(by_name), np.where(no_place, NO_LOCATION, OUTSIDE), by_name)
            area[unmatched] = fallback
        return area


# --- writing ---------------------------------------------------------------------------------
def to_rows(frame: pd.DataFrame, batch_id: int, mapper: AreaMapper) -> dict[str, np.ndarray]:
    """A parsed chunk as the crime table's columns (INSERT_COLUMNS order): numpy arrays, text as
    published (numbers as checked text, '' when blank), the area each row counts in last."""
    rows = frame["_row"].to_numpy(dtype=np.int64)
    table = {
        "id": (np.int64(batch_id) << 32) + rows,
        "batch_id": np.full(len(frame), batch_id, dtype=np.int64),
        "source_row": rows,
        **{c: frame[c].to_numpy(dtype=object) for c in INSERT_COLUMNS[3:-1]},
        "area_code": mapper.assign(frame["lsoa_code"], frame["lsoa_name"]),
    }
    return table


def copy_text(table: dict[str, np.ndarray]) -> str:
    """Rows in PostgreSQL COPY text format: tab-separated, ``\\N`` for NULL, backslash escapes."""
    columns = []
    for name, values in table.items():
        if values.dtype.kind in "iu":
            columns.append(values.astype(str).astype(object))
            continue
        joined = "\x00".join(values)
        if any(ch in joined for ch in _COPY_ESCAPES):
            values = np.array([v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                               .replace("\r", "\\r") for v in values], dtype=object)
        if name in ("longitude", "latitude"):
            values = np.where(values == "", "\\N", values)
        columns.append(values)
    return "".join("\t".join(row) + "\n" for row in zip(*columns, strict=True))


def _sqlite_rows(table: dict[str, np.ndarray]) -> list[tuple]:
    """Python values for sqlite3 (which binds neither numpy integers nor '' as a missing number)."""
    columns = []
    for name, values in table.items():
        if values.dtype.kind in "iu":
            columns.append(values.tolist())
        elif name in ("longitude", "latitude"):  # checked numbers: the column's REAL affinity converts the text
            columns.append(np.where(values == "", None, values))
        else:
            columns.append(values)
    return list(zip(*columns, strict=True))


def insert_crimes(conn: Connection, tables: Iterator[dict[str, np.ndarray]]) -> int:
    """The fast path: one streaming COPY on PostgreSQL, executemany per chunk on SQLite."""
    written = 0
    cols = ", ".join(INSERT_COLUMNS)
    if conn.dialect.name == "postgresql":
        from psycopg.copy import QueuedLibpqWriter

        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {Crime.__tablename__} ({cols}) FROM STDIN", writer=QueuedLibpqWriter(cursor)) as copy:
            for table in tables:
                copy.write(copy_text(table))
                written += len(table["id"])
        return written
    marks = ", ".join("?" * len(INSERT_COLUMNS))
    sql = f"INSERT INTO {Crime.__tablename__} ({cols}) VALUES ({marks})"
    for table in tables:
        conn.exec_driver_sql(sql, _sqlite_rows(table))
        written += len(table["id"])
    return written


def replace_slices(conn: Connection, slices: dict[tuple[str, str], int], batch_id: int) -> dict[tuple[str, str], int]:
    """Delete the rows of the (month, force) slices a new file brings and record the file as their holder.

    The ``crime_slice`` ledger says which batch holds each slice, so the delete walks the primary
    key's batch prefix instead of scanning the table. Returns the rows removed per slice.
    """
    t = Crime.__table__
    ledger = CrimeSlice.__table__
    months = sorted({m for m, _f in slices})
    held = {(m, f): b for m, f, b in conn.execute(
        select(ledger.c.month, ledger.c.falls_within, ledger.c.batch_id).where(ledger.c.month.in_(months)))}
    removed: dict[tuple[str, str], int] = {}
    for (month, force), old in held.items():
        if (month, force) not in slices:
            continue
        result = conn.execute(t.delete().where(t.c.id >= old << 32, t.c.id < (old + 1) << 32, t.c.month == month,
                                               t.c.falls_within == force))
        removed[(month, force)] = result.rowcount
        conn.execute(ledger.delete().where(ledger.c.month == month, ledger.c.falls_within == force))
    if slices:
        conn.execute(insert(ledger), [{"month": m, "falls_within": f, "batch_id": batch_id, "rows": n}
                                      for (m, f), n in sorted(slices.items())])
    return removed


def check_slices_shrink(conn: Connection, slices: dict[tuple[str, str], int], ctx: Context) -> None:
    """The replace-share rule (``etl.replace_rule``) for each (month, force) slice the file replaces."""
    ledger = CrimeSlice.__table__
    months = sorted({m for m, _f in slices})
    held = conn.execute(select(ledger.c.month, ledger.c.falls_within, ledger.c.rows)
                        .where(ledger.c.month.in_(months))).all()
    for month, force, rows in sorted(held):
        if (month, force) in slices:
            scope = f"{month} ({force or 'no force given'})"
            check_replace(ctx.file, scope, int(rows), slices[(month, force)], ctx.state.get("allow_replace", False))


def describe_buckets(buckets: Counter[str] | dict[str, int], replaced: dict[tuple[str, str], int]) -> str:
    """The batch message: where every row went, and what it replaced."""
    total = sum(buckets.values())
    outside, nowhere = buckets.get(OUTSIDE, 0), buckets.get(NO_LOCATION, 0)
    inside = total - outside - nowhere
    areas = len([a for a in buckets if a not in (OUTSIDE, NO_LOCATION)])
    text = (f"{total:,} rows: {inside:,} in {areas} partnership areas, {outside:,} outside the partnership area, "
            f"{nowhere:,} with no location")
    if replaced:
        months = sorted({m for m, _f in replaced})
        span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
        text += f"; replaced {sum(replaced.values()):,} rows loaded earlier for {span}"
    return text


SOURCE = PoliceUK()
