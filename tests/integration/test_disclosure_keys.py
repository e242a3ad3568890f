"""Record keys behind disclosure control: fixed for the same data, secret, and the same however a cell is asked.

Known answers on a hand-made file of four rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from analysis.disclosure import KEY_MODULUS
from etl.demo import LOAD_ORDER
from etl.loader import load_file
from service.observations import observation_totals
from tests.conftest import SAMPLE
from warehouse import models as m
from warehouse.filters import Filters
from warehouse.summaries import rekey_disclosure

ROWS = """period,project_code,area_code,metric_code,value,age_band,sex,ethnicity
2025-05,PRJ003,E07000069,IND_SUPPORTED,40,14-17,female,White
2025-06,PRJ003,E07000069,IND_SUPPORTED,3,14-17,male,White
2025-06,PRJ005,E07000066,YP_ENGAGED,55,18-24,female,Black
2025-06,PRJ017,E07000066,DYW_HOURS,12.5,,,
"""


def _load(engine: Engine, folder: Path, text: str = ROWS, name: str = "obs.csv") -> None:
    for ref in LOAD_ORDER:
        if ref not in ("observations.csv", "returns.csv"):
            load_file(engine, SAMPLE / ref)
    path = folder / name
    path.write_text(text)
    assert load_file(engine, path).outcome in ("loaded", "unchanged")


def _keys(engine: Engine) -> dict[tuple, int]:
    om = m.ObservationMonthly.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(om.c.period, om.c.project_code, om.c.area_code, om.c.metric_code,
                                   om.c.cell_key)).all()
    return {tuple(r[:4]): int(r[4]) for r in rows}


def test_keys_are_fixed_by_the_data_and_the_secret(engine: Engine, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _load(engine, tmp_path)
    first = _keys(engine)
    assert len(first) == 4 and all(0 <= k < KEY_MODULUS for k in first.values())
    assert len(set(first.values())) == 4  # unrelated records get unrelated keys

    # The same content again: nothing changes. A revision of one value keeps that record's key.
    _load(engine, tmp_path)
    assert _keys(engine) == first
    revised = ROWS.replace("2025-05,PRJ003,E07000069,IND_SUPPORTED,40", "2025-05,PRJ003,E07000069,IND_SUPPORTED,41")
    _load(engine, tmp_path, revised.splitlines()[0] + "\n" + revised.splitlines()[1] + "\n", "revision.csv")
    assert _keys(engine) == first

    # A new secret, after `etl rekey`, gives new keys: the method's noise cannot be computed without it.
    monkeypatch.setenv("DISCLOSURE_KEY", "another-secret-of-at-least-thirty-two-characters")
    assert rekey_disclosure(engine) == 4
    assert all(_keys(engine)[r] != first[r] for r in first)


def test_a_cell_asked_two_ways_shows_one_value(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Known answer: PRJ003 works in Castle Point only, so its cells with and without the area slicer are
    the same records, and the quarter asked as a quarter or as its three months is the same cell."""
    monkeypatch.delenv("SUPPRESSION_THRESHOLD", raising=False)
    _load(engine, tmp_path)
    f = Filters(month_from="2025-04", month_to="2025-06", project="PRJ003")
    whole = observation_totals(engine, f, ("metric",), "IND_SUPPORTED").frame["value"].iloc[0]
    sliced = observation_totals(engine, f.with_(area="E07000069"), ("metric",), "IND_SUPPORTED").frame
    quarter = observation_totals(engine, Filters(fy="2025/26", quarter="Q1", project="PRJ003"), ("metric",),
                                 "IND_SUPPORTED").frame
    assert whole == sliced["value"].iloc[0] == quarter["value"].iloc[0]
    assert abs(whole - 43) <= 5 and whole > 9  # 40 + 3 people, published with its fixed adjustment
    months = observation_totals(engine, f, ("month",), "IND_SUPPORTED").frame.set_index("month")["value"]
    assert abs(months["2025-05"] - 40) <= 5 and months.isna()["2025-06"]  # 3 people: hidden
