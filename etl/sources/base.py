"""The reader interface every source format implements, and the CSV reading they share.

A source turns a file into chunks of a tidy DataFrame (canonical column names, a ``_row`` column
holding the spreadsheet row number), checks each chunk against the validation context, and writes
the checked chunks in the loader's transaction. The loader reads a file twice: once to validate
everything, once to write, so memory stays flat however large the file is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from etl.columns import Code, CodeList, Schema, blank_cells, normalise_header
from etl.problems import FileRejected, Problem
from etl.safety import MAX_FILE_BYTES, check_text, reject

CHUNK_ROWS = 200_000


@dataclass
class Context:
    """What validation needs to know: reference codes already in the database, plus this file's."""

    file: str
    codes: dict[str, set[str]] = field(default_factory=dict)
    projects: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # code -> (start, end)
    state: dict[str, Any] = field(default_factory=dict)  # per-file accumulators across chunks
    problems: list[Problem] = field(default_factory=list)
    max_problems: int = 10_000

    def add(self, row: int, column: str, value: object, reason: str) -> None:
        if len(self.problems) < self.max_problems:
            text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            self.problems.append(Problem(self.file, int(row), column, text[:200], reason))

    def add_mask(self, frame: pd.DataFrame, mask: pd.Series, column: str, reasons: pd.Series | str) -> None:
        """Record a problem for each row where ``mask`` holds (vectorised callers)."""
        room = self.max_problems - len(self.problems)
        if room <= 0 or not mask.any():
            return
        rows = frame.loc[mask].head(room)  # a file wrong on every row must not cost a loop over every row
        why = reasons[rows.index] if isinstance(reasons, pd.Series) else pd.Series(reasons, index=rows.index)
        values = rows[column] if column in rows else pd.Series("", index=rows.index)
        for r, v, reason in zip(rows["_row"], values, why, strict=True):
            self.add(r, column, v, reason)


class Source:
    """Base for table-shaped files. Subclasses set ``kind``, ``schema`` and implement ``write``."""

    kind: str = ""
    title: str = ""
    schema: Schema = Schema()
    key: tuple[str, ...] = ()  # columns that must be unique within the file
    is_workbook = False
    # The loader may keep the first pass's parsed chunks for the write pass instead of parsing the
    # file again; only for sources whose ``parse`` output does not depend on the pass.
    reuse_parsed = False
    # The largest file accepted (``etl.safety.check_size``): raised only by readers whose validation
    # state stays bounded however many rows the file has.
    max_bytes: int = MAX_FILE_BYTES

    # --- recognising -------------------------------------------------------------------------
    def match_score(self, header: list[str]) -> float:
        """Share of this kind's required columns present; 1.0 means all of them."""
        need = set(self.schema.required)
        return len(need & set(header)) / len(need) if need else 0.0

    # --- reading -----------------------------------------------------------------------------
    def chunks(self, path: Path, chunk_rows: int = CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Read a CSV as strings in chunks with canonical headers and spreadsheet row numbers."""
        header = read_csv_header(path)
        self.check_header(path, header)
        # Every column is read (not just the ones this kind uses) so that a row with more cells than
        # the header is an error, not silently cut: an unquoted "1,234" must not load as 1.
        _check_first_row_width(path, len(header))
        wanted = [h for h in header if h in self.schema.names]
        first_row = 2
        try:
            reader = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                header=None,
                skiprows=1,
                names=list(range(len(header))),
                index_col=False,
                chunksize=chunk_rows,
                encoding="utf-8-sig",
                engine="c",
                on_bad_lines="error",
            )
            for chunk in reader:
                chunk.columns = header
                chunk = chunk[wanted]
                chunk.index = pd.RangeIndex(first_row, first_row + len(chunk))
                first_row += len(chunk)
                for col in self.schema.names:
                    if col not in chunk:
                        chunk[col] = ""
                blank = blank_cells(chunk[wanted[0]])  # a blank row is blank in its first column: look
                for col in wanted[1:]:  # at the other columns of those rows only
                    if not blank.any():
                        break
                    candidates = np.flatnonzero(blank)
                    blank[candidates] = blank_cells(chunk[col].iloc[candidates])
                chunk = chunk.loc[~blank]
                chunk.insert(0, "_row", chunk.index.astype("int64"))
                yield chunk.reset_index(drop=True)
        except pd.errors.ParserError as exc:
            raise _malformed(path, exc) from exc
        except UnicodeDecodeError as exc:
            raise reject(path, "the file is not UTF-8 text; save it as CSV UTF-8") from exc

    def check_header(self, path: Path, header: list[str]) -> None:
        missing = [c for c in self.schema.required if c not in header]
        if missing:
            raise FileRejected(
                Problem(path.name, 1, missing[0], "", f"missing required column(s): {', '.join(missing)}")
            )
        dupes = sorted({h for h in header if header.count(h) > 1 and h})
        if dupes:
            raise FileRejected(Problem(path.name, 1, dupes[0], "", "column appears more than once in the header"))

    # --- validating --------------------------------------------------------------------------
    def parse(self, chunk: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        """Parse every column, record problems, return the typed frame (bad cells left as parsed)."""
        out = pd.DataFrame({"_row": chunk["_row"]})
        for col in self.schema.columns:
            parsed = col.parse_cells(chunk[col.name])
            if parsed.bad.any():
                raw = chunk.loc[parsed.bad, ["_row", col.name]]
                for r, v, reason in zip(raw["_row"], raw[col.name], parsed.reasons[parsed.bad], strict=True):
                    ctx.add(r, col.name, v, reason)
            out[col.name] = parsed.values
            out["_bad_" + col.name] = parsed.bad
            if isinstance(col, Code) and col.lookup:  # shown as typed in a problem ("Basildon", not "BASILDON")
                out["_raw_" + col.name] = chunk[col.name].to_numpy()
        self.check_codes(out, ctx)
        return out

    def check_codes(self, frame: pd.DataFrame, ctx: Context) -> None:
        """Codes must exist in the reference data (database or this same file)."""
        for col in self.schema.columns:
            if isinstance(col, Code) and col.lookup:
                known = ctx.codes.get(col.lookup, set())
                values = frame[col.name]
                unknown = values.notna() & (values != "") & ~values.isin(known) & ~frame["_bad_" + col.name]
                if unknown.any():
                    self._unknown_codes(frame, unknown, col.name, col.lookup, ctx)
            if isinstance(col, CodeList) and col.lookup:
                known = ctx.codes.get(col.lookup, set())
                for r, v in zip(frame["_row"], frame[col.name], strict=True):
                    if isinstance(v, str) and v:
                        for code in v.split(";"):
                            if code not in known:
                                ctx.add(r, col.name, code, f"unknown {col.lookup} code")

    def _unknown_codes(self, frame: pd.DataFrame, unknown: pd.Series, column: str, lookup: str, ctx: Context) -> None:
        """One problem per unknown code, the value as typed, with the nearest valid code and its name."""
        from etl.suggest import nearest

        names = ctx.state.get("names", {}).get(lookup) or {c: "" for c in ctx.codes.get(lookup, set())}
        raw = frame["_raw_" + column] if "_raw_" + column in frame else frame[column]
        hints: dict[str, str] = {}
        for row, typed in zip(frame.loc[unknown, "_row"], raw[unknown], strict=True):
            text = str(typed).strip()
            if text not in hints:
                hints[text] = nearest(text, names) if len(hints) < 200 else ""
            ctx.add(row, column, text, f"unknown {lookup} code{hints[text]}")

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        """Cross-column rules of this kind (override). Called for each chunk after ``parse``."""

    def check_keys(self, frame: pd.DataFrame, ctx: Context) -> None:
        """Two rows with the same key are an error; keys are remembered across chunks."""
        if not self.key:
            return
        seen: dict[tuple, int] = ctx.state.setdefault("seen_keys", {})
        for row, key in zip(frame["_row"], frame[list(self.key)].itertuples(index=False, name=None), strict=True):
            first = seen.setdefault(key, row)
            if first != row:
                ctx.add(row, self.key[0], "/".join(map(str, key)), f"duplicate of row {first} ({', '.join(self.key)})")

    def finish(self, ctx: Context) -> None:
        """Checks that need the whole file (override)."""

    def provides(self) -> tuple[str, str] | None:
        """(lookup name, column) when this file defines codes other rows may refer to."""
        return None

    # --- writing -----------------------------------------------------------------------------
    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        raise NotImplementedError

    def summary(self, ctx: Context) -> dict[str, Any]:
        """Facts recorded on the load batch (project, period range)."""
        return {}


def read_csv_header(path: Path) -> list[str]:
    """The normalised header row, refusing files that are not CSV text."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    check_text(path, head)
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise reject(path, "the file has no header row", row=1)
    return [normalise_header(h) for h in next(csv.reader([first]))]


_TOO_MANY = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _too_many_cells(path: Path, row: int, cells: int, expected: int) -> FileRejected:
    return reject(path, f"this row has {cells} cells but the header row has {expected}; a value containing a "
                  "comma (such as 1,234) must be in quotes", row=row)


def _check_first_row_width(path: Path, expected: int) -> None:
    """The CSV parser checks every row's width against the first data row's, so check that one here."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        first = next(reader, None)
    if first is not None and len(first) > expected:
        raise _too_many_cells(path, 2, len(first), expected)


def _malformed(path: Path, exc: Exception) -> FileRejected:
    match = _TOO_MANY.search(str(exc))
    if match:
        expected, line, cells = (int(g) for g in match.groups())
        return _too_many_cells(path, line, cells, expected)
    match = _OPEN_QUOTE.search(str(exc))
    if match:  # the parser counts rows from 0 at the header
        return reject(path, "a quote (\") opened in this row is never closed", row=int(match.group(1)) + 1)
    return reject(path, f"the CSV is malformed: {exc}")


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the parser's bookkeeping columns before writing."""
    return frame[[c for c in frame.columns if not c.startswith(("_bad_", "_raw_"))]]
