"""An attacker's tools against published counts of people: linear-programming bounds on hidden cells.

The attacker knows the method (docs/disclosure.md): a hidden count is 1..threshold, a published count
``p`` of a true count ``v`` > threshold satisfies |p - v| <= MAX_ADJUSTMENT and v > threshold, 0 is
exactly 0, and every published cell is the sum of the records in it. Given every answer published for
a view, :func:`bounds` finds the smallest and largest value each record could take; a hidden record is
*pinned* when both are equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import linprog

from analysis.disclosure import MAX_ADJUSTMENT


def bounds(n_records: int, cells: Sequence[tuple[Sequence[int], float | None]], threshold: int,
           targets: Sequence[int | tuple[int, ...]]) -> Mapping[int | tuple[int, ...], tuple[float, float]]:
    """Min and max of each target (a record, or a cell: a tuple of records) given published ``cells``
    (record indices, published value or None when hidden). Records are non-negative; the LP is the
    attacker's best linear reasoning."""
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for members, published in cells:
        row = np.zeros(n_records)
        row[list(members)] = 1.0
        if published is None:  # hidden: 1 <= sum <= threshold
            a_ub += [row, -row]
            b_ub += [threshold, -1.0]
        elif published == 0:
            a_eq.append(row)
            b_eq.append(0.0)
        else:
            low = max(published - MAX_ADJUSTMENT, threshold + 1)
            a_ub += [row, -row]
            b_ub += [published + MAX_ADJUSTMENT, -low]
    out = {}
    for t in targets:
        c = np.zeros(n_records)
        c[list(t) if isinstance(t, tuple) else t] = 1.0
        kwargs = {"A_ub": np.array(a_ub) if a_ub else None, "b_ub": b_ub or None,
                  "A_eq": np.array(a_eq) if a_eq else None, "b_eq": b_eq or None,
                  "bounds": [(0, None)] * n_records, "method": "highs"}
        lo = linprog(c, **kwargs)
        hi = linprog(-c, **kwargs)
        out[t] = (lo.fun if lo.status == 0 else -np.inf, -hi.fun if hi.status == 0 else np.inf)
    return out


def pinned(found: Mapping, truth: Mapping) -> list:
    """Records whose bounds leave exactly one whole value, their true one (or exclude the truth: a bug)."""
    out = []
    for t, (lo, hi) in found.items():
        if not (lo - 1e-6 <= truth[t] <= hi + 1e-6):
            raise AssertionError(f"record {t}: true value {truth[t]} outside the attacker's bounds {lo}..{hi}")
        if np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1:
            out.append(t)
    return out
