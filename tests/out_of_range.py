"""Rows with dates far outside the window, written straight into a database (as an old version of the
loader, a hand edit or a restore could leave them), for tests proving that every view stays robust.

What goes in: observations for 9999-12 and 1900-01 (and their summaries, rebuilt), a project running
from 0001-01-01 to 9999-12-31, funding, a target and spend for the financial year 9999/00.
"""

from __future__ import annotations

from sqlalchemy import Engine, MetaData, Table, insert, select, text

# (period, financial year, quarter) of the rows written: far ahead, and far back.
FAR = (("9999-12", "9999/00", 3), ("1900-01", "1899/00", 4))


def _copies(conn, table_name: str, changes: list[dict]) -> None:  # noqa: ANN001
    """Copies of one existing row of a table with some columns changed (summaries are written as the
    loader would have written them, had it accepted such rows)."""
    meta = MetaData()
    table = Table(table_name, meta, autoload_with=conn)
    row = conn.execute(select(table).limit(1)).mappings().first()
    if row is None:
        return
    base = {k: v for k, v in row.items() if k != "id"}
    conn.execute(insert(table), [{**base, **change} for change in changes])


def insert_out_of_range(engine: Engine) -> str:
    """Insert the rows; returns the project code given the absurd dates."""
    with engine.begin() as c:
        # A batch of its own, as a load would record: the views' cache keys follow the newest batch.
        c.execute(text("INSERT INTO load_batch (file_name, sha256, kind, loaded_at, loaded_by, rows_loaded, "
                       "rows_rejected, outcome, message, project_code, first_period, last_period, sample) VALUES "
                       "('by hand', '', 'manual', CURRENT_TIMESTAMP, 'test', 0, 0, 'loaded', '', '', '', '', :f)"),
                  {"f": False})
        batch = c.execute(text("SELECT max(id) FROM load_batch")).scalar_one()
        project, area, metric, stream = c.execute(text(
            "SELECT o.project_code, o.area_code, o.metric_code, p.funding_stream FROM observation o "
            "JOIN project p ON p.project_code = o.project_code ORDER BY o.id LIMIT 1")).one()
        for period, fy, quarter in FAR:
            c.execute(text(
                "INSERT INTO observation (batch_id, source_row, period, financial_year, quarter, project_code, "
                "area_code, metric_code, age_band, sex, ethnicity, value) VALUES (:b, 2, :period, :fy, :q, :p, :a, "
                ":m, 'unknown', 'unknown', 'unknown', 5)"),
                {"b": batch, "period": period, "fy": fy, "q": quarter, "p": project, "a": area, "m": metric})
        c.execute(text("UPDATE project SET start_date = '0001-01-01', end_date = '9999-12-31' "
                       "WHERE project_code = :p"), {"p": project})
        c.execute(text("INSERT INTO funding (funding_stream, source_body, financial_year, amount_gbp, batch_id) "
                       "VALUES (:s, 'Nobody', '9999/00', 100, :b)"), {"s": stream, "b": batch})
        c.execute(text("INSERT INTO target (metric_code, financial_year, scope, scope_code, target_value, batch_id) "
                       "VALUES (:m, '9999/00', 'partnership', '', 10, :b)"), {"m": metric, "b": batch})
        c.execute(text("INSERT INTO spend (project_code, financial_year, quarter, spend_gbp, batch_id) "
                       "VALUES (:p, '9999/00', 'Q1', 50, :b)"), {"p": project, "b": batch})
        _copies(c, "observation_monthly", [{"period": p, "financial_year": fy, "quarter": q} for p, fy, q in FAR])
        _copies(c, "observation_breakdown", [{"financial_year": fy, "quarter": q} for _p, fy, q in FAR])
        _copies(c, "return_submission", [{"financial_year": fy, "quarter": q} for _p, fy, q in FAR])
        _copies(c, "crime_monthly", [{"month": p} for p, _fy, _q in FAR])
    return project
