"""service.sizes: the in-process cache's estimate of the memory a value holds (issue 14)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from service.sizes import MAX_NODES, approx_bytes


def test_sizes_grow_with_what_a_value_holds() -> None:
    # 10,000 float64 values are 80,000 bytes of buffer: the estimate is at least that, and within 2x.
    frame = pd.DataFrame({"value": np.arange(10_000, dtype=float)})
    assert 80_000 <= approx_bytes(frame) <= 160_000
    # Text columns are charged per cell: 10,000 codes cost more than their 8-byte pointers alone.
    codes = frame.assign(code=pd.Series([f"PRJ{i:04d}" for i in range(10_000)], dtype=object))
    assert approx_bytes(codes) >= approx_bytes(frame) + 10_000 * 40
    # A list of 10,000 numbers (a figure's y values) and a nested structure are counted too.
    assert approx_bytes(list(range(10_000))) >= 10_000 * 8
    assert approx_bytes({"a": [frame, "x" * 1000]}) > approx_bytes(frame) + 1000


def test_a_pathological_structure_is_charged_as_huge() -> None:
    wide = [[i] for i in range(MAX_NODES + 10)]  # more objects than the walk visits
    assert approx_bytes(wide) >= 2**31  # never stored, rather than walked for ever
