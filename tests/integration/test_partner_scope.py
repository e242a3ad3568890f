"""Partner scope lives in the query: the SQL carries the organisation, and cache keys differ by it."""

from __future__ import annotations

from sqlalchemy import event

from service.kpis import kpi_view
from service.projects import projects_table
from service.returns import returns_view
from warehouse import queries
from warehouse.filters import Filters, org_scope


def test_scope_cannot_come_from_input_and_cannot_be_dropped_inside_a_partner_request() -> None:
    assert Filters.from_query({"org": "ORG002"}).org == ""  # never from a URL or callback
    assert "org" not in Filters(org="ORG002").to_query()
    with org_scope("ORG001"):
        assert Filters().org == "ORG001"
        assert Filters(org="ORG002").org == "ORG001"  # a caller cannot widen or switch it
        assert Filters.from_query({"project": "PRJ001"}).org == "ORG001"
        assert Filters().with_(fy="2024/25").org == "ORG001"
    assert Filters().org == ""
    assert repr(Filters(org="ORG001")) != repr(Filters(org="ORG002"))  # so cache keys differ


def test_the_sql_run_carries_the_scope(sample_engine) -> None:
    seen: list[str] = []

    def capture(_conn, _cursor, statement, params, _context, _many) -> None:  # noqa: ANN001
        seen.append(statement + " " + repr(params))

    event.listen(sample_engine, "before_cursor_execute", capture)
    try:
        with org_scope("ORG001"):
            returns_view.uncached(sample_engine, Filters())
    finally:
        event.remove(sample_engine, "before_cursor_execute", capture)
    scoped = [s for s in seen if "org_code" in s and "ORG001" in s]
    assert scoped, "no statement filtered on the organisation"


def test_a_partner_sees_only_their_projects(sample_engine) -> None:
    projects = queries.projects(sample_engine)
    mine = set(projects.loc[projects["org_code"] == "ORG001", "project_code"])
    theirs = set(projects["project_code"]) - mine
    assert mine and theirs
    with org_scope("ORG001"):
        table = projects_table(sample_engine, Filters())
        returns = returns_view(sample_engine, Filters())
        kpis = kpi_view(sample_engine, Filters())
    codes = set(table["project_code"]) if hasattr(table, "columns") else set()
    assert codes and codes <= mine
    assert set(returns["project_code"]) <= mine
    everyone = kpi_view(sample_engine, Filters())
    assert not kpis.table.equals(everyone.table)  # the partner's totals are their own, not the partnership's


def test_a_partner_sees_only_their_own_returns_loads_and_rejected_rows(sample_engine) -> None:
    from sqlalchemy import delete, insert

    from warehouse import models as m
    from warehouse.audit import utc_now
    from warehouse.quality_queries import recent_batches, recent_rejections

    projects = queries.projects(sample_engine)
    mine = projects.loc[projects["org_code"] == "ORG001", "project_code"].iloc[0]
    theirs = projects.loc[projects["org_code"] != "ORG001", "project_code"].iloc[0]
    ids = []
    with sample_engine.begin() as conn:
        for code in (mine, theirs):
            bid = conn.execute(insert(m.LoadBatch).values(
                file_name=f"return-{code}.xlsx", sha256="0" * 64, kind="partner_return", loaded_at=utc_now(),
                loaded_by="test", rows_loaded=0, rows_rejected=1, outcome="rejected", message="bad",
                project_code=code)).inserted_primary_key[0]
            conn.execute(insert(m.RejectedRow).values(batch_id=bid, row_number=3, column_name="value",
                                                      value="x", reason="not a number"))
            ids.append(bid)
    try:
        with org_scope("ORG001"):
            batches = recent_batches(sample_engine, 500)
            rejected = recent_rejections(sample_engine, 50)
        assert set(batches["file_name"]) == {f"return-{mine}.xlsx"}
        assert set(rejected["file_name"]) == {f"return-{mine}.xlsx"}
        everyone = recent_batches(sample_engine, 500)
        assert {f"return-{mine}.xlsx", f"return-{theirs}.xlsx"} <= set(everyone["file_name"])
    finally:
        with sample_engine.begin() as conn:
            conn.execute(delete(m.RejectedRow).where(m.RejectedRow.batch_id.in_(ids)))
            conn.execute(delete(m.LoadBatch).where(m.LoadBatch.id.in_(ids)))
