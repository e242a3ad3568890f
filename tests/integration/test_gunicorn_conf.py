"""gunicorn.conf.py (the Procfile's): workers and threads from the environment, no query strings logged."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import Engine

from tests.conftest import ROOT, free_port


def test_procfile_uses_the_config() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: gunicorn -c gunicorn.conf.py dashboard.app:server"


def test_served_with_env_workers_and_a_log_without_query_strings(engine: Engine, tmp_path) -> None:  # noqa: ANN001
    if engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough for the server's configuration")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False), "PORT": str(port),
           "HOST": "127.0.0.1", "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2", "WARM_CACHE": "0"}
    env.pop("APP_ENV", None)
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "dashboard.app:server"],
                                cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            deadline = time.time() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health?person=AB123456C", timeout=2) as r:
                        assert r.status == 200
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise AssertionError(log.read_text()[-2000:]) from None
                    time.sleep(0.5)
            time.sleep(0.5)  # the access line is written after the response
        finally:
            proc.terminate()
            proc.wait(20)
    text = log.read_text()
    assert '"GET /health"' in text and "AB123456C" not in text and "person=" not in text
    assert text.count("Booting worker") == 1  # WEB_CONCURRENCY=1


def test_bad_worker_count_is_refused_clearly() -> None:
    env = {**os.environ, "WEB_CONCURRENCY": "two"}
    run = subprocess.run([sys.executable, "-c", "import runpy; runpy.run_path('gunicorn.conf.py')"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode != 0 and "WEB_CONCURRENCY must be a whole number" in run.stderr
