"""Sample and real data never mix, and the synthetic notice follows what the database holds.

Real databases on SQLite and PostgreSQL: the sample goes only into a database that never had a
load batch and never in production; ``python -m dashboard`` says which it did; the notice is on
the layout, the API and the board pack exactly when the sample is loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import Engine, func, select

from etl import cli
from etl.demo import has_load_batches, holds_real_data, holds_sample, sample_refusal
from etl.loader import load_file
from tests.conftest import ROOT, SAMPLE
from warehouse.models import Metric


def _start(url: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m dashboard``'s database step, as a first start runs it (without serving)."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, **env}
    if "APP_ENV" not in env:
        full.pop("APP_ENV", None)
    return subprocess.run([sys.executable, "-c", "from dashboard.__main__ import prepare_database; "
                           "prepare_database()"], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=300, check=False)


def _metrics(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Metric)).scalar_one()


def test_a_new_database_may_take_the_sample_but_not_in_production(engine: Engine) -> None:
    assert not has_load_batches(engine) and not holds_sample(engine)
    assert sample_refusal(engine, production=False, first_start=True) is None
    assert "production" in sample_refusal(engine, production=True, first_start=True)


def test_real_data_refuses_the_sample_at_start_and_in_etl_demo(engine: Engine, capsys) -> None:  # noqa: ANN001
    assert load_file(engine, SAMPLE / "areas.csv").ok  # a real (unmarked) load
    assert holds_real_data(engine) and not holds_sample(engine)
    assert "real data" in sample_refusal(engine, production=False, first_start=True)
    url = engine.url.render_as_string(hide_password=False)
    os.environ["DATABASE_URL"] = url
    try:
        assert cli.main(["demo"]) == 2
    finally:
        del os.environ["DATABASE_URL"]
    assert "sample not loaded" in capsys.readouterr().err
    started = _start(url)
    assert started.returncode == 0, started.stderr
    assert "sample data not loaded: this database holds real data" in started.stdout
    assert _metrics(engine) == 0  # nothing synthetic added beside the real areas


def test_a_database_that_had_a_refused_load_is_not_a_new_one(engine: Engine, tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "areas.csv"
    bad.write_text("area_code,area_name\n", encoding="utf-8")
    assert not load_file(engine, bad).ok
    assert has_load_batches(engine) and not holds_real_data(engine)
    assert "loaded before" in sample_refusal(engine, production=False, first_start=True)


def test_production_start_never_loads_the_sample(engine: Engine) -> None:
    started = _start(engine.url.render_as_string(hide_password=False), APP_ENV="production")
    assert started.returncode == 0, started.stderr
    assert "production mode" in started.stdout and _metrics(engine) == 0


def test_sample_batches_are_recorded_in_the_database(sample_engine: Engine) -> None:
    assert holds_sample(sample_engine) and not holds_real_data(sample_engine)


@pytest.fixture
def client_for(monkeypatch):  # noqa: ANN001, ANN201
    def make(engine: Engine):  # noqa: ANN202
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        monkeypatch.delenv("APP_ENV", raising=False)
        from dashboard.app import server

        return server.test_client()

    return make


def test_notice_on_layout_and_api_only_with_the_sample(sample_engine: Engine, engine: Engine,
                                                       client_for) -> None:  # noqa: ANN001
    sample = client_for(sample_engine)
    assert "synthetic-banner" in sample.get("/_dash-layout").get_data(as_text=True)
    assert sample.get("/api/v1/kpis").get_json()["meta"]["synthetic_sample"] is True
    assert "synthetic-sample-" in sample.get("/api/v1/kpis?format=csv").headers["Content-Disposition"]
    assert load_file(engine, SAMPLE / "areas.csv").ok
    real = client_for(engine)
    assert "synthetic-banner" not in real.get("/_dash-layout").get_data(as_text=True)
    assert real.get("/api/v1/kpis").get_json()["meta"]["synthetic_sample"] is False
