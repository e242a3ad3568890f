"""Tests for data/generate_sample.py, the seeded synthetic sample data generator.

The generator's promise is that its files are reproducible and valid against the data contract,
so these tests check exactly that on freshly generated files (in temporary folders, never over
data/sample), plus the headline totals the partnership reports.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_sample",
                                                  ROOT / "data" / "generate_sample.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_sample"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


gs = _load_module()

CONTRACT_HEADERS = {
    "areas.csv": "area_code,area_name,area_type,parent_code,population",
    "priorities.csv": "priority_code,name,description",
    "metrics.csv": ("metric_code,name,unit,aggregation,priority_code,source,higher_is_better,"
                    "definition"),
    "organisations.csv": "org_code,org_name,org_type,contact_name,contact_email",
    "projects.csv": ("project_code,project_name,org_code,priority_code,funding_stream,"
                     "start_date,end_date,area_codes"),
    "targets.csv": "metric_code,financial_year,scope,scope_code,target_value",
    "funding.csv": "funding_stream,source_body,financial_year,amount_gbp",
    "grants.csv": "project_code,funding_stream,financial_year,awarded_gbp",
    "spend.csv": "project_code,financial_year,quarter,spend_gbp",
    "observations.csv": "period,project_code,area_code,metric_code,value,age_band,sex,ethnicity",
    "returns.csv": "project_code,financial_year,quarter,submitted_on",  # the unit's return log (extension)
}
AGE_BANDS = {"under 10", "10-13", "14-17", "18-24", "25 and over", "unknown"}
SEXES = {"female", "male", "other", "unknown"}
ETHNICITIES = {"Asian", "Black", "Mixed", "White", "Other", "unknown"}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("sample")
    return out, gs.generate(out)


@pytest.fixture(scope="module")
def tables(sample: tuple[Path, dict[str, int]]) -> dict[str, list[dict[str, str]]]:
    out, _ = sample
    return {name: _read(out / name) for name in CONTRACT_HEADERS}


def _month_bounds(period: str) -> tuple[date, date]:
    y, m = int(period[:4]), int(period[5:7])
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return date(y, m, 1), date.fromordinal(nxt.toordinal() - 1)


def check_observations(rows: list[dict[str, str]], tables: dict[str, list[dict[str, str]]]) -> None:
    """Assert every observation row is valid against the reference tables."""
    projects = {p["project_code"]: p for p in tables["projects.csv"]}
    metrics = {m["metric_code"]: m for m in tables["metrics.csv"]}
    areas = {a["area_code"] for a in tables["areas.csv"]}
    seen: set[tuple[str, ...]] = set()
    shape: dict[tuple[str, ...], list[bool]] = defaultdict(list)
    for r in rows:
        p = projects[r["project_code"]]
        m = metrics[r["metric_code"]]
        assert r["area_code"] in areas
        assert r["area_code"] in p["area_codes"].split(";")
        assert m["priority_code"] == p["priority_code"]
        first, last = _month_bounds(r["period"])
        assert "2019-04" <= r["period"] <= "2025-09"
        assert first >= date.fromisoformat(p["start_date"])
        if p["end_date"]:
            assert last <= date.fromisoformat(p["end_date"])
        value = float(r["value"])
        assert value >= 0
        if m["unit"] != "hours":
            assert r["value"].isdigit()
        split = (r["age_band"], r["sex"], r["ethnicity"])
        if any(split):
            assert m["unit"] == "people"
            assert split[0] in AGE_BANDS and split[1] in SEXES and split[2] in ETHNICITIES
        else:
            assert split == ("", "", "")
        key = (r["period"], r["project_code"], r["area_code"], r["metric_code"], *split)
        assert key not in seen, key
        seen.add(key)
        shape[key[:4]].append(any(split))
    for group, flags in shape.items():
        # Either the whole group is split, or it is exactly one total row.
        assert all(flags) or flags == [False], group


def test_files_and_exact_headers(sample: tuple[Path, dict[str, int]]) -> None:
    out, counts = sample
    assert set(counts) == set(CONTRACT_HEADERS)
    for name, header in CONTRACT_HEADERS.items():
        raw = (out / name).read_bytes()
        assert b"\r" not in raw
        assert raw.decode("utf-8").split("\n", 1)[0] == header
        assert raw.count(b"\n") - 1 == counts[name]  # no field holds a line break
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "observations.csv" in readme


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    gs.generate(a, seed=7)
    gs.generate(b, seed=7)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_committed_sample_matches_generator(sample: tuple[Path, dict[str, int]]) -> None:
    if not (SAMPLE / "observations.csv").exists():
        pytest.skip("data/sample not generated yet")
    out, _ = sample
    for name in [*CONTRACT_HEADERS, "README.md"]:
        assert (SAMPLE / name).read_bytes() == (out / name).read_bytes(), (
            f"data/sample/{name} is stale: run python data/generate_sample.py")


def test_areas_use_ons_mid_2017_populations(tables: dict[str, list[dict[str, str]]]) -> None:
    areas = {a["area_code"]: a for a in tables["areas.csv"]}
    assert len(areas) == 15
    lower = [a for a in areas.values() if a["area_type"] != "county"]
    assert sum(int(a["population"]) for a in lower) == 1_820_379
    districts = [a for a in lower if a["area_type"] == "district"]
    assert len(districts) == 12 and all(a["parent_code"] == "E10000012" for a in districts)
    assert int(areas["E10000012"]["population"]) == sum(int(a["population"]) for a in districts)
    assert {a["area_code"] for a in lower if a["area_type"] == "unitary"} == {
        "E06000033", "E06000034"}


def test_metric_codes_others_rely_on(tables: dict[str, list[dict[str, str]]]) -> None:
    metrics = {m["metric_code"]: m for m in tables["metrics.csv"]}
    expected = {
        "YP_ENGAGED": ("P3", "sum"), "DYW_HOURS": ("P3", "sum"), "IND_SUPPORTED": ("P3", "sum"),
        "BESPOKE_PACKAGES": ("P3", "sum"), "PROF_TRAINED": ("P3", "sum"),
        "TRAINING_SESSIONS": ("P3", "sum"), "SAFEGUARDED": ("P1", "sum"),
        "ORGS_FUNDED": ("P2", "cumulative"), "GRANTS_GBP": ("P2", "sum"),
        "CL_LINES_CLOSED": ("P1", "sum"), "WEAPONS_SURRENDERED": ("P2", "sum"),
        "COMMUNITY_EVENTS": ("P2", "sum"), "ACTIVE_CASELOAD": ("P3", "latest"),
    }
    for code, (priority, aggregation) in expected.items():
        assert (metrics[code]["priority_code"], metrics[code]["aggregation"]) == (
            priority, aggregation)
    for m in metrics.values():
        assert m["higher_is_better"] in ("true", "false")
        if m["unit"] == "people" and m["aggregation"] == "sum":
            assert "NEW" in m["definition"]


def test_reference_integrity(tables: dict[str, list[dict[str, str]]]) -> None:
    orgs = {o["org_code"] for o in tables["organisations.csv"]}
    lower = {a["area_code"] for a in tables["areas.csv"] if a["area_type"] != "county"}
    streams = {f["funding_stream"] for f in tables["funding.csv"]}
    assert 45 <= len(orgs) <= 55
    assert 60 <= len(tables["projects.csv"]) <= 80
    for p in tables["projects.csv"]:
        assert p["org_code"] in orgs and p["funding_stream"] in streams
        assert p["start_date"] >= "2019-04-01"
        assert not p["end_date"] or p["end_date"] > p["start_date"]
        codes = p["area_codes"].split(";")
        assert 1 <= len(codes) <= 3 and set(codes) <= lower
    assert len({p["project_name"] for p in tables["projects.csv"]}) == len(tables["projects.csv"])


def test_observations_valid(tables: dict[str, list[dict[str, str]]]) -> None:
    rows = tables["observations.csv"]
    check_observations(rows, tables)
    # Both shapes of people rows occur: split rows and single total rows.
    units = {m["metric_code"]: m["unit"] for m in tables["metrics.csv"]}
    people = [r for r in rows if units[r["metric_code"]] == "people"]
    assert any(r["age_band"] for r in people) and any(not r["age_band"] for r in people)


def test_totals_match_the_partnership_headlines(
        tables: dict[str, list[dict[str, str]]]) -> None:
    totals: dict[str, float] = defaultdict(float)
    for r in tables["observations.csv"]:
        totals[r["metric_code"]] += float(r["value"])
    assert 2_000 <= totals["YP_ENGAGED"] <= 3_500
    assert 5_000 <= totals["DYW_HOURS"] <= 8_000
    assert 10_000 <= totals["IND_SUPPORTED"] <= 14_000
    assert 1_200 <= totals["BESPOKE_PACKAGES"] <= 1_800
    assert totals["GRANTS_GBP"] == 500_000
    # ORGS_FUNDED is a stock: the latest value per project and area, summed, is "50+".
    latest: dict[tuple[str, str], tuple[str, float]] = {}
    for r in tables["observations.csv"]:
        if r["metric_code"] == "ORGS_FUNDED":
            key = (r["project_code"], r["area_code"])
            if key not in latest or r["period"] > latest[key][0]:
                latest[key] = (r["period"], float(r["value"]))
    assert sum(v for _, v in latest.values()) >= 50


def test_grants_within_funding_and_spend_to_2025_26_q2(
        tables: dict[str, list[dict[str, str]]]) -> None:
    funding = {(f["funding_stream"], f["financial_year"]): float(f["amount_gbp"])
               for f in tables["funding.csv"]}
    assert sum(funding[("HO_VRU", fy)] for fy in ("2022/23", "2023/24", "2024/25")) >= 5e6
    assert funding[("ECC", "2022/23")] == 500_000
    assert funding[("PFCC", "2022/23")] == 600_000
    granted: dict[tuple[str, str], float] = defaultdict(float)
    for g in tables["grants.csv"]:
        granted[(g["funding_stream"], g["financial_year"])] += float(g["awarded_gbp"])
    for key, total in granted.items():
        assert total <= funding[key], key
    spend_keys = set()
    for s in tables["spend.csv"]:
        assert s["quarter"] in ("Q1", "Q2", "Q3", "Q4")
        assert s["financial_year"] <= "2025/26"
        assert not (s["financial_year"] == "2025/26" and s["quarter"] in ("Q3", "Q4"))
        assert float(s["spend_gbp"]) >= 0
        assert len(s["spend_gbp"].split(".")[-1]) <= 2
        key = (s["project_code"], s["financial_year"], s["quarter"])
        assert key not in spend_keys
        spend_keys.add(key)


def test_targets_cover_each_scope(tables: dict[str, list[dict[str, str]]]) -> None:
    targets = tables["targets.csv"]
    scopes = {t["scope"] for t in targets}
    assert scopes == {"partnership", "project", "area"}
    projects = {p["project_code"] for p in tables["projects.csv"]}
    areas = {a["area_code"] for a in tables["areas.csv"]}
    keys = set()
    for t in targets:
        assert float(t["target_value"]) > 0
        assert (t["scope_code"] == "") == (t["scope"] == "partnership")
        if t["scope"] == "project":
            assert t["scope_code"] in projects
        if t["scope"] == "area":
            assert t["scope_code"] in areas
        key = (t["metric_code"], t["financial_year"], t["scope"], t["scope_code"])
        assert key not in keys
        keys.add(key)
    partnership_years = {t["financial_year"] for t in targets if t["scope"] == "partnership"}
    assert partnership_years == {f"{y}/{(y + 1) % 100:02d}" for y in range(2019, 2026)}


@pytest.mark.parametrize("n_rows", [5_000, 40_000])
def test_large_observations_writer(tmp_path: Path, sample: tuple[Path, dict[str, int]],
                                   tables: dict[str, list[dict[str, str]]],
                                   n_rows: int) -> None:
    # 5,000 is fewer rows than keys (one total row per kept key); 40,000 needs split rows.
    path = tmp_path / "big.csv"
    assert gs.write_observations_rows(path, n_rows, chunk_rows=1_000) == n_rows
    rows = _read(path)
    assert len(rows) == n_rows
    check_observations(rows, tables)
    again = tmp_path / "again.csv"
    gs.write_observations_rows(again, n_rows, chunk_rows=7_000)
    assert path.read_bytes() == again.read_bytes()


def test_large_writer_refuses_more_rows_than_the_reference_holds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        gs.write_observations_rows(tmp_path / "x.csv", 5_000_000)


def test_scaled_data_never_overwrite_the_sample() -> None:
    with pytest.raises(SystemExit):
        gs.main(["--scale", "2"])
