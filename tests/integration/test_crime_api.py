"""``/api/v1/crime`` and the Crime page's callbacks through Flask's test client, on SQLite and PostgreSQL.

The database holds the sample areas and the two real Essex Police months (16,014 + 16,709 = 32,723
rows; 52 + 52 outside the partnership area; 17 + 48 with no location; 4,216 + 4,612 violence and
sexual offences; Southend-on-Sea 2,072 + 2,117; Basildon 1,888 + 1,888). Of them anti-social behaviour
(incidents, not crimes: the page's police recorded crime leaves them out): 3,878 + 4,194, every one
with a location, 6 + 2 outside the partnership area, 419 + 434 in Basildon.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine

from etl.loader import load_file
from tests.conftest import BACKENDS, SAMPLE, SHARED, new_database

POLICE = SHARED / "police-uk"
pytestmark = pytest.mark.skipif(not (POLICE / "2018-03-essex-street.csv").exists(),
                                reason="../shared/data/police-uk is not beside the project")
TOTAL = 16_014 + 16_709


@pytest.fixture(scope="module", params=BACKENDS)
def crime_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng, _url, cleanup = new_database(request.param, tmp_path_factory.mktemp("crime"))
    for path in (SAMPLE / "areas.csv", POLICE / "2018-03-essex-street.csv", POLICE / "2018-04-essex-street.csv"):
        assert load_file(eng, path).ok
    yield eng
    cleanup()


@pytest.fixture
def client(crime_engine: Engine, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("DATABASE_URL", crime_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server

    return server.test_client()


def data(client, query: str) -> pd.DataFrame:  # noqa: ANN001
    """The answer as a frame, columns in the order ``meta.columns`` gives (JSON objects have no order)."""
    response = client.get(f"/api/v1/crime?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return pd.DataFrame(body["data"], columns=body["meta"]["columns"])


def test_no_grouping_is_every_row(client) -> None:  # noqa: ANN001
    body = client.get("/api/v1/crime").get_json()
    assert body["data"] == [{"count": TOTAL}]
    assert body["meta"]["total"] == TOTAL


def test_by_area_counts_the_buckets_as_areas(client) -> None:  # noqa: ANN001
    frame = data(client, "group_by=area").set_index("area_code")
    assert frame["count"].sum() == TOTAL
    assert len(frame) == 16  # 14 districts and unitaries + OUTSIDE + NO_LOCATION
    assert frame.loc["OUTSIDE", "count"] == 104 and frame.loc["OUTSIDE", "area_name"] == "Outside the partnership area"
    assert frame.loc["NO_LOCATION", "count"] == 65 and frame.loc["NO_LOCATION", "area_name"] == "No location"
    assert frame.loc["E06000033", "count"] == 4_189
    basildon = frame.loc["E07000066"]
    assert (basildon["count"], basildon["population"]) == (3_776, 184_479)
    assert basildon["rate_per_1000"] == round(3_776 * 1000 / 184_479, 3)  # 20.468
    raw = {r["area_code"]: r for r in client.get("/api/v1/crime?group_by=area").get_json()["data"]}
    assert raw["OUTSIDE"]["population"] is None and raw["OUTSIDE"]["rate_per_1000"] is None  # no residents


@pytest.mark.parametrize(("group_by", "columns", "rows"), [
    ("month", ["month", "count"], 2),
    ("crime_type", ["crime_type", "count"], 14),
    ("month,area", ["month", "area_code", "area_name", "count", "population", "rate_per_1000"], 32),
    ("crime_type,month", ["crime_type", "month", "count"], 28),
    ("month,area,crime_type", ["month", "area_code", "area_name", "crime_type", "count", "population",
                               "rate_per_1000"], None),
])
def test_group_by_subsets_add_up(client, group_by: str, columns: list[str], rows: int | None) -> None:  # noqa: ANN001
    frame = data(client, f"group_by={group_by}")
    assert list(frame.columns) == columns
    assert frame["count"].sum() == TOTAL
    if rows is not None:
        assert len(frame) == rows
    assert not frame.duplicated([c for c in columns if c in ("month", "area_code", "crime_type")]).any()


def test_filters(client) -> None:  # noqa: ANN001
    months = data(client, "group_by=month").set_index("month")["count"]
    assert months.to_dict() == {"2018-03": 16_014, "2018-04": 16_709}
    assert data(client, "month_from=2018-04")["count"].sum() == 16_709
    assert data(client, "month_to=2018-03")["count"].sum() == 16_014
    violence = data(client, "crime_type=violence%20AND%20sexual%20offences&group_by=month")
    assert violence.set_index("month")["count"].to_dict() == {"2018-03": 4_216, "2018-04": 4_612}
    county = data(client, "area=E10000012&group_by=area")
    assert len(county) == 12 and county["count"].sum() == TOTAL - 104 - 65 - 4_189 - 3_584  # Thurrock 1,747 + 1,837
    assert data(client, "area=outside")["count"].sum() == 104
    assert data(client, "area=NO_LOCATION&month_from=2018-04")["count"].sum() == 48


@pytest.mark.parametrize(("query", "message"), [
    ("group_by=district", "group_by takes any of month, area, crime_type"),
    ("crime_type=Arson", "crime_type must be one of"),
    ("month_from=2018-13", "month_from"),
    ("month_from=2018-04&month_to=2018-03", "month_from is after month_to"),
    ("area=E99999999", "unknown area"),
    ("area=%27%3B%20drop", "area must be a code"),
    ("format=xml", "format must be json or csv"),
])
def test_bad_requests_answer_400(client, query: str, message: str) -> None:  # noqa: ANN001
    response = client.get(f"/api/v1/crime?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_csv(client) -> None:  # noqa: ANN001
    response = client.get("/api/v1/crime?group_by=crime_type&format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 14 and sum(int(r["count"]) for r in rows) == TOTAL


def test_boundaries_are_served_for_the_map(client) -> None:  # noqa: ANN001
    response = client.get("/api/v1/crime/boundaries/lsoa11.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    assert len(json.loads(response.get_data())["features"]) == 1_077
    assert client.get("/api/v1/crime/boundaries/districts.geojson").status_code == 404  # a fixed list of files
    assert not client.get("/api/v1/crime/boundaries/..%2Fvvu.sqlite3").get_data().startswith(b"SQLite")


def _callback(client, output: str, inputs: list[dict], state: list[dict] | None = None) -> tuple[dict, int]:  # noqa: ANN001
    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in output.strip(".").split("...")]
    body = {"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [], "state": state or []}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["response"], len(response.get_data())


def _inputs(month_from: str, month_to: str, area: str, crime_type: str) -> list[dict]:
    return [{"id": "crime-month-from", "property": "value", "value": month_from},
            {"id": "crime-month-to", "property": "value", "value": month_to},
            {"id": "crime-area", "property": "value", "value": area},
            {"id": "crime-type", "property": "value", "value": crime_type}]


SUMMARY = ("..crime-facts.children...crime-monthly.figure...crime-monthly-caption.children..."
           "crime-types.figure...crime-types-caption.children...crime-table.children...crime-definition.children..")
MAP = "..crime-map.figure...crime-map-vintage.data...crime-map-caption.children.."


def test_page_callbacks_validate_and_stay_small(client) -> None:  # noqa: ANN001
    response, size = _callback(client, SUMMARY, _inputs("2018-04", "2018-04", "E07000066", "Violence and sexual "
                                                                                            "offences"))
    assert size < 50_000
    facts = json.dumps(response["crime-facts"]["children"])
    assert "533" in facts  # Basildon's April violence (data/geo lookup count)
    assert "no comparison" in facts  # no data a year earlier
    # anything at all is answered with a valid view, never an error: a bad month, area or type falls back to the
    # default and a month before the data is clipped to the first month with data (March 2018: 16,014 rows, of
    # which 3,878 anti-social behaviour, shown apart from the 12,136 crimes)
    response, size = _callback(client, SUMMARY, _inputs("<script>", "1999-01", "'; drop table crime", "x" * 500))
    facts = json.dumps(response["crime-facts"]["children"])
    assert "March 2018" in facts and "12,136" in facts and "3,878" in facts
    figure, size = _callback(client, MAP, _inputs("2018-03", "2018-04", "", ""), [
        {"id": "crime-map-vintage", "property": "data", "value": 2011}])
    assert size < 10_000  # the map already shows 2011 LSOAs: a Patch of values, no geometry or names
    assert "__dash_patch_update" in json.dumps(figure["crime-map"]["figure"])
    assert "Basildon 001A" not in json.dumps(figure)
    caption = figure["crime-map-caption"]["children"]
    # 32,723 - 104 outside - 65 none = 32,554 rows, less the 3,872 + 4,192 ASB incidents in the area: 24,490 crimes
    assert "24,490 crimes with a location in the partnership area" in caption


def test_page_view_and_map_agree_with_the_api(client, crime_engine: Engine) -> None:  # noqa: ANN001
    """One set of numbers: the page's view and map, the API and the row counts."""
    import numpy as np

    from service.crime import crime_view, lsoa_map
    from warehouse.filters import Filters

    april = Filters(month_from="2018-04", month_to="2018-04")
    view = crime_view(crime_engine, april, "")  # police recorded crime: every type but anti-social behaviour
    asb = crime_view(crime_engine, april, "Anti-social behaviour")
    assert view.asb == asb.count == 4_194
    table = view.by_area.set_index("area_code")["count"] + asb.by_area.set_index("area_code")["count"]
    assert table["ALL"] == 16_709 and table["OUTSIDE"] == 52 and table["NO_LOCATION"] == 48
    assert table["TOTAL"] == 16_609  # the partnership: 14 districts and unitaries
    assert table["E10000012"] == data(client, "month_from=2018-04&area=E10000012")["count"].sum() == 12_655
    recorded = data(client, "month_from=2018-04&month_to=2018-04&crime_type=police%20recorded%20crime")
    assert view.count == recorded["count"].sum() == 16_709 - 4_194
    assert view.rate == pytest.approx((16_609 - 4_192) * 1000 / 1_820_379)  # sample areas.csv: lower-tier population
    assert not view.comparable and view.year_earlier is None  # no April 2017 loaded
    assert view.monthly["count"].tolist() == [16_014 - 3_878, 16_709 - 4_194]
    basildon = crime_view(crime_engine, Filters(month_from="2018-03", month_to="2018-04", area="E07000066"),
                          "Violence and sexual offences")
    assert basildon.count == 515 + 533  # the API's answer for the same filters
    assert data(client, "area=E07000066&crime_type=Violence%20and%20sexual%20offences")["count"].sum() == 1_048
    drawn = lsoa_map(crime_engine, april, "")
    assert drawn.vintage == 2011  # police.uk's boundaries before 2022
    assert drawn.total == 16_609 - 4_192 and int(np.nansum(drawn.values)) + drawn.unmapped == 16_609 - 4_192
    one = lsoa_map(crime_engine, Filters(month_from="2018-04", month_to="2018-04", area="E07000066"), "")
    assert int(np.nansum(one.values)) == 1_888 - 434  # Basildon less its ASB incidents
    assert np.isnan(one.values).sum() == 1_077 - 110  # Basildon has 110 LSOAs
