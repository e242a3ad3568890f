"""``/api/v1/openapi.json`` lists every route, parameter and field; unknown API paths answer JSON 404.

Every route is called on the whole sample (SQLite and PostgreSQL), and each field of each answer must
be in the description, so a route or field added without describing it fails here.
"""

from __future__ import annotations

import re

import pytest

from dashboard.api.openapi import FIELDS, method_of


@pytest.fixture
def client(sample_engine, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("DATABASE_URL", sample_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server

    return server.test_client()


EXAMPLES = {"code": "PRJ001", "name": "lsoa21.geojson", "sid": "1", "ext": "pdf"}
QUERIES = {"/api/v1/breakdowns": "?metric=YP_ENGAGED", "/api/v1/crime": "?group_by=month,area,crime_type",
           "/api/v1/observations": "?group_by=metric,month,quarter,financial_year,area,project,priority"}


def _fields(body: dict) -> dict[str, set[str]]:
    """Top-level keys of an answer, each with the fields of its rows (or of its object)."""
    out = {}
    for key, value in body.items():
        if key == "meta":
            continue
        if isinstance(value, list):
            out[key] = set().union(*(set(v) for v in value if isinstance(v, dict)))
        elif isinstance(value, dict):
            out[key] = set(value)
        else:
            out[key] = set()
    return out


def test_every_route_parameter_and_field_is_described(client) -> None:  # noqa: ANN001
    from dashboard.app import server

    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["version"]
    rules = [r for r in server.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint != "api.not_found"]
    assert len(rules) >= 18
    for rule in rules:
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        assert path in spec["paths"], rule.rule
        assert rule.endpoint in FIELDS, f"{rule.endpoint}: describe its fields in dashboard/api/openapi.py"
        method = method_of(rule)
        params = {p["name"] for p in spec["paths"][path][method]["parameters"]}
        assert set(rule.arguments) <= params
        if method == "post":  # a write route: described with its body; called in its own tests
            assert "requestBody" in spec["paths"][path]["post"], rule.rule
            continue
        described = spec["paths"][path]["get"]["responses"]["200"]["content"]
        if "file" in FIELDS[rule.endpoint]:
            continue
        schema = described["application/json"]["schema"]["properties"]
        url = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: EXAMPLES[m.group(1)], rule.rule)
        answer = client.get(url + QUERIES.get(rule.rule, ""))
        if answer.status_code == 404 and "sid" in rule.arguments:
            continue  # no snapshot in the sample; the snapshot tests call these with one
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:300])
        for key, fields in _fields(answer.get_json()).items():
            assert key in schema, (rule.rule, key)
            items = schema[key].get("items", {}).get("properties")
            if items is not None:
                assert fields <= set(items), (rule.rule, key, fields - set(items))


def test_query_parameters_are_read_from_the_views(client) -> None:  # noqa: ANN001
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    def names(path: str) -> set[str]:
        return {p["name"] for p in paths[path]["get"]["parameters"]}

    assert {"fy", "quarter", "area", "project", "format"} <= names("/api/v1/kpis")
    assert {"group_by", "crime_type", "month_from", "area"} <= names("/api/v1/crime")
    assert {"files", "limit"} <= names("/api/v1/rejections")
    assert {"offence_group", "measure", "comparison"} <= names("/api/v1/grip/effect")
    assert {"sid", "ext"} == names("/api/v1/snapshots/{sid}/export.{ext}")


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v1/", "/api/v1/kpis/extra", "/api/v1/a/b/c.csv"])
def test_unknown_api_paths_answer_json_404(client, path: str) -> None:  # noqa: ANN001
    for method in (client.get, client.post):
        answer = method(path)
        assert answer.status_code == 404 and answer.is_json, (path, answer.content_type)
        assert "openapi.json" in answer.get_json()["error"]
