"""A figure accepted against a plausibility warning is marked on the overview's card, with the reason kept
with its batch, for the views that include it and no others. SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.components.kpi_card import accepted_note
from etl import preview as pv
from service.chase import accepted_by_metric
from tests.dash_tree import text_of, walk
from tests.integration.test_partner_return_load import ROCHFORD, completed, db  # noqa: F401 - the fixture
from tests.integration.test_return_trust import load_history
from warehouse.filters import Filters

REASON = "Summer festival: 99 sessions are right"


@pytest.fixture
def accepted(db: Engine, tmp_path: Path) -> Engine:  # noqa: F811 - the imported fixture
    """EVENTS in Rochford, 2024-07: 99 sessions against a history of 4 to 6, confirmed with a reason."""
    load_history(db, tmp_path)
    path = completed(db, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 99, ("VOL_HOURS", ROCHFORD, "2024-07"): 3})
    checked = pv.check_file(db, path, loaded_by="alice")
    assert [w["metric_code"] for w in checked.warnings] == ["EVENTS"]
    result, _ = pv.confirm(db, checked.token, confirmed_by="alice", reason=REASON)
    assert result.outcome == "loaded"
    return db


def test_the_overview_card_marks_the_figure_and_opens_to_the_reason(accepted: Engine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", accepted.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server  # noqa: F401 - creates the app, which registers the pages
    from dashboard.pages import overview

    body = overview.overview_body(accepted, Filters(fy="2024/25"))
    ids = {getattr(c, "id", None): c for c in walk(body)}
    assert "kpi-events" in ids and "kpi-vol_hours" in ids
    note = ids["kpi-events-accepted"]
    assert type(note).__name__ == "Details"
    text = text_of(note)
    assert "1 figure accepted against a warning" in text
    assert "2024-07, Rochford" in text and REASON in text and "accepted by alice" in text
    assert "99" not in text.replace(REASON, "")  # the value is not repeated: the card shows the figure
    assert "kpi-vol_hours-accepted" not in ids  # its figure loaded without a warning


@pytest.mark.parametrize(("view", "marked"), [
    (Filters(fy="2024/25"), True),
    (Filters(fy="2024/25", quarter="Q2"), True),
    (Filters(fy="2024/25", quarter="Q1"), False),  # the month is outside the view
    (Filters(fy="2023/24"), False),
    (Filters(fy="2024/25", area=ROCHFORD), True),
    (Filters(fy="2024/25", area="E10000012"), True),  # Essex: its districts' figures are in the view
    (Filters(fy="2024/25", area="E07000066"), False),  # Basildon
    (Filters(fy="2024/25", project="PRJ009"), False),
    (Filters(fy="2024/25", priority="P3"), False),
])
def test_only_views_holding_the_figure_mark_it(accepted: Engine, view: Filters, marked: bool) -> None:
    assert bool(accepted_by_metric(accepted, view, *view.months("2024-09")).get("EVENTS")) is marked


def test_a_revision_without_the_figure_clears_the_mark(accepted: Engine, tmp_path: Path) -> None:
    path = completed(accepted, tmp_path, {("EVENTS", ROCHFORD, "2024-07"): 5}, name="revised.xlsx")
    checked = pv.check_file(accepted, path, loaded_by="alice")
    assert checked.warnings == []
    pv.confirm(accepted, checked.token, confirmed_by="alice", reason="")
    assert accepted_by_metric(accepted, Filters(fy="2024/25"), "2024-04", "2025-03") == {}


def test_a_card_without_accepted_figures_has_no_note() -> None:
    assert accepted_note([], "kpi-x") is None
    two = accepted_note([{"period": "2024-07", "area": "Rochford", "kind": "limit", "reason": "r1",
                          "accepted_by": "a", "accepted_at": "2024-11-01"}] * 2, "kpi-x")
    assert "2 figures accepted against a warning" in text_of(two)
    assert "above the metric's monthly limit" in text_of(two)
