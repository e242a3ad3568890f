"""The Dash application: ``server`` is what gunicorn serves (``gunicorn dashboard.app:server``).

Created as ``Dash(__package__, use_pages=True)`` so pages import as ``dashboard.pages.x`` exactly once.
Adds what Dash lacks by default: compression, security headers, a ``lang`` attribute, login in
production and vendored CSS so the app works on a closed network.
"""

from __future__ import annotations

import logging

import dash
from dash import Dash, dcc, html
from flask import Response
from flask_compress import Compress

from dashboard import auth, precompress
from dashboard.components.shell import shell
from settings import load_settings

INDEX = """<!DOCTYPE html>
<html lang="en-GB">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'self'; form-action 'self'")


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
    auth.install(server, settings)

    @server.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        return response

    @server.route("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    from dashboard import api

    api.register(server)
    def layout() -> object:
        """Built per visit, so the project list in it is the current one."""
        from dashboard.engine import engine
        from etl.demo import holds_sample
        from service.options import filter_options

        return shell(dash.page_container, production=settings.production,
                     project_choices=filter_options(engine()).projects, sample=holds_sample(engine()))

    app.layout = layout
    if settings.warm_cache:
        from service.warm import start_warmer
        from warehouse.db import get_engine

        start_warmer(get_engine(settings.database_url))
    return app


app = create_app()
server = app.server
__all__ = ["app", "server", "dcc", "html"]
