"""The police.uk street-level reader without a database: recognition, parsing, checks, area buckets.

Known answers come from the two real Essex Police months in ../shared/data/police-uk (their README):
2018-03 has 16,014 rows, 17 with no LSOA, 4,216 violence and sexual offences; 2018-04 has 16,709,
48 and 4,612. Counting every row by area with data/geo/lsoa_lookup.csv puts 52 rows of each month
in neighbouring authorities (Babergh, Havering, ...).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl.loader import detect_kind
from etl.sources.base import Context
from etl.sources.police_uk import (
    _WRITING,
    LOOKUP_FILE,
    SOURCE,
    AreaMapper,
    copy_text,
    describe_buckets,
    lsoa_lookup,
    name_prefix,
    to_rows,
)
from etl.synthetic_crime import HEADER, NEIGHBOURS, csv_text, month_rows, project_intensity
from tests.conftest import SAMPLE, SHARED

POLICE = SHARED / "police-uk"
MARCH = POLICE / "2018-03-essex-street.csv"
APRIL = POLICE / "2018-04-essex-street.csv"
needs_shared = pytest.mark.skipif(not MARCH.exists(), reason="../shared/data/police-uk is not beside the project")
AREAS = pd.read_csv(SAMPLE / "areas.csv", dtype=str, keep_default_na=False)
LOWER = AREAS[AREAS["area_type"] != "county"]


def mapper() -> AreaMapper:
    names = {name_prefix(f"{n} 001A"): c for c, n in zip(LOWER["area_code"], LOWER["area_name"], strict=True)}
    return AreaMapper(lsoa_lookup(), names)


def read(path: Path) -> tuple[pd.DataFrame, Context]:
    """The validation pass (the checked columns, problems in ``ctx``)."""
    ctx = Context(file=path.name)
    frames = []
    for chunk in SOURCE.chunks(path):
        frame = SOURCE.parse(chunk, ctx)
        SOURCE.check(frame, ctx)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), ctx


def read_all(path: Path) -> pd.DataFrame:
    """The write pass (every column)."""
    token = _WRITING.set(True)
    try:
        return pd.concat([SOURCE.parse(chunk, Context(file=path.name)) for chunk in SOURCE.chunks(path)],
                         ignore_index=True)
    finally:
        _WRITING.reset(token)


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


HEAD = ",".join(HEADER)
GOOD = ("abc123,2018-03,Essex Police,Essex Police,0.435433,51.637743,On or near Shire Close,E01021237,Basildon 001A,"
        "Violence and sexual offences,Under investigation,")


@needs_shared
@pytest.mark.parametrize(("path", "rows", "no_lsoa", "violence", "asb"), [
    (MARCH, 16_014, 17, 4_216, 3_878), (APRIL, 16_709, 48, 4_612, 4_194)])
def test_real_months_read_whole(path: Path, rows: int, no_lsoa: int, violence: int, asb: int) -> None:
    assert detect_kind(path, path.read_bytes()[:64]).kind == "police_uk"
    frame, ctx = read(path)
    assert ctx.problems == []
    assert len(frame) == rows
    assert (frame["lsoa_code"] == "").sum() == no_lsoa
    assert (frame["crime_type"] == "Violence and sexual offences").sum() == violence
    assert "crime_id" not in frame  # validation reads only the columns it checks
    full = read_all(path)
    assert len(full) == rows and full["_row"].equals(frame["_row"])
    # anti-social behaviour rows are exactly the rows without a Crime ID
    assert ((full["crime_type"] == "Anti-social behaviour") == (full["crime_id"] == "")).all()
    assert (full["crime_id"] == "").sum() == asb
    assert ctx.state["slices"] == Counter({(path.name[:7], "Essex Police"): rows})
    assert frame["_row"].iloc[0] == 2 and frame["_row"].iloc[-1] == rows + 1  # spreadsheet row numbers


@needs_shared
@pytest.mark.parametrize(("path", "inside", "southend", "no_location"), [
    (MARCH, 15_945, 2_072, 17), (APRIL, 16_609, 2_117, 48)])
def test_every_row_lands_in_one_bucket(path: Path, inside: int, southend: int, no_location: int) -> None:
    frame = read_all(path)
    areas = Counter(mapper().assign(frame["lsoa_code"], frame["lsoa_name"]))
    assert sum(areas.values()) == len(frame)  # nothing dropped
    assert areas["OUTSIDE"] == 52
    assert areas["NO_LOCATION"] == no_location
    assert areas["E06000033"] == southend
    assert sum(n for a, n in areas.items() if a.startswith("E0")) == inside
    assert len([a for a in areas if a.startswith("E0")]) == 14


def test_area_from_lookup_then_name_prefix_then_buckets() -> None:
    codes = pd.Series(["E01021237", "E99999999", "E01029872", "", "", "E01033456"], dtype=object)
    names = pd.Series(["Basildon 001A", "Southend-on-Sea 099Z", "Babergh 010B", "", "castle  point 004B", ""],
                      dtype=object)
    out = list(mapper().assign(codes, names))
    # lookup; unknown code but a partnership name; neighbouring authority; nothing at all; name only (any case
    # and spacing); an unknown code with no name is somewhere, just not here
    assert out == ["E07000066", "E06000033", "OUTSIDE", "NO_LOCATION", "E07000069", "OUTSIDE"]


def test_lookup_covers_both_lsoa_vintages() -> None:
    lookup = lsoa_lookup()
    assert len(lookup) == 1_049 + 28 + 62  # codes in both vintages, 2011-only, 2021-only (data/geo/README.md)
    assert lookup["E01015921"] == "E06000034"  # renamed Thurrock LSOA, same code and district in both


def test_crime_id_header_variant_and_forgiving_form(tmp_path: Path) -> None:
    header = "crime_id,MONTH,reported_by,falls-within,longitude,latitude,location,lsoa_code,lsoa_name,crime type," \
             "last_outcome_category,context"
    path = write(tmp_path / "variant.csv", "\ufeff" + header, [
        GOOD,
        ",2018-03 , Essex Police,Essex Police,,,No Location,,,  anti-social BEHAVIOUR ,,",
        ",,,,,,,,,,,",  # a blank row is skipped, not an error
        "x9,2018-03,Essex Police,Essex Police,0.1,51.5,On or near X,e01021237,Basildon 001A,Drugs,,",
    ])
    assert detect_kind(path, path.read_bytes()[:64]).kind == "police_uk"
    frame, ctx = read(path)
    assert ctx.problems == []
    assert list(frame["_row"]) == [2, 3, 5]
    assert list(frame["crime_type"]) == ["Violence and sexual offences", "Anti-social behaviour", "Drugs"]
    assert list(read_all(path)["crime_id"]) == ["abc123", "", "x9"]
    assert list(frame["month"]) == ["2018-03"] * 3
    assert list(frame["lsoa_code"]) == ["E01021237", "", "E01021237"]  # upper-cased


def test_problems_name_row_column_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", HEAD, [
        GOOD,
        GOOD.replace("2018-03", "2018-13"),
        GOOD.replace("Violence and sexual offences", ""),
        GOOD.replace("E01021237", "BASILDON"),
        GOOD.replace("0.435433", "east"),
        GOOD.replace("51.637743", "95.1"),
        GOOD.replace(",2018-03,", ",,"),
    ])
    _frame, ctx = read(path)
    found = {(p.row, p.column, p.reason) for p in ctx.problems}
    assert found == {
        (3, "month", "not a month in the form YYYY-MM"),
        (4, "crime_type", "required value is missing"),
        (5, "lsoa_code", "not an LSOA code such as E01021237"),
        (6, "longitude", "not a number"),
        (7, "latitude", "must be between -90 and 90"),
        (8, "month", "required value is missing"),
    }


def test_missing_column_is_named(tmp_path: Path) -> None:
    from etl.problems import FileRejected

    path = write(tmp_path / "short.csv", HEAD.replace(",LSOA code", ""), [])
    with pytest.raises(FileRejected) as err:
        list(SOURCE.chunks(path))
    assert err.value.problem.column == "lsoa_code"


def test_copy_text_escapes_and_nulls() -> None:
    frame = pd.DataFrame({"_row": [2, 3]})
    for col in SOURCE.schema.names:
        frame[col] = pd.Series(["", ""], dtype=object)
    frame["month"] = pd.Series(["2018-03", "2018-03"], dtype=object)
    frame["location"] = pd.Series(["On or near A\tB", "back\\slash\nnew line"], dtype=object)
    frame["longitude"] = pd.Series(["0.5", ""], dtype=object)
    frame["latitude"] = pd.Series(["51.5", ""], dtype=object)
    frame["crime_type"] = pd.Series(["Drugs", "Drugs"], dtype=object)
    text = copy_text(to_rows(frame, 7, mapper()))
    lines = text.split("\n")
    assert lines[0].split("\t")[:4] == [str(7 * 2**32 + 2), "7", "2", "2018-03"]  # id = batch_id * 2**32 + row
    assert "On or near A\\tB" in lines[0] and "0.5\t51.5" in lines[0]
    assert "back\\\\slash\\nnew line" in lines[1] and "\\N\t\\N" in lines[1]
    assert lines[0].endswith("\tNO_LOCATION") and text.endswith("\n")


def test_bucket_message() -> None:
    text = describe_buckets(Counter({"E07000066": 10, "E06000033": 5, "OUTSIDE": 2, "NO_LOCATION": 1}),
                            {("2018-03", "Essex Police"): 18})
    assert text == ("18 rows: 15 in 2 partnership areas, 2 outside the partnership area, 1 with no location; "
                    "replaced 18 rows loaded earlier for 2018-03")


def test_synthetic_month_looks_like_police_uk() -> None:
    rows = month_rows(np.random.default_rng(1), "2021-06", project_intensity(None), rows=5_000)
    assert tuple(rows) == HEADER
    n = len(rows["Month"])
    assert 4_700 < n < 5_300  # Poisson around the requested size
    asb = rows["Crime type"] == "Anti-social behaviour"
    assert ((rows["Crime ID"] == "") == asb).all()
    assert 0.2 < asb.mean() < 0.45
    assert set(rows["LSOA code"]) - {""} <= set(lsoa_lookup()) | {c for c, *_ in NEIGHBOURS}
    # 2011 LSOAs before 2022 (police.uk's switch): no 2021-only code (E01034081...) appears, and later the reverse
    lookup = pd.read_csv(LOOKUP_FILE, dtype=str)
    only_2021 = set(lookup.loc[lookup["lsoa_vintage"] == "2021", "lsoa_code"]) - set(
        lookup.loc[lookup["lsoa_vintage"] == "2011", "lsoa_code"])
    assert not only_2021 & set(rows["LSOA code"])
    later = month_rows(np.random.default_rng(1), "2022-06", project_intensity(None), rows=5_000)
    assert only_2021 & set(later["LSOA code"])
    text = csv_text(rows)
    assert text.count("\r\n") == n and text.startswith(rows["Crime ID"][0] + ",2021-06,Essex Police")
