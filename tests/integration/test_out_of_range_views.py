"""Every view stays up when the database holds rows with absurd dates (issue 11).

The loader refuses dates outside the window, but a database may still hold them (written before the
rule, restored, edited by hand): tests/out_of_range.py writes observations for 9999-12 and 1900-01
(with their summary rows), a project running from 0001-01-01 to 9999-12-31, and funding, a target,
spend and a return for the financial year 9999/00, straight into the tables. Then the default view of
each API route the issue names, and every page callback for the default view of every page, must
answer as before: no 500, and no answer grown by more than a little (one bad row used to lay out an
axis across eight thousand years: 0.4 to 2.2 MB). The same calls are made first on the same
database before the rows go in, so "as before" is measured, not guessed. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.integration.test_disclosure_everywhere import _payload, small_db  # noqa: F401 - a fixture
from tests.out_of_range import insert_out_of_range

API = ["/api/v1/kpis", "/api/v1/returns", "/api/v1/projects", "/api/v1/funding", "/api/v1/observations",
       "/api/v1/breakdowns?metric=IND_SUPPORTED"]
GROWTH_BYTES = 8_000  # a few extra rows (a project's quarters from the window's start) at most


@pytest.fixture
def client(small_db: tuple[Engine, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FlaskClient]:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", small_db[1])
    monkeypatch.setenv("WARM_CACHE", "0")
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server

    yield server.test_client()


def _answers(client: FlaskClient) -> dict[str, tuple[int, int]]:
    """(status, bytes) of each API default view and each page callback's default view."""
    import dash

    out = {}
    for path in API:
        response = client.get(path)
        out[path] = (response.status_code, len(response.data))
    paths = sorted({page["path"] for page in dash.page_registry.values()})
    for n, dep in enumerate(client.get("/_dash-dependencies").get_json()):
        if dep.get("clientside_function"):
            continue
        routed = any(d["property"] == "pathname" for d in dep["inputs"])
        for view in [{"_path": p} for p in paths] if routed else [{}]:
            response = client.post("/_dash-update-component", json=_payload(dep, view, "IND_SUPPORTED"))
            out[f"{n}:{dep['output'][:60]}:{view.get('_path', '')}"] = (response.status_code, len(response.data))
    return out


def test_views_answer_as_before_with_absurd_dates_stored(client: FlaskClient, small_db) -> None:  # noqa: ANN001, F811
    before = _answers(client)
    assert all(status != 500 for status, _size in before.values())
    insert_out_of_range(small_db[0])
    after = _answers(client)
    assert after.keys() == before.keys()
    failed = {k: v for k, v in after.items() if v[0] == 500}
    assert failed == {}
    changed_status = {k: (before[k][0], v[0]) for k, v in after.items() if v[0] != before[k][0]}
    assert changed_status == {}
    grown = {k: (before[k][1], v[1]) for k, v in after.items() if v[1] > before[k][1] + GROWTH_BYTES}
    assert grown == {}
