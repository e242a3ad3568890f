"""Disclosure control: known answers for the primary and secondary rules, and a property test on
random tables (no small count visible, no line with a lone hidden cell, nothing recoverable)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure import (
    SUPPRESSED,
    footnote,
    is_suppressed,
    render,
    suppress,
    suppression_mask,
    to_long,
)


def hidden_cells(out: pd.DataFrame, cols: list) -> set[tuple]:
    return {(r, c) for r in out.index for c in cols if is_suppressed(out.at[r, c])}


def with_totals(values: dict[str, list[float]], index: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(values, index=index)
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    return table


def test_primary_only_hides_one_to_threshold_and_shows_zero() -> None:
    table = pd.DataFrame({"Q1": [0, 3, 10], "Q2": [12, 9, 1]}, index=["a", "b", "c"])
    out = suppress(table, ["Q1", "Q2"], threshold=9)
    # 3, 9 and 1 are 1..9; 0, 10 and 12 stay; no totals, so nothing else is hidden.
    assert hidden_cells(out, ["Q1", "Q2"]) == {("b", "Q1"), ("b", "Q2"), ("c", "Q2")}
    assert out.at["a", "Q1"] == 0 and not is_suppressed(out.at["a", "Q1"])
    assert out.at["c", "Q1"] == 10
    assert str(out["Q1"].dtype) == "Int64"


def test_suppressed_is_distinct_from_zero_and_renders_as_c() -> None:
    out = suppress(pd.DataFrame({"n": [0, 4]}), ["n"], threshold=9)
    assert out["n"].isna().tolist() == [False, True]
    assert (out["n"] == 0).fillna(False).tolist() == [True, False]
    assert [render(v) for v in out["n"]] == ["0", SUPPRESSED]
    assert render(1234.0) == "1,234" and render(2.5) == "2.5"


def test_threshold_boundaries() -> None:
    table = pd.DataFrame({"n": [9, 10, 1, 6]})
    assert suppress(table, ["n"], threshold=9)["n"].isna().tolist() == [True, False, True, True]
    # A threshold of 5 shows 6 and above; a threshold of 0 switches suppression off.
    assert suppress(table, ["n"], threshold=5)["n"].isna().tolist() == [False, False, True, False]
    assert not suppress(table, ["n"], threshold=0)["n"].isna().any()


def test_default_threshold_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.DataFrame({"n": [9, 12]})
    monkeypatch.delenv("SUPPRESSION_THRESHOLD", raising=False)
    assert suppress(table, ["n"])["n"].isna().tolist() == [True, False]
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", "12")
    assert suppress(table, ["n"])["n"].isna().tolist() == [True, True]
    assert "1 to 12 people" in footnote()


def test_row_total_lone_cell_gets_smallest_nonzero_partner() -> None:
    table = pd.DataFrame({"a": [5], "b": [20], "c": [30], "d": [0], "Total": [55]}, index=["x"])
    out = suppress(table, ["a", "b", "c", "d"], threshold=9, row_total_col="Total")
    # 5 is primary; 55 - 20 - 30 - 0 would give it back, so the smallest other non-zero (20) goes too.
    assert hidden_cells(out, ["a", "b", "c", "d", "Total"]) == {("x", "a"), ("x", "b")}
    assert out.at["x", "d"] == 0 and out.at["x", "Total"] == 55


def test_zero_is_never_chosen_as_partner_when_a_non_zero_cell_exists() -> None:
    table = pd.DataFrame({"a": [4], "b": [0], "c": [25], "Total": [29]}, index=["x"])
    out = suppress(table, ["a", "b", "c"], threshold=9, row_total_col="Total")
    # Partner candidates: 25 and the total 29; 0 is not (it hides nothing and it is public anyway).
    assert hidden_cells(out, ["a", "b", "c", "Total"]) == {("x", "a"), ("x", "c")}


def test_two_by_two_with_margins_hides_the_inner_rectangle() -> None:
    table = with_totals({"Q1": [3, 15], "Q2": [20, 12]}, ["A", "B"])
    out = suppress(table, ["Q1", "Q2"], threshold=9, row_total_col="Total", col_total_row="Total")
    # A/Q1 = 3 is primary; row A needs a partner (20), column Q1 needs one (15), then column Q2 has
    # only A/Q2 hidden so B/Q2 (12) follows. Totals 23, 27, 18, 32, 50 all stay visible.
    assert hidden_cells(out, ["Q1", "Q2", "Total"]) == {("A", "Q1"), ("A", "Q2"), ("B", "Q1"), ("B", "Q2")}
    assert out.loc["Total"].tolist() == [18, 32, 50]
    assert out["Total"].tolist()[:2] == [23, 27]


def test_small_totals_are_suppressed_and_protected() -> None:
    table = with_totals({"Q1": [2, 40], "Q2": [3, 50]}, ["A", "B"])
    out = suppress(table, ["Q1", "Q2"], threshold=9, row_total_col="Total", col_total_row="Total")
    # Row A: 2, 3 and its total 5 are all primary (three in the line). Columns Q1 and Q2 then each
    # hold one hidden cell, so 40 and 50 go; column Total holds A's 5, so B's total 90 goes too.
    assert hidden_cells(out, ["Q1", "Q2", "Total"]) == {
        ("A", "Q1"), ("A", "Q2"), ("A", "Total"), ("B", "Q1"), ("B", "Q2"), ("B", "Total")}
    assert out.loc["Total"].tolist() == [42, 53, 95]


def test_column_totals_only() -> None:
    table = pd.DataFrame({"n": [4, 30, 12, 46]}, index=["a", "b", "c", "Total"])
    out = suppress(table, ["n"], threshold=9, col_total_row="Total")
    # 4 is primary; 46 - 30 - 12 would recover it, so the next smallest (12) is hidden.
    assert hidden_cells(out, ["n"]) == {("a", "n"), ("c", "n")}


def test_linear_guard_breaks_a_bridge_between_two_protected_blocks() -> None:
    values = {"c1": [1, 4, 40, 40], "c2": [2, 5, 50, 50], "c3": [3, 40, 6, 8], "c4": [50, 50, 7, 9],
              "c5": [60, 60, 60, 60]}
    table = with_totals(values, ["r1", "r2", "r3", "r4"])
    cols = ["c1", "c2", "c3", "c4", "c5", "Total"]
    out = suppress(table, cols[:-1], threshold=9, row_total_col="Total", col_total_row="Total")
    # The nine primaries already leave every row and column with 0 or >= 2 hidden cells, but r1/c3
    # joins two closed blocks: row r1 minus (columns c1 + c2 minus row r2) gives it back exactly.
    # The guard hides the smallest visible cell next to it, r2/c3 = 40, which closes a loop.
    primaries = {("r1", "c1"), ("r1", "c2"), ("r1", "c3"), ("r2", "c1"), ("r2", "c2"), ("r3", "c3"),
                 ("r3", "c4"), ("r4", "c3"), ("r4", "c4")}
    assert hidden_cells(out, cols) == primaries | {("r2", "c3")}


def test_other_columns_pass_through_and_input_is_not_changed() -> None:
    table = pd.DataFrame({"label": ["x", "y"], "n": [3.0, 20.0]})
    out = suppress(table, ["n"], threshold=9)
    assert out["label"].tolist() == ["x", "y"]
    assert table["n"].tolist() == [3.0, 20.0]


def test_hidden_numbers_do_not_survive_in_the_result() -> None:
    import pickle

    out = suppress(pd.DataFrame({"n": [7, 20]}), ["n"], threshold=9)
    assert out["n"].array._data.tolist() == [0, 20]  # masked storage zeroed, not the true 7
    assert pickle.loads(pickle.dumps(out))["n"].isna().tolist() == [True, False]


def test_fractional_values_keep_a_float_column() -> None:
    out = suppress(pd.DataFrame({"n": [2.5, 20.5]}), ["n"], threshold=9)
    assert str(out["n"].dtype) == "Float64"
    assert out["n"].isna().tolist() == [True, False]


def test_missing_input_values_are_refused() -> None:
    with pytest.raises(ValueError, match="missing values"):
        suppress(pd.DataFrame({"n": [1.0, None]}), ["n"], threshold=9)


def test_to_long_never_carries_a_hidden_number() -> None:
    out = suppress(pd.DataFrame({"Q1": [3, 20]}, index=["a", "b"]), ["Q1"], threshold=9)
    long = to_long(out, ["Q1"])
    assert long.to_dict("records") == [
        {"category": "a", "column": "Q1", "value": None, "suppressed": True},
        {"category": "b", "column": "Q1", "value": 20.0, "suppressed": False},
    ]


def test_footnote_states_the_rule() -> None:
    text = footnote(9)
    assert "1 to 9 people" in text and SUPPRESSED in text and "0 means nobody" in text
    assert "1 person" in footnote(1)


# --- property test ----------------------------------------------------------------------------------

def determined(hidden: np.ndarray, lines: list[list[tuple[tuple[int, int], int]]]) -> set[tuple[int, int]]:
    """Independent check by rank: a hidden cell is recoverable iff its unit vector is in the row space."""
    cells = [tuple(x) for x in np.argwhere(hidden)]
    if not cells:
        return set()
    index = {c: i for i, c in enumerate(cells)}
    rows = []
    for line in lines:
        row = np.zeros(len(cells))
        for cell, k in line:
            if cell in index:
                row[index[cell]] = k
        rows.append(row)
    a = np.array(rows) if rows else np.zeros((1, len(cells)))
    rank = np.linalg.matrix_rank(a)
    unit = np.eye(len(cells))
    # determined iff the unit vector of the cell lies in the row space (adding it keeps the rank)
    return {c for c, i in index.items() if np.linalg.matrix_rank(np.vstack([a, unit[i]])) == rank}


def random_table(rng: random.Random) -> tuple[np.ndarray, bool, bool]:
    n_rows, n_cols = rng.randint(1, 6), rng.randint(1, 6)
    pool = [0, 0, 1, 2, 3, 5, 8, 9, 10, 11, 15, 20, 40, 120]
    inner = np.array([[rng.choice(pool) for _ in range(n_cols)] for _ in range(n_rows)], dtype=float)
    row_totals, col_totals = rng.random() < 0.75, rng.random() < 0.75
    if row_totals:
        inner = np.hstack([inner, inner.sum(axis=1, keepdims=True)])
    if col_totals:
        inner = np.vstack([inner, inner.sum(axis=0, keepdims=True)])
    return inner, row_totals, col_totals


def test_property_random_tables_are_safe() -> None:
    rng = random.Random(20240601)
    for case in range(400):
        values, has_row_totals, has_col_totals = random_table(rng)
        threshold = rng.randint(1, 10)
        n_rows, n_cols = values.shape
        labels = [f"r{i}" for i in range(n_rows)]
        cols = [f"c{j}" for j in range(n_cols)]
        table = pd.DataFrame(values, index=labels, columns=cols)
        row_total = cols[-1] if has_row_totals else None
        col_total = labels[-1] if has_col_totals else None
        out = suppress(table, cols, threshold=threshold, row_total_col=row_total, col_total_row=col_total)
        hidden = out[cols].isna().to_numpy()
        shown = out[cols].to_numpy(dtype=float, na_value=np.nan)

        def where(case: int = case, threshold: int = threshold, table: pd.DataFrame = table,
                  out: pd.DataFrame = out) -> str:  # built only when an assertion fails
            return f"case {case}, threshold {threshold}:\n{table}\n{out}"

        # No count from 1 to the threshold is visible, and every visible cell is the true value.
        assert not ((values >= 1) & (values <= threshold) & ~hidden).any(), where()
        assert np.allclose(shown[~hidden], values[~hidden]), where()
        # Every row and column with a published total holds 0 or at least 2 hidden cells.
        if has_row_totals:
            assert all(hidden[r].sum() != 1 for r in range(n_rows)), where()
        if has_col_totals:
            assert all(hidden[:, c].sum() != 1 for c in range(n_cols)), where()
        # No hidden cell can be recovered exactly from any combination of the published totals.
        lines = []
        if has_row_totals:
            lines += [[((r, c), -1 if c == n_cols - 1 else 1) for c in range(n_cols)] for r in range(n_rows)]
        if has_col_totals:
            lines += [[((r, c), -1 if r == n_rows - 1 else 1) for r in range(n_rows)] for c in range(n_cols)]
        assert not determined(hidden, lines), where()
        # The mask helper agrees with the frame function.
        mask = suppression_mask(values, threshold, n_cols - 1 if has_row_totals else None,
                                n_rows - 1 if has_col_totals else None)
        assert (mask == hidden).all(), where()
