"""Big JavaScript bundles sent at brotli's best level, compressed once rather than per request.

A first visit downloads Plotly (4.8 MB), AG Grid (1.3 MB) and Dash's own bundles. flask-compress
compresses each response as it goes, at a fast level (plotly.min.js: 1.41 MB), because it cannot
spend seconds per request. These files never change while the app runs, so they are compressed once
at the best level (plotly.min.js: 1.11 MB, about 8 s of CPU) once per machine: at install or image
build time (``python -m dashboard.precompress``), else by gunicorn's master at start
(``gunicorn.conf.py``) or the first process to need them (a lock file per bundle), kept on disk for
every worker and the next start, and in memory for this process, and served from there. Until a file is ready it
goes out as before. The file is found by the hash of its bytes, so Dash's cache-busting URLs and
package upgrades need no bookkeeping.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import logging
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import brotli
from flask import Flask, Response, request

log = logging.getLogger(__name__)

CACHE_DIR = Path(tempfile.gettempdir()) / "vvu-precompressed"
MIN_BYTES = 100_000  # smaller files gain little from the slow level
ROUTE = "/_dash-component-suites/"
# What every first visit loads: compressed at start-up rather than on first sight.
EAGER = (
    ("plotly", "package_data/plotly.min.js"),
    ("dash_ag_grid", "dash_ag_grid.min.js"),
    ("dash", "dcc/dash_core_components.js"),
    ("dash", "dash-renderer/build/dash_renderer.min.js"),
    ("dash_bootstrap_components", "_components/dash_bootstrap_components.min.js"),
)

_ready: dict[str, bytes] = {}
_pending: set[str] = set()
_lock = threading.Lock()
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="precompress")


def _key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _compress(key: str, data: bytes) -> bytes:
    """Best-level brotli, from the disk cache when another process or an earlier start made it.

    A lock file per bundle makes it once per machine: the second gunicorn worker (or the master's
    build at start, ``gunicorn.conf.py``) waits for the first and reads its result, instead of both
    spending the same seconds of CPU."""
    path = CACHE_DIR / f"{key}.br"
    out = _read(path)
    if out is None:
        try:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            with (CACHE_DIR / f"{key}.lock").open("a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                out = _read(path)
                if out is None:
                    out = brotli.compress(data, quality=11)
                    partial = path.with_suffix(f".{os.getpid()}.tmp")
                    partial.write_bytes(out)
                    os.replace(partial, path)  # atomic: a reader never sees half a file
        except OSError:
            log.warning("could not keep %s on disk; it stays in memory only", path)
            out = out or brotli.compress(data, quality=11)
    with _lock:
        _ready[key] = out
        _pending.discard(key)
    return out


def compressed(data: bytes) -> bytes | None:
    """The best-level brotli of ``data`` when ready; otherwise None, and it is queued."""
    key = _key(data)
    with _lock:
        if key in _ready:
            return _ready[key]
        if key in _pending:
            return None
        _pending.add(key)
    _pool.submit(_compress, key, data)
    return None


def _compress_eager() -> int:
    """Compress every bundle a first visit loads (those not yet done); returns how many."""
    done = 0
    for package, relative in EAGER:
        try:
            module = importlib.import_module(package)
            data = (Path(module.__file__).parent / relative).read_bytes()
        except (ImportError, OSError, TypeError):
            continue  # a package layout changed: that file is simply compressed on first request
        key = _key(data)
        with _lock:
            if key in _ready or key in _pending:
                continue
            _pending.add(key)
        _compress(key, data)
        done += 1
    log.info("static assets precompressed: %d files", done)
    return done


def build() -> int:
    """Compress the bundles into the disk cache now: at install or image build time
    (``python -m dashboard.precompress``), or in gunicorn's master before the workers start, so no
    worker spends a CPU-second on it and first visits never get the fast level."""
    return _compress_eager()


def install(server: Flask) -> None:
    """Serve component bundles precompressed (register after flask-compress, so this runs first)."""

    @server.after_request
    def use_precompressed(response: Response) -> Response:
        if (not request.path.startswith(ROUTE) or response.status_code != 200 or response.direct_passthrough
                or "Content-Encoding" in response.headers
                or "br" not in request.headers.get("Accept-Encoding", "")):
            return response
        data = response.get_data()
        if len(data) < MIN_BYTES:
            return response
        best = compressed(data)
        if best is None:
            return response  # flask-compress compresses it as before, this time
        response.set_data(best)
        response.headers["Content-Encoding"] = "br"
        response.headers["Content-Length"] = str(len(best))
        response.vary.add("Accept-Encoding")
        return response

    _pool.submit(_compress_eager)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"{build()} bundles compressed into {CACHE_DIR}")
