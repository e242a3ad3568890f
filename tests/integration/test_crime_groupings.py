"""Known answers for the Crime page's and API's crime selections and financial years, on SQLite and PostgreSQL.

A hand-made police.uk file (every row in Basildon LSOA E01021237 unless said otherwise), 19 rows:

| month   | financial year | violence | robbery | weapons | burglary | shoplifting | drugs | anti-social behaviour |
|---------|----------------|----------|---------|---------|----------|-------------|-------|-----------------------|
| 2024-03 | 2023/24        | 2        |         |         | 1        |             |       | 1                     |
| 2024-04 | 2024/25        | 1        | 1       | 2       |          | 1           |       | 3                     |
| 2024-05 | 2024/25        |          |         |         |          |             | 1     | 1                     |
| 2025-04 | 2025/26        | 1        |         | 1       |          |             |       | 2 + 1 with no location |

So police recorded crime (every type but anti-social behaviour) is 3, 5, 1 and 2 by month; serious
violence (violence and sexual offences, robbery, possession of weapons) 2, 4, 0, 2; knife and weapon
offences (possession of weapons) 0, 2, 0, 1; anti-social behaviour 1, 3, 1, 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from etl.loader import load_file
from tests.conftest import BACKENDS, SAMPLE, new_database

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context")
ROWS = {  # month -> [(crime type, how many)]
    "2024-03": [("Violence and sexual offences", 2), ("Burglary", 1), ("Anti-social behaviour", 1)],
    "2024-04": [("Violence and sexual offences", 1), ("Robbery", 1), ("Possession of weapons", 2),
                ("Shoplifting", 1), ("Anti-social behaviour", 3)],
    "2024-05": [("Drugs", 1), ("Anti-social behaviour", 1)],
    "2025-04": [("Violence and sexual offences", 1), ("Possession of weapons", 1), ("Anti-social behaviour", 2)],
}
ASB = "Anti-social behaviour"


def _write(path: Path) -> Path:
    lines, n = [HEADER], 0
    for month, parts in ROWS.items():
        for crime_type, count in parts:
            for _ in range(count):
                n += 1
                crime_id = "" if crime_type == ASB else f"{n:064x}"
                lines.append(f"{crime_id},{month},Essex Police,Essex Police,0.45,51.6,On or near Somewhere,"
                             f"E01021237,Basildon 001A,{crime_type},,")
    # one anti-social behaviour incident with no location (police.uk leaves the LSOA blank)
    lines.append("2025-04".join([",", ",Essex Police,Essex Police,,,No location,,,Anti-social behaviour,,"]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def eng(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    folder = tmp_path_factory.mktemp("groupings")
    engine, _url, cleanup = new_database(request.param, folder)
    assert load_file(engine, SAMPLE / "areas.csv").ok
    result = load_file(engine, _write(folder / "2025-04-essex-street.csv"), kind="police_uk")
    assert result.ok, result
    yield engine
    cleanup()


def test_default_view_is_the_latest_financial_year_without_anti_social_behaviour(eng: Engine) -> None:
    from service.crime import page_view

    view = page_view(eng, "", "", "", "")
    # The latest month is April 2025, so the default is financial year 2025/26 so far: April 2025 alone.
    assert (view.first, view.last) == ("2025-04", "2025-04")
    assert view.count == 2  # 1 violence + 1 possession of weapons; the 3 incidents of ASB are not crimes
    assert view.asb == 3  # 2 in Basildon + 1 with no location (no area filter: every row)
    assert view.comparable and view.year_earlier == 5 and view.asb_year_earlier == 3  # April 2024
    assert "except anti-social behaviour" in view.definition
    assert ASB not in set(view.by_type["crime_type"])  # the by-type chart lists crimes only
    assert view.by_type["count"].sum() == 2
    basildon = page_view(eng, "2025-04", "2025-04", "E07000066", "")
    assert (basildon.count, basildon.asb) == (2, 2)  # the incident with no location is not in Basildon


@pytest.mark.parametrize(("selection", "now", "before"), [
    ("Serious violence", 2, 4),  # April 2025: violence 1 + weapons 1; April 2024: violence 1 + robbery 1 + weapons 2
    ("knife and weapon offences", 1, 2),  # possession of weapons only (matched ignoring case)
    (ASB, 3, 3),  # chosen on its own it is counted, as incidents
    ("Burglary", 0, 0),
])
def test_groupings_and_types(eng: Engine, selection: str, now: int, before: int) -> None:
    from analysis.outcomes import GROUP_DEFINITION
    from service.crime import page_view

    view = page_view(eng, "2025-04", "2025-04", "", selection)
    assert (view.count, view.year_earlier) == (now, before)
    if view.crime_type in GROUP_DEFINITION:
        assert GROUP_DEFINITION[view.crime_type] in view.definition  # one definition, from analysis.outcomes


def test_totals_per_financial_year(eng: Engine) -> None:
    from service.crime import fy_period, page_view

    years = page_view(eng, "", "", "", "").by_year.set_index("financial_year")
    assert years.loc["2023/24"].to_dict() == {"first": "2024-03", "last": "2024-03", "months": 1, "recorded_crime": 3,
                                              "anti_social_behaviour": 1, "serious_violence": 2,
                                              "knife_and_weapon_offences": 0}
    # 2024/25 is April and May 2024: crimes 5 + 1, serious violence 4 + 0, weapons 2, ASB 3 + 1.
    assert years.loc["2024/25", ["months", "recorded_crime", "serious_violence", "knife_and_weapon_offences",
                                 "anti_social_behaviour"]].tolist() == [2, 6, 4, 2, 4]
    assert years.loc["2025/26", ["recorded_crime", "anti_social_behaviour"]].tolist() == [2, 3]
    assert fy_period("2024/25", page_view(eng, "", "", "", "").months) == ("2024-04", "2024-05")
    assert fy_period("not a year", ()) == ("", "")
    whole = page_view(eng, "2024-04", "2024-05", "", "")
    assert (whole.count, whole.asb) == (6, 4)  # the page's figures for that year agree with the table


def test_map_counts_police_recorded_crime(eng: Engine) -> None:
    from service.crime import page_map

    assert page_map(eng, "2024-04", "2024-04", "", "").total == 5  # not the 3 ASB incidents
    assert page_map(eng, "2024-04", "2024-04", "", "Serious violence").total == 4
    assert page_map(eng, "2024-04", "2024-04", "", ASB).total == 3


def test_api_selections(eng: Engine) -> None:
    from service.crime import RECORDED_CRIME, crime_table, parse_crime_type
    from warehouse.filters import Filters

    every = Filters()
    assert int(crime_table(eng, every)["count"].sum()) == 19  # no crime_type: every row loaded
    recorded = parse_crime_type(eng, "police recorded crime")
    assert recorded == RECORDED_CRIME
    assert int(crime_table(eng, every, recorded)["count"].sum()) == 3 + 5 + 1 + 2
    by_month = crime_table(eng, every, parse_crime_type(eng, "SERIOUS violence"), ("month",))
    assert dict(zip(by_month["month"], by_month["count"], strict=True)) == {"2024-03": 2, "2024-04": 4, "2025-04": 2}
    year = Filters.from_query({"fy": "2024/25"})
    assert int(crime_table(eng, year, parse_crime_type(eng, "Knife and weapon offences"))["count"].sum()) == 2
    assert int(crime_table(eng, year, recorded)["count"].sum()) == 6
