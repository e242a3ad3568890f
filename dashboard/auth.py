"""Sign-in, sessions, API tokens and the role check that every request passes through.

Why it is built this way:
- Sessions live in the database (``warehouse.users``), the cookie holds only a random id: signing
  out, disabling a user or 30 idle minutes end a session at once, and a cookie saved before sign-out
  is refused afterwards.
- One ``before_request`` decides every request: pages by path, callbacks by the page they belong to
  (``dashboard.access``), the API by endpoint. Links hidden in the shell are a courtesy, not the wall.
- A partner's organisation is set as the request's scope (``warehouse.filters.REQUEST_ORG``) before
  any view runs, so every ``Filters`` made while answering carries it into the SQL and the cache key.
- Sign-in costs one password hash whatever the name (equal timing for unknown names); failures are
  counted per name and per address in the database (shared by workers) and lock both out for a while;
  at most ``login_concurrency`` hashes run at once per process, so a login flood queues behind itself
  instead of taking the threads that serve ``/health`` and the pages.
- Forms carry a CSRF token; callbacks must come from this site (``Origin``) and, with a session,
  carry the session's CSRF token, which Dash's renderer sends from the ``_csrf_token`` cookie.

In development mode the app stays open without signing in (as an admin called "developer"), and
signing in as one of the demo users shows that role's view.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from datetime import timedelta
from urllib.parse import urlparse

import dash
from flask import Flask, Response, g, redirect, request
from markupsafe import escape

from dashboard import access
from settings import Settings
from warehouse import users
from warehouse.filters import REQUEST_ORG

log = logging.getLogger(__name__)

SESSION_COOKIE = "vvu_session"
CSRF_COOKIE = "_csrf_token"  # the name Dash's renderer reads and sends back as X-CSRFToken
LOGIN_CSRF_COOKIE = "vvu_login_csrf"
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
PUBLIC_PATHS = ("/login", "/logout", "/health")
DASH_PLUMBING = ("/_dash-layout", "/_dash-dependencies", "/_reload-hash")
DEVELOPER = users.Principal(0, "developer", "admin")
GENERIC_FAILURE = "User name or password not recognised."
LOCKED = "Too many failed attempts. Wait 15 minutes and try again, or ask an administrator."

LOGIN_PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Sign in - VVU outcomes</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="/_favicon.ico">
</head><body class="signin"><main><h1>Essex VVU outcomes</h1>{dev}
<form method="post" action="/login"><p class="error" role="alert">{error}</p>
<input type="hidden" name="next" value="{next}"><input type="hidden" name="csrf_token" value="{csrf}">
<label for="username">User name</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>"""

SIGNOUT_PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Sign out - VVU outcomes</title>
<link rel="stylesheet" href="/assets/style.css"><link rel="icon" href="/_favicon.ico"></head>
<body class="signin"><main><h1>Sign out</h1>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{csrf}">
<p>Signed in as {name} ({role}).</p><button type="submit">Sign out</button></form></main></body></html>"""

REFUSED_PAGE = """<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="/_favicon.ico"></head>
<body><main><h1>{title}</h1><p>{text}</p><p><a href="/">Home</a> · <a href="/logout">Sign out</a></p></main>
</body></html>"""


def _safe_next(target: str) -> str:
    parsed = urlparse(target or "/")
    ok = not parsed.netloc and not parsed.scheme and target.startswith("/") and not target.startswith("//") \
        and "\\" not in target
    return target if ok else "/"


def _address() -> str:
    """The client's address as the server sees it (a proxy in front should set X-Forwarded-For and
    the deployment wraps the app in ProxyFix; see docs/deployment.md)."""
    return (request.remote_addr or "")[:64]


def _json(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


def _refuse_page(status: int, title: str, text: str) -> Response:
    return Response(REFUSED_PAGE.format(title=escape(title), text=escape(text)), status=status,
                    mimetype="text/html")


class Gate:
    """The request checks, bound to one app and its settings."""

    def __init__(self, app: dash.Dash, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.production = settings.production
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.hashing = threading.BoundedSemaphore(max(1, settings.login_concurrency))
        self._callback_pages: dict[str, str | None] = {}

    # -- identity -------------------------------------------------------------------------------
    def engine(self):  # noqa: ANN201 - an Engine, per request (tests switch DATABASE_URL)
        from dashboard.engine import engine

        return engine()

    def csrf_for(self, sid: str) -> str:
        return hmac.new(self.settings.secret_key.encode(), b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()

    def identify(self) -> users.Principal | None:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and request.path.startswith("/api/"):
            g.via = "token"
            return users.token_principal(self.engine(), auth[7:].strip())
        sid = request.cookies.get(SESSION_COOKIE, "")
        if sid:
            g.via = "session"
            g.sid = sid
            principal = users.session_principal(self.engine(), sid, self.idle)
            if principal is not None:
                return principal
        g.via = ""
        return None if self.production else DEVELOPER

    # -- the check ------------------------------------------------------------------------------
    def before(self) -> Response | None:  # noqa: C901, PLR0911, PLR0912 - one decision per kind of request
        REQUEST_ORG.set("")  # never inherit a scope from a pooled thread's previous request
        path = request.path
        if path.startswith(STATIC_PREFIXES) or path in PUBLIC_PATHS:
            return None
        principal = self.identify()
        g.principal = principal
        if principal is None:
            if path.startswith(("/api/", "/_dash", "/_reload")):
                return _json(401, "sign in required")
            if access.page_for_path(path) is None:
                return _refuse_page(404, "Not found", "There is no page at this address.")
            return redirect(f"/login?next={request.full_path.rstrip('?')}")
        if principal.role == "partner":
            REQUEST_ORG.set(principal.org)
        role = principal.role
        if path == "/_dash-update-component":
            return self.check_callback(principal)
        if path in DASH_PLUMBING:
            return None
        if path.startswith("/api/"):
            endpoint = request.endpoint or ""
            if not endpoint.startswith("api."):
                return _json(404, "no such API endpoint")  # never the page shell
            if not access.api_allows(endpoint, role):
                return _json(403, "not available to your role")
            code = (request.view_args or {}).get("code") or request.args.get("project", "")
            if code and not self.project_allowed(principal, str(code)):
                return _json(404, "no such project")
            if request.method not in ("GET", "HEAD", "OPTIONS"):  # a write route: same guard as callbacks
                return self.check_write()
            return None
        page = access.page_for_path(path)
        if page is None:
            return _refuse_page(404, "Not found", "There is no page at this address.")
        key, variables = page
        if not access.page_allows(key, role):
            if path == "/" and access.HOME.get(role, "/") != "/":
                return redirect(access.HOME[role])
            return _refuse_page(403, "Not available", "This page is not available to your role.")
        if "code" in variables and not self.project_allowed(principal, variables["code"]):
            return _refuse_page(404, "Not found", "There is no such project.")
        return None

    def project_allowed(self, principal: users.Principal, code: str) -> bool:
        if principal.role != "partner":
            return True
        from warehouse.queries import project_org

        return project_org(self.engine(), code.strip().upper()) == principal.org

    def origin_ok(self) -> bool:
        """Same-site only: a present Origin must be this host; browsers always send it on POST."""
        origin = request.headers.get("Origin")
        if origin is None:
            return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")
        return urlparse(origin).netloc == request.host and origin.startswith(("http://", "https://"))

    def check_write(self) -> Response | None:
        """Any request that changes something: same-site only, and with a session, its CSRF token in
        ``X-CSRFToken`` (a bearer token is not sent by a browser on its own, so it needs none)."""
        if not self.origin_ok():
            return _json(403, "cross-site request refused")
        if getattr(g, "via", "") == "session":
            sent = request.headers.get("X-CSRFToken", "")
            if not hmac.compare_digest(sent, self.csrf_for(g.sid)):
                return _json(403, "missing or wrong CSRF token")
        return None

    def check_callback(self, principal: users.Principal) -> Response | None:
        if request.method != "POST":
            return None
        refused = self.check_write()
        if refused is not None:
            return refused
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("output"), str):
            return _json(400, "malformed callback request")
        page = self.page_of(body["output"])
        role = principal.role
        if page is None:
            allowed = role == "admin"
        elif page == "":
            allowed = True
        elif page == access.ROUTER:
            pathname = next((i.get("value") for i in body.get("inputs") or [] if isinstance(i, dict)
                             and i.get("property") == "pathname"), "/")
            target = access.page_for_path(str(pathname or "/"))
            allowed = target is not None and access.page_allows(target[0], role) and (
                "code" not in target[1] or self.project_allowed(principal, target[1]["code"]))
        else:
            allowed = access.page_allows(page, role)
        if allowed and role == "partner":
            allowed = all(self.project_allowed(principal, str(code)) for code in _codes_in(body))
        if not allowed:
            return _json(403, "not available to your role")
        g.callback_page = page
        return None

    def page_of(self, output: str) -> str | None:
        if output not in self._callback_pages:
            entry = self.app.callback_map.get(output)
            if entry is None:
                return None
            if entry.get("callback") is None:  # clientside: runs in the browser, nothing to answer here
                self._callback_pages[output] = ""
                return ""
            module = getattr(entry.get("callback"), "__module__", "") or ""
            page_paths = {name: (page.get("path_template") or page["path"])
                          for name, page in dash.page_registry.items()}
            self._callback_pages[output] = access.page_for_callback(module, output, page_paths)
        return self._callback_pages[output]

    # -- audit of data leaving or entering ------------------------------------------------------
    def audit_after(self, response: Response) -> Response:
        """Exports (API CSV and files, grid downloads) and uploads, recorded after they are answered."""
        principal = g.get("principal")
        if principal is None or response.status_code >= 400:
            return response
        path = request.path
        action = ""
        if path.startswith("/api/") and ("/export" in path or request.args.get("format", "").lower() == "csv"):
            action, target = "export", request.full_path.rstrip("?")[:200]
        elif path == "/_dash-update-component":
            output = str((request.get_json(silent=True) or {}).get("output", ""))
            if "-download.data" in output:
                action, target = "export", output[:200]
            elif "upload-report" in output:
                action, target = "upload", output[:200]
        if action:
            try:
                users.audit(self.engine(), action, principal.name, principal.role, target, address=_address())
            except Exception:  # noqa: BLE001 - never lose the answer over its audit record; say so in the log
                log.exception("audit record for %s failed", action)
        return response

    # -- sign-in and sign-out -------------------------------------------------------------------
    def login(self) -> Response:
        nxt = _safe_next(request.values.get("next", "/"))
        if request.method == "GET":
            return self._login_form("", nxt)
        sent = request.form.get("csrf_token", "")
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent, cookie) or not self.origin_ok():
            return self._login_form("The form expired. Please sign in again.", nxt, status=400)
        name = request.form.get("username", "").strip()[:100]
        password = request.form.get("password", "")[:1000]
        engine = self.engine()
        keys = [f"user:{name.lower()}", f"addr:{_address()}"]
        if users.locked_until(engine, keys) is not None:
            users.audit(engine, "signin", _loggable(engine, name), outcome="locked", address=_address())
            return self._login_form(LOCKED, nxt, status=429)
        if not self.hashing.acquire(timeout=0.1):  # a flood is turned away, not queued in threads pages need
            return self._login_form("The service is busy. Please try again in a moment.", nxt, status=503)
        try:
            principal = users.verify_password(engine, name, password)
        finally:
            self.hashing.release()
        if principal is None:
            s = self.settings
            users.record_failure(engine, keys, s.login_max_failures, timedelta(seconds=s.login_window_seconds),
                                 timedelta(seconds=s.lockout_seconds))
            users.audit(engine, "signin", _loggable(engine, name), outcome="failed", address=_address())
            return self._login_form(GENERIC_FAILURE, nxt, status=200)
        users.clear_failures(engine, keys[:1])
        sid = users.start_session(engine, principal)
        users.audit(engine, "signin", principal.name, principal.role, address=_address())
        target = nxt if nxt != "/" else access.HOME.get(principal.role, "/")
        response = redirect(target)
        self._set_cookie(response, SESSION_COOKIE, sid, http_only=True)
        self._set_cookie(response, CSRF_COOKIE, self.csrf_for(sid), http_only=False)
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    def _login_form(self, error: str, nxt: str, status: int = 200) -> Response:
        token = secrets.token_urlsafe(24)
        dev = "" if self.production else (
            "<p>Development mode: the app is open without signing in. Sign in as a demo user (printed by "
            "<code>python -m etl demo</code>) to see a role's view.</p>")
        response = Response(LOGIN_PAGE.format(error=escape(error), next=escape(nxt), csrf=token, dev=dev),
                            status=status, mimetype="text/html")
        self._set_cookie(response, LOGIN_CSRF_COOKIE, token, http_only=True, path="/login", strict=True)
        return response

    def logout(self) -> Response:
        sid = request.cookies.get(SESSION_COOKIE, "")
        engine = self.engine()
        principal = users.session_principal(engine, sid, self.idle) if sid else None
        if request.method == "GET":
            if principal is None:
                return redirect("/login")
            return Response(SIGNOUT_PAGE.format(csrf=self.csrf_for(sid), name=escape(principal.name),
                                                role=escape(principal.role)), mimetype="text/html")
        if principal is not None:
            if not hmac.compare_digest(request.form.get("csrf_token", ""), self.csrf_for(sid)) or not self.origin_ok():
                return _refuse_page(400, "Not signed out", "The form expired; open Sign out again.")
            users.end_session(engine, sid)
            users.audit(engine, "signout", principal.name, principal.role, address=_address())
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return response

    def _set_cookie(self, response: Response, name: str, value: str, http_only: bool, path: str = "/",
                    strict: bool = False) -> None:
        response.set_cookie(name, value, path=path, secure=self.production, httponly=http_only,
                            samesite="Strict" if strict else "Lax")


def _codes_in(body: dict) -> list[str]:
    """Project codes a callback is asked about (a State or Input whose id ends in -code)."""
    found = []
    for item in [*(body.get("inputs") or []), *(body.get("state") or [])]:
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].endswith("-code"):
            found.append(str(item.get("value") or ""))
    return [c for c in found if c]


def _loggable(engine, name: str) -> str:  # noqa: ANN001
    """A failed sign-in's name only if it is a real user: a password typed into the name field must
    never reach the audit log."""
    return name if name and users.user_exists(engine, name) else "(unknown name)"


def current() -> users.Principal | None:
    """The principal of the request being answered (None outside a request or when anonymous)."""
    try:
        return g.get("principal")
    except RuntimeError:
        return None


def install(app: dash.Dash, settings: Settings) -> Gate:
    """Put every request through the gate, and add /login and /logout."""
    server: Flask = app.server
    server.config.update(SECRET_KEY=settings.secret_key, SESSION_COOKIE_SECURE=settings.production,
                         SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    gate = Gate(app, settings)
    # The dummy hash an unknown name is checked against, made now: made on the first sign-in, that one
    # refusal of an unknown name would take ~0.1 s longer than a wrong password and tell them apart.
    users.warm_dummy_hash()
    server.extensions["vvu_gate"] = gate
    server.before_request(gate.before)
    server.after_request(gate.audit_after)
    server.add_url_rule("/login", "login", gate.login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", gate.logout, methods=["GET", "POST"])
    return gate
