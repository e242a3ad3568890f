"""Return status for the overview, the data quality page, the projects grid and the API.

One definition of "returns missing" (and late) everywhere: the expected returns of the projects in the
view whose quarter falls in the view's period (``returns_in_view``).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import Quarter, parse_period
from analysis.returns import return_status
from service.cache import cached
from warehouse import queries
from warehouse.filters import Filters


@cached
def returns_view(engine: Engine, f: Filters) -> pd.DataFrame:
    """analysis.returns.RETURN_COLUMNS plus project_name, for the projects within the slicers."""
    projects = queries.project_scope(engine, f)
    table = return_status(projects, queries.expected_returns(engine, f), queries.data_runs_to(engine))
    return table.merge(projects[["project_code", "project_name"]], on="project_code", how="left")


def view_quarters(f: Filters, data_to: str) -> list[str]:
    """Labels of the quarters the view's months touch ('2024/25 Q1' ...), in order."""
    if not data_to:
        return []
    first, last = f.months(data_to)
    q, end = Quarter.of(parse_period(first)), Quarter.of(parse_period(last))
    out = []
    while q <= end:
        out.append(q.label)
        q = Quarter(q.fy_start + (q.number == 4), q.number % 4 + 1)
    return out


@cached
def returns_in_view(engine: Engine, f: Filters) -> pd.DataFrame:
    """``returns_view`` rows whose quarter is in the view's period: what "missing" and "late" count."""
    table = returns_view(engine, f)
    quarters = view_quarters(f, queries.data_runs_to(engine))
    return table[table["label"].isin(quarters)].reset_index(drop=True)
