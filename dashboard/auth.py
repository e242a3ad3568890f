"""Login for production mode: every page, callback, API call and download requires a signed-in user.

Users come from ``DASHBOARD_USERS`` (``name:werkzeug-password-hash`` pairs separated by commas;
make a hash with ``python -m dashboard.auth HASH``). In development mode the app is open, and says so.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

from flask import Flask, Response, redirect, request
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from markupsafe import escape
from werkzeug.security import check_password_hash, generate_password_hash

from settings import Settings

PUBLIC_PATHS = ("/login", "/assets/", "/_dash-component-suites/", "/health")


class User(UserMixin):
    def __init__(self, name: str):
        self.id = name


def configured_users() -> dict[str, str]:
    users = {}
    for entry in os.environ.get("DASHBOARD_USERS", "").split(","):
        if ":" in entry:
            name, hashed = entry.split(":", 1)
            users[name.strip()] = hashed.strip()
    return users


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - VVU outcomes</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;color:#1f2933}}
label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;font-size:1rem}}
button{{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem;background:#0b4f8a;color:#fff;border:0}}
.error{{color:#b00020}}</style></head><body><main><h1>Essex VVU outcomes</h1>
<form method="post" action="/login"><p class="error" role="alert">{error}</p>
<input type="hidden" name="next" value="{next}">
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>"""


def _safe_next(target: str) -> str:
    parsed = urlparse(target or "/")
    return target if not parsed.netloc and not parsed.scheme and target.startswith("/") else "/"


def install(server: Flask, settings: Settings) -> None:
    """Require login for everything but the login page and static files, in production mode only."""
    if not settings.production:
        return
    users = configured_users()
    if not users:
        raise SystemExit("APP_ENV=production needs DASHBOARD_USERS (see dashboard/auth.py)")
    server.config.update(SECRET_KEY=settings.secret_key, SESSION_COOKIE_SECURE=True,
                         SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         REMEMBER_COOKIE_SAMESITE="Lax")
    manager = LoginManager(server)

    @manager.user_loader
    def load(user_id: str) -> User | None:
        return User(user_id) if user_id in users else None

    @server.before_request
    def require_login() -> Response | None:
        if current_user.is_authenticated or request.path.startswith(PUBLIC_PATHS):
            return None
        if request.path.startswith(("/api/", "/_dash")):
            return Response('{"error": "login required"}', status=401, mimetype="application/json")
        return redirect(f"/login?next={request.full_path}")

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response | str:
        error = ""
        nxt = _safe_next(request.values.get("next", "/"))
        if request.method == "POST":
            name = request.form.get("username", "")
            hashed = users.get(name)
            password = request.form.get("password", "")
            ok = hashed is not None and check_password_hash(hashed, password)
            if ok:
                login_user(User(name))
                return redirect(nxt)
            error = "User name or password not recognised."
        return LOGIN_PAGE.format(error=escape(error), next=escape(nxt))

    @server.route("/logout")
    def logout() -> Response:
        logout_user()
        return redirect("/login")


if __name__ == "__main__":
    print(generate_password_hash(sys.argv[1]))
