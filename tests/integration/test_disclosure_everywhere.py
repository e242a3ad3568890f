"""No small count of people leaves the service, through any API route or any page callback.

A hand-made database: the sample's reference data, and one observation row per people metric with a
distinctive count (613 young people engaged, 587 individuals supported...). With the threshold at 900,
every one of those counts, and every total of them, is a small count that must never be shown. The
test enumerates ``app.server.url_map`` (every API route, with the filters and groupings they take) and
every callback Dash registers (``/_dash-dependencies``, called over HTTP as the browser does), so a new
route or callback is covered without editing this test, and fails if any of the numbers, or a share of
target or rate that would give one back, appears in any answer. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from etl.demo import LOAD_ORDER
from etl.loader import load_file
from tests.conftest import BACKENDS, SAMPLE, new_database

THRESHOLD = 900
# metric -> (project, area, period, count): real keys from the sample (valid projects, areas, months).
SMALL = {
    "YP_ENGAGED": ("PRJ005", "E07000066", "2025-06", 613),
    "IND_SUPPORTED": ("PRJ003", "E07000069", "2025-06", 587),
    "BESPOKE_PACKAGES": ("PRJ003", "E07000069", "2025-05", 742),
    "SAFEGUARDED": ("PRJ006", "E07000066", "2025-06", 829),
    "PROF_TRAINED": ("PRJ002", "E06000034", "2025-06", 671),
    "ACTIVE_CASELOAD": ("PRJ007", "E06000033", "2025-06", 457),
}
HOURS = ("PRJ017", "E07000066", "2025-06", 13.5)  # not people: shown exactly
FILTER_NAMES = ("fy", "quarter", "area", "priority", "stream", "project")
VIEWS = [  # filter values: the default view, the year, a quarter, and the slices holding the small counts
    {}, {"fy": "2025/26"}, {"fy": "2025/26", "quarter": "Q1"}, {"fy": "2025/26", "project": "PRJ003"},
    {"fy": "2025/26", "area": "E07000066"}, {"fy": "2025/26", "priority": "P3"}, {"fy": "2025/26", "area": "E10000012"},
]


def _forbidden() -> list[re.Pattern[str]]:
    """Each small count as a whole number, and the shares of target that would give one back."""
    targets = {}
    with open(SAMPLE / "targets.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["scope"] == "partnership" and row["financial_year"] == "2025/26":
                targets[row["metric_code"]] = float(row["target_value"])
    texts = set()
    for metric, (*_key, count) in SMALL.items():
        texts.add(str(count))
        if targets.get(metric):
            share = count / targets[metric] * 100
            texts |= {f"{share:.1f}", f"{count / targets[metric]:.4f}"}
    return [re.compile(rf"(?<![\d.]){re.escape(t)}(?![\d])") for t in sorted(texts)]


@pytest.fixture(scope="module", params=BACKENDS)
def small_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    folder = tmp_path_factory.mktemp("small")
    engine, url, cleanup = new_database(request.param, folder)
    for name in LOAD_ORDER:
        if name in ("observations.csv", "returns.csv"):
            continue
        assert load_file(engine, SAMPLE / name).ok, name
    obs = folder / "observations.csv"
    lines = ["period,project_code,area_code,metric_code,value,age_band,sex,ethnicity"]
    for metric, (project, area, period, count) in SMALL.items():
        lines.append(f"{period},{project},{area},{metric},{count},14-17,female,White")
    project, area, period, hours = HOURS
    lines.append(f"{period},{project},{area},DYW_HOURS,{hours},,,")
    obs.write_text("\n".join(lines) + "\n")
    assert load_file(engine, obs).ok
    yield engine, url
    cleanup()


@pytest.fixture
def client(small_db: tuple[Engine, str], monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    monkeypatch.setenv("DATABASE_URL", small_db[1])
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", str(THRESHOLD))
    monkeypatch.delenv("APP_ENV", raising=False)
    from dashboard.app import server

    return server.test_client()


# Content and file hashes (SHA-256 in full, or its first 12 or 16 hex digits) are not counts, but a run of
# hex digits holds any three-digit number now and then ("...849b671e..."): masked, so the test fails on
# counts, not on the day's timestamp.
HEX_DIGEST = re.compile(r"\b[0-9a-f]{12,64}\b")


def _check(text: str, where: str) -> None:
    text = HEX_DIGEST.sub("<digest>", text)
    for pattern in _forbidden():
        match = pattern.search(text)
        context = text[max(0, match.start() - 150):match.end() + 80] if match else ""
        assert match is None, f"{where} shows {match.group(0)!r}: ...{context}..."


def _api_queries(rule: str) -> list[str]:
    base = ["", "format=csv"] + ["&".join(f"{k}={v}" for k, v in view.items()) for view in VIEWS[1:]]
    if rule.endswith("/observations"):
        groupings = ["metric", "month", "quarter", "financial_year", "area", "project", "priority", "month,area",
                     "quarter,project", "month,project,area"]
        return [f"{q}&group_by={g}&month_from=2025-04&month_to=2025-09" for q in ["", "project=PRJ003"]
                for g in groupings] + base
    if rule.endswith("/breakdowns"):
        return [f"fy=2025/26&metric={m}&dimension={d}{p}" for m in SMALL if m != "ACTIVE_CASELOAD"
                for d in ("age_band", "sex", "ethnicity") for p in ("", "&project=PRJ003")]
    return base


def test_every_api_route_keeps_small_counts_hidden(client: FlaskClient, small_db: tuple[Engine, str]) -> None:
    from dashboard.app import server
    from reporting import snapshots

    snapshot = snapshots.create_snapshot(small_db[0], "2025/26 Q1", made_by="test")
    answered = 0
    rules = [r.rule for r in server.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert len(rules) >= 15
    for rule in rules:
        if "<name>" in rule:  # crime boundary geometry: no counts
            continue
        paths = [rule.replace("<code>", code) for code in ("PRJ003", "PRJ005", "PRJ006", "PRJ007")] \
            if "<code>" in rule else [rule]
        if "<int:sid>" in rule:
            paths = [p.replace("<int:sid>", str(snapshot.id)) for p in paths]
            if "<path:ext>" in rule:
                paths = [p.replace("<path:ext>", ext) for p in paths for ext in ("csv.zip", "xlsx")]
        for path in paths:
            for query in _api_queries(rule):
                response = client.get(f"{path}?{query}")
                assert response.status_code < 500, (path, query, response.status_code)
                if response.status_code == 200:
                    answered += 1
                    body = response.data
                    if response.mimetype.startswith(("application/json", "text/")):
                        _check(body.decode("utf-8", "replace"), f"{path}?{query}")
                    elif response.mimetype == "application/pdf":  # the board pack: its text, not its bytes
                        _check(_pdf_text(body), f"{path}?{query}")
                    else:
                        _check(_unpack(body), f"{path}?{query}")
    assert answered > 100


def _pdf_text(data: bytes) -> str:
    """Every word a reader of the PDF sees (compressed page streams hold arbitrary digit runs)."""
    import io

    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _unpack(data: bytes) -> str:
    """The text inside a ZIP (CSV bundle) or XLSX export."""
    import io
    import zipfile

    if not data.startswith(b"PK"):
        return data.decode("latin-1")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return " ".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


# --- every callback, over HTTP --------------------------------------------------------------------

def _filters(view: dict) -> list[dict]:
    return [{"id": {"name": n, "type": "filter"}, "property": "value", "value": view.get(n, "")} for n in FILTER_NAMES]


def _value(dep: dict, view: dict, metric: str) -> object:
    """A value a browser would send for one input or state."""
    ident, prop = dep["id"], dep["property"]
    if ident.startswith("{"):
        spec = json.loads(ident)
        if spec.get("type") == "filter" and spec.get("name") == ["ALL"]:
            return _filters(view)
        if spec.get("type") == "filter":
            return view.get(spec["name"], "")
        return []  # other pattern-matched lists (approve/changes buttons): none on screen
    if prop == "getRowsRequest":
        return {"startRow": 0, "endRow": 50, "sortModel": [], "filterModel": {}}
    if prop in ("n_clicks", "submit_n_clicks"):
        return 1
    if prop == "search":
        return "?" + "&".join(f"{k}={v}" for k, v in view.items() if not k.startswith("_"))
    if prop == "pathname":
        return view.get("_path", "/")
    if ident.endswith("-metric"):
        return metric
    if ident.endswith("-measure"):
        return "rate" if metric == "IND_SUPPORTED" else "count"
    if ident.endswith("-grain"):
        return "quarter" if metric == "IND_SUPPORTED" else "month"
    return None


def _payload(dep: dict, view: dict, metric: str) -> dict:
    outputs_text = dep["output"]
    multi = outputs_text.startswith("..")
    parts = outputs_text.strip(".").split("...") if multi else [outputs_text.split("@")[0]]
    outputs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        if ident.startswith("{"):
            spec = json.loads(ident)
            ident = {k: ("P3" if v == ["MATCH"] else v) for k, v in spec.items()}
        outputs.append({"id": ident, "property": prop})
    def entry(d: dict) -> object:
        value = _value(d, view, metric)
        wildcard = d["id"].startswith("{") and "ALL" in d["id"]
        return value if wildcard else {**d, "value": value}  # an ALL wildcard is the list of matches

    inputs = [entry(d) for d in dep["inputs"]]
    state = [entry(d) for d in dep["state"]]
    return {"output": outputs_text, "outputs": outputs if multi else outputs[0], "inputs": inputs, "state": state,
            "changedPropIds": [f"{d['id']}.{d['property']}" for d in dep["inputs"][:1]]}


def test_every_callback_keeps_small_counts_hidden(client: FlaskClient) -> None:
    import dash

    deps = client.get("/_dash-dependencies").get_json()
    paths = sorted({page["path"] for page in dash.page_registry.values()})
    assert len(paths) >= 10
    assert len(deps) >= 30
    answered = 0
    for dep in deps:
        if dep.get("clientside_function"):  # runs in the browser, on data a server callback sent
            continue
        routed = any(d["property"] == "pathname" for d in dep["inputs"])
        views = [{**v, "_path": p} for v in VIEWS for p in paths] if routed else VIEWS
        for view in views:
            for metric in ("YP_ENGAGED", "IND_SUPPORTED", "ACTIVE_CASELOAD"):
                response = client.post("/_dash-update-component", json=_payload(dep, view, metric))
                assert response.status_code in (200, 204, 400), (dep["output"], view, response.status_code,
                                                                 response.get_data(as_text=True)[:500])
                if response.status_code == 200:
                    answered += 1
                    _check(response.get_data(as_text=True), f"callback {dep['output'][:80]} {view} {metric}")
    assert answered > 200


def test_pages_state_the_rule_and_hours_stay_exact(client: FlaskClient) -> None:
    """Control: the hand-made hours (13.5, not people) do come back, so the scan above would see numbers."""
    body = client.get("/api/v1/observations?fy=2025/26&metric=DYW_HOURS").get_json()
    assert body["data"][0]["value"] == 13.5
    people = client.get("/api/v1/observations?fy=2025/26&metric=YP_ENGAGED").get_json()
    assert people["data"][0]["value"] is None and people["data"][0]["suppressed"] is True
    assert "1 to 900 people" in people["meta"]["suppression"]


def test_nothing_above_the_service_layer_reads_exact_counts() -> None:
    """The queries that return exact counts of people with their keys may be called by service/ only:
    pages, API, charts and reporting must go through the gate (service.gate)."""
    root = Path(__file__).resolve().parents[2]
    exact = re.compile(r"\b(monthly_totals|grouped_values|breakdown_totals|project_outcomes|observation_queries|"
                       r"breakdown_queries)\b")
    offenders = []
    for folder in ("dashboard", "charts", "reporting"):
        for path in (root / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if exact.search(line) and not line.lstrip().startswith("#"):
                    offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
