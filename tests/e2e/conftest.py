"""Browser tests: the real app (``python -m dashboard``) on the sample data, in headless Debian Chromium.

Every test gets a fresh page whose console errors fail the test at the end; ``check_axe`` runs
axe-core (WCAG 2.2 AA) and ``screenshot`` saves a PNG under tests/e2e/screenshots/ (git-ignored)
for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

pytestmark = pytest.mark.e2e
LIVE_DB: dict[str, str] = {}  # the live server's DATABASE_URL, for tests that add users to it


@contextmanager
def dashboard_process(env: dict[str, str], db: Path, wait_s: float = 240) -> Iterator[tuple[str, subprocess.Popen]]:
    """``python -m dashboard`` as a user starts it, with ``env`` (PORT and HOST set here), until it answers
    /health: (its URL, the process), stopped afterwards. Its output goes to ``db``'s .log file."""
    port = free_port()
    env = {**env, "PORT": str(port), "HOST": "127.0.0.1"}
    log = open(db.with_suffix(".log"), "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "dashboard"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + wait_s
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"dashboard exited: {db.with_suffix('.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"dashboard did not answer within {wait_s:.0f} s")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard as a new user starts it, on its own SQLite file and port."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    db = tmp_path_factory.mktemp("e2e") / "e2e.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    env.pop("APP_ENV", None)
    LIVE_DB["url"] = env["DATABASE_URL"]
    with dashboard_process(env, db) as (url, proc):
        # The first start serves before the sample's generated crime months are in; tests check their numbers.
        deadline = time.time() + 300
        while "sample crime data: every month loaded" not in db.with_suffix(".log").read_text():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"sample crime data not loaded: {db.with_suffix('.log').read_text()[-2000:]}")
            time.sleep(1)
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def is_local(url: str, live_server: str) -> bool:
    """A request that stays on this machine: the app itself, or data the page made (data:, blob:)."""
    return url.startswith((live_server + "/", "data:", "blob:", "about:")) or url == live_server


def new_page(browser, live_server: str, width: int = 1366, height: int = 900):  # noqa: ANN001, ANN201
    """A page whose console errors, uncaught exceptions and outside requests are recorded.

    Every request that would leave the machine is refused and recorded as an error, so each browser
    test is also a closed-network test: a page needing a CDN fails here, not at the partnership.
    """
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server)
    pg = context.new_page()
    errors: list[str] = []

    def outside(route) -> None:  # noqa: ANN001
        errors.append(f"{pg.url}: outside request {route.request.url[:200]}")
        route.abort()

    context.route(lambda url: not is_local(url, live_server), outside)
    pg.on("console", lambda m: errors.append(f"{pg.url}: {m.text[:300]}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"{pg.url}: {str(e)[:300]}"))
    pg.console_errors = errors
    inflight = {"n": 0}

    def _is_callback(req) -> bool:  # noqa: ANN001
        return "_dash-update-component" in req.url

    pg.on("request", lambda r: inflight.__setitem__("n", inflight["n"] + 1) if _is_callback(r) else None)
    pg.on("requestfinished", lambda r: inflight.__setitem__("n", inflight["n"] - 1) if _is_callback(r) else None)
    pg.on("requestfailed", lambda r: inflight.__setitem__("n", inflight["n"] - 1) if _is_callback(r) else None)
    pg.dash_inflight = inflight
    return pg, context, errors


@pytest.fixture
def page(browser, live_server: str) -> Iterator[object]:  # noqa: ANN001
    """A fresh page; any console error, uncaught exception or outside request fails the test."""
    pg, context, errors = new_page(browser, live_server)
    yield pg
    context.close()
    assert not errors, "console errors or outside requests:\n" + "\n".join(errors)


def wait_for_dash(pg, timeout_s: float = 90) -> None:  # noqa: ANN001
    """Wait until no Dash callback has been in flight for a while (the page shows its final state).

    Callbacks chain (filters -> URL -> content), so "idle" means idle for 600 ms in a row; a busy CI
    machine can take seconds per callback, hence the generous timeout.
    """
    pg.wait_for_load_state("networkidle")
    inflight = getattr(pg, "dash_inflight", {"n": 0})
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        if inflight["n"] <= 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= 0.6 and pg.evaluate(GRIDS_SETTLED):
                _wait_for_graphs(pg, min(deadline, time.time() + 20))
                return
        else:
            quiet_since = None
        pg.wait_for_timeout(100)
    raise AssertionError(f"Dash callbacks still running after {timeout_s} s on {pg.url}")


def _wait_for_graphs(pg, until: float) -> None:  # noqa: ANN001
    """Plotly draws after the callbacks settle (its bundle loads on demand, titles are fitted after):
    wait, for a bounded time, until every chart box holds its drawn plot."""
    while time.time() < until and not pg.evaluate(GRAPHS_DRAWN):
        pg.wait_for_timeout(100)


GRAPHS_DRAWN = """() => [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.js-plotly-plot'))"""

# Server-paged grids fetch blocks after Dash is idle: settled when every one has its header cells and
# no row still waiting for its block.
GRIDS_SETTLED = """() => [...document.querySelectorAll('.server-grid')].every(g =>
    g.querySelectorAll('[role=columnheader]').length >= Number(g.querySelector('[aria-colcount]')
        ?.getAttribute('aria-colcount') || 0)
    && !g.querySelector('.ag-row-loading, .ag-loading'))"""


def check_axe(pg, allow: dict[str, str] | None = None) -> None:  # noqa: ANN001
    """Fail on any WCAG 2.2 AA violation except rules named in ``allow`` (rule id -> why)."""
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(pg, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = [v for v in result.response["violations"] if v["id"] not in (allow or {})]
    detail = "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
                       f"{[n['target'] for n in v['nodes'][:3]]})" for v in violations)
    assert not violations, f"axe violations on {pg.url}:\n{detail}"


def screenshot(pg, name: str) -> Path:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def sign_in(pg, name: str, password: str) -> bool:  # noqa: ANN001
    """Sign in through the form as a person would; True when the browser left the sign-in page.

    One copy for every browser test that signs in (test_sign_in, test_partner_return_flow); each test
    decides what a failed sign-in means for it (a failure, or a skip where the browser keeps no
    Secure cookie over plain HTTP)."""
    pg.goto("/login")
    pg.fill("#username", name)
    pg.fill("#password", password)
    pg.click("button[type=submit]")
    pg.wait_for_load_state("networkidle")
    return "/login" not in pg.url
