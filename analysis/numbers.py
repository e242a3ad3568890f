"""Reading numbers that may be missing: database NULLs, pandas NaN and NA, text from a frame.

One place for the two readings the pages, charts and exports need, so "missing" means the same
everywhere.
"""

from __future__ import annotations

import math


def finite_or_none(value: object) -> float | None:
    """A finite float, or None for None, NaN, NA, infinity or anything that is not a number."""
    if value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def float_or_nan(value: object) -> float:
    """A float, or NaN for anything that is not a number (so ``math.isnan`` tests for missing)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def how_many(n: int, singular: str, plural: str | None = None) -> str:
    """'1 return', '2 returns', '1,204 returns': a count in a sentence reads as a person would write it."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
