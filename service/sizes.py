"""How much memory a cached value holds, estimated without encoding it.

The in-process cache is bounded by bytes. Measuring a value by encoding it (``service.codec``) cost
as much as computing a new view (a returns table of 20,000 rows: ~0.3 s of Python), and its
compressed size understated what the value holds in memory several times over, so a worker's memory
followed its traffic. This walks the value's structure instead: frames and arrays report their own
buffers, everything else is counted per object. It is an estimate (shared strings are counted each
time they appear), good to within a small factor, and it never raises.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np
import pandas as pd

MAX_NODES = 200_000  # a pathological structure is charged as huge rather than walked for ever
_SMALL = 32  # a number, None, a bool: roughly one Python object
_OBJECT_CELL = 64  # a short text value in an object column, with its pointer


def approx_bytes(value: Any) -> int:
    """Estimated bytes ``value`` keeps alive (frames, arrays, dataclasses, Dash components, figures)."""
    total = 0
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return total + 2**31
        if item is None or isinstance(item, bool | int | float | np.generic):
            total += _SMALL
        elif isinstance(item, str | bytes):
            total += sys.getsizeof(item)
        elif isinstance(item, pd.DataFrame):
            # Buffers as reported, object cells (text) at a typical short string's size: pandas' deep
            # measure visits every cell in Python, which cost more than the view itself on big frames.
            total += int(item.memory_usage(deep=False, index=True).sum())
            total += _OBJECT_CELL * len(item) * sum(pd.api.types.is_object_dtype(t) for t in item.dtypes)
        elif isinstance(item, pd.Series):
            total += int(item.memory_usage(deep=False, index=True))
            total += _OBJECT_CELL * len(item) * pd.api.types.is_object_dtype(item.dtype)
        elif isinstance(item, np.ndarray):
            total += item.nbytes + 112
        elif isinstance(item, dict):
            total += sys.getsizeof(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple) and len(item) > 16 and all(
                v is None or isinstance(v, bool | int | float | str)
                for v in (item[0], item[len(item) // 2], item[-1])):
            # A figure's x or y values: charged by their ends and middle rather than visited one by one.
            sample = item[0] if item[0] is not None else item[-1]
            each = sys.getsizeof(sample) if isinstance(sample, str) else _SMALL
            total += sys.getsizeof(item) + each * len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += sys.getsizeof(item)
            stack.extend(item)
        elif dataclasses.is_dataclass(item):
            total += 64
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
        elif hasattr(item, "to_plotly_json"):  # Dash components and plotly figures
            total += 64
            try:
                stack.append(item.to_plotly_json())
            except Exception:  # noqa: BLE001 - an estimate never breaks a page
                total += 4096
        else:
            total += sys.getsizeof(item, 64)
    return total
