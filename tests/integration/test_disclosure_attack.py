"""The attack suite on the sample data, on SQLite and PostgreSQL, as a determined reader would run it.

Every answer the views publish (the same functions behind the pages and the API) for one people metric
and one financial year is collected: by month, quarter and year; by area, with the county and the
county filter; by project, priority and all projects together; and the breakdown by sex against its
totals. The records behind them are the warehouse's monthly rows (the test, unlike the attacker, reads
them exactly). For every hidden cell, a linear-programming bound over all those answers must leave
more than one possible value: nothing is pinned. The same bound on exactly published figures pins
cells, so the attack is a real one.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from service.breakdowns import breakdown_view
from service.observations import observation_totals
from tests.disclosure_attack import bounds, pinned
from warehouse import models as m
from warehouse.filters import Filters

FY, FIRST, LAST = "2024/25", "2024-04", "2025-03"
METRIC = "BESPOKE_PACKAGES"  # small counts: many hidden cells
COUNTY = "E10000012"
T = 9


def _records(engine: Engine) -> pd.DataFrame:
    om = m.ObservationMonthly.__table__
    prj = m.Project.__table__
    area = m.Area.__table__
    stmt = (select(om.c.period, om.c.quarter, om.c.area_code, om.c.project_code, prj.c.priority_code,
                   area.c.parent_code, om.c.value)
            .select_from(om.join(prj, prj.c.project_code == om.c.project_code)
                         .join(area, area.c.area_code == om.c.area_code))
            .where(om.c.metric_code == METRIC, om.c.period.between(FIRST, LAST)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["month", "q", "area_code", "project_code", "priority_code", "parent", "value"])
    frame["quarter"] = FY + " Q" + frame["q"].astype(str)
    frame["financial_year"] = FY
    return frame.reset_index(drop=True)


def _published(engine: Engine, records: pd.DataFrame) -> list[tuple[list[int], float | None]]:
    """Every published answer as (the records in it, its value or None when hidden)."""
    cells = []
    time_words = ("month", "quarter", "financial_year")
    slice_words = ((), ("area",), ("project",), ("priority",), ("area", "project"))
    views = [Filters(fy=FY), Filters(fy=FY, area=COUNTY)]
    for f, time, extra in itertools.product(views, time_words, slice_words):
        frame = observation_totals(engine, f, (time, *extra), METRIC).frame
        scope = records if not f.area else records[(records["parent"] == COUNTY) | (records["area_code"] == COUNTY)]
        for row in frame.to_dict("records"):
            keep = pd.Series(True, index=scope.index)
            for col in (time, *[{"area": "area_code", "project": "project_code", "priority": "priority_code"}[w]
                                for w in extra]):
                keep &= scope[col] == row[col]
            members = scope.index[keep].tolist()
            value = row["value"]
            cells.append((members, None if pd.isna(value) else float(value)))
    return cells


def test_no_hidden_count_of_people_can_be_pinned(sample_engine: Engine) -> None:
    records = _records(sample_engine)
    cells = _published(sample_engine, records)
    hidden = [tuple(members) for members, value in cells if value is None and members]
    assert len(hidden) > 20, "the attack needs hidden cells to attack"
    targets = sorted(set(hidden))
    truth = {t: float(records.loc[list(t), "value"].sum()) for t in targets}
    found = bounds(len(records), cells, T, targets)
    assert pinned(found, truth) == []


def test_the_attack_pins_cells_when_figures_are_exact(sample_engine: Engine) -> None:
    """Control: the same answers published exactly, with only the small cells hidden (the earlier
    design), let the LP recover hidden cells: month versus quarter and districts versus county."""
    import tests.disclosure_attack as attack

    records = _records(sample_engine)
    cells = []
    for members, _value in _published(sample_engine, records):
        true = float(records.loc[members, "value"].sum()) if members else 0.0
        cells.append((members, None if 1 <= true <= T else true))
    targets = sorted({tuple(mem) for mem, v in cells if v is None and mem})
    saved = attack.MAX_ADJUSTMENT
    attack.MAX_ADJUSTMENT = 0
    try:
        found = bounds(len(records), cells, T, targets)
    finally:
        attack.MAX_ADJUSTMENT = saved
    truth = {t: float(records.loc[list(t), "value"].sum()) for t in targets}
    assert len(pinned(found, truth)) > 5


@pytest.mark.parametrize(("project", "dimension"), [("PRJ003", "sex"), ("PRJ003", "age_band"), ("PRJ046", "age_band")])
def test_breakdown_categories_against_totals_pin_nothing(sample_engine: Engine, project: str, dimension: str) -> None:
    """Categories x quarters with their totals, plus the quarter totals the observations give: an LP over
    the breakdown's records (category x quarter) pins no hidden category."""
    view = breakdown_view(sample_engine, Filters(fy=FY, project=project), "IND_SUPPORTED", dimension)
    table = view.table
    cats = [c for c in table.index if c != "Total"]
    quarters = view.quarters
    index = {(c, q): i for i, (c, q) in enumerate(itertools.product(cats, quarters))}
    cells = []
    for c in [*cats, "Total"]:
        for q in [*quarters, "Total"]:
            members = [index[(cc, qq)] for cc in (cats if c == "Total" else [c])
                       for qq in (quarters if q == "Total" else [q])]
            value = table.at[c, q]
            cells.append((members, None if pd.isna(value) else float(value)))
    brk = m.ObservationBreakdown.__table__
    with sample_engine.connect() as conn:
        rows = conn.execute(select(brk.c.financial_year, brk.c.quarter, brk.c.category, brk.c.value).where(
            brk.c.project_code == project, brk.c.metric_code == "IND_SUPPORTED", brk.c.dimension == dimension,
            brk.c.financial_year == FY)).all()
    truth_cells = {}
    for fy, q, cat, value in rows:
        key = (cat, f"{fy} Q{q}")
        truth_cells[index[key]] = truth_cells.get(index[key], 0.0) + float(value)
    hidden = sorted({tuple(mem) for mem, v in cells if v is None})
    truth = {t: sum(truth_cells.get(i, 0.0) for i in t) for t in hidden}
    assert len(hidden) >= 5
    assert pinned(bounds(len(index), cells, T, hidden), truth) == []
