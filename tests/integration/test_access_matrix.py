"""Every route and every callback, for every role and for an anonymous client, in production mode.

The routes come from ``app.server.url_map`` and ``dash.page_registry``, the callbacks from Dash's
callback map, so a new page, endpoint or callback is covered without editing this test; one missing
from the policy table (``dashboard.access``) is refused for everyone but admin, which the matrix
shows. Also here: partner A never sees partner B's projects through pages, callbacks, the API,
exports or the cache; a replayed cookie after sign-out; lock-out; a foreign Origin; idle timeout;
disabled users; API tokens. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dash
import pytest
from flask.testing import FlaskClient

from dashboard import access
from reporting import snapshots
from warehouse import queries, users

PASSWORD = "a long test password 123"
ORG = "ORG001"
ROLES = sorted(access.ALL_ROLES)
BASE = "https://localhost"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture(scope="module")
def site(sample_engine, tmp_path_factory) -> Iterator[dict[str, Any]]:  # noqa: ANN001
    """The real app, in production mode, reading the sample database; users of every role; one approved
    and one draft snapshot."""
    mp = pytest.MonkeyPatch()
    mp.setenv("WARM_CACHE", "0")
    mp.setenv("DATABASE_URL", sample_engine.url.render_as_string(hide_password=False))
    import dashboard.app as web
    from service import cache

    gate = web.server.extensions["vvu_gate"]
    mp.setattr(gate, "production", True)
    try:  # with Redis when it runs here, so the shared cache is part of what partner scope is tested through
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        mp.setenv("CACHE_URL", REDIS_URL)
    except Exception:  # noqa: BLE001 - Redis not reachable: in-process cache only
        pass
    cache.clear_local()
    names = {}
    for role in ROLES:
        name = f"t-{role}"
        if not users.user_exists(sample_engine, name):
            users.add_user(sample_engine, name, role, ORG if role == "partner" else "")
            users.set_password(sample_engine, name, PASSWORD)
        names[role] = name
    if not users.user_exists(sample_engine, "t-partner-b"):
        users.add_user(sample_engine, "t-partner-b", "partner", "ORG002")
        users.set_password(sample_engine, "t-partner-b", PASSWORD)
    existing = snapshots.list_snapshots(sample_engine)
    approved = next((s.id for s in existing if s.status == "approved"), None)
    if approved is None:
        approved = snapshots.create_snapshot(sample_engine, "2022/23 Q3", made_by="t-manager", threshold=9).id
        snapshots.approve_snapshot(sample_engine, approved, approved_by="t-approver")
    draft = snapshots.create_snapshot(sample_engine, "2022/23 Q2", made_by="t-manager", threshold=9).id
    projects = queries.projects(sample_engine)
    mine = projects[projects["org_code"] == ORG]
    others = projects[projects["org_code"] != ORG]
    yield {"app": web.app, "server": web.server, "gate": gate, "engine": sample_engine, "names": names,
           "approved": approved, "draft": draft, "own_code": mine["project_code"].iloc[0], "mine": mine,
           "others": others}
    cache.clear_local()
    mp.undo()


def client(site: dict, addr: str = "127.0.0.1") -> FlaskClient:
    c = site["server"].test_client()
    c.environ_base["REMOTE_ADDR"] = addr
    return c


def sign_in(site: dict, name: str, password: str = PASSWORD, addr: str = "127.0.0.1") -> tuple[FlaskClient, Any]:
    c = client(site, addr)
    form = c.get(f"{BASE}/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form.data).group(1).decode()
    response = c.post(f"{BASE}/login", data={"username": name, "password": password, "csrf_token": token,
                                             "next": "/"}, headers={"Origin": BASE})
    return c, response


def headers_for(c: FlaskClient) -> dict[str, str]:
    cookie = c.get_cookie("_csrf_token")
    return {"Origin": BASE, **({"X-CSRFToken": cookie.value} if cookie else {})}


def api_routes(site: dict) -> list[tuple[str, str]]:
    """(endpoint, concrete URL) for every API rule; path variables filled with real ids."""
    out = []
    for rule in site["server"].url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        url = rule.rule.replace("<code>", site["own_code"]).replace("<int:sid>", str(site["approved"]))
        url = url.replace("<name>", "lsoa").replace(".<path:ext>", ".pdf")
        out.append((rule.endpoint, url))
    assert len(out) >= 15
    return out


def api_call(site: dict, c: FlaskClient, endpoint: str, url: str) -> Any:
    """GET a read route; POST (an empty body, with the session's CSRF token) to a write route."""
    rule = next(r for r in site["server"].url_map.iter_rules() if r.endpoint == endpoint)
    if "GET" not in rule.methods:
        return c.post(BASE + url, json={}, headers=headers_for(c))
    return c.get(BASE + url)


def page_urls(site: dict) -> list[tuple[str, str]]:
    out = []
    for page in dash.page_registry.values():
        template = page.get("path_template") or page["path"]
        out.append((template, template.replace("<code>", site["own_code"])))
    return out


def callback_body(output: str, entry: dict, pathname: str = "/") -> dict:
    """A well-formed request for a callback (as the renderer sends it), with empty values; the
    router's pathname set to the page asked for."""
    specs = [part for part in output.strip(".").split("...")] if output.startswith("..") else [output]
    outputs = [{"id": spec.rsplit(".", 1)[0], "property": spec.rsplit(".", 1)[1].split("@")[0]} for spec in specs
               if "." in spec] or [{"id": "none", "property": "none"}]

    def value(item: dict) -> Any:
        if item["property"] == "pathname":
            return pathname
        return "" if item["property"] == "search" else None

    def fill(items: list[dict]) -> list:
        return [[] if str(i["id"]).startswith("{") else {"id": i["id"], "property": i["property"], "value": value(i)}
                for i in items]

    return {"output": output, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": fill(entry.get("inputs", [])), "state": fill(entry.get("state", [])),
            "changedPropIds": []}


def test_anonymous_gets_nothing_but_sign_in_health_and_static_files(site) -> None:  # noqa: ANN001
    c = client(site)
    for template, url in page_urls(site):
        r = c.get(BASE + url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), template
    for endpoint, url in api_routes(site):
        assert api_call(site, c, endpoint, url).status_code == 401, endpoint
    for output, entry in site["app"].callback_map.items():
        r = c.post(f"{BASE}/_dash-update-component", json=callback_body(output, entry), headers={"Origin": BASE})
        assert r.status_code == 401, output
    assert c.get(f"{BASE}/_dash-layout").status_code == 401
    assert c.get(f"{BASE}/login").status_code == 200
    assert c.get(f"{BASE}/health").status_code == 200
    assert c.get(f"{BASE}/assets/style.css").status_code == 200
    for unknown in ("/healthz", "/wp-admin", "/projects/x/y"):
        r = c.get(BASE + unknown)
        assert r.status_code == 404 and b"_dash-config" not in r.data and b"dash" not in r.data.lower(), unknown


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_its_pages_endpoints_and_callbacks(site, role: str) -> None:  # noqa: ANN001
    c, r = sign_in(site, site["names"][role])
    assert r.status_code == 302
    for template, url in page_urls(site):
        r = c.get(BASE + url)
        allowed = access.page_allows(template, role)
        if allowed:
            assert r.status_code == 200, (role, template)
        else:
            assert r.status_code in (302, 403), (role, template)  # 302: "/" sends a role to its own home
        # The page's layout comes through Dash Pages' router callback: the same decision.
        router = next(k for k in site["app"].callback_map if "_pages_content" in k)
        r = c.post(f"{BASE}/_dash-update-component", headers=headers_for(c),
                   json=callback_body(router, site["app"].callback_map[router], url))
        assert (r.status_code == 403) is (not allowed), (role, template, r.status_code)
    for endpoint, url in api_routes(site):
        r = api_call(site, c, endpoint, url)
        if access.api_allows(endpoint, role):
            assert r.status_code not in (401, 403), (role, endpoint)
            assert r.headers["Cache-Control"] == "no-store"
        else:
            assert r.status_code == 403, (role, endpoint, r.status_code)
    gate = site["gate"]
    for output, entry in site["app"].callback_map.items():
        if "_pages_content" in output:
            continue
        page = gate.page_of(output)
        expected = role == "admin" if page is None else (page == "" or access.page_allows(page, role))
        r = c.post(f"{BASE}/_dash-update-component", json=callback_body(output, entry), headers=headers_for(c))
        assert (r.status_code == 403) is (not expected), (role, output, page, r.status_code)
        assert r.status_code != 500, (role, output)


def test_every_route_and_callback_has_a_policy(site) -> None:  # noqa: ANN001
    for endpoint, _url in api_routes(site):
        assert endpoint in access.API, f"{endpoint} is not in dashboard.access.API"
    for template, _url in page_urls(site):
        assert template in access.PAGES, f"page {template} is not in dashboard.access.PAGES"
    for output in site["app"].callback_map:
        assert site["gate"].page_of(output) is not None, f"callback {output} belongs to no page"


def _leaks(site: dict, body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    found = [code for code in site["others"]["project_code"] if re.search(rf"\b{re.escape(code)}\b", text)]
    found += [name for name in site["others"]["project_name"] if name and name in text]
    return found


def test_partner_a_never_sees_partner_b(site) -> None:  # noqa: ANN001
    c, _ = sign_in(site, site["names"]["partner"])
    mine = set(site["mine"]["project_code"])
    seen_own = False
    for endpoint, url in api_routes(site):
        for suffix in ("", "&format=csv" if "?" in url else "?format=csv"):
            r = c.get(BASE + url + suffix)
            if r.status_code == 200:
                assert not _leaks(site, r.data), (endpoint, suffix, _leaks(site, r.data)[:3])
                seen_own |= any(code.encode() in r.data for code in mine)
    assert seen_own, "the partner saw none of their own projects either"
    other = site["others"]["project_code"].iloc[0]
    assert c.get(f"{BASE}/projects/{other}").status_code == 404
    assert c.get(f"{BASE}/api/v1/projects/{other}").status_code == 404
    assert c.get(f"{BASE}/api/v1/returns?project={other}").status_code == 404
    layout = c.get(f"{BASE}/_dash-layout")
    assert layout.status_code == 200 and not _leaks(site, layout.data)
    app = site["app"]
    router = next(k for k in app.callback_map if "_pages_content" in k)
    for template, url in page_urls(site):
        if access.page_allows(template, "partner"):
            r = c.post(f"{BASE}/_dash-update-component", headers=headers_for(c),
                       json=callback_body(router, app.callback_map[router], url))
            assert r.status_code == 200 and not _leaks(site, r.data), template
    # The projects grid and its CSV export: the rows a partner's callback returns.
    grid = {"output": "projects-grid.getRowsResponse",
            "outputs": {"id": "projects-grid", "property": "getRowsResponse"},
            "inputs": [{"id": "projects-grid", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 500}}],
            "state": [[], []], "changedPropIds": ["projects-grid.getRowsRequest"]}
    r = c.post(f"{BASE}/_dash-update-component", json=grid, headers=headers_for(c))
    assert r.status_code == 200 and not _leaks(site, r.data)
    assert any(code.encode() in r.data for code in mine)
    # A callback asked about another partner's project by its code is refused before it runs.
    detail = {"output": "project-detail-body.children",
              "outputs": {"id": "project-detail-body", "property": "children"},
              "inputs": [], "state": [{"id": "project-detail-code", "property": "data", "value": other}],
              "changedPropIds": []}
    assert c.post(f"{BASE}/_dash-update-component", json=detail, headers=headers_for(c)).status_code == 403


def test_board_sees_no_project_rows_and_homeoffice_only_approved_snapshots(site) -> None:  # noqa: ANN001
    board, _ = sign_in(site, site["names"]["board"])
    for url in ("/projects", f"/projects/{site['own_code']}", "/data-quality"):
        assert board.get(BASE + url).status_code == 403
    for url in ("/api/v1/projects", "/api/v1/returns", "/api/v1/observations", "/api/v1/rejections"):
        assert board.get(BASE + url).status_code == 403
    # Funding: the partnership's money (allocation, spend by quarter), never rows by project.
    assert board.get(f"{BASE}/funding").status_code == 200
    money = board.get(f"{BASE}/api/v1/funding")
    assert money.status_code == 200 and set(money.get_json()) == {"meta", "allocation", "quarterly"}
    assert b"PRJ" not in money.data
    assert board.get(f"{BASE}/api/v1/funding?table=forecast&format=csv").status_code == 403
    assert board.get(f"{BASE}/api/v1/funding?table=allocation&format=csv").status_code == 200
    manager, _ = sign_in(site, site["names"]["manager"])
    assert set(manager.get(f"{BASE}/api/v1/funding").get_json()) >= {"forecast", "costs"}
    for role in ("board", "homeoffice"):
        c, _ = sign_in(site, site["names"][role])
        listing = c.get(f"{BASE}/api/v1/snapshots").get_json()["data"]
        assert listing and all(s["status"] == "approved" for s in listing)
        assert c.get(f"{BASE}/api/v1/snapshots/{site['draft']}").status_code == 404
        assert c.get(f"{BASE}/api/v1/snapshots/{site['draft']}/export.pdf").status_code == 404
        assert c.get(f"{BASE}/api/v1/snapshots/{site['approved']}/export.pdf").status_code == 200


def test_a_cookie_replayed_after_sign_out_is_refused(site) -> None:  # noqa: ANN001
    c, r = sign_in(site, site["names"]["manager"])
    session = c.get_cookie("vvu_session")
    assert session.secure and session.http_only and session.same_site == "Lax"
    assert c.get(f"{BASE}/api/v1/kpis").status_code == 200
    page = c.get(f"{BASE}/logout")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    assert c.post(f"{BASE}/logout", data={"csrf_token": token}, headers={"Origin": BASE}).status_code == 302
    replay = client(site)
    replay.set_cookie("vvu_session", session.value, domain="localhost")
    assert replay.get(f"{BASE}/api/v1/kpis").status_code == 401
    assert replay.get(f"{BASE}/projects").status_code == 302


def test_idle_sessions_and_disabled_users_end_at_once(site, monkeypatch) -> None:  # noqa: ANN001
    c, _ = sign_in(site, site["names"]["approver"])
    assert c.get(f"{BASE}/api/v1/kpis").status_code == 200
    monkeypatch.setattr(site["gate"], "idle", timedelta(seconds=-1))
    assert c.get(f"{BASE}/api/v1/kpis").status_code == 401
    monkeypatch.undo()
    users.add_user(site["engine"], "t-leaver", "manager") if not users.user_exists(site["engine"], "t-leaver") else None
    users.set_disabled(site["engine"], "t-leaver", False)
    users.set_password(site["engine"], "t-leaver", PASSWORD)
    c, _ = sign_in(site, "t-leaver")
    assert c.get(f"{BASE}/api/v1/kpis").status_code == 200
    users.set_disabled(site["engine"], "t-leaver")
    assert c.get(f"{BASE}/api/v1/kpis").status_code == 401


def test_lock_out_per_name_and_per_address(site) -> None:  # noqa: ANN001
    name = site["names"]["board"]
    for _ in range(site["gate"].settings.login_max_failures):
        _c, r = sign_in(site, name, "wrong password", addr="10.9.0.1")
        assert r.status_code == 200 and b"not recognised" in r.data
    _c, r = sign_in(site, name, PASSWORD, addr="10.9.0.2")  # the right password, another address: name locked
    assert r.status_code == 429 and _c.get_cookie("vvu_session") is None
    _c, r = sign_in(site, site["names"]["manager"], PASSWORD, addr="10.9.0.1")  # the address is locked too
    assert r.status_code == 429
    for i in range(site["gate"].settings.login_max_failures):  # unknown names count and lock the same way
        _c, r = sign_in(site, f"nobody-{i}", "x", addr="10.9.0.3")
        assert r.status_code == 200
    assert sign_in(site, "nobody-0", "x", addr="10.9.0.3")[1].status_code == 429
    log = users.audit_log(site["engine"], 50, "signin")
    assert {"failed", "locked"} <= set(log["outcome"])
    assert not log["actor"].str.contains("wrong password|nobody").any()  # no typed secrets or unknown names
    users.clear_failures(site["engine"], [f"user:{name}", "addr:10.9.0.1", "addr:10.9.0.3"])


def test_foreign_origin_and_missing_csrf_are_refused(site) -> None:  # noqa: ANN001
    c, _ = sign_in(site, site["names"]["manager"])
    output = "overview-body.children"
    body = callback_body(output, site["app"].callback_map[output])
    ok = headers_for(c)
    assert c.post(f"{BASE}/_dash-update-component", json=body, headers={**ok, "Origin": "https://evil.example"}
                  ).status_code == 403
    assert c.post(f"{BASE}/_dash-update-component", json=body, headers={"Origin": BASE}).status_code == 403
    assert c.post(f"{BASE}/_dash-update-component", json=body, headers=ok).status_code != 403
    fresh = client(site)
    r = fresh.post(f"{BASE}/login", data={"username": site["names"]["manager"], "password": PASSWORD},
                   headers={"Origin": BASE})
    assert r.status_code == 400 and fresh.get_cookie("vvu_session") is None  # no CSRF token: no sign-in


def test_wrong_typed_callback_inputs_are_a_clean_400(site, caplog) -> None:  # noqa: ANN001
    c, _ = sign_in(site, site["names"]["manager"])
    body = {"output": "projects-grid.getRowsResponse",
            "outputs": {"id": "projects-grid", "property": "getRowsResponse"},
            "inputs": [{"id": "projects-grid", "property": "getRowsRequest", "value": {"startRow": "x"}}],
            "state": [{"not": "a list"}, 7], "changedPropIds": []}
    caplog.clear()
    r = c.post(f"{BASE}/_dash-update-component", json=body, headers=headers_for(c))
    assert r.status_code in (200, 204, 400)
    assert b"Traceback" not in r.data
    assert not any(rec.exc_info for rec in caplog.records)


def test_api_tokens_carry_their_users_role_and_scope(site) -> None:  # noqa: ANN001
    tid, token = users.create_token(site["engine"], site["names"]["partner"], "test")
    c = client(site)
    bearer = {"Authorization": f"Bearer {token}"}
    r = c.get(f"{BASE}/api/v1/projects?format=csv", headers=bearer)
    assert r.status_code == 200 and not _leaks(site, r.data)
    assert c.get(f"{BASE}/api/v1/kpis", headers=bearer).status_code == 403
    assert c.get(f"{BASE}/projects", headers=bearer).status_code == 302  # tokens are for the API only
    users.revoke_token(site["engine"], tid)
    assert c.get(f"{BASE}/api/v1/projects", headers=bearer).status_code == 401


def test_headers_in_production(site) -> None:  # noqa: ANN001
    c, _ = sign_in(site, site["names"]["admin"])
    r = c.get(f"{BASE}/")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    csp = r.headers["Content-Security-Policy"]
    script = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-eval" not in csp and "unsafe-inline" not in script and "sha256-" in script
    assert "Server" not in r.headers or "gunicorn" not in r.headers["Server"].lower()
    assert json.loads(c.get(f"{BASE}/health").data) == {"status": "ok"}


def _act(c: FlaskClient, create: int = 0, approve: int | None = None) -> Any:
    approve_inputs = [] if approve is None else [
        {"id": {"index": approve, "type": "reporting-approve"}, "property": "submit_n_clicks", "value": 1}]
    changed = [f'{{"index":{approve},"type":"reporting-approve"}}.submit_n_clicks'] if approve is not None \
        else ["reporting-create.n_clicks"]
    body = {"output": "..reporting-message.children...reporting-version.data..",
            "outputs": [{"id": "reporting-message", "property": "children"},
                        {"id": "reporting-version", "property": "data"}],
            "inputs": [{"id": "reporting-create", "property": "n_clicks", "value": create}, approve_inputs, []],
            "state": [{"id": "reporting-quarter", "property": "value", "value": "2022/23 Q1"},
                      {"id": "reporting-version", "property": "data", "value": 0},
                      {"id": "reporting-reason", "property": "value", "value": ""}],
            "changedPropIds": changed}
    r = c.post(f"{BASE}/_dash-update-component", json=body, headers=headers_for(c))
    assert r.status_code == 200, r.data[:200]
    return r.get_data(as_text=True)


def test_maker_checker_through_the_reporting_page(site) -> None:  # noqa: ANN001
    manager, _ = sign_in(site, site["names"]["manager"])
    approver, _ = sign_in(site, site["names"]["approver"])
    board, _ = sign_in(site, site["names"]["board"])
    assert "cannot make snapshots" in _act(approver, create=1)
    assert "cannot make snapshots" in _act(board, create=1)
    assert "Made draft snapshot" in _act(manager, create=1)
    sid = max(s.id for s in snapshots.list_snapshots(site["engine"]))
    assert "cannot approve" in _act(manager, approve=sid)  # a manager is no approver
    assert "cannot approve" in _act(board, approve=sid)
    assert "Approved snapshot" in _act(approver, approve=sid)
    log = users.audit_log(site["engine"], 20, "snapshot")
    assert {("snapshot.draft", "t-manager"), ("snapshot.approve", "t-approver")} <= set(zip(log["action"],
                                                                                          log["actor"], strict=True))
    admin, _ = sign_in(site, site["names"]["admin"])
    # An admin who made a draft cannot approve it either (maker-checker holds for every role).
    assert "Made draft snapshot" in _act(admin, create=1)
    sid = max(s.id for s in snapshots.list_snapshots(site["engine"]))
    assert "someone else must approve" in _act(admin, approve=sid)
    page = admin.get(f"{BASE}/admin/audit")
    assert page.status_code == 200
    assert manager.get(f"{BASE}/admin/audit").status_code == 403


def test_health_checks_the_database_and_the_cache(site, monkeypatch) -> None:  # noqa: ANN001
    c = client(site)
    assert c.get(f"{BASE}/health").get_json() == {"status": "ok"}
    monkeypatch.setenv("CACHE_URL", "redis://:pw@127.0.0.1:1/0")  # nothing listens on port 1
    r = c.get(f"{BASE}/health")
    assert r.status_code == 503 and r.get_json() == {"status": "unavailable"}
    monkeypatch.setenv("CACHE_URL", "")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    r = c.get(f"{BASE}/health")
    assert r.status_code == 503 and r.get_json() == {"status": "unavailable"}


def test_recording_a_chase_through_the_api_is_staff_only_and_csrf_guarded(site) -> None:  # noqa: ANN001
    url = f"{BASE}/api/v1/chase/records"
    body = {"project_code": site["own_code"], "quarter": "2022/23 Q3", "note": "emailed the contact"}
    manager, _ = sign_in(site, site["names"]["manager"])
    before = manager.get(f"{BASE}/api/v1/chase?fy=2022/23").get_json()["data"]
    assert manager.post(url, json=body, headers={"Origin": BASE}).status_code == 403  # no CSRF token
    foreign = {**headers_for(manager), "Origin": "https://evil.example"}
    assert manager.post(url, json=body, headers=foreign).status_code == 403
    assert manager.post(url, json={"quarter": "2022/23 Q3"}, headers=headers_for(manager)).status_code == 400
    bad = manager.post(url, json={**body, "quarter": "Q3"}, headers=headers_for(manager))
    assert bad.status_code == 400 and "quarter" in bad.get_json()["error"]
    r = manager.post(url, json=body, headers=headers_for(manager))
    assert r.status_code == 201, r.get_data(as_text=True)
    (row,) = r.get_json()["data"]
    assert (row["project_code"], row["quarter"], row["last_chased_by"]) == (
        site["own_code"], "2022/23 Q3", site["names"]["manager"])
    # The chase list shows it, if that return is one to chase in the view.
    after = manager.get(f"{BASE}/api/v1/chase?fy=2022/23").get_json()["data"]
    listed = [a for a in after if a["project_code"] == site["own_code"] and a["quarter"] == "2022/23 Q3"]
    assert len(after) == len(before)
    assert all((a["last_chased"], a["last_chased_by"]) == (row["last_chased"], row["last_chased_by"]) for a in listed)
    for role in ("partner", "board", "approver"):
        c, _ = sign_in(site, site["names"][role])
        assert c.post(url, json=body, headers=headers_for(c)).status_code == 403, role
    # A bearer token is not sent by a browser on its own: it needs no CSRF token.
    tid, token = users.create_token(site["engine"], site["names"]["manager"], "chase test")
    try:
        r = client(site).post(url, json=body, headers={"Authorization": f"Bearer {token}", "Origin": BASE})
        assert r.status_code == 201 and r.get_json()["data"][0]["chases"] == row["chases"] + 1
    finally:
        users.revoke_token(site["engine"], tid)
