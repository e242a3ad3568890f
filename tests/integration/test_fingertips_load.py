"""Fingertips all_data exports load with every row accounted for, keep their intervals and respect
Fingertips' own suppression (no value where the count is below 10), on SQLite and PostgreSQL.

The hand-made file below has 7 rows of indicator 11201 (persons, all ages): England and the East of
England region (2 comparators), Essex in three periods and Basildon in one (4 partnership rows: the
areas file below has both), and Suffolk (1 outside). Basildon's row gives a value with a count of 7,
which Fingertips would never publish: it must be stored without its value. Essex 2020/21 - 22/23 is
published blank with a value note: stored blank, never 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from analysis.outcomes import health_trend
from etl.loader import load_file
from service.outcomes import outcome_view
from tests.conftest import SAMPLE
from warehouse import outcome_queries

HEADER = ("Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,Category Type,"
          "Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Lower CI 99.8 limit,"
          "Upper CI 99.8 limit,Count,Denominator,Value note,Recent Trend,Compared to England value or percentiles,"
          "Time period Sortable")
NAME = "Violent crime - hospital admissions for violence (including sexual violence)"
ROWS = [
    "E92000001,England,England,Persons,All ages,,,2016/17 - 18/19,50.0,49.5,50.5,49,51,80000,168000000,,,,20160000",
    "E12000006,East of England region,Region,Persons,All ages,,,2016/17 - 18/19,35.0,34,36,33,37,6000,18600000,,,,"
    "20160000",
    "E10000012,Essex,Counties & UAs,Persons,All ages,,,2016/17 - 18/19,40.0,38,42,37,43,1700,4400000,,,,20160000",
    "E10000012,Essex,Counties & UAs,Persons,All ages,,,2019/20 - 21/22,30.0,28,32,27,33,1300,4400000,,,,20190000",
    "E10000012,Essex,Counties & UAs,Persons,All ages,,,2020/21 - 22/23,,,,,,,4400000,Value suppressed for "
    "disclosure control due to small count,,,20200000",
    "E07000066,Basildon,Districts & UAs,Persons,All ages,,,2016/17 - 18/19,2.1,1,4,0.5,5,7,550000,,,,20160000",
    "E10000029,Suffolk,Counties & UAs,Persons,All ages,,,2016/17 - 18/19,25.0,24,26,23,27,570,2280000,,,,20160000",
]
AREAS = ("area_code,area_name,area_type,parent_code,population\nE10000012,Essex,county,,1468177\n"
         "E07000066,Basildon,district,E10000012,184479\n")


def _file(tmp_path: Path, rows: list[str], name: str = "fingertips.csv") -> Path:
    path = tmp_path / name
    body = [HEADER] + [f"11201,{NAME},,,{r}" for r in rows]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def with_areas(engine: Engine, tmp_path: Path) -> Engine:
    (tmp_path / "areas.csv").write_text(AREAS, encoding="utf-8")
    assert load_file(engine, tmp_path / "areas.csv").ok
    return engine


def test_every_row_is_kept_with_its_role_and_suppression_respected(with_areas: Engine, tmp_path: Path) -> None:
    result = load_file(with_areas, _file(tmp_path, ROWS))
    assert result.outcome == "loaded", [str(p) for p in result.problems]
    assert result.rows == 7  # every row of the file
    counts = outcome_queries.rows_by_role(with_areas).set_index("role")
    assert counts["rows"].to_dict() == {"comparator": 2, "outside": 1, "partnership": 4}
    # Essex's blank row and Basildon's count-of-7 row: no value, never 0
    assert int(counts["suppressed"].sum()) == 2
    rows = outcome_queries.indicator_rows(with_areas, 11201, ("partnership",))
    basildon = rows[rows["area_code"] == "E07000066"].iloc[0]
    assert pd.isna(basildon["value"]) and pd.isna(basildon["lower_ci95"]) and pd.isna(basildon["count"])
    assert "count below 10" in basildon["value_note"]
    essex = rows[rows["area_code"] == "E10000012"].set_index("time_period")
    assert essex.loc["2019/20 - 21/22", "lower_ci95"] == 28 and essex.loc["2019/20 - 21/22", "upper_ci95"] == 32
    assert pd.isna(essex.loc["2020/21 - 22/23", "value"])


def test_the_trend_is_judged_against_the_pre_2019_baseline_beside_england(with_areas: Engine, tmp_path: Path) -> None:
    assert load_file(with_areas, _file(tmp_path, ROWS)).ok
    trend = health_trend(outcome_queries.indicator_rows(with_areas, 11201), ["E10000012"])
    essex = trend[trend["area_code"] == "E10000012"].set_index("time_period")
    # 30.0 against the 2016/17 - 18/19 baseline of 40.0: 25% lower; England's rate beside it
    assert essex.loc["2019/20 - 21/22", "change_pct"] == pytest.approx(-25.0)
    assert essex.loc["2016/17 - 18/19", "england"] == 50.0
    assert essex.loc["2020/21 - 22/23", "change_pct"] is None or pd.isna(essex.loc["2020/21 - 22/23", "change_pct"])
    view = outcome_view(with_areas)
    measures = view.measures.set_index("measure")
    assert measures.loc["Hospital admissions for violence, Essex", "value"] == "suppressed (count below 10)"
    assert measures.loc["Non-domestic homicide", "value"] == "no data"  # no data, never 0
    assert measures.loc["Serious violence (police recorded)", "value"] == "no data"  # no police.uk loaded
    assert "no under-25 split" in measures.loc["Serious violence (police recorded)", "note"].lower()


def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(with_areas: Engine, tmp_path: Path) -> None:
    bad = [*ROWS[:2], ROWS[2].replace("2016/17 - 18/19", "last year"), ROWS[3].replace("E10000012,", "ESSEX,", 1)]
    result = load_file(with_areas, _file(tmp_path, bad, "bad.csv"))
    assert result.outcome == "rejected"
    found = {(p.row, p.column) for p in result.problems}
    assert (4, "time_period") in found and (5, "area_code") in found
    assert all(p.file == "bad.csv" for p in result.problems)
    assert outcome_queries.rows_by_role(with_areas).empty  # nothing loaded


def test_the_sample_export_loads_every_row(with_areas: Engine) -> None:
    path = SAMPLE / "fingertips_11201.csv"
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
    result = load_file(with_areas, path)
    assert result.ok and result.rows == rows == 77  # 11 areas x 7 pooled periods
    counts = outcome_queries.rows_by_role(with_areas)
    assert int(counts["rows"].sum()) == 77
    # partnership: Essex, Southend, Thurrock are not all in this test's areas file: only Essex and Basildon
    assert counts.groupby("role")["rows"].sum().to_dict() == {"comparator": 14, "outside": 49, "partnership": 14}
