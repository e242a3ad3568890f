"""Read queries for the public health outcome indicators (``health_indicator``, Fingertips rows).

Like every warehouse query: aggregate or select named columns in SQL, return a small tidy DataFrame,
work the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, inspect, select

from warehouse.outcome_models import HealthIndicator
from warehouse.queries import _frame

H = HealthIndicator.__table__
INDICATOR_COLUMNS = ["indicator_id", "indicator_name", "area_code", "area_name", "area_type", "role", "sex", "age",
                     "time_period", "period_start", "value", "lower_ci95", "upper_ci95", "count", "denominator",
                     "value_note", "batch_id"]


def has_indicators(engine: Engine) -> bool:
    return "health_indicator" in inspect(engine).get_table_names()


def indicator_rows(engine: Engine, indicator_id: int, roles: tuple[str, ...] = ("partnership", "comparator")
                   ) -> pd.DataFrame:
    """An indicator's rows for persons of all ages (the headline split), ordered by area and period.

    Columns: INDICATOR_COLUMNS. Suppressed values are NaN (never 0) with their value note.
    """
    if not has_indicators(engine):
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    stmt = (select(*[H.c[c] for c in INDICATOR_COLUMNS])
            .where(H.c.indicator_id == int(indicator_id), H.c.role.in_(roles), H.c.category_type == "")
            .order_by(H.c.area_code, H.c.sex, H.c.age, H.c.period_start))
    return _frame(engine, stmt, INDICATOR_COLUMNS)


def rows_by_role(engine: Engine) -> pd.DataFrame:
    """Every loaded row counted by batch and role, so a file's rows can be accounted for.

    Columns: batch_id, indicator_id, role, rows, suppressed (rows without a value).
    """
    cols = ["batch_id", "indicator_id", "role", "rows", "suppressed"]
    if not has_indicators(engine):
        return pd.DataFrame(columns=cols)
    stmt = (select(H.c.batch_id, H.c.indicator_id, H.c.role, func.count(),
                   func.sum(func.coalesce(H.c.value * 0, 1)))
            .group_by(H.c.batch_id, H.c.indicator_id, H.c.role).order_by(H.c.batch_id, H.c.role))
    return _frame(engine, stmt, cols)
