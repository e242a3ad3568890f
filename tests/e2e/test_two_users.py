"""Two people at once: one user's filters never appear in another's view.

Two browser contexts (separate cookies and storage, as two people on two machines) use the same
server, whose caches are shared by everyone. User A narrows the overview to Basildon and 2023/24
Q2; user B, opening the overview meanwhile, sees the default view (all areas, the latest year);
then B chooses a priority and A's view does not gain it. The shared cache is keyed on the whole
view, so neither can be served the other's figures or filters.
"""

from __future__ import annotations

from tests.e2e.conftest import new_page, wait_for_dash


def facts(pg) -> str:  # noqa: ANN001
    return pg.locator(".overview-facts").inner_text()


def test_one_users_filters_never_reach_another(browser, live_server: str) -> None:  # noqa: ANN001
    a, context_a, errors_a = new_page(browser, live_server)
    b, context_b, errors_b = new_page(browser, live_server)
    try:
        a.goto("/")
        wait_for_dash(a)
        a.get_by_label("Area").select_option("E07000066")
        a.get_by_label("Financial year").select_option("2023/24")
        a.get_by_label("Quarter").select_option("Q2")
        wait_for_dash(a)
        assert "area=E07000066" in a.url
        assert "Basildon" in facts(a) and "2023-07 to 2023-09" in facts(a)

        b.goto("/")
        wait_for_dash(b)
        assert "area=" not in b.url and "quarter=" not in b.url
        assert b.get_by_label("Area").input_value() == "all"
        assert b.get_by_label("Quarter").input_value() == "all"
        assert "Basildon" not in facts(b) and "2023-07 to 2023-09" not in facts(b)

        b.get_by_label("Priority").select_option("P1")
        wait_for_dash(b)
        assert "priority=P1" in b.url
        a.reload()
        wait_for_dash(a)
        assert a.get_by_label("Priority").input_value() == "all"  # B's choice did not reach A
        assert a.get_by_label("Area").input_value() == "E07000066"  # A's own view, reproduced from A's URL
        assert "Basildon" in facts(a) and "Organised crime" not in facts(a)
        assert "Basildon" not in facts(b) and "Organised crime" in facts(b)
    finally:
        context_a.close()
        context_b.close()
    assert not errors_a and not errors_b, errors_a + errors_b
