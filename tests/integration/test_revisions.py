"""Loading correctly: forgiving forms, one transaction per file, no-op reloads, revisions, summaries.

Runs on SQLite and PostgreSQL (the ``engine`` fixture: a fresh database per test). The reference data
are a few lines written here: PRJ001 runs from 2022-04 in Rochford and Basildon; PRJ002 from 2023-01
to 2024-12 in Basildon.

After every load the summary tables the pages read (``observation_monthly`` and the quarterly
``observation_breakdown``) must equal a direct GROUP BY over ``observation``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

import etl.sources.observations as observations_source
from etl.loader import load_file
from etl.status import status
from warehouse.models import LoadBatch, Observation, ObservationBreakdown, ObservationHistory, ObservationMonthly

ROCHFORD, BASILDON = "E07000075", "E07000066"
REFERENCE = {
    "areas.csv": "area_code,area_name,area_type,parent_code,population\n"
                 "E10000012,Essex,county,,1468177\n"
                 f"{ROCHFORD},Rochford,district,E10000012,86209\n"
                 f"{BASILDON},Basildon,district,E10000012,184479\n",
    "priorities.csv": "priority_code,name,description\nP3,Reduce exploitation,Help people break away.\n",
    "metrics.csv": "metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition\n"
                   "IND_SUPPORTED,Individuals supported,people,sum,P3,partner,true,New people supported.\n"
                   "DYW_HOURS,Hours of detached youth work,hours,sum,P3,partner,true,Hours on the street.\n",
    "organisations.csv": "org_code,org_name,org_type\nORG001,Rayleigh Young People's Service,charity\n",
    "funding.csv": "funding_stream,source_body,financial_year,amount_gbp\nHO_VRU,Home Office,2023/24,1700000\n",
    "projects.csv": "project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes\n"
                    f"PRJ001,Youth Outreach,ORG001,P3,HO_VRU,2022-04-01,,{ROCHFORD};{BASILDON}\n"
                    f"PRJ002,Short Pilot,ORG001,P3,HO_VRU,2023-01-01,2024-12-31,{BASILDON}\n",
}
HEADER = "period,project_code,area_code,metric_code,value,age_band,sex,ethnicity"


@pytest.fixture
def db(engine: Engine, tmp_path: Path) -> Engine:
    for name, content in REFERENCE.items():
        path = tmp_path / name
        path.write_text(content)
        assert load_file(engine, path).ok, name
    return engine


def obs_file(folder: Path, name: str, project: str, months: list[str], bump: int = 0) -> Path:
    """Per month and area: people split by age/sex/ethnicity, and hours as a total (no splits)."""
    areas = [ROCHFORD, BASILDON] if project == "PRJ001" else [BASILDON]
    lines = [HEADER]
    for i, month in enumerate(months):
        for j, area in enumerate(areas):
            lines += [
                f"{month},{project},{area},IND_SUPPORTED,{i + j + 2 + bump},14-17,female,White",
                f"{month},{project},{area},IND_SUPPORTED,{i + 1 + bump},18-24,male,Black",
                f"{month},{project},{area},DYW_HOURS,{10.5 + i + j + bump},,,",
            ]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def file_values(path: Path) -> dict[tuple, float]:
    """Key -> value as written in an observations file (blank splits stored as 'unknown')."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {(r["project_code"], r["area_code"], r["metric_code"], r["period"], r["age_band"] or "unknown",
             r["sex"] or "unknown", r["ethnicity"] or "unknown"): float(r["value"]) for r in rows}


def observation_rows(engine: Engine) -> dict[tuple, tuple[float, int]]:
    o = Observation.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(o.c.project_code, o.c.area_code, o.c.metric_code, o.c.period, o.c.age_band,
                                   o.c.sex, o.c.ethnicity, o.c.value, o.c.batch_id)).all()
    return {tuple(r[:7]): (r[7], r[8]) for r in rows}


def assert_summaries_match(engine: Engine) -> None:
    """Both summary tables equal a GROUP BY over the observations, row for row."""
    o, mon, brk = Observation.__table__, ObservationMonthly.__table__, ObservationBreakdown.__table__
    with engine.connect() as conn:
        direct = conn.execute(
            select(o.c.period, o.c.project_code, o.c.area_code, o.c.metric_code, func.min(o.c.financial_year),
                   func.min(o.c.quarter), func.sum(o.c.value), func.count())
            .group_by(o.c.period, o.c.project_code, o.c.area_code, o.c.metric_code)).all()
        summary = conn.execute(select(mon.c.period, mon.c.project_code, mon.c.area_code, mon.c.metric_code,
                                      mon.c.financial_year, mon.c.quarter, mon.c.value, mon.c.row_count)).all()
        assert_same({tuple(r[:6]): (r[6], r[7]) for r in direct}, {tuple(r[:6]): (r[6], r[7]) for r in summary})
        for dim in ("age_band", "sex", "ethnicity"):
            direct = conn.execute(
                select(o.c.financial_year, o.c.quarter, o.c.project_code, o.c.area_code, o.c.metric_code, o.c[dim],
                       func.sum(o.c.value))
                .group_by(o.c.financial_year, o.c.quarter, o.c.project_code, o.c.area_code, o.c.metric_code,
                          o.c[dim])).all()
            summary = conn.execute(
                select(brk.c.financial_year, brk.c.quarter, brk.c.project_code, brk.c.area_code, brk.c.metric_code,
                       brk.c.category, brk.c.value).where(brk.c.dimension == dim)).all()
            assert_same({tuple(r[:6]): (r[6],) for r in direct}, {tuple(r[:6]): (r[6],) for r in summary})


def assert_same(direct: dict, summary: dict) -> None:
    assert set(summary) == set(direct)
    for key, values in direct.items():
        assert summary[key] == pytest.approx(values, rel=1e-9), key


def counts(engine: Engine) -> dict[str, int]:
    return status(engine)["row_counts"]


# --- forgiving about form --------------------------------------------------------------------------
def test_forgiving_forms_load_exactly(db: Engine, tmp_path: Path) -> None:
    """BOM, CRLF, stray spaces, lower-case codes, headers in other case and spacing, "1,234", and blank
    rows in the middle and at the end: all accepted, each value stored in its canonical form."""
    content = (
        "\ufeff Period , Project Code,AREA-CODE,metric_code,Value,Age Band,SEX,ethnicity\r\n"
        f" 2023-04 , prj001 ,{ROCHFORD.lower()}, ind_supported ,\"1,234\",14-17, Female ,white\r\n"
        "\r\n"
        f"2023-04,PRJ001,{ROCHFORD},Dyw_Hours,\"  2,500.5 \",,,\r\n"
        ",,,,,,,\r\n\r\n   \r\n"
    )
    path = tmp_path / "forgiving.csv"
    path.write_bytes(content.encode("utf-8"))
    result = load_file(db, path)
    assert result.outcome == "loaded" and result.rows == 2, [str(p) for p in result.problems]
    assert observation_rows(db) == {
        ("PRJ001", ROCHFORD, "IND_SUPPORTED", "2023-04", "14-17", "female", "White"): (1234.0, result.batch_id),
        ("PRJ001", ROCHFORD, "DYW_HOURS", "2023-04", "unknown", "unknown", "unknown"): (2500.5, result.batch_id),
    }
    o = Observation.__table__
    with db.connect() as conn:
        derived = conn.execute(select(o.c.source_row, o.c.financial_year, o.c.quarter).order_by(o.c.source_row)).all()
    assert [tuple(r) for r in derived] == [(2, "2023/24", 1), (4, "2023/24", 1)]  # spreadsheet rows kept
    assert_summaries_match(db)


# --- one transaction, no-op reloads ------------------------------------------------------------------
def test_identical_content_again_is_a_no_op_that_says_so(db: Engine, tmp_path: Path) -> None:
    first = load_file(db, obs_file(tmp_path, "q1.csv", "PRJ001", ["2023-04", "2023-05", "2023-06"]))
    assert (first.outcome, first.rows) == ("loaded", 18)
    before = status(db)
    copy = tmp_path / "q1-copy.csv"  # another name, same bytes: content decides
    copy.write_bytes((tmp_path / "q1.csv").read_bytes())
    for path in (tmp_path / "q1.csv", copy):
        again = load_file(db, path)
        assert (again.outcome, again.ok, again.rows, again.batch_id) == ("unchanged", True, 0, first.batch_id)
        assert f"identical content was already loaded as batch {first.batch_id}" in again.message
        assert "nothing changed" in again.message
    assert status(db) == before  # no count changed, no batch added


def test_a_file_is_one_transaction(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure late in the write (after earlier rows were moved to history and new rows inserted)
    rolls everything back: the revision never happened."""
    load_file(db, obs_file(tmp_path, "q1.csv", "PRJ001", ["2023-04", "2023-05", "2023-06"]))
    before, rows_before = status(db), observation_rows(db)

    def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(observations_source, "refresh_observation_summaries_for", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        load_file(db, obs_file(tmp_path, "q1-revised.csv", "PRJ001", ["2023-05", "2023-06"], bump=5))
    assert status(db) == before
    assert observation_rows(db) == rows_before
    with db.connect() as conn:
        revised = select(func.count()).select_from(LoadBatch).where(LoadBatch.file_name == "q1-revised.csv")
        assert conn.scalar(revised) == 0
    assert_summaries_match(db)


# --- revisions ------------------------------------------------------------------------------------
def test_revision_replaces_its_months_and_keeps_the_replaced_rows(db: Engine, tmp_path: Path) -> None:
    v1 = load_file(db, obs_file(tmp_path, "v1.csv", "PRJ001", ["2023-04", "2023-05", "2023-06"]))
    old = observation_rows(db)
    v2 = load_file(db, obs_file(tmp_path, "v2.csv", "PRJ001", ["2023-05", "2023-06"], bump=5))
    assert (v1.rows, v2.rows) == (18, 12)
    now = observation_rows(db)
    assert len(now) == 18  # April from v1, May and June from v2
    assert {k: v for k, v in now.items() if k[3] == "2023-04"} == {k: v for k, v in old.items() if k[3] == "2023-04"}
    assert {k: v for k, v in now.items() if k[3] != "2023-04"} == {
        k: (value, v2.batch_id) for k, value in file_values(tmp_path / "v2.csv").items()
    }
    h = ObservationHistory.__table__
    with db.connect() as conn:
        history = conn.execute(select(h.c.project_code, h.c.area_code, h.c.metric_code, h.c.period, h.c.age_band,
                                      h.c.sex, h.c.ethnicity, h.c.value, h.c.batch_id, h.c.replaced_by_batch_id)).all()
        batch = conn.execute(select(LoadBatch.project_code, LoadBatch.first_period, LoadBatch.last_period)
                             .where(LoadBatch.id == v2.batch_id)).one()
    assert {tuple(r[:7]): tuple(r[7:]) for r in history} == {
        key: (value, v1.batch_id, v2.batch_id) for key, (value, _b) in old.items() if key[3] != "2023-04"
    }
    assert tuple(batch) == ("PRJ001", "2023-05", "2023-06")
    assert counts(db)["observation_history"] == 12
    assert_summaries_match(db)  # the 2023/24 Q1 breakdown mixes April (v1) with May-June (v2)


def test_revision_of_one_project_leaves_the_others(db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "both.csv"
    a = obs_file(tmp_path, "a.csv", "PRJ001", ["2023-04", "2023-05"])
    b = obs_file(tmp_path, "b.csv", "PRJ002", ["2023-04", "2023-05"])
    path.write_text(a.read_text() + "".join(b.read_text().splitlines(keepends=True)[1:]))
    both = load_file(db, path)
    assert (both.outcome, both.rows) == ("loaded", 12 + 6)
    kept = {k: v for k, v in observation_rows(db).items() if k[0] == "PRJ002"}
    revised = load_file(db, obs_file(tmp_path, "a2.csv", "PRJ001", ["2023-04", "2023-05"], bump=1))
    assert revised.rows == 12
    now = observation_rows(db)
    assert {k: v for k, v in now.items() if k[0] == "PRJ002"} == kept
    assert {b for k, (_v, b) in now.items() if k[0] == "PRJ001"} == {revised.batch_id}
    assert counts(db)["observation_history"] == 12
    assert_summaries_match(db)


def test_summaries_follow_a_sequence_of_loads_and_revisions(db: Engine, tmp_path: Path) -> None:
    steps = [
        ("s1.csv", "PRJ001", ["2023-01", "2023-02", "2023-03", "2023-04"], 0),  # across a year boundary
        ("s2.csv", "PRJ002", ["2023-02", "2023-03"], 0),
        ("s3.csv", "PRJ001", ["2023-03"], 3),  # one month in the middle of Q4: the rest of Q4 stays
        ("s4.csv", "PRJ001", ["2023-04", "2023-05", "2023-06", "2023-07"], 1),  # overlaps, then goes beyond
        ("s5.csv", "PRJ002", ["2023-03"], 2),
    ]
    for name, project, months, bump in steps:
        assert load_file(db, obs_file(tmp_path, name, project, months, bump)).outcome == "loaded"
        assert_summaries_match(db)
    rows = observation_rows(db)
    assert len(rows) == 6 * 7 + 3 * 2  # PRJ001: 2023-01..2023-07; PRJ002: 2023-02..2023-03
    current = counts(db)
    assert current["observation_history"] == 6 * 1 + 6 * 1 + 3 * 1  # March (s3), April (s4), PRJ002 March (s5)
    assert current["observations"] == len(rows)
