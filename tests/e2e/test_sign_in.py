"""In a real browser, in production mode: sign in through the form as each kind of user, see only
that role's pages and rows, sign out, and find the old session dead. Tables shown through Markdown
render hostile text as text."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, free_port
from tests.e2e.conftest import CHROMIUM, ROOT, dashboard_process, wait_for_dash
from tests.e2e.conftest import sign_in as signed_in

pytestmark = pytest.mark.e2e
PASSWORD = "browser test password 42"
USERS = (("e2e-partner", "partner", "ORG001"), ("e2e-board", "board", ""), ("e2e-manager", "manager", ""))


@pytest.fixture(scope="module")
def prod_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    db = tmp_path_factory.mktemp("signin") / "signin.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "WARM_CACHE": "0"}
    env.pop("APP_ENV", None)
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([sys.executable, "-m", "etl", "demo", "--sample-dir", str(SAMPLE)], **run)
    for name, role, org in USERS:
        subprocess.run([sys.executable, "-m", "etl", "users", "add", name, "--role", role,
                        *(["--org", org] if org else [])], **run)
        subprocess.run([sys.executable, "-m", "etl", "users", "set-password", name], input=PASSWORD + "\n", **run)
    env.update(APP_ENV="production", SECRET_KEY=secrets.token_urlsafe(48), DISCLOSURE_KEY=secrets.token_urlsafe(48),
               ALLOW_SQLITE="1")
    with dashboard_process(env, db, wait_s=180) as (url, _proc):
        yield url


@pytest.fixture
def signed_out(browser, prod_server: str) -> Iterator[object]:  # noqa: ANN001
    # The server speaks plain HTTP here, so the browser must be told to keep Secure cookies for it.
    context = browser.new_context(base_url=prod_server, viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)[:300]))
    yield pg
    context.close()
    assert not errors, errors


def sign_in(pg, name: str) -> None:  # noqa: ANN001
    """Sign in, or skip where this Chromium keeps no Secure cookie over plain HTTP on 127.0.0.1."""
    if not signed_in(pg, name, PASSWORD):
        pytest.skip("this Chromium keeps no Secure cookie over plain HTTP on 127.0.0.1")


def test_partner_signs_in_through_the_form_and_sees_only_their_projects(signed_out, prod_server) -> None:  # noqa: ANN001
    pg = signed_out
    pg.goto("/projects")
    assert "/login" in pg.url
    sign_in(pg, "e2e-partner")
    wait_for_dash(pg)
    assert pg.url.endswith("/projects")
    nav = pg.locator("nav[aria-label=Main] a").all_inner_texts()
    assert nav == ["Projects and partners", "Data quality"]
    pg.wait_for_selector(".ag-row", timeout=60_000)
    import pandas as pd

    projects = pd.read_csv(SAMPLE / "projects.csv")
    others = projects.loc[projects["org_code"] != "ORG001", "project_code"]
    content = pg.content()
    assert not [c for c in others if f">{c}<" in content]
    pg.goto("/")
    assert pg.url.endswith("/projects")  # the overview is not a partner's; they land on their projects
    response = pg.goto("/funding")
    assert response.status == 403


def test_sign_out_ends_the_session_for_good(signed_out) -> None:  # noqa: ANN001
    pg = signed_out
    sign_in(pg, "e2e-board")
    wait_for_dash(pg)
    cookies = pg.context.cookies()
    assert pg.goto("/projects").status == 403
    pg.goto("/logout")
    pg.click("button[type=submit]")
    pg.wait_for_load_state("networkidle")
    assert "/login" in pg.url
    pg.context.add_cookies([c for c in cookies if c["name"] == "vvu_session"])  # the saved cookie, replayed
    pg.goto("/")
    assert "/login" in pg.url


MARKDOWN_APP = r'''
import sys
from dash import Dash, html
from dashboard.components.html_table import html_table
attacks = sys.argv[2].split("\x1e")
app = Dash(__name__)
app.layout = html.Div([html_table("Hostile names", ["Name", "Count"], [[a, "1"] for a in attacks], numeric={1})],
                      id="root")
app.run(port=int(sys.argv[1]), debug=False)
'''


def test_markdown_in_names_renders_as_text_in_a_real_browser(browser, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.unit.test_tables_markup import MARKDOWN_ATTACKS

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    script = tmp_path / "markdown_app.py"
    script.write_text(MARKDOWN_APP)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), str(port), "\x1e".join(MARKDOWN_ATTACKS)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        context = browser.new_context()
        pg = context.new_page()
        dialogs: list[str] = []
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        deadline = time.time() + 60
        while True:
            try:
                pg.goto(f"http://127.0.0.1:{port}/")
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        pg.wait_for_selector("table.data tbody tr", timeout=30_000)
        root = pg.locator("#root")
        assert root.locator("a").count() == 0
        assert root.locator("img").count() == 0
        assert root.locator("script").count() == 0
        assert root.locator("code, pre, h1, em, strong").count() == 0
        assert root.locator("tbody tr").count() == len(MARKDOWN_ATTACKS)
        first = root.locator("tbody tr th").first.inner_text()
        assert "[Session expired: sign in](https://evil.example/login)" in first  # shown, as plain text
        assert not dialogs
        context.close()
    finally:
        proc.terminate()
        proc.wait(10)
