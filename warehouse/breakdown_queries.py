"""Read queries over the ``observation_breakdown`` summary: people counts by age band, sex or ethnicity.

Counts come back exact, with their disclosure cell keys: only ``service.gate`` may publish them.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select

from analysis.fiscal import Quarter
from warehouse import models as m
from warehouse.filters import Filters
from warehouse.queries import _frame, scope_conditions

BRK = m.ObservationBreakdown.__table__
DIMENSIONS = ("age_band", "sex", "ethnicity")


def breakdown_totals(engine: Engine, f: Filters, metric_code: str, dimension: str,
                     quarters: list[Quarter]) -> pd.DataFrame:
    """Sum of one metric per quarter and category of one split dimension, within the slicers.

    Columns: financial_year, quarter (1-4), category, value, value_key. Only the quarters asked for; a
    category with nothing in a quarter has no row.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    if not quarters:
        return pd.DataFrame(columns=["financial_year", "quarter", "category", "value", "value_key"])
    when = or_(*[and_(BRK.c.financial_year == q.fy, BRK.c.quarter == q.number) for q in quarters])
    stmt = (
        select(BRK.c.financial_year, BRK.c.quarter, BRK.c.category, func.sum(BRK.c.value), func.sum(BRK.c.cell_key))
        .where(BRK.c.metric_code == metric_code, BRK.c.dimension == dimension, when,
               *scope_conditions(engine, f, BRK))
        .group_by(BRK.c.financial_year, BRK.c.quarter, BRK.c.category)
        .order_by(BRK.c.financial_year, BRK.c.quarter, BRK.c.category)
    )
    return _frame(engine, stmt, ["financial_year", "quarter", "category", "value", "value_key"])
