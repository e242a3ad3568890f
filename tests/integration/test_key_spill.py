"""The whole-file key checks on disk partitions (``etl.key_spill``) give the answers the old in-memory
check gave: every duplicate named with the first row that had its key, every total beside splits.

Known answers on a hand-made case, then the same answers as the in-memory algorithm on 300,000 rows
added in uneven chunks (keys drawn from a small range, so duplicates fall in every partition and
across chunks).
"""

from __future__ import annotations

import numpy as np

from etl.key_spill import PARTITIONS, KeySpill, duplicates, totals_beside_splits


def spilled(key, group, row, total, chunk: int) -> tuple[list[tuple[int, int]], list[int], int]:  # noqa: ANN001
    spill = KeySpill()
    try:
        for i in range(0, len(key), chunk):
            spill.add(key[i:i + chunk], group[i:i + chunk], row[i:i + chunk], total[i:i + chunk])
        dups, beside, parts = [], [], 0
        for records in spill.partitions():
            parts += 1
            dups += list(duplicates(records))
            beside += totals_beside_splits(records).tolist()
        return sorted(dups), sorted(beside), parts
    finally:
        spill.close()


def in_memory(key, group, row, total) -> tuple[list[tuple[int, int]], list[int]]:  # noqa: ANN001
    """The check as it was: all rows at once."""
    order = np.argsort(key, kind="stable")
    sk = key[order]
    dups = [(int(row[order[i]]), int(row[order[np.searchsorted(sk, sk[i])]]))
            for i in np.flatnonzero(sk[1:] == sk[:-1]) + 1]
    beside = np.zeros(len(group), dtype=bool)
    beside[total] = np.isin(group[total], np.unique(group[~total]))
    return sorted(dups), sorted(row[beside].tolist())


def test_hand_made_case() -> None:
    # Rows 2..7: row 4 repeats row 2's key, row 6 repeats it again; group G2 has a total (row 5)
    # beside a split (row 3); group G3's total (row 7) stands alone. The three groups' top bits
    # differ, so they fall in three partitions.
    high = np.uint64(1) << np.uint64(63)
    g1, g2, g3 = np.uint64(7), high | np.uint64(9), (np.uint64(1) << np.uint64(62)) | np.uint64(11)
    key = np.array([100, 200, 100, 300, 100, 400], dtype=np.uint64)
    group = np.array([g1, g2, g1, g2, g1, g3], dtype=np.uint64)
    row = np.arange(2, 8, dtype=np.int64)
    total = np.array([False, False, False, True, False, True])
    dups, beside, parts = spilled(key, group, row, total, chunk=2)
    assert dups == [(4, 2), (6, 2)]
    assert beside == [5]
    assert parts == 3


def test_same_answers_as_in_memory_on_300k_rows_in_chunks() -> None:
    rng = np.random.default_rng(14)
    n = 300_000
    group = rng.integers(0, 2**63, size=40_000, dtype=np.uint64)[rng.integers(0, 40_000, size=n)] * np.uint64(2)
    split = rng.integers(0, 60, size=n).astype(np.uint64)
    key = group * np.uint64(0x100000001B3) ^ split  # as observations combine group and splits
    total = split == 0
    row = np.arange(2, n + 2, dtype=np.int64)
    dups, beside, parts = spilled(key, group, row, total, chunk=70_001)
    want_dups, want_beside = in_memory(key, group, row, total)
    assert len(want_dups) > 10_000 and len(want_beside) > 100  # the data really have both problems
    assert dups == want_dups
    assert beside == want_beside
    assert parts == PARTITIONS
