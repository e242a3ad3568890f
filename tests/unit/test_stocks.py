"""Known answers for stocks carried forward (analysis.stocks), on small hand-made series.

Three series of an active caseload: A reports every month; B's returns for August and September are
late; C's project ended in July. And a running total of organisations funded whose fund closed.
"""

from __future__ import annotations

import pandas as pd

from analysis.stocks import COMPLETE_ENOUGH, apply_levels, level_at, levels_by


def _rows(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_code", "area_code", "period", "value"]).assign(value_key=1)


CASELOAD = _rows(
    ("A", "X", "2025-06", 10), ("A", "X", "2025-07", 11), ("A", "X", "2025-08", 12), ("A", "X", "2025-09", 13),
    ("B", "X", "2025-06", 20), ("B", "X", "2025-07", 21),
    ("C", "Y", "2025-06", 30), ("C", "Y", "2025-07", 31),
)
ENDS = {"C": "2025-07"}


def test_a_late_return_does_not_lose_the_caseload() -> None:
    # September: A reported 13; B's July level 21 is carried (two months, within the three allowed); C
    # ended in July, so its caseload ended with it. 13 + 21 = 34, not 13 (the last month's rows only).
    level = level_at(CASELOAD, "2025-09", "latest", ENDS)
    assert (level.value, level.reported, level.carried, level.carried_from) == (34, 1, 1, "2025-07")
    assert level.completeness == 0.5 and not level.complete_enough  # 1 of 2 reported: below two thirds
    assert level.value_key == 2  # the keys of the two records counted


def test_carrying_stops_after_three_silent_months() -> None:
    # December: B's July level is five months old, beyond the limit; A's September level is three old.
    assert level_at(CASELOAD, "2025-12", "latest", ENDS).value == 13
    assert level_at(CASELOAD, "2026-01", "latest", ENDS).value == 0


def test_a_running_total_never_falls_when_a_fund_closes() -> None:
    funded = _rows(("F1", "X", "2024-03", 40), ("F2", "Y", "2025-01", 10), ("F2", "Y", "2025-03", 16))
    # F1's fund closed in March 2024 with 40 organisations funded: they stay funded. 40 + 16 = 56.
    level = level_at(funded, "2025-09", "cumulative", {"F1": "2024-03"})
    assert level.value == 56 and level.carried == 2
    # As a level it would have fallen to 0 once F1 ended and F2 fell silent.
    assert level_at(funded, "2025-09", "latest", {"F1": "2024-03"}).value == 0


def test_areas_and_projects_add_up_to_the_total() -> None:
    total = level_at(CASELOAD, "2025-08", "latest", ENDS).value
    by_area = levels_by(CASELOAD, "2025-08", "latest", ["area_code"], ENDS)
    by_project = levels_by(CASELOAD, "2025-08", "latest", ["project_code"], ENDS)
    assert total == 12 + 21 == sum(v.value for v in by_area.values()) == sum(v.value for v in by_project.values())


def test_kpi_rows_take_the_levels_and_say_what_was_carried() -> None:
    now, then = level_at(CASELOAD, "2025-09", "latest", ENDS), level_at(CASELOAD, "2024-09", "latest", ENDS)
    rows = apply_levels([{"metric_code": "ACTIVE_CASELOAD", "value": 13.0}, {"metric_code": "YP", "value": 5.0}],
                        {"ACTIVE_CASELOAD": (now, then)})
    assert rows[0]["value"] == 34 and rows[0]["carried"] == 1 and rows[0]["carried_from"] == "2025-07"
    assert rows[0]["previous"] is None  # nothing a year earlier: no comparison, not a fall from 0
    assert rows[1]["value"] == 5.0 and rows[1]["carried"] is None  # a flow is untouched
    assert COMPLETE_ENOUGH == 2 / 3


def test_levels_by_gives_level_at_of_each_group() -> None:
    """The grouped computation (issue 14: all groups at once) equals ``level_at`` group by group, for
    every month of the series and both kinds of stock, grouped by project and by area."""
    import numpy as np

    rng = np.random.default_rng(14)
    rows = [(f"P{p}", f"A{a}", f"2025-{m:02d}", float(rng.integers(0, 50)))
            for p in range(6) for a in range(3) for m in range(1, 13) if rng.random() < 0.6]
    series = pd.DataFrame(rows, columns=["project_code", "area_code", "period", "value"])
    series["value_key"] = rng.integers(0, 1000, len(series))
    ends = {"P1": "2025-05", "P4": "2025-09"}
    for by in (["project_code"], ["area_code"]):
        for aggregation in ("latest", "cumulative"):
            for month in ["2024-12", *[f"2025-{m:02d}" for m in range(1, 13)], "2026-03"]:
                grouped = levels_by(series, month, aggregation, by, ends)
                expected = {(key,): level_at(part, month, aggregation, ends)
                            for key, part in series.groupby(by[0], sort=True)}
                assert grouped == expected, (by, aggregation, month)


def test_levels_over_months_gives_each_months_levels() -> None:
    """The one-pass computation over many months equals ``level_at`` (no grouping) and ``levels_by``
    (by project, by area) month by month, for both kinds of stock, on random series with gaps."""
    import numpy as np

    from analysis.stocks import levels_over_months

    rng = np.random.default_rng(41)
    rows = [(f"P{p}", f"A{a}", f"2025-{m:02d}", float(rng.integers(0, 50)))
            for p in range(5) for a in range(3) for m in range(1, 13) if rng.random() < 0.5]
    series = pd.DataFrame(rows, columns=["project_code", "area_code", "period", "value"])
    series["value_key"] = rng.integers(0, 1000, len(series))
    ends = {"P1": "2025-05", "P3": "2025-10"}
    months = ["2024-12", *[f"2025-{m:02d}" for m in range(1, 13)], "2026-02"]
    for aggregation in ("latest", "cumulative"):
        whole = levels_over_months(series, months, aggregation, [], ends)
        assert whole == {(m,): level_at(series, m, aggregation, ends) for m in months}, aggregation
        for by in (["project_code"], ["area_code"]):
            grouped = levels_over_months(series, months, aggregation, by, ends)
            expected = {(m, *key): level for m in months
                        for key, level in levels_by(series, m, aggregation, by, ends).items()}
            assert grouped == expected, (aggregation, by)
