"""Known answers for the cell key method, and an attack on a small hand-made data set.

The hand-made set: 2 areas x 3 months of one people metric, with small and large counts. Every grouping
the pages and the API answer (each month, the quarter, each area, the county total, area x quarter)
is published through ``analysis.disclosure.protect``; a linear-programming attacker who knows the method
must not pin any hidden count to its true value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure import (
    KEY_MODULUS,
    MAX_ADJUSTMENT,
    SUPPRESSED,
    adjustment,
    footnote,
    is_suppressed,
    protect,
    protect_counts,
    record_key,
    render,
    sum_keys,
    to_long,
)
from tests.disclosure_attack import bounds, pinned

T = 9


def test_zero_stays_zero_and_small_counts_are_hidden() -> None:
    out = protect_counts([0, 1, 5, 9], [123, 456, 789, 1011], T)
    assert out[0] == 0  # nobody is not a disclosure
    assert all(pd.isna(out[i]) for i in (1, 2, 3))  # 1..9 never shown
    assert list(out._data) == [0, 0, 0, 0]  # hidden numbers do not survive in storage


def test_counts_above_the_threshold_move_by_at_most_five_and_never_into_the_hidden_range() -> None:
    for value in range(T + 1, 60):
        for key in range(0, KEY_MODULUS, 997):
            p = value + adjustment(value, key, T)
            assert abs(p - value) <= MAX_ADJUSTMENT
            assert p > T  # a published count is never 1..9 (that would be a small count on screen)


def test_same_cell_same_value_however_often_it_is_asked() -> None:
    first = protect_counts([40, 41, 42], [5, 6, 7], T)
    again = protect_counts([40, 41, 42], [5, 6, 7], T)
    assert list(first) == list(again)


def test_adjustments_are_mostly_small_and_centred_on_zero() -> None:
    # Over the whole key range a large count's adjustment is 0 about 27% of the time, +-1 or 0 about
    # 72% and averages 0 (the table is symmetric away from the threshold).
    steps = np.array([adjustment(1000, k, T) for k in range(0, KEY_MODULUS, 64)])
    assert abs(steps.mean()) < 0.02
    assert 0.24 < (steps == 0).mean() < 0.30
    assert 0.68 < (np.abs(steps) <= 1).mean() < 0.76
    assert steps.min() == -MAX_ADJUSTMENT and steps.max() == MAX_ADJUSTMENT


def test_record_keys_are_fixed_secret_and_uniform() -> None:
    a = record_key(b"secret", "period", "2024-05")
    assert a == record_key(b"secret", "period", "2024-05")  # re-loading gives the same key
    assert a != record_key(b"other", "period", "2024-05")  # unknowable without the secret
    keys = [record_key(b"s", "x", i) for i in range(4000)]
    assert min(keys) >= 0 and max(keys) < KEY_MODULUS
    assert abs(np.mean(keys) / KEY_MODULUS - 0.5) < 0.03


def test_cell_key_is_the_sum_of_record_keys() -> None:
    assert sum_keys([KEY_MODULUS - 1, 2]) == 1
    assert sum_keys([]) == 0


def test_protect_touches_only_people_rows_and_drops_keys() -> None:
    frame = pd.DataFrame({"metric_code": ["HOURS", "PEOPLE", "PEOPLE"], "value": [3.5, 4.0, 120.0],
                          "value_key": [1, 2, 3]})
    out = protect(frame, "value", "value_key", T, rows=frame["metric_code"].eq("PEOPLE"))
    assert "value_key" not in out.columns
    assert out["value"].iloc[0] == 3.5  # hours are not people: exact, fractions kept
    assert is_suppressed(out["value"].iloc[1])
    assert abs(out["value"].iloc[2] - 120) <= MAX_ADJUSTMENT


def test_render_footnote_and_long_form() -> None:
    assert render(float("nan")) == SUPPRESSED and render(1234.0) == "1,234"
    assert "1 to 9 people" in footnote(9) and "0 means nobody" in footnote(9)
    long = to_long(pd.DataFrame({"Q1": [float("nan"), 12.0]}, index=["a", "b"]), ["Q1"])
    assert long["value"].tolist() == [None, 12.0] and long["suppressed"].tolist() == [True, False]


# --- the attack on a hand-made data set -------------------------------------------------------------

# records: (area, month) -> true count. Area A has a hidden month (3) beside large ones; area B one
# month of 2 and one of 0. The county (A+B) and quarter totals are all published.
TRUE = {("A", 1): 40, ("A", 2): 3, ("A", 3): 37, ("B", 1): 2, ("B", 2): 0, ("B", 3): 25}
RECORDS = list(TRUE)


def _publish(secret: bytes) -> tuple[list[tuple[list[int], float | None]], dict[int, float]]:
    keys = [record_key(secret, *r) for r in RECORDS]
    groups: list[list[int]] = []
    areas, months = ("A", "B"), (1, 2, 3)
    for r in range(len(RECORDS)):  # each area x month
        groups.append([r])
    for area in areas:  # each area's quarter
        groups.append([i for i, rec in enumerate(RECORDS) if rec[0] == area])
    for month in months:  # the county by month
        groups.append([i for i, rec in enumerate(RECORDS) if rec[1] == month])
    groups.append(list(range(len(RECORDS))))  # the county's quarter
    for a, b in itertools.combinations(months, 2):  # two-month ranges (month_from/month_to)
        for area in (*areas, None):
            groups.append([i for i, rec in enumerate(RECORDS) if rec[1] in (a, b) and area in (None, rec[0])])
    values = [sum(TRUE[RECORDS[i]] for i in g) for g in groups]
    cell_keys = [sum_keys([keys[i] for i in g]) for g in groups]
    published = protect_counts(values, cell_keys, T)
    cells = [(g, None if pd.isna(p) else float(p)) for g, p in zip(groups, published, strict=True)]
    truth = {i: float(TRUE[r]) for i, r in enumerate(RECORDS)}
    return cells, truth


@pytest.mark.parametrize("secret", [b"one", b"two", b"three", b"four", b"five"])
def test_lp_attack_pins_no_hidden_count(secret: bytes) -> None:
    cells, truth = _publish(secret)
    hidden = [i for i, r in enumerate(RECORDS) if 1 <= TRUE[r] <= T]
    assert hidden, "the hand-made set must hold small counts"
    found = bounds(len(RECORDS), cells, T, hidden)
    assert pinned(found, truth) == []
    for i in hidden:  # and the attacker is left with a wide range, not a near-answer
        lo, hi = found[i]
        assert hi - lo >= 4


def test_the_same_attack_pins_exact_publication() -> None:
    """The attack is real: with exact published figures (no perturbation, primary suppression only), a
    hidden month is recovered as the quarter minus the other months."""
    cells = [([0], 40.0), ([2], 37.0), ([0, 1, 2], 80.0)]
    exact = {0: 40.0, 1: 3.0, 2: 37.0}
    import tests.disclosure_attack as attack

    saved = attack.MAX_ADJUSTMENT
    attack.MAX_ADJUSTMENT = 0  # exact publication
    try:
        found = bounds(3, cells, T, [1])
    finally:
        attack.MAX_ADJUSTMENT = saved
    assert pinned(found, exact) == [1]
