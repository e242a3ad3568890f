"""Production mode: every page, callback, layout and API call needs a signed-in user.

The real app runs as a server in production mode (its own process and SQLite file, a real password
hash); requests go over HTTP as a browser's would, without following redirects.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    db = tmp_path_factory.mktemp("prod") / "prod.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "WARM_CACHE": "0"}
    for args in (["init"], ["load", str(ROOT / "data" / "sample" / "areas.csv")]):  # not empty: no demo load
        subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    env.update(APP_ENV="production", SECRET_KEY="s" * 48, DISCLOSURE_KEY="d" * 48, PORT=str(port), HOST="127.0.0.1",
               DASHBOARD_USERS=f"manager:{generate_password_hash(PASSWORD)}")
    proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if request(port, "GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("the production server did not start")
    yield port
    proc.terminate()
    proc.wait(10)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def sign_in(port: int, password: str, nxt: str = "/projects") -> tuple[int, dict[str, str]]:
    form = urllib.parse.urlencode({"username": "manager", "password": password, "next": nxt}).encode()
    status, headers, _ = request(port, "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
    return status, headers


CALLBACK = json.dumps({"output": "overview-body.children", "outputs": {"id": "overview-body", "property": "children"},
                       "inputs": [], "changedPropIds": []}).encode()


def test_nothing_but_the_login_page_and_static_files_without_signing_in(server: int) -> None:
    for page in ("/", "/projects", "/data-quality?fy=2024%2F25"):
        status, headers, _ = request(server, "GET", page)
        assert status == 302 and headers["location"].startswith("/login?next=")
    for path in ("/_dash-layout", "/_dash-dependencies", "/api/v1/kpis", "/api/v1/projects?format=csv"):
        assert request(server, "GET", path)[0] == 401, path
    assert request(server, "POST", "/_dash-update-component", CALLBACK, {"Content-Type": "application/json"})[0] == 401
    assert request(server, "GET", "/login")[0] == 200
    assert request(server, "GET", "/assets/style.css")[0] == 200


def test_a_wrong_password_gets_no_session_and_the_right_one_opens_everything(server: int) -> None:
    status, headers = sign_in(server, "wrong password")
    assert status == 200 and "set-cookie" not in headers
    status, headers = sign_in(server, PASSWORD, nxt="https://evil.example/")
    assert status == 302 and headers["location"] == "/"  # never sent off-site
    cookie = headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie
    session = {"Cookie": cookie.split(";", 1)[0]}
    assert request(server, "GET", "/projects", headers=session)[0] == 200
    assert request(server, "GET", "/_dash-layout", headers=session)[0] == 200
    status, _, body = request(server, "GET", "/api/v1/kpis", headers=session)
    assert status == 200 and "data" in json.loads(body)
