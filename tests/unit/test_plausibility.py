"""Known answers for each plausibility warning kind (analysis.plausibility), on hand-made figures."""

from __future__ import annotations

import pandas as pd

from analysis.plausibility import combination_warnings, history_warnings, limit_warnings, plausibility

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]


def frame(rows: list[tuple[str, str, float]], project: str = "P1", area: str = "A1") -> pd.DataFrame:
    return pd.DataFrame([(project, area, metric, period, float(value)) for metric, period, value in rows],
                        columns=["project_code", "area_code", "metric_code", "period", "value"])


def sessions_history() -> pd.DataFrame:
    # Training sessions 10,12,11,9,10,13 over six months: median 10.5, largest 13.
    return frame([("TS", p, v) for p, v in zip(MONTHS[:6], [10, 12, 11, 9, 10, 13], strict=True)])


def test_twenty_times_the_usual_is_flagged_a_good_month_is_not() -> None:
    # 210 is 16 times the largest month (13): beyond both 3 x 13 = 39 and the robust bound. 30 is a good
    # month (2.3 x the largest), under 39: no warning.
    new = frame([("TS", "2024-07", 210), ("TS", "2024-08", 30)])
    (w,) = history_warnings(new, sessions_history())
    assert (w.period, w.kind, w.value) == ("2024-07", "history", 210.0)
    assert "16 times this project's largest month here (13; usual 10.50 over 6 earlier months)" in w.message


def test_too_little_history_gives_no_history_warning() -> None:
    # Five earlier months are fewer than MIN_HISTORY (6): not judged against history at all.
    assert history_warnings(frame([("TS", "2024-07", 9999)]), sessions_history().head(5)) == []


def test_limit_from_metrics_csv() -> None:
    new = frame([("YP", "2024-07", 99_999), ("YP", "2024-08", 500)])
    (w,) = limit_warnings(new, {"YP": 500.0})  # 500 is at the limit, allowed; 99,999 is over it
    assert (w.period, w.kind) == ("2024-07", "limit") and "99,999 is above" in w.message


def test_hours_without_sessions_and_more_supported_than_the_caseload() -> None:
    new = frame([("DYW_HOURS", "2024-07", 40), ("DYW_SESSIONS", "2024-07", 0),
                 ("DYW_HOURS", "2024-08", 12), ("DYW_SESSIONS", "2024-08", 3),
                 ("IND_SUPPORTED", "2024-07", 30), ("ACTIVE_CASELOAD", "2024-07", 25),
                 ("IND_SUPPORTED", "2024-08", 20), ("ACTIVE_CASELOAD", "2024-08", 25)])
    got = [(w.metric_code, w.period) for w in combination_warnings(new)]
    # July only: 40 hours with 0 sessions; 30 supported against a caseload of 25. August is consistent.
    assert got == [("DYW_HOURS", "2024-07"), ("IND_SUPPORTED", "2024-07")]


def test_a_metric_the_return_does_not_carry_is_not_judged() -> None:
    # No DYW_SESSIONS or YP_ENGAGED in the file at all: the hours are not judged against them.
    assert combination_warnings(frame([("DYW_HOURS", "2024-07", 40)])) == []


def test_splits_are_added_up_before_judging() -> None:
    # Two split rows of 300 make a month of 600, over a limit of 500 that neither row exceeds alone.
    rows = pd.concat([frame([("YP", "2024-07", 300)]), frame([("YP", "2024-07", 300)])], ignore_index=True)
    (w,) = plausibility(rows, frame([]), {"YP": 500.0})
    assert w.value == 600.0
