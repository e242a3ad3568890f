"""A file covering about a thousand projects loads and revises on SQLite and PostgreSQL.

Before issue 14 the revision step ORed one condition per project, and SQLite refused a file of
about 1,000 projects with "Expression tree is too large (maximum depth 1000)". Here 1,200 projects
(a few with their own month range, so the ranges are not all alike) each report one value; the
file is loaded, then a revised file with every value doubled is loaded over it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from etl.loader import load_file
from warehouse.models import Observation, ObservationHistory
from warehouse.project_ranges import RANGES_PER_STATEMENT, range_conditions

N = 1200
AREA = "E07000075"
REFERENCE = {
    "areas.csv": "area_code,area_name,area_type,parent_code,population\n"
                 f"E10000012,Essex,county,,1468177\n{AREA},Rochford,district,E10000012,86209\n",
    "priorities.csv": "priority_code,name,description\nP3,Reduce exploitation,Help people break away.\n",
    "metrics.csv": "metric_code,name,unit,aggregation,priority_code,source,higher_is_better,definition\n"
                   "DYW_HOURS,Hours of detached youth work,hours,sum,P3,partner,true,Hours on the street.\n",
    "organisations.csv": "org_code,org_name,org_type\nORG001,Rayleigh Young People's Service,charity\n",
    "funding.csv": "funding_stream,source_body,financial_year,amount_gbp\nHO_VRU,Home Office,2023/24,1700000\n",
}


def months_of(i: int) -> list[str]:
    """Most projects report April to June 2023; every 50th only May (a range of its own)."""
    return ["2023-05"] if i % 50 == 0 else ["2023-04", "2023-05", "2023-06"]


def write_files(folder: Path, factor: int) -> Path:
    projects = ["project_code,project_name,org_code,priority_code,funding_stream,start_date,end_date,area_codes"]
    projects += [f"P{i:04d},Project {i},ORG001,P3,HO_VRU,2022-04-01,,{AREA}" for i in range(N)]
    (folder / "projects.csv").write_text("\n".join(projects) + "\n")
    rows = ["period,project_code,area_code,metric_code,value"]
    rows += [f"{m},P{i:04d},{AREA},DYW_HOURS,{factor * (i % 7 + 1)}" for i in range(N) for m in months_of(i)]
    path = folder / f"obs-x{factor}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_revision_conditions_stay_shallow() -> None:
    """1,200 projects over 2 ranges: at most a few ORed terms per statement, never one per project."""
    ranges = {f"P{i:04d}": (months_of(i)[0], months_of(i)[-1]) for i in range(N)}
    clauses = list(range_conditions(Observation.__table__, ranges))
    assert 1 <= len(clauses) <= 3
    assert all(len(getattr(c, "clauses", [c])) <= RANGES_PER_STATEMENT for c in clauses)


def test_a_thousand_projects_load_and_revise(engine: Engine, tmp_path: Path) -> None:
    for name, content in REFERENCE.items():
        (tmp_path / name).write_text(content)
        assert load_file(engine, tmp_path / name).ok, name
    first = write_files(tmp_path, 1)
    assert load_file(engine, tmp_path / "projects.csv").ok
    v1 = load_file(engine, first)
    assert v1.outcome == "loaded", [str(p) for p in v1.problems[:3]]
    v2 = load_file(engine, write_files(tmp_path, 2))
    assert v2.outcome == "loaded", [str(p) for p in v2.problems[:3]]
    # 24 projects (every 50th) report 1 month, the other 1,176 report 3: 3,552 rows per file.
    expected_rows = 24 * 1 + 1176 * 3
    o, h = Observation.__table__, ObservationHistory.__table__
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(o)) == expected_rows
        assert conn.scalar(select(func.count()).select_from(h)) == expected_rows  # every v1 row replaced
        # values (i % 7 + 1) doubled: sum over projects of 2 * (i % 7 + 1) * months
        expected_sum = sum(2 * (i % 7 + 1) * len(months_of(i)) for i in range(N))
        assert conn.scalar(select(func.sum(o.c.value))) == expected_sum
        assert conn.scalar(select(func.count()).select_from(o).where(o.c.batch_id != v2.batch_id)) == 0
