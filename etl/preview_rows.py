"""What a checked observations file would do to the rows the warehouse holds, in bounded memory.

Why: the preview (``etl.preview``) used to put every parsed row of the file, and every row it would
replace, into one pandas frame and merge them: ~125 MB a million rows, so a 5M-row file peaked at
1.7 GB before anything loaded. Every figure the preview shows needs far less:

- rows added, replaced and removed per metric and month need only whether each row's key (project,
  area, metric, month, split) is among the replaced rows' keys: a 64-bit hash per replaced row,
  sorted, against which the file's rows are tested one chunk at a time;
- plausibility and the headline effect work on *figures* (one value per project, area, metric and
  month, splits added up: ``analysis.plausibility.figures``), about a tenth as many as rows.

So both the file (from the loader's parsed spool) and the replaced rows (read from the database in
partitions) stream through here once, and only hashes and figures stay. A key hash collision (two
keys, one 64-bit hash) would count one replaced row as added; at 10M rows the chance is about 3 in
a trillion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from analysis.plausibility import FIGURE
from warehouse.models import Observation
from warehouse.project_ranges import range_conditions
from warehouse.returns_queries import ROW_KEY

CHANGE_COLUMNS = ["metric_code", "period", "part", "added", "replaced", "removed"]
TOTALS, BY_GROUP = "totals", "people by group"  # ``part``: a row with no split, or an age/sex/ethnicity row
SPLITS = ["age_band", "sex", "ethnicity"]
UNKNOWN = "unknown"
PARTITION_ROWS = 100_000  # replaced rows read from the database at a time
_FIGURE_COLUMNS = [*FIGURE, "value"]
_SEP = "\x1f"  # joins a metric code and a month into one label (neither can hold it)


@dataclass
class RowEffect:
    """``changes``: CHANGE_COLUMNS per metric, month and part (totals, people by group); ``new``/``old``:
    FIGURE + value for the file's rows and for the rows it replaces; ``rows``: the file's row count."""

    changes: pd.DataFrame
    new: pd.DataFrame
    old: pd.DataFrame
    rows: int


def key_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row's ROW_KEY, the same for a parsed row and the stored row it replaces
    (blank splits are '' on both sides)."""
    keys = frame[ROW_KEY].fillna("").astype(str)
    return pd.util.hash_pandas_object(keys, index=False).to_numpy(dtype=np.uint64)


def _figures(frame: pd.DataFrame) -> pd.DataFrame:
    """One chunk's figures. Key columns are grouped as categories (observed only), so the strings of
    the result are shared with the chunk's few distinct values rather than copied per figure."""
    if frame.empty:
        return pd.DataFrame(columns=_FIGURE_COLUMNS)
    keys = {c: frame[c].fillna("").astype(str).astype("category") for c in FIGURE}
    values = pd.to_numeric(frame["value"], errors="coerce")
    grouped = pd.DataFrame({**keys, "value": values}).groupby(FIGURE, observed=True, as_index=False)["value"].sum()
    return grouped.astype({c: object for c in FIGURE})


def _combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Figures split over chunks (a figure's split rows may straddle two) added up into one row each."""
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=_FIGURE_COLUMNS)
    both = pd.concat(parts, ignore_index=True)
    return both.groupby(FIGURE, as_index=False, sort=True)["value"].sum().reset_index(drop=True)


def _parts(frame: pd.DataFrame) -> np.ndarray:
    """TOTALS for a row with no split, BY_GROUP for a row of the People by group sheet. A blank split is
    stored as 'unknown' (the reader's default), so a row whose splits are all unknown reads as a total
    on both sides: parsed from the file and read back from the database."""
    values = frame[SPLITS].fillna("").astype(str)
    split = ((values != "") & (values != UNKNOWN)).any(axis=1).to_numpy()
    return np.where(split, BY_GROUP, TOTALS)


def _counts(frame: pd.DataFrame, flags: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per metric, month and part, how many rows of ``frame`` carry each flag."""
    out = pd.DataFrame({"metric_code": frame["metric_code"].astype(str).to_numpy(),
                        "period": frame["period"].astype(str).to_numpy(), "part": _parts(frame),
                        **{name: flag.astype(np.int64) for name, flag in flags.items()}})
    return out.groupby(["metric_code", "period", "part"], as_index=False)[list(flags)].sum()


def _part_order(column: pd.Series) -> pd.Series:
    """Totals before people by group within a metric and month; other columns as they are."""
    return column.map({TOTALS: 0, BY_GROUP: 1}) if column.name == "part" else column


def stored_rows(conn: Connection, ranges: dict[str, list[str]]) -> Iterator[pd.DataFrame]:
    """The rows a file for these project month ranges would replace, a partition at a time. Columns:
    ROW_KEY, value. The ranges are grouped as the loader's own replace does (``warehouse.project_ranges``),
    so a file of a thousand projects is not one SQL expression a thousand conditions deep."""
    o = Observation.__table__
    columns = [*ROW_KEY, "value"]
    for where in range_conditions(o, ranges):
        result = conn.execution_options(stream_results=True).execute(select(*[o.c[c] for c in columns]).where(where))
        for part in result.partitions(PARTITION_ROWS):
            yield pd.DataFrame([tuple(r) for r in part], columns=columns)


def row_effect(new_chunks: Iterable[pd.DataFrame], old_chunks: Iterable[pd.DataFrame]) -> RowEffect:
    """Stream the replaced rows, then the file's rows, keeping only key hashes and figures.

    A row in both is replaced (whether or not its value differs); one only in the old rows is removed
    (a revision speaks for its whole period)."""
    old_hashes: list[np.ndarray] = []
    old_pairs: list[np.ndarray] = []  # each replaced row's (metric, month, part) as an index into ``pairs``
    pairs: dict[str, int] = {}  # 'metric<SEP>month<SEP>part' -> index
    old_figures: list[pd.DataFrame] = []
    for chunk in old_chunks:
        if chunk.empty:
            continue
        old_hashes.append(key_hashes(chunk))
        codes, uniques = pd.factorize(chunk["metric_code"].astype(str) + _SEP + chunk["period"].astype(str)
                                      + _SEP + _parts(chunk))
        index = np.array([pairs.setdefault(u, len(pairs)) for u in uniques], dtype=np.int32)
        old_pairs.append(index[codes])
        old_figures.append(_figures(chunk))
    held = np.concatenate(old_hashes) if old_hashes else np.empty(0, dtype=np.uint64)
    order = np.argsort(held, kind="stable")
    sorted_held = held[order]
    seen = np.zeros(len(held), dtype=bool)

    counted: list[pd.DataFrame] = []
    new_figures: list[pd.DataFrame] = []
    rows = 0
    for chunk in new_chunks:
        if chunk.empty:
            continue
        rows += len(chunk)
        hashes = key_hashes(chunk)
        at = np.searchsorted(sorted_held, hashes)
        found = at < len(sorted_held)
        found[found] = sorted_held[at[found]] == hashes[found]
        seen[order[at[found]]] = True
        counted.append(_counts(chunk, {"added": ~found, "replaced": found}))
        new_figures.append(_figures(chunk))

    if len(held):
        removed = np.bincount(np.concatenate(old_pairs)[~seen], minlength=len(pairs))
        labels = [label.split(_SEP) for label in pairs]
        counted.append(pd.DataFrame({"metric_code": [m for m, _, _ in labels], "period": [p for _, p, _ in labels],
                                     "part": [part for _, _, part in labels], "removed": removed}))
    changes = (pd.concat(counted, ignore_index=True) if counted else pd.DataFrame(columns=CHANGE_COLUMNS))
    changes = changes.reindex(columns=CHANGE_COLUMNS).fillna({"added": 0, "replaced": 0, "removed": 0})
    changes = changes.groupby(["metric_code", "period", "part"], as_index=False)[["added", "replaced", "removed"]].sum()
    changes[["added", "replaced", "removed"]] = changes[["added", "replaced", "removed"]].astype(int)
    changes = changes.sort_values(["metric_code", "period", "part"], key=_part_order).reset_index(drop=True)
    return RowEffect(changes, _combine(new_figures), _combine(old_figures), rows)
