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
