"""Locust users for ``bench/load/run.py``: each signs in, then walks every page as a browser does (the
page, then its Dash callbacks) with the filter bar changed at random between pages.

Runs in locust's own environment (bench/load/requirements.txt), so it imports nothing of the app:
``run.py`` writes the plan, ``LOAD_PLAN`` (JSON: for each page, its callback requests as the browser
sent them, once per view drawn from the real filter space, filters already set), and passes
``LOAD_USER`` and ``LOAD_PASSWORD``. Requests are named by page, so the statistics say which page is
slow; a page's callbacks are grouped as "<page> callbacks".
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

PLAN: dict[str, list[list[dict]]] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())["pages"]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Manager(HttpUser):
    """A unit manager checking the dashboard: a page every 1-3 s, a different view each time."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        form = self.client.get("/login", name="GET /login")
        token = CSRF_FIELD.search(form.text)
        if token is None:
            raise RuntimeError("the sign-in form carries no CSRF token")
        done = self.client.post("/login", name="POST /login", allow_redirects=False, data={
            "name": os.environ["LOAD_USER"], "password": os.environ["LOAD_PASSWORD"],
            "csrf_token": token.group(1), "next": "/"}, headers={"Origin": self.host})
        if done.status_code not in (302, 303):
            raise RuntimeError(f"sign-in refused: {done.status_code}")
        self.rng = random.Random()

    @task
    def walk(self) -> None:
        pages = list(PLAN)
        self.rng.shuffle(pages)
        for page in pages:
            self.client.get(page, name=f"GET {page}")
            headers = {"Origin": self.host, "X-CSRFToken": self.client.cookies.get("_csrf_token", ""),
                       "Content-Type": "application/json"}
            for request in self.rng.choice(PLAN[page]):  # one view's callbacks
                self.client.post(request["url"], data=json.dumps(request["body"]), headers=headers,
                                 name=f"{page} callbacks")
