"""Production mode: every page, callback, layout and API call needs a signed-in user.

The real app runs as a server in production mode (its own process and SQLite file, allowed with
ALLOW_SQLITE; a user made with the command line, the password given on stdin); requests go over
HTTP as a browser's would, without following redirects. Also: a flood of sign-ins does not stop
/health answering, and typos in APP_ENV stop the start.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    db = tmp_path_factory.mktemp("prod") / "prod.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "WARM_CACHE": "0"}
    for args in (["init"], ["load", str(ROOT / "data" / "sample" / "areas.csv")]):  # not empty: no demo load
        subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "etl", "users", "add", "manager", "--role", "manager"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "etl", "users", "set-password", "manager"], cwd=ROOT, env=env, check=True,
                   capture_output=True, input=PASSWORD + "\n", text=True)
    port = free_port()
    env.update(APP_ENV="production", SECRET_KEY=secrets.token_urlsafe(48), DISCLOSURE_KEY=secrets.token_urlsafe(48),
               PORT=str(port), HOST="127.0.0.1", ALLOW_SQLITE="1")
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
    headers: dict[str, str] = {}
    for k, v in resp.getheaders():  # several Set-Cookie headers are kept, one per line
        headers[k.lower()] = f"{headers[k.lower()]}\n{v}" if k.lower() in headers else v
    out = resp.status, headers, resp.read()
    conn.close()
    return out


def sign_in(port: int, password: str, nxt: str = "/projects") -> tuple[int, dict[str, str]]:
    """Through the real form: fetch it (CSRF token and its cookie), then post it from this site."""
    _status, headers, body = request(port, "GET", "/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
    cookie = headers["set-cookie"].split(";", 1)[0]
    form = urllib.parse.urlencode({"username": "manager", "password": password, "next": nxt,
                                   "csrf_token": token}).encode()
    status, headers, _ = request(port, "POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"})
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
    assert status == 200 and "vvu_session" not in headers.get("set-cookie", "")
    status, headers = sign_in(server, PASSWORD, nxt="https://evil.example/")
    assert status == 302 and headers["location"] == "/"  # never sent off-site
    cookie = headers["set-cookie"]
    line = next(c for c in cookie.split("\n") if c.startswith("vvu_session="))
    assert "Secure" in line and "HttpOnly" in line and "SameSite=Lax" in line
    session = {"Cookie": re.search(r"vvu_session=[^;]+", cookie).group(0)}
    assert request(server, "GET", "/projects", headers=session)[0] == 200
    assert request(server, "GET", "/_dash-layout", headers=session)[0] == 200
    status, _, body = request(server, "GET", "/api/v1/kpis", headers=session)
    assert status == 200 and "data" in json.loads(body)


def test_no_software_banner_and_unknown_paths_are_plain_404s(server: int) -> None:
    status, headers, body = request(server, "GET", "/healthz")
    assert status == 404 and b"_dash-config" not in body and b"dash" not in body.lower()
    assert headers.get("server", "") in ("", "vvu")
    status, headers, body = request(server, "GET", "/health")
    assert status == 200 and json.loads(body) == {"status": "ok"} and "strict-transport-security" in headers


def test_a_login_flood_does_not_stop_health(server: int) -> None:
    """32 wrong sign-ins from 16 threads while /health is asked: every /health answers 200. (How fast
    it stays is measured in bench/login.py, not asserted here.)"""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_i: int) -> int:
        return sign_in(server, "wrong password")[0]

    with ThreadPoolExecutor(16) as pool:
        flood = [pool.submit(attempt, i) for i in range(32)]
        health = [request(server, "GET", "/health")[0] for _ in range(10)]
        codes = [f.result() for f in flood]
    assert set(health) == {200}
    assert set(codes) <= {200, 429, 503}  # wrong password, locked out, or turned away while busy hashing
    assert {429, 503} & set(codes)


@pytest.mark.parametrize("env", ["prod", "Production", "staging"])
def test_an_app_env_typo_stops_the_start(env: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", "import dashboard.app"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "APP_ENV": env, "WARM_CACHE": "0",
                                 "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}, timeout=120)
    assert result.returncode != 0 and "APP_ENV must be exactly" in result.stderr
