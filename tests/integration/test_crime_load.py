"""Loading police.uk files into a real database, on SQLite and PostgreSQL.

Known answers: the two real Essex Police months (../shared/data/police-uk/README.md): 16,014 and
16,709 rows; 17 and 48 without an LSOA (the "no location" bucket); 4,216 and 4,612 violence and
sexual offences; 52 rows each in neighbouring authorities (counted with data/geo/lsoa_lookup.csv).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from etl.loader import load_file
from tests.conftest import ROOT, SAMPLE, SHARED
from warehouse import crime_queries
from warehouse.crime_models import Crime, CrimeAreaMonthly, CrimeMonthly, CrimeSlice
from warehouse.models import LoadBatch

POLICE = SHARED / "police-uk"
MARCH = POLICE / "2018-03-essex-street.csv"
APRIL = POLICE / "2018-04-essex-street.csv"
pytestmark = pytest.mark.skipif(not MARCH.exists(), reason="../shared/data/police-uk is not beside the project")
VIOLENCE = "Violence and sexual offences"


def areas_loaded(engine: Engine) -> Engine:
    assert load_file(engine, SAMPLE / "areas.csv").ok
    return engine


def buckets(engine: Engine, month: str, crime_type: str = "") -> dict[str, int]:
    frame = crime_queries.crime_counts(engine, ("area",), month, month, None, crime_type)
    return dict(zip(frame["area_code"], frame["count"], strict=True))


def table_rows(engine: Engine, model) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def consistent(engine: Engine) -> None:
    """Both summaries add up to the row table, month by month."""
    with engine.connect() as conn:
        rows = dict(conn.execute(select(Crime.month, func.count()).group_by(Crime.month)).all())
        lsoa = dict(conn.execute(select(CrimeMonthly.month, func.sum(CrimeMonthly.count))
                                 .group_by(CrimeMonthly.month)).all())
        area = dict(conn.execute(select(CrimeAreaMonthly.month, func.sum(CrimeAreaMonthly.count))
                                 .group_by(CrimeAreaMonthly.month)).all())
    assert rows == {m: int(n) for m, n in lsoa.items()} == {m: int(n) for m, n in area.items()}


def test_both_real_months_every_row_accounted(engine: Engine) -> None:
    areas_loaded(engine)
    for path, rows, no_location, violence in ((MARCH, 16_014, 17, 4_216), (APRIL, 16_709, 48, 4_612)):
        result = load_file(engine, path)
        assert result.outcome == "loaded" and result.rows == rows, result.message
        month = path.name[:7]
        counts = buckets(engine, month)
        assert sum(counts.values()) == rows  # every row is in exactly one bucket
        assert counts["NO_LOCATION"] == no_location
        assert counts["OUTSIDE"] == 52
        assert len([a for a in counts if a.startswith("E0")]) == 14
        assert sum(buckets(engine, month, VIOLENCE).values()) == violence
        with engine.connect() as conn:
            message = conn.execute(select(LoadBatch.message).where(LoadBatch.id == result.batch_id)).scalar_one()
        assert message == (f"{rows:,} rows: {rows - 52 - no_location:,} in 14 partnership areas, 52 outside the "
                           f"partnership area, {no_location} with no location")
    assert buckets(engine, "2018-03")["E06000033"] == 2_072  # Southend-on-Sea
    assert table_rows(engine, Crime) == 16_014 + 16_709
    with engine.connect() as conn:  # anti-social behaviour rows are kept, with '' (never NULL) as Crime ID
        asb = conn.execute(select(func.count()).where(Crime.crime_id == "")).scalar_one()
    assert asb == 3_878 + 4_194
    consistent(engine)


def test_loading_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    areas_loaded(engine)
    assert load_file(engine, MARCH).outcome == "loaded"
    again = load_file(engine, MARCH)
    assert again.outcome == "unchanged"  # same bytes: the SHA-256 ledger
    # the same rows with other bytes (LF line endings instead of CRLF): replaces the month with itself
    lf = tmp_path / "2018-03-lf.csv"
    lf.write_bytes(MARCH.read_bytes().replace(b"\r\n", b"\n"))
    result = load_file(engine, lf)
    assert result.outcome == "loaded" and result.rows == 16_014
    assert table_rows(engine, Crime) == 16_014  # not 32,028: the ASB rows without Crime ID are not duplicated
    assert sum(buckets(engine, "2018-03").values()) == 16_014
    with engine.connect() as conn:
        ledger = conn.execute(select(CrimeSlice.month, CrimeSlice.falls_within, CrimeSlice.batch_id,
                                     CrimeSlice.rows)).all()
    assert [tuple(r) for r in ledger] == [("2018-03", "Essex Police", result.batch_id, 16_014)]
    consistent(engine)


def test_corrected_month_replaces_only_that_month(engine: Engine, tmp_path: Path) -> None:
    areas_loaded(engine)
    load_file(engine, MARCH)
    load_file(engine, APRIL)
    lines = MARCH.read_bytes().decode("utf-8").split("\r\n")
    violent = [i for i, line in enumerate(lines) if VIOLENCE in line]
    # the correction drops 16 violence rows and recodes one more as public order
    fixed = [line for i, line in enumerate(lines) if i not in set(violent[:16])]
    fixed[fixed.index(lines[violent[16]])] = lines[violent[16]].replace(VIOLENCE, "Public order")
    corrected = tmp_path / "2018-03-essex-street-corrected.csv"
    corrected.write_bytes("\r\n".join(fixed).encode("utf-8"))
    result = load_file(engine, corrected)
    assert result.outcome == "loaded" and result.rows == 16_014 - 16
    assert sum(buckets(engine, "2018-03").values()) == 15_998
    assert sum(buckets(engine, "2018-03", VIOLENCE).values()) == 4_216 - 17
    assert sum(buckets(engine, "2018-04").values()) == 16_709  # April untouched
    assert table_rows(engine, Crime) == 15_998 + 16_709
    with engine.connect() as conn:
        message = conn.execute(select(LoadBatch.message).where(LoadBatch.id == result.batch_id)).scalar_one()
    assert message.endswith("replaced 16,014 rows loaded earlier for 2018-03")
    consistent(engine)


def test_another_force_in_the_same_month_adds_to_it(engine: Engine, tmp_path: Path) -> None:
    """A month is replaced per force: Kent's file for March 2018 sits beside Essex's (the summaries are
    then recounted in SQL over both), and reloading Kent's corrected file replaces only Kent's rows."""
    areas_loaded(engine)
    load_file(engine, MARCH)
    text = MARCH.read_bytes().decode("utf-8").replace(",Essex Police,Essex Police,", ",Kent Police,Kent Police,")
    kent = tmp_path / "2018-03-kent-street.csv"
    kent.write_bytes(text.encode("utf-8"))
    assert load_file(engine, kent).rows == 16_014
    assert sum(buckets(engine, "2018-03").values()) == 2 * 16_014
    assert buckets(engine, "2018-03")["OUTSIDE"] == 2 * 52
    lines = text.split("\r\n")
    fewer = tmp_path / "2018-03-kent-street-corrected.csv"
    fewer.write_bytes("\r\n".join(lines[:1001]).encode("utf-8"))  # the header and 1,000 rows
    result = load_file(engine, fewer, replace=True)  # 1,000 rows for 16,014: only when asked (issue 11)
    assert result.rows == 1_000
    assert sum(buckets(engine, "2018-03").values()) == 16_014 + 1_000
    with engine.connect() as conn:
        forces = dict(conn.execute(select(Crime.falls_within, func.count()).group_by(Crime.falls_within)).all())
    assert forces == {"Essex Police": 16_014, "Kent Police": 1_000}
    consistent(engine)


def test_crime_id_header_variant_loads_the_same(engine: Engine, tmp_path: Path) -> None:
    areas_loaded(engine)
    text = MARCH.read_bytes().decode("utf-8")
    header, rest = text.split("\r\n", 1)
    variant = tmp_path / "essex-march-snake-case.csv"
    variant.write_bytes((header.lower().replace(" ", "_") + "\r\n" + rest).encode("utf-8"))
    assert variant.read_bytes().startswith(b"crime_id,month,reported_by,falls_within,")
    result = load_file(engine, variant)
    assert result.kind == "police_uk" and result.rows == 16_014
    counts = buckets(engine, "2018-03")
    assert (counts["OUTSIDE"], counts["NO_LOCATION"], sum(counts.values())) == (52, 17, 16_014)


def test_refused_file_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    areas_loaded(engine)
    load_file(engine, MARCH)
    lines = MARCH.read_bytes().decode("utf-8").split("\r\n")
    lines[5] = lines[5].replace(",2018-03,", ",March 2018,")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("\r\n".join(lines).encode("utf-8"))
    result = load_file(engine, bad)
    assert result.outcome == "rejected"
    assert [(p.row, p.column, p.value) for p in result.problems] == [(6, "month", "March 2018")]
    assert table_rows(engine, Crime) == 16_014
    assert sum(buckets(engine, "2018-03").values()) == 16_014


def test_crime_loads_before_the_reference_data(engine: Engine) -> None:
    """Without the areas table the lookup alone places rows; the name fallback has no names yet."""
    result = load_file(engine, MARCH)
    counts = buckets(engine, "2018-03")
    assert result.rows == 16_014 and counts["OUTSIDE"] == 52 and counts["NO_LOCATION"] == 17


def test_synthetic_demo_months_load_through_the_reader(engine: Engine) -> None:
    from etl.synthetic_crime import load_synthetic_crime

    areas_loaded(engine)
    results = load_synthetic_crime(engine, "2021-12", "2022-04", rows=1_500, verbose=False)
    assert [r.file for r in results] == ["synthetic-essex-street-2021-22.csv", "synthetic-essex-street-2022-23.csv"]
    total = sum(r.rows for r in results)
    # 5 months of ~1,500, less in winter (the generator's summer peak is 8% above the average)
    assert 6_500 < total < 7_500
    assert crime_queries.crime_months(engine) == ["2021-12", "2022-01", "2022-02", "2022-03", "2022-04"]
    counts = crime_queries.crime_counts(engine, ("area",))
    assert set(counts["area_code"]) >= {"OUTSIDE", "NO_LOCATION", "E07000066", "E06000034"}
    assert counts["count"].sum() == total
    again = load_synthetic_crime(engine, "2021-12", "2022-04", rows=1_500, verbose=False)
    assert [r.outcome for r in again] == ["unchanged", "unchanged"]  # same seed, same bytes
    consistent(engine)


def test_cli_recognises_the_file(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-m", "etl", "load", str(MARCH)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "2018-03-essex-street.csv (police_uk): loaded 16,014 rows" in out.stdout
