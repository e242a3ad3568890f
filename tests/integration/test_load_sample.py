"""The whole bundled sample loads with known totals, on SQLite and PostgreSQL (``sample_engine``).

The expected numbers are the sample's own (data/sample/README.md lists the rows per file) and are
also recomputed here straight from the CSV files with the ``csv`` module, so a loader that dropped,
doubled or altered rows could not agree with both.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from analysis.fiscal import Quarter
from etl.status import status
from tests.conftest import SAMPLE
from warehouse.models import LoadBatch, Observation, ObservationMonthly

ROWS = {  # data rows per reference table after `python -m etl demo` (sample README)
    "areas": 15, "priorities": 3, "metrics": 14, "organisations": 50, "projects": 70, "targets": 734,
    "funding": 26, "grants": 357, "spend": 1165,
}
OBSERVATION_ROWS = 12_990  # observations.csv
RETURN_LOG_ROWS = 1_114  # returns.csv
FILES = {
    "areas": "areas.csv", "priorities": "priorities.csv", "metrics": "metrics.csv",
    "organisations": "organisations.csv", "projects": "projects.csv", "targets": "targets.csv",
    "funding": "funding.csv", "grants": "grants.csv", "spend": "spend.csv", "returns": "returns.csv",
    "observations": "observations.csv",
}
TOTALS_SINCE_2019_04 = {  # sum metrics over every month from 2019-04 (the VVU's first funded month)
    "YP_ENGAGED": 2_763, "DYW_HOURS": 6_385.5, "IND_SUPPORTED": 12_029, "BESPOKE_PACKAGES": 1_417,
    "GRANTS_GBP": 500_000,
}


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def csv_totals(skip: set[tuple[str, str]] = frozenset()) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for row in csv_rows(SAMPLE / "observations.csv"):
        if row["period"] >= "2019-04" and (row["project_code"], row["period"]) not in skip:
            totals[row["metric_code"]] += float(row["value"])
    return totals


def sample_returns() -> list[tuple[str, Quarter]]:
    """(project, quarter) of each completed return workbook in the sample, from its file name."""
    out = []
    for path in sorted((SAMPLE / "returns").glob("*.xlsx")):
        m = re.fullmatch(r"return-(\w+)-(\d{4})-(\d{2})-(Q[1-4])\.xlsx", path.name)
        assert m, path.name
        out.append((m.group(1), Quarter.parse(f"{m.group(2)}/{m.group(3)} {m.group(4)}")))
    return out


def revised_cells() -> set[tuple[str, str]]:
    """(project, month) pairs a sample return replaces: a return speaks for its whole quarter."""
    return {(project, month) for project, q in sample_returns() for month in q.months}


def test_row_counts_per_table(sample_engine: Engine) -> None:
    counts = status(sample_engine)["row_counts"]
    assert {name: counts[name] for name in ROWS} == ROWS


def test_observations_and_returns_after_the_sample_returns(sample_engine: Engine) -> None:
    """observations.csv loads 12,990 rows; each sample return then revises its project's quarter:
    the rows it replaces move to history (counted here from the CSV), and every row loaded is
    either current or in history."""
    counts = status(sample_engine)["row_counts"]
    revised = revised_cells()
    replaced = sum((r["project_code"], r["period"]) in revised for r in csv_rows(SAMPLE / "observations.csv"))
    with sample_engine.connect() as conn:
        from_returns = conn.scalar(select(func.coalesce(func.sum(LoadBatch.rows_loaded), 0))
                                   .where(LoadBatch.kind == "partner_return", LoadBatch.outcome == "loaded"))
    assert counts["observation_history"] == replaced
    assert counts["observations"] == OBSERVATION_ROWS - replaced + from_returns
    logged = {(r["project_code"], r["financial_year"], r["quarter"]) for r in csv_rows(SAMPLE / "returns.csv")}
    new_in_log = {(p, q.fy, f"Q{q.number}") for p, q in sample_returns()} - logged
    assert counts["returns"] == RETURN_LOG_ROWS + len(new_in_log)
    if not sample_returns():
        assert (counts["observations"], counts["observation_history"]) == (OBSERVATION_ROWS, 0)


def test_row_counts_match_the_files(sample_engine: Engine) -> None:
    """Each file's data rows (header excluded) were all loaded, in one batch each; nothing refused."""
    expected = {**ROWS, "observations": OBSERVATION_ROWS, "returns": RETURN_LOG_ROWS}
    for table, file in FILES.items():
        assert len(csv_rows(SAMPLE / file)) == expected[table], file
    with sample_engine.connect() as conn:
        loaded = dict(conn.execute(select(LoadBatch.file_name, LoadBatch.rows_loaded)
                                   .where(LoadBatch.outcome == "loaded")).all())
        refused = conn.scalar(select(func.count()).select_from(LoadBatch).where(LoadBatch.outcome == "rejected"))
    assert refused == 0
    assert {f: loaded[f] for f in FILES.values()} == {f: expected[t] for t, f in FILES.items()}


@pytest.mark.parametrize("metric", sorted(TOTALS_SINCE_2019_04))
def test_metric_totals_since_2019(sample_engine: Engine, metric: str) -> None:
    expected = TOTALS_SINCE_2019_04[metric]
    assert csv_totals()[metric] == pytest.approx(expected, abs=1e-6)  # the file itself
    o, mon = Observation.__table__, ObservationMonthly.__table__
    with sample_engine.connect() as conn:
        raw = conn.scalar(select(func.sum(o.c.value)).where(o.c.metric_code == metric, o.c.period >= "2019-04"))
        summary = conn.scalar(
            select(func.sum(mon.c.value)).where(mon.c.metric_code == metric, mon.c.period >= "2019-04"))
    assert raw == pytest.approx(expected, abs=1e-6)  # the warehouse
    assert summary == pytest.approx(expected, abs=1e-6)  # the summary the pages read


def test_every_metric_total_matches_the_csv(sample_engine: Engine) -> None:
    """Outside the months the sample returns revise, the warehouse holds exactly the CSV's figures."""
    revised = revised_cells()
    o = Observation.__table__
    with sample_engine.connect() as conn:
        rows = conn.execute(select(o.c.project_code, o.c.period, o.c.metric_code, o.c.value)).all()
    db: dict[str, float] = defaultdict(float)
    for project, period, metric, value in rows:
        if (project, period) not in revised:
            db[metric] += value
    expected = csv_totals(skip=revised)
    assert set(db) == set(expected) and "SV_OFFENCES" not in db  # an outcome measure: no project data
    for metric, total in expected.items():
        assert db[metric] == pytest.approx(total, abs=1e-6), metric
