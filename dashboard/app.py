"""The Dash application: ``server`` is what gunicorn serves (``gunicorn dashboard.app:server``).

Created as ``Dash(__package__, use_pages=True)`` so pages import as ``dashboard.pages.x`` exactly once.
Adds what Dash lacks by default: compression, security headers, a ``lang`` attribute, login in
production and vendored CSS so the app works on a closed network.
"""

from __future__ import annotations

import logging

import dash
from dash import Dash, dcc, html
from flask import Response, request
from flask_compress import Compress
from werkzeug.exceptions import HTTPException

from dashboard import auth, precompress
from dashboard.components.shell import shell
from settings import load_settings

INDEX = """<!DOCTYPE html>
<html lang="en-GB">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""

CSP = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
STATIC = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")
BAD_INPUT = (TypeError, ValueError, KeyError, AttributeError, IndexError, dash.exceptions.DashException)


def create_app() -> Dash:
    # INFO to stderr unless a host (python -m dashboard, gunicorn config) configured logging already.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    settings.check_safe()
    app = Dash(
        __package__,
        use_pages=True,
        title="Essex VVU outcomes",
        update_title=None,
        suppress_callback_exceptions=True,
        compress=False,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes * 4 // 3 + 2**20  # base64 in a callback's JSON
    server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "application/json", "application/javascript",
                                           "text/javascript", "text/csv", "application/geo+json"]
    server.config["COMPRESS_ALGORITHM"] = ["br", "gzip"]
    Compress(server)
    precompress.install(server)  # after Compress: Flask runs after-request hooks last-registered first
    gate = auth.install(app, settings)
    install_version_scope(server)
    csp: list[str] = []

    @server.after_request
    def security_headers(response: Response) -> Response:
        if not csp:  # Dash knows its inline scripts' hashes once its layout is set up
            csp.append(CSP.format(hashes=" ".join(app.csp_hashes())))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", csp[0])
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        if gate.production:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith(STATIC):  # data, pages, callbacks, exports: never kept by a browser/proxy
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        response.headers.pop("Server", None)
        return response

    @server.route("/health")
    def health() -> tuple[dict[str, str], int]:
        """The database and the cache answer; nothing else is revealed (no versions, no counts)."""
        return health_status()

    @server.errorhandler(Exception)
    def refuse_bad_callback_input(exc: Exception) -> Response | HTTPException:
        """Callbacks are public JSON endpoints: a wrong-typed input is the caller's error (400, one log
        line), not the server's (500 with a traceback)."""
        if isinstance(exc, HTTPException):
            return exc
        if request.path == "/_dash-update-component" and isinstance(exc, BAD_INPUT):
            logging.getLogger("dashboard.callbacks").warning(
                "callback %s refused: %s", str((request.get_json(silent=True) or {}).get("output", ""))[:80],
                type(exc).__name__)
            return Response('{"error": "bad callback input"}', status=400, mimetype="application/json")
        logging.getLogger("dashboard").error("unhandled error on %s: %s", request.path, type(exc).__name__,
                                             exc_info=exc)
        return Response('{"error": "internal error"}' if request.path.startswith(("/api/", "/_dash"))
                        else "Internal error", status=500,
                        mimetype="application/json" if request.path.startswith(("/api/", "/_dash")) else "text/plain")

    from dashboard import api

    api.register(server)
    def layout() -> object:
        """Built per visit, so the project list in it is the current one (a partner's own projects only)."""
        from analysis.disclosure import footnote
        from dashboard.engine import engine
        from etl.demo import holds_sample
        from service.gate import threshold
        from service.options import filter_options
        from warehouse.filters import REQUEST_ORG

        choices = filter_options(engine()).projects
        org = REQUEST_ORG.get()
        if org:
            from warehouse.filters import Filters
            from warehouse.queries import project_scope

            own = set(project_scope(engine(), Filters())["project_code"])
            choices = [c for c in choices if c[0] in own]
        principal = auth.current()
        return shell(dash.page_container, signed_in=bool(principal and principal.user_id),
                     project_choices=choices, role=principal.role if principal else "",
                     disclosure_rule=footnote(threshold()), sample=holds_sample(engine()))

    app.layout = layout
    if settings.warm_cache:
        from service.warm import start_warmer
        from warehouse.db import get_engine

        start_warmer(get_engine(settings.database_url))
    return app


def install_version_scope(server: object) -> None:
    """One data-version read per request, however many cached views a callback calls (warehouse.version).

    Registered after sign-in's hooks so that a refused request costs no query; the scope ends with the
    request, so the next one on this thread reads the version afresh and sees a new load at once."""
    from flask import g

    from warehouse.version import begin_scope, end_scope

    @server.before_request  # type: ignore[attr-defined]
    def open_scope() -> None:
        g.vvu_version_scope = begin_scope()

    @server.teardown_request  # type: ignore[attr-defined]
    def close_scope(_exc: BaseException | None) -> None:
        token = g.pop("vvu_version_scope", None)
        if token is not None:
            end_scope(token)


def health_status() -> tuple[dict[str, str], int]:
    from sqlalchemy import text

    from dashboard.engine import engine
    from service import cache

    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        cache.ping()
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the details go to the log only
        logging.getLogger("dashboard").warning("health check failed", exc_info=True)
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200


app = create_app()
server = app.server
__all__ = ["app", "server", "dcc", "html"]
