"""Known answers for the streamed preview of a file's rows (``etl.preview_rows``): the counts and
figures the old all-in-memory merge gave, whatever the chunking."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.preview_rows import row_effect

COLUMNS = ["project_code", "area_code", "metric_code", "period", "age_band", "sex", "ethnicity", "value"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


# The database holds, for P1 in 2024-05: a YP total in A, and two sex splits of IND in A.
OLD = frame([
    ("P1", "A", "YP", "2024-05", None, None, None, 10.0),  # stored blank splits may come back as NULL
    ("P1", "A", "IND", "2024-05", "", "male", "", 3.0),
    ("P1", "A", "IND", "2024-05", "", "female", "", 4.0),
])
# The file: the YP total again (replaced), one IND split again (replaced), the other IND split dropped
# (removed), a new IND split (added), and a new month (added).
NEW = frame([
    ("P1", "A", "YP", "2024-05", "", "", "", 12.0),
    ("P1", "A", "IND", "2024-05", "", "male", "", 5.0),
    ("P1", "A", "IND", "2024-05", "", "other", "", 1.0),
    ("P1", "A", "YP", "2024-06", "", "", "", 7.0),
])


def chunks(data: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [data.iloc[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 10])
def test_counts_and_figures_do_not_depend_on_chunking(size: int) -> None:
    effect = row_effect(chunks(NEW, size), chunks(OLD, size))
    changes = {tuple(r[:3]): tuple(r[3:]) for r in effect.changes.itertuples(index=False)}
    # IND 2024-05 (people by group): male replaced, other added, female removed. YP (totals) 2024-05
    # replaced; YP 2024-06 added. Totals come before groups within a metric and month.
    assert changes == {("IND", "2024-05", "people by group"): (1, 1, 1), ("YP", "2024-05", "totals"): (0, 1, 0),
                       ("YP", "2024-06", "totals"): (1, 0, 0)}
    assert effect.rows == 4
    new = effect.new.set_index(["metric_code", "period"])["value"]
    # IND's splits add up to one figure (5 + 1) even when they arrive in different chunks.
    assert new.to_dict() == {("IND", "2024-05"): 6.0, ("YP", "2024-05"): 12.0, ("YP", "2024-06"): 7.0}
    old = effect.old.set_index(["metric_code", "period"])["value"]
    assert old.to_dict() == {("IND", "2024-05"): 7.0, ("YP", "2024-05"): 10.0}


def test_a_first_load_adds_every_row_and_replaces_none() -> None:
    effect = row_effect(chunks(NEW, 3), [])
    assert effect.changes[["added", "replaced", "removed"]].sum().tolist() == [4, 0, 0]
    assert effect.old.empty


def test_a_file_whose_rows_are_unreadable_numbers_still_counts_rows() -> None:
    blank = frame([("P1", "A", "YP", "2024-05", "", "", "", None)])
    effect = row_effect([blank], [])
    assert effect.rows == 1 and effect.new["value"].tolist() == [0.0]  # as ``figures``: nothing adds to 0


def test_totals_and_people_by_group_are_counted_apart_within_a_month() -> None:
    both = frame([("P1", "A", "IND", "2024-05", "", "", "", 7.0), ("P1", "B", "IND", "2024-05", "18-24", "", "", 2.0)])
    effect = row_effect([both], [])
    assert effect.changes[["part", "added"]].values.tolist() == [["totals", 1], ["people by group", 1]]
