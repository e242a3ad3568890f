"""Statistical disclosure control for counts of people: the cell key method, with small counts hidden.

The records behind the dashboard concern vulnerable children. The pages and the API answer any
grouping a reader asks for (month, quarter, year; district, county; project, all projects;
breakdown category, total), so hiding small cells table by table cannot work: a hidden month comes
back as "quarter minus the other two months". The method used instead is the one national
statistics offices use for flexible table builders (ONS Census 2021 custom datasets, ABS
TableBuilder), see ``docs/disclosure.md``:

* **Record keys.** Every source record (a project x area x month x metric summary row; for the
  breakdowns, a project x area x quarter x metric x category row) carries a fixed pseudo-random key
  in ``[0, KEY_MODULUS)``, derived from its identity with a secret (:func:`record_key`), so re-loading
  the same data gives the same keys.
* **Cell keys.** A published cell's key is the sum of the keys of the records in it, modulo
  ``KEY_MODULUS``. The same set of records always gives the same key, however the cell was asked for
  (a quarter asked as a quarter, or as a three-month range, or as "all areas" of a project that works
  in one area).
* **Perturbation.** A cell key and the cell's true count pick a small, fixed adjustment from a
  perturbation table (:func:`adjustment`): the same cell always shows the same value, so asking again
  and averaging gains nothing, and differences of perturbed cells do not cancel the noise.
* **Small counts hidden.** 0 is shown as 0 ("nobody"); a true count from 1 to ``threshold`` is never
  shown (``pd.NA``, rendered ``[c]``), and a perturbed count is never moved into 1..``threshold``.

Pure: no I/O and no settings. The threshold and the secret are always passed in by the caller
(``service.gate`` for every surface), so one place decides them.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

SUPPRESSED = "[c]"
SUPPRESSED_TITLE = "Suppressed to protect confidentiality"
KEY_MODULUS = 1 << 20
# The perturbation table: adjustments -MAX_ADJUSTMENT..+MAX_ADJUSTMENT with probabilities falling
# off like a normal curve of this spread. Most cells move by 0 or 1; a rare one by up to 5. The long,
# thin tail is what defeats a bounds attack: an attacker who knows the table can only say a hidden
# count lies within +-5 of a difference per published cell involved, which always spans the whole
# 1..threshold range unless every cell involved took its most extreme adjustment at once.
MAX_ADJUSTMENT = 5
SPREAD = 1.5


def record_key(secret: bytes, *identity: object) -> int:
    """A record's fixed key in [0, KEY_MODULUS): HMAC-SHA256 of its identity under a secret.

    Keyed so that a reader who knows the method (it is published) cannot compute the keys, and so the
    noise, from the public identities of the records.
    """
    text = "\x1f".join(str(part) for part in identity).encode()
    digest = hmac.new(secret, text, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % KEY_MODULUS


@functools.lru_cache(maxsize=64)
def _table(lowest: int) -> tuple[np.ndarray, np.ndarray]:
    """Adjustments allowed when the result may not go below ``lowest`` (<= 0: no bound), with their
    cumulative probabilities."""
    steps = np.arange(-MAX_ADJUSTMENT, MAX_ADJUSTMENT + 1)
    if lowest > -MAX_ADJUSTMENT:
        steps = steps[steps >= lowest]
    weights = np.exp(-(steps.astype(float) ** 2) / (2 * SPREAD**2))
    return steps, np.cumsum(weights) / weights.sum()


def adjustment(value: int, cell_key: int, threshold: int) -> int:
    """The fixed adjustment of a count above ``threshold`` with this cell key.

    The cell key, read as a quantile ``(key + 0.5) / KEY_MODULUS``, picks from the table; the table is
    cut so that the published count stays above ``threshold`` (a count just above it is therefore
    more often moved up than down: the bias is at most about one person, only for such counts).
    """
    steps, cumulative = _table(threshold + 1 - int(value))
    quantile = (int(cell_key) % KEY_MODULUS + 0.5) / KEY_MODULUS
    return int(steps[min(int(np.searchsorted(cumulative, quantile)), len(steps) - 1)])


def protect_counts(values: Sequence[float] | np.ndarray, cell_keys: Sequence[int] | np.ndarray,
                   threshold: int) -> pd.arrays.IntegerArray:
    """Published counts for true counts and their cell keys: 0 stays 0, 1..threshold hidden (NA),
    anything larger perturbed by :func:`adjustment`. A missing true value stays missing.

    People counts are whole numbers; a fractional input is rounded first. The hidden cells' storage
    is zeroed, so no hidden number survives in memory, a cache or a careless ``._data``.
    """
    published = published_counts(values, cell_keys, threshold)
    mask = np.isnan(published)
    return pd.arrays.IntegerArray(np.where(mask, 0, published).astype(np.int64), mask)


def published_counts(values: Sequence[float] | np.ndarray, cell_keys: Sequence[int] | np.ndarray,
                     threshold: int) -> np.ndarray:
    """:func:`protect_counts` as plain floats, NaN where hidden (what frames carry; no pandas overhead)."""
    v = np.asarray(values, dtype=float)
    keys = np.nan_to_num(np.asarray(cell_keys, dtype=float)).astype(np.int64)
    missing = np.isnan(v)
    counts = np.rint(np.where(missing, 0, v)).astype(np.int64)
    out = counts.astype(float)
    if threshold >= 1:
        quantiles = (keys % KEY_MODULUS + 0.5) / KEY_MODULUS
        # The same lookup as ``adjustment``, vectorised: counts far enough above the threshold share the
        # whole table; those within MAX_ADJUSTMENT of it have the table cut at the threshold.
        above = counts > threshold
        lowest = threshold + 1 - counts  # the smallest adjustment that keeps the count above the threshold
        full = above & (lowest <= -MAX_ADJUSTMENT)
        for rows, bound in [(full, -MAX_ADJUSTMENT), *[(above & (lowest == b), int(b))
                                                       for b in np.unique(lowest[above & ~full])]]:
            if rows.any():
                steps, cumulative = _table(bound)
                picks = np.minimum(np.searchsorted(cumulative, quantiles[rows]), len(steps) - 1)
                out[rows] = counts[rows] + steps[picks]
        out[(counts >= 1) & (counts <= threshold)] = np.nan
    out[missing] = np.nan
    return out


def protect(frame: pd.DataFrame, value_col: Hashable, key_col: Hashable, threshold: int,
            rows: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """``frame`` with ``value_col`` protected on the ``rows`` that count people (all rows by default)
    and the key column dropped. Other rows keep their values exactly (hours, pounds, sessions).

    The column comes back as floats with NaN for hidden cells (the pages, charts and exports all read
    NaN as "[c]" through :func:`is_suppressed`).
    """
    return protect_columns(frame, [(value_col, key_col, rows)], threshold)


def protect_columns(frame: pd.DataFrame, columns: Sequence[tuple[Hashable, Hashable, np.ndarray | pd.Series | None]],
                    threshold: int) -> pd.DataFrame:
    """:func:`protect` for several (value, key, rows) columns of one frame: one lookup for all of their
    cells and one new frame (views call this on every new answer, so its overhead matters)."""
    drop = {key for _value, key, _rows in columns}
    if frame.empty:
        return frame.drop(columns=list(drop))
    arrays, values, keys, spans = {}, [], [], []
    for value_col, key_col, rows in columns:
        raw = frame[value_col].to_numpy()
        column = (raw.astype(float, copy=True) if raw.dtype.kind in "fiu"  # a writable copy, both ways
                  else np.array(pd.to_numeric(frame[value_col], errors="coerce"), dtype=float))
        which = np.ones(len(frame), dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
        values.append(column[which])
        keys.append(frame[key_col].to_numpy()[which])
        spans.append((value_col, column, which))
    published = published_counts(np.concatenate(values), np.concatenate(keys), threshold)
    start = 0
    for value_col, column, which in spans:
        n = int(which.sum())
        column[which] = published[start:start + n]
        start += n
        arrays[value_col] = column
    out = frame.drop(columns=list(drop))  # a copy of the other columns, dtypes kept (cheaper than rebuilding)
    for name, column in arrays.items():
        out.isetitem(out.columns.get_loc(name), column)
    return out


def sum_keys(keys: Sequence[int] | np.ndarray | pd.Series) -> int:
    """The cell key of a cell made of records with these keys (or of cells made of disjoint records)."""
    array = np.asarray(keys)
    if array.dtype.kind not in "iu":  # from a frame with gaps: missing keys count as 0
        array = np.nan_to_num(np.asarray(array, dtype=float)).astype(np.int64)
    return int(array.sum() % KEY_MODULUS) if array.size else 0


def footnote(threshold: int) -> str:
    """The rule, in words, for every surface that shows counts of people."""
    if threshold < 1:
        return "Disclosure control is switched off (SUPPRESSION_THRESHOLD is 0): counts of people are exact."
    small = "1 person" if threshold == 1 else f"1 to {threshold} people"
    return (f"Counts of people are protected: {SUPPRESSED} = a count of {small}, not shown; other counts of "
            f"people are adjusted by a small fixed amount (usually 0 or 1, at most {MAX_ADJUSTMENT}) so that "
            "no hidden count can be worked out by comparing figures, and totals may differ slightly from "
            "the sum of their parts. 0 means nobody.")


def is_suppressed(value: object) -> bool:
    """True for a cell hidden by disclosure control (``pd.NA``/None/NaN)."""
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
    """A protected table as tidy records for APIs and CSV: value (None when hidden) and ``suppressed``."""
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
