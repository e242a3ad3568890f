"""Statistical disclosure control: the one function every surface uses to hide small counts of people.

The records behind the dashboard concern vulnerable children, so a published count of 1 to
``threshold`` people (9 by default, ``SUPPRESSION_THRESHOLD``) could help identify someone. Every
page, API endpoint, export and snapshot passes its people tables through :func:`suppress`, and so
shows exactly the same cells hidden.

Rules (the footnote states them to readers):

* **Primary suppression**: a count from 1 to ``threshold`` is hidden. 0 is shown as 0: "nobody" is
  not a disclosure, and hiding it would make every empty category look like a small one.
* **Secondary suppression**: a table that publishes totals lets a reader recover a lone hidden cell by
  subtraction. Each row and column that has a published total is a *line*; no line may hold exactly
  one hidden cell, so the next smallest non-zero visible cell of such a line is hidden as well. Totals
  are cells of their lines too (a total of 1 to ``threshold`` is itself hidden, and a hidden total can
  be recovered from its parts, so it needs company just like any other cell).
* Lines interact (a row's extra hidden cell may leave its column with one), so the rules are applied
  until nothing changes. As a last guard the published equations are solved as a linear system: any
  hidden cell that could still be worked out exactly from a combination of rows and columns gets
  company too.

Suppressed cells come back as ``pd.NA`` in nullable integer or float columns: distinct from 0, and
impossible to add up by accident. :func:`render` turns them into ``[c]``. The function never writes
the hidden numbers anywhere in its result. Pure: no I/O beyond reading the default threshold.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"
SUPPRESSED_TITLE = "Suppressed to protect confidentiality"


def default_threshold() -> int:
    from settings import load_settings

    return load_settings().suppression_threshold


def footnote(threshold: int | None = None) -> str:
    """The rule, in words, for the foot of every table or chart of people."""
    t = default_threshold() if threshold is None else threshold
    if t < 1:
        return "Disclosure control is switched off (SUPPRESSION_THRESHOLD is 0): small counts are shown."
    small = "1 person" if t == 1 else f"1 to {t} people"
    return (f"{SUPPRESSED} = suppressed to protect confidentiality: counts of {small} are not shown, and "
            "where needed further cells are hidden so that a hidden count cannot be worked out from the "
            "totals. 0 means nobody.")


def _lines(n_rows: int, n_cols: int, row_lines: Sequence[int], col_lines: Sequence[int],
           row_total: int | None, col_total: int | None) -> list[list[tuple[tuple[int, int], int]]]:
    """Each published equation as [((row, col), coefficient)]: parts +1, the total -1, summing to 0."""
    lines = []
    for r in row_lines:
        lines.append([((r, c), -1 if c == row_total else 1) for c in range(n_cols)])
    for c in col_lines:
        lines.append([((r, c), -1 if r == col_total else 1) for r in range(n_rows)])
    return lines


def _recoverable(hidden: np.ndarray, lines: list) -> list[tuple[int, int]]:
    """Hidden cells whose value follows exactly from the published equations (linear algebra)."""
    cells = [tuple(x) for x in np.argwhere(hidden)]
    if not cells or not lines:
        return []
    index = {cell: i for i, cell in enumerate(cells)}
    rows = []
    for line in lines:
        coef = np.zeros(len(cells))
        for cell, k in line:
            if cell in index:
                coef[index[cell]] = k
        if coef.any():
            rows.append(coef)
    if not rows:
        return []
    # A cell is determined iff every solution of the homogeneous system leaves it unchanged, i.e. the
    # null space of the equations is zero at that coordinate.
    _u, s, vt = np.linalg.svd(np.array(rows))
    null = vt[int((s > 1e-9).sum()):]
    return [cell for cell, i in index.items() if not np.any(np.abs(null[:, i]) > 1e-9)]


def suppression_mask(values: np.ndarray, threshold: int, row_total: int | None = None,
                     col_total: int | None = None, row_lines: Sequence[int] | None = None,
                     col_lines: Sequence[int] | None = None) -> np.ndarray:
    """Which cells of a numeric matrix to hide. ``row_total``/``col_total``: index of the total column/row.

    ``row_lines``/``col_lines`` say which rows/columns have a published total (default: every row when
    there is a total column, every column when there is a total row).
    """
    v = np.asarray(values, dtype=float)
    n_rows, n_cols = v.shape
    if row_lines is None:
        row_lines = range(n_rows) if row_total is not None else ()
    if col_lines is None:
        col_lines = range(n_cols) if col_total is not None else ()
    lines = _lines(n_rows, n_cols, row_lines, col_lines, row_total, col_total)
    hidden = (v > 0) & (v <= threshold) if threshold >= 1 else np.zeros(v.shape, dtype=bool)

    def add_company(cells: list[tuple[int, int]]) -> bool:
        """Hide the smallest visible non-zero cell of ``cells`` (a zero only when nothing else is left)."""
        visible = [c for c in cells if not hidden[c]]
        if not visible:
            return False
        nonzero = [c for c in visible if v[c] != 0]
        pick = min(nonzero, key=lambda c: (v[c], c)) if nonzero else visible[0]
        hidden[pick] = True
        return True

    for _ in range(v.size + 1):
        changed = False
        for line in lines:
            cells = [cell for cell, _k in line]
            if sum(hidden[c] for c in cells) == 1:
                changed |= add_company(cells)
        if changed:
            continue
        for cell in _recoverable(hidden, lines):
            near = [c for line in lines if any(c2 == cell for c2, _k in line) for c, _k in line]
            if add_company(near):
                changed = True
                break
        if not changed:
            break
    return hidden


def suppress(table: pd.DataFrame, value_cols: Sequence[Hashable], threshold: int | None = None,
             row_total_col: Hashable | None = None, col_total_row: Hashable | None = None) -> pd.DataFrame:
    """The table with people counts from 1 to ``threshold`` hidden, and whatever else would reveal them.

    ``value_cols``: the count columns. ``row_total_col``: a column holding each row's total (a line per
    row). ``col_total_row``: the index label of a row holding each column's total (a line per column).
    Hidden cells are ``pd.NA`` (columns become nullable ``Int64``, or ``Float64`` if any value is
    fractional); other columns are returned unchanged. Missing values in the input are refused, since
    they would be indistinguishable from hidden ones: fill empty categories with 0 first.
    """
    t = default_threshold() if threshold is None else int(threshold)
    cols = list(value_cols)
    if row_total_col is not None and row_total_col not in cols:
        cols.append(row_total_col)
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise KeyError(f"columns not in the table: {missing}")
    if table.index.has_duplicates:
        raise ValueError("the table's index must be unique (it names the rows)")
    v = table[cols].astype(float).to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(v).any():
        raise ValueError("the table has missing values; fill empty cells with 0 before suppressing")
    row_total = cols.index(row_total_col) if row_total_col is not None else None
    col_total = None
    if col_total_row is not None:
        if col_total_row not in table.index:
            raise KeyError(f"total row {col_total_row!r} not in the table's index")
        col_total = table.index.get_loc(col_total_row)
    hidden = suppression_mask(v, t, row_total, col_total)
    out = table.copy()
    for j, col in enumerate(cols):
        mask = hidden[:, j].copy()
        # The masked slots' storage is zeroed: a hidden number must not survive in memory, a pickle
        # (the cache) or a careless ``.array._data``.
        column = np.where(mask, 0.0, v[:, j])
        rounded = np.round(column)
        if np.all(np.abs(column - rounded) < 1e-9):
            array = pd.arrays.IntegerArray(rounded.astype("int64"), mask)
        else:
            array = pd.arrays.FloatingArray(column, mask)
        out[col] = pd.Series(array, index=table.index)
    return out


def is_suppressed(value: object) -> bool:
    """True for a cell :func:`suppress` hid (``pd.NA``/None/NaN in its output)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def render(value: object, decimals: int = 0) -> str:
    """A cell as text: ``[c]`` when suppressed, else the number with thousands separators."""
    if is_suppressed(value):
        return SUPPRESSED
    number = float(value)  # type: ignore[arg-type]
    if decimals == 0 and abs(number - round(number)) < 1e-9:
        return f"{number:,.0f}"
    return f"{number:,.{max(decimals, 1)}f}"


def to_long(table: pd.DataFrame, value_cols: Sequence[Hashable], row_name: str = "category",
            col_name: str = "column") -> pd.DataFrame:
    """A suppressed table as tidy records for APIs and CSV: value (None when hidden) and ``suppressed``."""
    records = []
    for label, row in table.iterrows():
        for col in value_cols:
            cell = row[col]
            hidden = is_suppressed(cell)
            records.append({row_name: label, col_name: col, "value": None if hidden else float(cell),
                            "suppressed": hidden})
    frame = pd.DataFrame(records, columns=[row_name, col_name, "value", "suppressed"])
    frame["value"] = pd.Series([r["value"] for r in records], index=frame.index, dtype=object)  # None, not NaN
    return frame
