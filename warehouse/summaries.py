"""Summary tables kept fresh at load time, so pages never scan the split-level observation rows.

Called inside the loader's transaction for the projects and months a file touched; a refresh
deletes the affected summary rows and rebuilds them with one GROUP BY each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from analysis.disclosure import KEY_MODULUS, record_key
from analysis.fiscal import Quarter, months_between, parse_period
from warehouse.models import Area, DisclosureKey, Metric, Observation, ObservationBreakdown, ObservationMonthly

SPLIT_DIMENSIONS = ("age_band", "sex", "ethnicity")


PROJECTS_PER_STATEMENT = 2000  # keeps bound parameters well under SQLite's limit (32,766)
ANALYZE_AFTER_ROWS = 100_000


def refresh_observation_summaries(conn: Connection, project: str, first: str, last: str) -> None:
    """Rebuild monthly and breakdown summaries for one project between two months (inclusive)."""
    refresh_observation_summaries_for(conn, {project: (first, last)})


def refresh_observation_summaries_for(
    conn: Connection, ranges: Mapping[str, Sequence[str]], rows_added: int = 0
) -> None:
    """Rebuild the summaries for many projects, each between its own two months (inclusive).

    A file may touch hundreds of projects, so they are refreshed a group at a time rather than one
    by one (which scanned the summary tables once per project). Within a group the month range is
    the group's widest: rebuilding a summary row that did not change is harmless, since every
    summary row is recomputed from the observation rows, and ``project_code IN (...)`` lets both
    databases read the observations in index order.
    """
    items = sorted((p, r[0], r[1]) for p, r in ranges.items())
    if conn.dialect.name == "postgresql":
        # Room to hash-aggregate a large file in memory rather than sort it on disk (this transaction only).
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        if rows_added >= ANALYZE_AFTER_ROWS:  # fresh statistics, or the planner sizes the GROUP BYs for an empty table
            conn.exec_driver_sql("ANALYZE observation")
    for i in range(0, len(items), PROJECTS_PER_STATEMENT):
        group = items[i : i + PROJECTS_PER_STATEMENT]
        _refresh_group(conn, [p for p, _f, _l in group], min(f for _p, f, _l in group), max(t for _p, _f, t in group))


def rebuild_all_observation_summaries(conn: Connection) -> None:
    """Rebuild every summary row (used when the summaries' shape changes, e.g. by a migration)."""
    o = Observation.__table__
    ranges = {p: (lo, hi) for p, lo, hi in conn.execute(
        select(o.c.project_code, func.min(o.c.period), func.max(o.c.period)).group_by(o.c.project_code))}
    if ranges:
        refresh_observation_summaries_for(conn, ranges)


def rekey_disclosure(engine: Engine) -> int:
    """Forget the stored code keys and rebuild every summary row with keys from the current secret."""
    with engine.begin() as conn:
        conn.execute(delete(_KEYS))
        rebuild_all_observation_summaries(conn)
        return int(conn.execute(select(func.count()).select_from(ObservationMonthly.__table__)).scalar() or 0)


# Keys are mixed in SQL with integer arithmetic that stays inside 64 bits on both databases: every
# code key is below this prime, so each product of two is below 2**62.
_PRIME = 2_147_483_647
_KEYS = DisclosureKey.__table__


def ensure_code_keys(conn: Connection, wanted: Mapping[str, set[str]]) -> None:
    """Store the secret-keyed number of every (kind, code) not yet in ``disclosure_key``."""
    from settings import load_settings

    secret = load_settings().disclosure_key.encode()
    missing = []
    for kind, codes in wanted.items():
        have = set(conn.scalars(select(_KEYS.c.code).where(_KEYS.c.kind == kind)))
        missing += [{"kind": kind, "code": code, "key": _code_key_value(secret, kind, code)}
                    for code in sorted(codes - have)]
    if missing:
        conn.execute(insert(_KEYS), missing)


def _code_key_value(secret: bytes, kind: str, code: str) -> int:
    """The number ``disclosure_key`` holds for a code (one rule for storing and for predicting it)."""
    return 1 + record_key(secret, kind, code) * 2039 % (_PRIME - 1)


def _mix_values(*keys: int) -> int:
    """:func:`_mix` in Python, the same arithmetic, for rows not loaded yet."""
    acc = keys[0]
    for key in keys[1:]:
        acc = (acc * key) % _PRIME
    return (acc + sum(keys)) % KEY_MODULUS


def monthly_cell_keys(conn: Connection, groups: pd.DataFrame) -> list[int]:
    """The ``cell_key`` the monthly summary gives each (period, project_code, area_code, metric_code) row of
    ``groups``, loaded or not: a preview adds the keys of the rows a file would write and takes away those
    it would replace, so the counts it publishes carry exactly the adjustment the loaded ones will."""
    from settings import load_settings

    if groups.empty:
        return []
    secret = load_settings().disclosure_key.encode()
    kinds = {"period": "period", "project": "project_code", "area": "area_code", "metric": "metric_code"}
    stored = {(k, c): v for k, c, v in conn.execute(
        select(_KEYS.c.kind, _KEYS.c.code, _KEYS.c.key).where(_KEYS.c.kind.in_(list(kinds))))}

    def key(kind: str, code: str) -> int:
        return stored.get((kind, code)) or _code_key_value(secret, kind, code)

    return [_mix_values(*(key(kind, str(row[col])) for kind, col in kinds.items()))
            for row in groups.to_dict("records")]


def _code_key(kind: str, column: ColumnElement) -> ColumnElement:
    """The stored key of ``column``'s code, as a scalar subquery."""
    return (select(_KEYS.c.key).where(_KEYS.c.kind == kind, _KEYS.c.code == column)
            .scalar_subquery())


def _mix(*keys: ColumnElement) -> ColumnElement:
    """One record key in [0, KEY_MODULUS) from its codes' keys: a product modulo a prime (so that
    records sharing some codes get unrelated keys), plus the sum, reduced to the key range."""
    acc = keys[0]
    for key in keys[1:]:
        acc = (acc * key) % _PRIME
    return (acc + sum(keys[1:], keys[0])) % KEY_MODULUS


def _wanted_codes(conn: Connection, projects: list[str], first: str, last: str) -> dict[str, set[str]]:
    lo, hi = Quarter.of(parse_period(first)), Quarter.of(parse_period(last))
    months = months_between(lo.first_month, hi.last_month)
    return {
        "period": set(months),
        "fy": {Quarter.of(parse_period(mo)).fy for mo in months},
        "quarter": {"1", "2", "3", "4"},
        "project": set(projects),
        "area": set(conn.scalars(select(Area.area_code))),
        "metric": set(conn.scalars(select(Metric.metric_code))),
    }


def _refresh_group(conn: Connection, projects: list[str], first: str, last: str) -> None:
    o = Observation.__table__
    mon = ObservationMonthly.__table__
    ensure_code_keys(conn, _wanted_codes(conn, projects, first, last))
    conn.execute(delete(mon).where(mon.c.project_code.in_(projects), mon.c.period.between(first, last)))
    grouped = (
        select(
            o.c.period, o.c.project_code, o.c.area_code, o.c.metric_code,
            func.min(o.c.financial_year).label("financial_year"), func.min(o.c.quarter).label("quarter"),
            func.sum(o.c.value).label("value"), func.count().label("row_count"),
        )
        .where(o.c.project_code.in_(projects), o.c.period.between(first, last))
        .group_by(o.c.period, o.c.project_code, o.c.area_code, o.c.metric_code)
        .subquery("grouped")
    )
    g = grouped.c
    key = _mix(_code_key("period", g.period), _code_key("project", g.project_code),
               _code_key("area", g.area_code), _code_key("metric", g.metric_code))
    monthly = select(g.period, g.project_code, g.area_code, g.metric_code, g.financial_year, g.quarter, g.value,
                     g.row_count, key)
    conn.execute(
        insert(mon).from_select(
            ["period", "project_code", "area_code", "metric_code", "financial_year", "quarter", "value", "row_count",
             "cell_key"],
            monthly,
        )
    )

    # Breakdowns are quarterly, so widen the range to whole quarters.
    lo, hi = Quarter.of(parse_period(first)), Quarter.of(parse_period(last))
    brk = ObservationBreakdown.__table__
    conn.execute(
        delete(brk).where(
            brk.c.project_code.in_(projects),
            (brk.c.financial_year > lo.fy) | and_(brk.c.financial_year == lo.fy, brk.c.quarter >= lo.number),
            (brk.c.financial_year < hi.fy) | and_(brk.c.financial_year == hi.fy, brk.c.quarter <= hi.number),
        )
    )
    in_range = and_(o.c.project_code.in_(projects), o.c.period.between(lo.first_month, hi.last_month))
    breakdown, cells = _breakdown_rows(conn, in_range)
    ensure_code_keys(conn, {"category": {f"{dim}:{cat}" for dim, cat in cells}})
    r = breakdown.subquery("rows").c
    key = _mix(_code_key("fy", r.financial_year), _code_key("quarter", cast(r.quarter, String)),
               _code_key("project", r.project_code), _code_key("area", r.area_code),
               _code_key("metric", r.metric_code),
               _code_key("category", r.dimension + literal(":") + r.category))
    conn.execute(
        insert(brk).from_select(
            ["financial_year", "quarter", "project_code", "area_code", "metric_code", "dimension", "category", "value",
             "cell_key"],
            select(r.financial_year, r.quarter, r.project_code, r.area_code, r.metric_code, r.dimension,
                   r.category, r.value, key),
        )
    )


def _breakdown_rows(conn: Connection, in_range: ColumnElement[bool]) -> tuple[Select, list[tuple[str, str]]]:
    """Quarter x category sums for the three split dimensions, from one pass over the observations.

    Equivalent to one ``GROUP BY financial_year, quarter, project, area, metric, <dimension>`` per
    dimension, but those need three sorts of every row; here the rows are summed per month (in the
    observation key's index order, so without sorting) into one column per category present, the
    months are summed into quarters, and the columns are turned back into rows. A category with no
    rows in a quarter gives NULL there and no summary row, as in the plain GROUP BY.
    """
    o = Observation.__table__
    present = conn.execute(select(*[o.c[dim] for dim in SPLIT_DIMENSIONS]).where(in_range).distinct()).all()
    cells = [(dim, category) for i, dim in enumerate(SPLIT_DIMENSIONS) for category in sorted({r[i] for r in present})]
    if not cells:
        empty = ["financial_year", "quarter", "project_code", "area_code", "metric_code", "dimension", "category",
                 "value"]
        return select(*[literal(None).label(n) for n in empty]).where(literal(False)), cells
    keys = (o.c.project_code, o.c.area_code, o.c.metric_code)
    monthly = (
        select(
            *keys, o.c.period, func.min(o.c.financial_year).label("financial_year"),
            func.min(o.c.quarter).label("quarter"),
            *[func.sum(case((o.c[dim] == cat, o.c.value))).label(f"c{i}") for i, (dim, cat) in enumerate(cells)],
        )
        .where(in_range)
        .group_by(*keys, o.c.period)
        .subquery("by_month")
    )
    m = monthly.c
    quarterly = (
        select(
            m.financial_year, m.quarter, m.project_code, m.area_code, m.metric_code,
            *[func.sum(m[f"c{i}"]).label(f"c{i}") for i in range(len(cells))],
        )
        .group_by(m.financial_year, m.quarter, m.project_code, m.area_code, m.metric_code)
        .cte("by_quarter")
    )
    q = quarterly.c
    return union_all(*[
        select(
            q.financial_year, q.quarter, q.project_code, q.area_code, q.metric_code,
            literal(dim).label("dimension"), literal(cat).label("category"), q[f"c{i}"].label("value"),
        ).where(q[f"c{i}"].is_not(None))
        for i, (dim, cat) in enumerate(cells)
    ]), cells
