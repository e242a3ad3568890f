"""Priorities and areas on the whole sample (SQLite and PostgreSQL): known answers from the sample files,
the pages' callbacks called directly (payload sizes), and the map's offline assets."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import plotly
import pytest

from analysis.disclosure import MAX_ADJUSTMENT
from analysis.fiscal import fy_months
from charts.maps import apply_values, map_skeleton, map_values
from charts.progress import progress_figures
from charts.progress_text import describe_progress, headline_of
from service.areas import area_view, map_areas, map_extent
from service.observations import observation_totals
from service.priorities import priority_view
from tests.conftest import ROOT, SAMPLE
from warehouse.filters import Filters

OBS = pd.read_csv(SAMPLE / "observations.csv", dtype={"period": str})
TARGETS = pd.read_csv(SAMPLE / "targets.csv")
ASSETS = ROOT / "dashboard" / "assets" / "geo"
FILTER_NAMES = ("fy", "quarter", "area", "priority", "stream", "project")


def _sum(metric: str, first: str, last: str) -> float:
    rows = OBS[(OBS["metric_code"] == metric) & OBS["period"].between(first, last)]
    return float(rows["value"].sum())


def _metric(view, code: str):  # noqa: ANN001, ANN202
    return next(m for s in view.sections for m in s.metrics if m.metric_code == code)


def test_sections_follow_the_priority_table(sample_engine) -> None:  # noqa: ANN001
    view = priority_view(sample_engine, Filters(), "month")
    assert (view.financial_year, view.data_to, view.months_elapsed) == ("2025/26", "2025-09", 6)
    names = pd.read_csv(SAMPLE / "priorities.csv").set_index("priority_code")["name"]
    assert [(s.priority_code, s.name) for s in view.sections] == list(names.items())
    # metrics.csv: P1 has 2 metrics, P2 4, P3 7; SV_OFFENCES (no priority) is not in any section.
    assert [len(s.metrics) for s in view.sections] == [2, 4, 7]
    one = priority_view(sample_engine, Filters(priority="P2"), "month")
    assert [s.priority_code for s in one.sections] == ["P2"]


def test_yp_engaged_this_year_against_target(sample_engine, exact_figures) -> None:  # noqa: ANN001
    m = _metric(priority_view(sample_engine, Filters(), "month"), "YP_ENGAGED")
    assert m.so_far == _sum("YP_ENGAGED", "2025-04", "2025-09") == 250
    assert m.annual_target == 410  # targets.csv: YP_ENGAGED 2025/26 partnership
    # Seasonal profile of 2022/23 - 2024/25 (complete earlier years in observations.csv): April to September
    # brought 378 + 332 + 278 = 988 of their 657 + 558 + 491 = 1,706, so the expected position is
    # 410 x 988 / 1,706 = 237.4 (the straight line said 205) and the year's level 250 x 1,706 / 988 = 431.7.
    share = 988 / 1706
    assert m.expected == pytest.approx(410 * share)
    assert m.expected_basis == "seasonal profile of 2022/23 – 2024/25"
    assert m.status == "on track"  # 250 >= 95% of 237.4; the projection, 432, is 105% of the target
    assert m.projection.projected == pytest.approx(250 / share)
    assert m.projection.low < 250 / share < m.projection.high
    assert m.projection.chance_of_reaching(410) > 0.5
    assert list(m.periods["key"]) == fy_months("2025/26")
    assert m.periods["target"].iloc[0] == pytest.approx(410 / 12)  # a month's target: pro rata
    assert m.progress["target"].iloc[-1] == pytest.approx(410)
    assert m.progress["target"].iloc[5] == pytest.approx(410 * share)
    assert m.progress["actual"].iloc[5] == 250 and pd.isna(m.progress["actual"].iloc[6])
    assert m.progress["projected"].iloc[-1] == pytest.approx(250 / share)
    assert ("Young people engaged (YP_ENGAGED) 2025/26: 250 so far against a target of 410 (237.4 expected by "
            "now, from the seasonal profile of 2022/23 – 2024/25)") in describe_progress(m, "2025/26")
    assert "projected 432 at year end (90% interval" in describe_progress(m, "2025/26")


def test_complete_year_and_quarters(sample_engine) -> None:  # noqa: ANN001
    view = priority_view(sample_engine, Filters(fy="2024/25", quarter="Q3"), "quarter")
    m = _metric(view, "DYW_HOURS")
    assert m.so_far == pytest.approx(_sum("DYW_HOURS", "2024-04", "2025-03"))
    assert m.projection.months_remaining == 0 and m.projection.low == m.projection.high == m.so_far
    assert list(m.periods["key"]) == ["Q1", "Q2", "Q3", "Q4"]
    assert m.periods["value"].sum() == pytest.approx(m.so_far)
    assert m.periods.set_index("key").loc["Q3", "value"] == pytest.approx(_sum("DYW_HOURS", "2024-10", "2024-12"))
    assert list(m.periods["in_view"]) == [False, False, True, False]
    target = TARGETS[(TARGETS["metric_code"] == "DYW_HOURS") & (TARGETS["financial_year"] == "2024/25")
                     & (TARGETS["scope"] == "partnership")]["target_value"].iloc[0]
    assert m.periods["target"].iloc[0] == pytest.approx(target / 4)
    text = describe_progress(m, "2024/25")
    assert "Q3: " in text and "quarterly target" in text


def test_latest_metric_is_a_level(sample_engine, exact_figures) -> None:  # noqa: ANN001
    m = _metric(priority_view(sample_engine, Filters(), "quarter"), "ACTIVE_CASELOAD")
    sep = _sum("ACTIVE_CASELOAD", "2025-09", "2025-09")
    # The September level, not a sum of months: 428 reported, plus two late series carried from July.
    assert sep == 428 and m.so_far == 513
    assert m.periods.set_index("key").loc["Q1", "value"] == _sum("ACTIVE_CASELOAD", "2025-06", "2025-06")
    assert m.expected == m.annual_target  # a level is compared with the target level


def test_page_and_api_use_the_same_numbers(sample_engine) -> None:  # noqa: ANN001
    f = Filters(fy="2025/26", area="E06000034")
    m = _metric(priority_view(sample_engine, f, "month"), "IND_SUPPORTED")
    api = observation_totals(sample_engine, f, ("metric", "month"), "IND_SUPPORTED").frame
    page = m.periods.dropna(subset=["value"]).set_index("key")["value"]
    published = api.dropna(subset=["value"]).set_index("month")["value"]
    assert page[page > 0].to_dict() == published[published > 0].to_dict()
    assert set(m.periods.loc[m.periods["suppressed"], "key"]) == set(api.loc[api["value"].isna(), "month"])


def test_area_view_county_rates(sample_engine, exact_figures) -> None:  # noqa: ANN001
    view = area_view(sample_engine, Filters(fy="2024/25"), "IND_SUPPORTED")
    t = view.table.set_index("area_code")
    fy = OBS[(OBS["metric_code"] == "IND_SUPPORTED") & OBS["period"].between("2024-04", "2025-03")]
    raw = fy.groupby("area_code")["value"].sum()
    districts = [c for c in raw.index if c.startswith("E07")]
    assert t.loc["E10000012", "value"] == raw[districts].sum()  # county = sum of its districts
    assert t.loc["E10000012", "population"] == 1_468_177  # = the 12 districts' residents in areas.csv
    assert t.loc["E06000033", "rate"] == pytest.approx(raw["E06000033"] / 181_808 * 1000)
    assert len(t) == 15


def test_area_view_protects_counts_of_people(sample_engine) -> None:  # noqa: ANN001
    # People: counts from 1 to 9 are hidden, rates with them; shown figures are within 5 of the raw ones.
    q = area_view(sample_engine, Filters(fy="2025/26", quarter="Q2"), "YP_ENGAGED").table.set_index("area_code")
    rows = OBS[(OBS["metric_code"] == "YP_ENGAGED") & OBS["period"].between("2025-07", "2025-09")]
    counts = rows.groupby("area_code")["value"].sum()
    small = [c for c, v in counts.items() if 1 <= v <= 9]
    assert small and all(q.loc[c, "suppressed"] for c in small)
    assert q.loc[q["suppressed"], "rate"].isna().all()
    shown = q[~q["suppressed"] & (q["area_type"] != "county")]
    assert all(abs(v - counts.get(c, 0.0)) <= MAX_ADJUSTMENT and (v == 0 or v > 9) for c, v in shown["value"].items())
    # The county row is the county's own published cell: the same figure as asking for the county.
    county = observation_totals(sample_engine, Filters(fy="2025/26", quarter="Q2", area="E10000012"), ("metric",),
                                "YP_ENGAGED").frame["value"].iloc[0]
    assert q.loc["E10000012", "value"] == county

    hours = area_view(sample_engine, Filters(fy="2025/26", quarter="Q2"), "DYW_HOURS")
    assert not hours.people and not hours.table["suppressed"].any()  # hours are not people


def test_map_geometry_is_served_once_not_sent_in_figures(sample_engine) -> None:  # noqa: ANN001
    shipped = ASSETS / "districts.geojson"
    assert shipped.read_bytes() == (ROOT / "data" / "geo" / "districts.geojson").read_bytes()
    features = {f["id"] for f in json.loads(shipped.read_text())["features"]}
    areas = map_areas(sample_engine)
    assert set(areas["area_code"]) == features and len(features) == 14
    stub = json.loads((ASSETS / "world_110m.json").read_text())
    assert stub["type"] == "Topology" and set(stub["objects"]) >= {"land", "countries", "coastlines"}

    west, east, south, north = map_extent()
    assert -0.1 < west < 0 < 1.2 < east < 1.4 and 51.4 < south < 51.5 < 52 < north < 52.2  # Essex
    fig = map_skeleton("/assets/geo/districts.geojson", areas["area_code"], areas["area_name"], map_extent())
    assert all(tr.geojson == "/assets/geo/districts.geojson" for tr in fig.data)  # a URL, not the geometry
    view = area_view(sample_engine, Filters(), "YP_ENGAGED")
    updates = map_values(view.table, list(areas["area_code"]), measure="rate", title="t", colour_title="c",
                         unit="people")
    full = apply_values(fig, updates)
    assert len(full.to_json()) < 10_000
    z = dict(zip(full.data[1].locations, full.data[1].z, strict=True))
    expected = view.table.set_index("area_code")["rate"]
    assert z["E07000066"] == pytest.approx(expected["E07000066"], abs=1e-3)


def test_progress_figures_have_titles_targets_and_hover(sample_engine) -> None:  # noqa: ANN001
    m = _metric(priority_view(sample_engine, Filters(), "month"), "GRANTS_GBP")
    each, so_far = progress_figures(m.periods, m.progress, name="Grants", unit=m.unit, aggregation=m.aggregation,
                                    grain="month", financial_year="2025/26")
    # Two charts, each titled with the measure (no panel titles drawn as annotations to overprint).
    assert each.layout.title.text == "Grants: each month against the monthly target"
    assert so_far.layout.title.text == "Grants: year to date against the cumulative target, with projection"
    assert each.layout.xaxis.title.text == "Month, 2025/26" and each.layout.yaxis.title.text == "£ per month"
    assert so_far.layout.yaxis.title.text == "£, cumulative"
    assert each.layout.shapes[0].y0 == pytest.approx(m.annual_target / 12, abs=0.01)  # target line
    assert len(each.layout.annotations) == 1 and each.layout.annotations[0].text.startswith("target ")
    assert not so_far.layout.annotations
    assert [t.name for t in each.data] == ["Each month"]
    assert {"Target", "Year to date", "Projection", "90% interval"} <= {t.name for t in so_far.data}
    assert all(t.hovertemplate or t.hoverinfo == "skip" for fig in (each, so_far) for t in fig.data)
    assert "£" in each.data[0].hovertemplate


@pytest.fixture
def pages(sample_engine, monkeypatch):  # noqa: ANN001, ANN201
    """The page modules, with the app reading the sample database (callbacks are plain functions)."""
    monkeypatch.setenv("DATABASE_URL", sample_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server  # noqa: F401 - creates the app, which registers the pages
    from dashboard.pages import areas, priorities

    return priorities, areas


def _size(value: object) -> int:
    return len(json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder))


def test_callback_payloads_stay_small(pages) -> None:  # noqa: ANN001
    priorities, areas = pages
    ids = [{"type": "filter", "name": n} for n in FILTER_NAMES]
    # The whole priorities page (13 two-panel figures): ~80 kB of JSON, ~7 kB compressed on the wire.
    assert _size(priorities.render([""] * 6, "month", ids)) < 100_000
    one = _size(priorities.render(["", "", "", "P1", "", ""], "quarter", ids))
    assert one < 20_000
    map_ids = [i for i in ids if i["name"] != "area"]
    out = areas.render([""] * 5, "YP_ENGAGED", "rate", map_ids)
    assert _size(out) < 50_000  # values only: the geometry is never in a callback
    assert "districts.geojson" not in json.dumps(out, cls=plotly.utils.PlotlyJSONEncoder)


def test_callbacks_treat_inputs_as_untrusted(pages) -> None:  # noqa: ANN001
    priorities, areas = pages
    ids = [{"type": "filter", "name": n} for n in FILTER_NAMES]
    hostile = ["'; drop table x", "Q9", "<script>", "P1", "", ""]
    assert priorities.render(hostile, "year<script>", ids)  # falls back to the default view and month
    map_ids = [i for i in ids if i["name"] != "area"]
    patch, table, caption = areas.render(["1999/00", "", "", "", ""], "DROP TABLE", "ratio", map_ids)
    assert "Young people engaged" in caption  # unknown metric -> the default metric, count
    assert priorities.grain_to_url("quarter", "?fy=2024%2F25") == "?fy=2024%2F25&grain=quarter"
    assert areas.controls_to_url("DYW_HOURS", "rate", "") == "?metric=DYW_HOURS&measure=rate"


def test_assets_exist() -> None:
    assert Path(ASSETS / "districts.geojson").stat().st_size < 150_000


def test_small_counts_of_people_are_hidden_on_the_priorities_page(sample_engine) -> None:  # noqa: ANN001
    m = _metric(priority_view(sample_engine, Filters(project="PRJ003"), "month"), "IND_SUPPORTED")
    rows = OBS[(OBS["metric_code"] == "IND_SUPPORTED") & (OBS["project_code"] == "PRJ003")
               & OBS["period"].between("2025-04", "2025-09")]
    monthly = rows.groupby("period")["value"].sum()
    assert monthly.sum() == 17 and abs(m.so_far - 17) <= MAX_ADJUSTMENT  # not small: shown, adjusted
    small = {p for p, v in monthly.items() if 1 <= v <= 9}
    hidden = set(m.periods.loc[m.periods["suppressed"], "key"])
    assert small and small <= hidden
    assert m.periods.loc[m.periods["suppressed"], "value"].isna().all()
    # the cumulative line would give hidden months away by difference: not drawn across them
    first = min(hidden)
    cum = m.progress.set_index("key")["actual"]
    assert cum[[k for k in cum.index if first <= k < "2025-09"]].isna().all() and cum["2025-09"] == m.so_far
    assert "[c]" in describe_progress(m, "2025/26")
    tiny = _metric(priority_view(sample_engine, Filters(project="PRJ003"), "month"), "BESPOKE_PACKAGES")
    assert tiny.suppressed and tiny.projection is None and "[c] so far" in headline_of(tiny, "2025/26")
    assert tiny.status == "suppressed" and "status" not in describe_progress(tiny, "2025/26")
